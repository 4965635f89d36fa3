# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Weight distributions
#
# ## What you will learn
#
# * What the weight distributions of the five models look like, and why
#   {cite:t}`blundell2015weight` expected a wider one to survive pruning better.
# * How to read a Bayes-by-Backprop posterior through three numbers per weight — its mean
#   $\mu$, its standard deviation $\sigma$ and their ratio $|\mu|/\sigma$ — and why a BBB
#   sample is barely wider than its means.
# * That after 50 epochs the study's $\sigma$ has hardly left the range it was initialised in:
#   the fact that decides how SNR pruning behaves ({doc}`pruning`).

# %% tags=["hide-cell"]
# Colab: install bnntut with the book's package and fetch the committed results (the URL is _config.yml's repository).
import importlib.util
import os
import subprocess
import sys

REPOSITORY = "https://github.com/bnntut/bnntut"
if "google.colab" in sys.modules and importlib.util.find_spec("bnntut") is None:
    subprocess.run(["git", "clone", "--depth=1", REPOSITORY, "bnntut-repo"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "bnntut-repo[book]"], check=True)
    sys.path.insert(0, os.path.abspath("bnntut-repo"))
    os.chdir("bnntut-repo/book")

# %%
import math

import torch

from bnnbook import book, plots, report
from bnntut import bayes, evaluate, experiment, models
from bnntut.presets import METHOD_LABELS, get_preset

PRESET = book.start()
results = book.load_results(PRESET)
DATASETS = tuple(results)

# %% [markdown]
# The study's method section rests on one figure of {cite:t}`blundell2015weight`
# (their Figure 1): the histogram of the weights of a BBB network is wider than that of a
# dropout network, which is wider than that of plain SGD. The study's hypothesis: a wider
# weight distribution survives pruning better, and heavier dropout might widen it. Its
# Figures 8 and 9 show the distributions of its five models.
#
# `bnntut` stores, with every result, histograms of all parameters (weights and biases) on the
# study's range ±0.3 with 100 bins — for BBB both the posterior means μ and one weight sample
# (what the study plotted) — so the first figures need no trained model.

# %% [markdown]
# ## All five models (the study's Figures 8 and 9)
#
# Densities on a log scale, so that the tails are visible; the legend gives each model's
# standard deviation over all its parameters.

# %%
fig = plots.weight_histograms_figure(results)

# %% tags=["remove-input"]
rows = {}
for method in results["mnist"]:
    key = "sample" if method == "bbb" else "values"
    rows[METHOD_LABELS[method]] = {plots.DATASET_LABELS[d]: report.number(
        results[d][method]["weights"][key]["std"]) for d in DATASETS}
rows["Bayes by Backprop, posterior means μ"] = {plots.DATASET_LABELS[d]: report.number(
    results[d]["bbb"]["weights"]["mu"]["std"]) for d in DATASETS}
report.frame(rows, "Model", columns_name="standard deviation")

# %% [markdown]
# ### How wide is a BBB sample?
#
# The BBB curve is one sample $w_j = \mu_j + \sigma_j \varepsilon_j$ of all $n$ parameters,
# $\varepsilon_j \sim \mathcal{N}(0, 1)$ independent of everything else. Its spread over the
# parameters splits into the spread of the means and the noise: with $\mathbb{E}[\varepsilon]
# = 0$ and $\mathbb{E}[\varepsilon^2] = 1$ the cross term vanishes, so for large $n$
#
# $$
# \begin{aligned}
# \operatorname{Var}_j(w_j)
#   &= \operatorname{Var}_j(\mu_j) + 2\operatorname{Cov}_j(\mu_j, \sigma_j\varepsilon_j)
#      + \operatorname{Var}_j(\sigma_j\varepsilon_j) \\
#   &\approx \operatorname{Var}_j(\mu_j) + \frac{1}{n}\sum_j \sigma_j^2 ,
# \end{aligned}
# $$
#
# the variance of the means plus the mean of $\sigma_j^2$. On the trained MNIST posterior:

# %%
bbb = experiment.trained_model("mnist", "bbb", PRESET, device="cpu")
pairs = bayes.variational_pairs(bbb)   # (μ, ρ) of W1, b1, W2, b2, W3, b3
mu = torch.cat([m.detach().flatten() for m, _ in pairs])        # (n,)
rho = torch.cat([r.detach().flatten() for _, r in pairs])       # (n,)
sigma = bayes.sigma(rho)                                        # (n,)
rms_sigma = (sigma**2).mean().sqrt().item()
predicted = math.sqrt(mu.var().item() + rms_sigma**2)
print(f"std of μ: {mu.std():.4f}; root mean σ²: {rms_sigma:.4f}; "
      f"predicted std of a sample: {predicted:.4f}")

# %% tags=["remove-cell"]
# The live model is the one the stored result summarises (same mean σ), and the predicted
# spread matches the package's summary of one drawn sample (evaluate.weight_summary).
stored = results["mnist"]["bbb"]["weights"]
assert math.isclose(sigma.mean().item(), stored["mean_sigma"], rel_tol=1e-5)
assert math.isclose(mu.std().item(), stored["mu"]["std"], rel_tol=1e-5)
summary = evaluate.weight_summary(bbb)
assert math.isclose(predicted, summary["sample"]["std"], rel_tol=1e-2)
book.glue("sample_std", predicted)
book.glue("mu_std", mu.std().item())
book.glue("rms_sigma", rms_sigma)
book.glue("sgd_std", results["mnist"]["sgd"]["weights"]["values"]["std"])

# %% [markdown]
# The noise adds almost nothing: $\sigma$ is small next to the spread of $\mu$, so the BBB
# sample in the figure is about as wide as its means. Whatever makes BBB's distribution wider
# or narrower than the baselines' is the spread of its means.
#
# ## The Bayesian network in detail
#
# For BBB we can look at more than one sample: the posterior means μ, the posterior standard
# deviations σ and their ratio, the signal-to-noise ratio $|\mu|/\sigma$ in decibels — the
# quantity the pruning ranks by (Blundell et al.'s Figure 4).

# %%
for dataset in DATASETS:
    plots.bbb_distributions(results[dataset]["bbb"],
                            title=plots.DATASET_LABELS[dataset])

# %% tags=["remove-input"]
rows = {}
for dataset in DATASETS:
    w = results[dataset]["bbb"]["weights"]
    snr = w["snr_db"]
    counts, edges = snr["counts"], snr["edges"]
    below0 = sum(c for c, e in zip(counts, edges[1:]) if e <= 0) + snr["below"]
    book.glue(f"{dataset}_below_0db", 100 * below0 / snr["n"])
    rows[plots.DATASET_LABELS[dataset]] = {
        "mean σ": report.number(w["mean_sigma"]),
        "share with |μ| < σ (SNR < 0 dB)": report.number(100 * below0 / snr["n"], 1,
                                                          unit=" %")}
report.frame(rows, "Dataset", columns_name="Bayes by Backprop")

# %% [markdown]
# ## σ barely moved
#
# Every $\rho_j$ was drawn from $\mathcal{U}(-5, -4)$ (the preset's `rho_init`), and
# $\sigma = \log(1 + e^{\rho})$ is increasing, so at initialisation
#
# $$
# \sigma_j \in \bigl[\log(1 + e^{-5}),\ \log(1 + e^{-4})\bigr] ,
# \qquad
# \log(1 + e^{\rho}) = e^{\rho} - \tfrac{1}{2} e^{2\rho} + \dots \approx e^{\rho} .
# $$
#
# How many of the trained $\sigma_j$ are still inside that band?

# %%
rho_init = get_preset(PRESET).model_spec("bbb")["rho_init"]
low, high = bayes.sigma(torch.tensor(rho_init)).tolist()  # initial σ band
sigmas = {"mnist": sigma}
for dataset in DATASETS[1:]:
    model = experiment.trained_model(dataset, "bbb", PRESET, device="cpu")
    sigmas[dataset] = bayes.sigma(torch.cat(
        [r.detach().flatten() for _, r in bayes.variational_pairs(model)]))
inside = {d: ((s >= low) & (s <= high)).float().mean().item()
          for d, s in sigmas.items()}
print(f"initial band: σ in [{low:.4f}, {high:.4f}]")
for dataset, share in inside.items():
    name = plots.DATASET_LABELS[dataset]
    print(f"{name}: {share:.1%} of σ inside the band")

# %% tags=["remove-cell"]
# The band is softplus of the preset's ρ range, and the trained σ of the other dataset are
# those its stored result summarises.
assert [round(v, 6) for v in (low, high)] == [
    round(math.log1p(math.exp(r)), 6) for r in rho_init]
for dataset, s in sigmas.items():
    stored_mean = results[dataset]["bbb"]["weights"]["mean_sigma"]
    assert math.isclose(s.mean().item(), stored_mean, rel_tol=1e-5)
    book.glue(f"{dataset}_inside", 100 * inside[dataset])
    book.glue(f"{dataset}_below", 100 * (s < low).float().mean().item())
    book.glue(f"{dataset}_above", 100 * (s > high).float().mean().item())
book.glue("band_low", low)
book.glue("band_high", high)

# %% [markdown]
# The histograms of the trained $\sigma$ against that band (shaded), with the $\sigma$ of a
# freshly initialised network for comparison, built from the same preset:

# %%
torch.manual_seed(0)
fresh = models.build(get_preset(PRESET).model_spec("bbb"))
fresh_pairs = bayes.variational_pairs(fresh)
fresh_rho = torch.cat([r.detach().flatten() for _, r in fresh_pairs])
fresh_sigma = bayes.sigma(fresh_rho)

# %% tags=["remove-input"]
fig, axes = plots.figure(height=3.0)
ax = axes[0, 0]
smallest = min(s.min() for s in sigmas.values())
largest = max(s.max() for s in sigmas.values())
edges = torch.logspace(math.log10(0.9 * smallest), math.log10(1.1 * largest),
                       80)
ax.axvspan(low, high, color=plots.REFERENCE_COLOR, alpha=0.2, lw=0,
           label="initial range")
ax.hist(fresh_sigma.numpy(), bins=edges.numpy(), histtype="step", lw=1.5,
        ls=":", color=plots.REFERENCE_COLOR, density=True,
        label="at initialisation")
for dataset, s in sigmas.items():
    ax.hist(s.numpy(), bins=edges.numpy(), histtype="step", lw=1.8,
            density=True, ls=plots.DATASET_STYLES[dataset],
            color=plots.METHOD_COLORS["bbb"],
            label=f"trained, {plots.DATASET_LABELS[dataset]}")
ax.set(xscale="log", yscale="log", xlabel="posterior std. dev. σ (log scale)",
       ylabel="density")
plots.plain_log_ticks(ax, axis="x", subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0))
plots.legend_below(fig, ncol=2);

# %% [markdown]
# Most of the trained $\sigma$ are still inside the band: {glue:text}`mnist_inside:.1f` % on
# MNIST, with {glue:text}`mnist_above:.1f` % above it and {glue:text}`mnist_below:.1f` % below
# ({glue:text}`fashion-mnist_inside:.1f` %, {glue:text}`fashion-mnist_above:.1f` % and
# {glue:text}`fashion-mnist_below:.1f` % on Fashion-MNIST).
#
# Why so little movement? The complexity cost, the only term that pulls $\sigma$ towards the
# prior, is weighted by $2^{1-i}$ in minibatch $i$ ({doc}`bayes_by_backprop`): it acts in the
# first few dozen minibatches of each epoch and is numerically zero in the rest. What remains
# is the likelihood, whose gradient with respect to $\rho$ reaches it only through the sampled
# noise $\varepsilon$ — a noisy signal, and Adam moves a parameter little when the sign of its
# gradient keeps changing. We have not separated the two causes here; {doc}`fair_comparison`
# trains the same network with the complexity cost spread over every minibatch and at
# Blundell et al.'s scale. The consequence for pruning: the ranking by $|\mu|/\sigma$ is
# partly a ranking by where each $\rho$ happened to start, which {doc}`pruning` follows to the
# accuracy after pruning (its section "Why the signal-to-noise ratio?").
#
# ## Key takeaways
#
# The study's hypothesis is about the width of the weight distributions: on MNIST one BBB
# sample has a standard deviation of {glue:text}`sample_std:.4f`, the "SGD" network's
# parameters {glue:text}`sgd_std:.4f` (the first table has all five models). A BBB
# sample is as wide as its means (standard deviation {glue:text}`mu_std:.4f`) because the
# noise it adds, a root mean square $\sigma$ of {glue:text}`rms_sigma:.4f`, is small next to
# them. That $\sigma$ has hardly moved in 50 epochs: {glue:text}`mnist_inside:.1f` % of the
# MNIST and {glue:text}`fashion-mnist_inside:.1f` % of the Fashion-MNIST posterior standard
# deviations are still inside their initial range [{glue:text}`band_low:.4f`,
# {glue:text}`band_high:.4f`]: $\sigma$ carries little information of its own, and ranking by
# $|\mu|/\sigma$ is close to ranking by $|\mu|$ ({doc}`pruning` shows where they still
# differ). Of the MNIST parameters, {glue:text}`mnist_below_0db:.1f` % have $|\mu| < \sigma$
# (SNR below 0 dB), the weights the posterior cannot tell from zero.
#
# ## Exercises
#
# 1. **$\sigma \approx e^{\rho}$.** Using $\log(1 + x) = x - x^2/2 + \dots$, bound the
#    relative error of $\sigma \approx e^{\rho}$ for $\rho \in [-5, -4]$.
# 2. **SNR at initialisation.** What share of a *freshly initialised* network's parameters
#    has $|\mu| < \sigma$? Compute it for `fresh` above, predict it from $\mu \sim
#    \mathcal{U}(-0.2, 0.2)$ and $\sigma \approx 0.011$, and compare with the trained share in
#    the table.
# 3. **Per layer.** Is $\sigma$ equally stuck in every layer? Compute, for the trained MNIST
#    posterior, the share of each layer's weights whose $\sigma$ is still in the initial band.
#
# :::{admonition} Solution 1
# :class: dropdown
#
# With $x = e^{\rho}$, $\log(1 + x) = x - x^2/2 + x^3/3 - \dots$, an alternating series with
# decreasing terms, so $x - x^2/2 \le \log(1 + x) \le x$. The relative error of $e^{\rho}$ is
# therefore at most $x/2 = e^{\rho}/2 \le e^{-4}/2$, just under 1 %, and $e^{\rho}$ always
# slightly overestimates $\sigma$.
# :::
#
# **Solution 2** (code: click to show)

# %% tags=["hide-cell"]
# Solution 2: |μ| < σ at initialisation. |μ| is uniform on [0, 0.2] and
# σ lies in a narrow band, so the share is about mean(σ) / 0.2.
fresh_mu = torch.cat([m.detach().flatten() for m, _ in fresh_pairs])
print(f"measured:  {(fresh_mu.abs() < fresh_sigma).float().mean():.2%}")
print(f"predicted: {fresh_sigma.mean() / 0.2:.2%}")

# %% [markdown]
# **Solution 3** (code: click to show)

# %% tags=["hide-cell"]
# Solution 3: each layer's share of weights with σ in the initial band.
for i, layer in enumerate(bbb.layers):
    s = bayes.sigma(layer.weight_sampler.rho.detach())
    share = ((s >= low) & (s <= high)).float().mean()
    print(f"layer {i + 1} {tuple(s.shape)}: {share:.1%}")
