# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
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
# * That after 50 epochs the study's $\sigma$ has hardly left the range it was initialised in,
#   and why Adam's step-size budget keeps it there: the fact that decides how SNR pruning
#   behaves ({doc}`pruning`).

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
from bnntut import bayes, data, evaluate, experiment, models
from bnntut.presets import METHOD_LABELS, get_preset

PRESET = book.start()
results = book.load_results(PRESET)
DATASETS = tuple(results)

# %% [markdown]
# The study's method section rests on one figure of {cite:t}`blundell2015weight`
# (their Figure 1): the histogram of the weights of a BBB network is wider than that of a
# dropout network, which is wider than that of plain SGD. The study's hypothesis: a wider
# weight distribution survives pruning better, and heavier dropout might widen it. Its
# Figures 8 and 9 show the distributions of its five models: BBB, Adam + dropout 0.01 (the
# study's "SGD") and the dropout networks with $p = 0.5$, 0.75 and 0.9 ({doc}`baselines`).
#
# `bnntut` stores, with every result, histograms of all parameters (weights and biases) on the
# study's range ±0.3 with 100 bins — for BBB both the posterior means μ and one weight sample
# (what the study plotted) — so the first figures need no trained model.

# %% [markdown]
# ## All five models (the study's Figures 8 and 9)
#
# Densities on a log scale, so that the tails are visible; the legend gives each model's
# standard deviation over all its parameters (every model here is the seed-0 training run).

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
# quantity the pruning ranks by, proposed for pruning by {cite:t}`graves2011practical` and
# used by Blundell et al. (their Figure 4).

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
# Most of the trained $\sigma$ are still inside the band (seed 0, every parameter counted
# exactly): {glue:text}`mnist_inside:.1f` % on MNIST, with {glue:text}`mnist_above:.1f` %
# above it and {glue:text}`mnist_below:.1f` % below ({glue:text}`fashion-mnist_inside:.1f` %,
# {glue:text}`fashion-mnist_above:.1f` % and {glue:text}`fashion-mnist_below:.1f` % on
# Fashion-MNIST).
#
# ### Why σ cannot move far
#
# Adam divides each gradient by a running estimate of its own size, so a step moves a
# parameter by about the learning rate, whatever the size of the gradient
# {cite}`kingma2015adam`. That gives every $\rho$ a **step-size budget**: the learning rate
# times the number of steps, the farthest it can travel even if every step pushed the same
# way. `fresh` above is the trained network's own starting point (training seeds torch with
# the run's seed, 0, before it builds the model), so we can also measure how far each $\rho$
# did travel:

# %%
protocol = get_preset(PRESET).protocol("bbb")   # lr, batch size, epochs
n_train = len(data.load("mnist", subset=get_preset(PRESET).subset).x_train)
steps = protocol["epochs"] * math.ceil(n_train / protocol["batch_size"])
budget = protocol["lr"] * steps              # the farthest any ρ can travel
moved = (rho - fresh_rho).abs()     # (n,) how far each ρ did travel
print(f"{steps} steps at lr {protocol['lr']:g}: budget {budget:.3g} in ρ; "
      f"largest move {moved.max():.3f}, median {moved.median():.3f}")

# %% tags=["remove-cell"]
# fresh is the initialisation of the stored seed-0 run, and no ρ moved past the budget
# (Adam's steps can exceed the learning rate a little, hence the margin).
stored_train = results["mnist"]["bbb"]["config"]["train"]
assert stored_train["seed"] == 0 and stored_train["lr"] == protocol["lr"]
assert stored_train["epochs"] == protocol["epochs"]
assert moved.max().item() <= 1.1 * budget
book.glue("rho_steps", f"{steps:,}".replace(",", " "))
book.glue("rho_lr", f"{protocol['lr']:g}")
book.glue("rho_budget", budget)
book.glue("rho_budget_factor", math.exp(budget))
book.glue("rho_moved_max", moved.max().item())
book.glue("rho_moved_share", 100 * moved.max().item() / budget)

# %% [markdown]
# Over the {glue:text}`rho_steps` training steps at a learning rate of {glue:text}`rho_lr`,
# the budget is {glue:text}`rho_budget:.2g` in $\rho$: even if every step had pushed the
# same way, $\sigma \approx e^{\rho}$ could have grown or shrunk at most
# {glue:text}`rho_budget_factor:.0f`-fold. In fact no $\rho$ of the MNIST
# network moved more than {glue:text}`rho_moved_max:.2f` (seed 0), about
# {glue:text}`rho_moved_share:.0f` % of its budget and a fraction of the band it started in.
# The steps did not all push the same way: the complexity cost, the only term that pulls
# $\sigma$ towards the prior, acts in the first few dozen minibatches of each epoch and is
# numerically zero in the rest ({doc}`bayes_by_backprop`), and the likelihood's gradient
# reaches $\rho$ only through the sampled noise $\varepsilon$, whose sign keeps changing.
# {doc}`fair_comparison` trains the same network with the complexity cost spread over every
# minibatch and at Blundell et al.'s scale. The consequence for pruning: the ranking by
# $|\mu|/\sigma$ is partly a ranking by where each $\rho$ happened to start
# ({doc}`pruning`, section "Why the signal-to-noise ratio?").
#
# ## Key takeaways
#
# * A BBB sample is as wide as its posterior means: the noise $\sigma$ it adds is small next
#   to the spread of $\mu$ (MNIST, seed 0: standard deviation {glue:text}`sample_std:.4f`
#   against {glue:text}`mu_std:.4f`). Whatever makes BBB's weights wider or narrower than
#   the baselines' is its means.
# * $\sigma$ hardly moves in training: Adam's step-size budget bounds how far $\rho$ can
#   travel, and a gradient whose sign keeps changing spends little of it, so
#   {glue:text}`mnist_inside:.1f` % of the MNIST $\sigma$ are still inside their initial range
#   (seed 0).
# * A $\sigma$ that stayed where it started carries little information of its own: ranking
#   by $|\mu|/\sigma$ is close to ranking by $|\mu|$ ({doc}`pruning` shows where they
#   still differ).
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
