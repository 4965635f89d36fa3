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
# * What the weight distributions of the five models look like, and why a wider one was
#   expected to survive pruning better.
# * How to read a Bayes-by-Backprop (BBB) posterior through $\mu$, $\sigma$ and
#   $|\mu|/\sigma$, and why a BBB sample is barely wider than its means.
# * That the study's $\sigma$ has hardly left its initial range, and why Adam keeps it there.

# %% tags=["hide-cell"]
# Colab: install bnntut with the book's package and fetch the committed results (from _config.yml's repository, or $BNNTUT_REPOSITORY).
import importlib.util
import os
import subprocess
import sys

REPOSITORY = os.environ.get("BNNTUT_REPOSITORY") or "https://github.com/bnntut/bnntut"
if "google.colab" in sys.modules and importlib.util.find_spec("bnntut") is None:
    subprocess.run(["git", "clone", "--depth=1", REPOSITORY, "bnntut-repo"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "bnntut-repo[book]"], check=True)
    sys.path.insert(0, os.path.abspath("bnntut-repo"))
    os.chdir("bnntut-repo/book")

# %%
import math

import torch

from bnnbook import book, plots, style
from bnntut import bayes, collect, data, evaluate, experiment, models
from bnntut.presets import get_preset

PRESET = book.start()
results = collect.grid(PRESET, compute=PRESET != "paper")
DATASETS = tuple(results)

# %% [markdown]
# {cite:t}`blundell2015weight` (their Figure 1) found a BBB network's weights spread wider
# than a dropout network's, and those wider than plain SGD's. The study's hypothesis: a wider
# distribution survives pruning better. Every stored result carries histograms of all
# parameters (weights and biases), for BBB of its means $\mu$ and of one weight sample (what
# the study plotted), so the first figures need no trained model.
#
# ## All five models (the study's Figures 8 and 9)
#
# Densities on a log scale, so that the tails show; the legend gives each model's standard
# deviation over all its parameters (seed 0). The models are those of {doc}`baselines`.

# %%
fig = plots.weight_histograms_figure(results)

# %% [markdown]
# ### How wide is a BBB sample?
#
# The BBB curve is one sample $w_j = \mu_j + \sigma_j \varepsilon_j$ of all $n$ parameters,
# with $\varepsilon_j \sim \mathcal{N}(0, 1)$ independent of everything else, so the cross
# term vanishes and for large $n$
#
# $$
# \operatorname{Var}_j(w_j) \approx \operatorname{Var}_j(\mu_j) + \frac{1}{n}\sum_j \sigma_j^2 .
# $$
#
# On the trained MNIST posterior:

# %%
def posterior(model):
    """μ and ρ of every weight and bias of a BBB model, (n,) each."""
    pairs = bayes.variational_pairs(model)   # (μ, ρ) of W1, b1, ..., b3
    mu = torch.cat([m.detach().flatten() for m, _ in pairs])
    rho = torch.cat([r.detach().flatten() for _, r in pairs])
    return mu, rho


bbb = experiment.trained_model("mnist", "bbb", PRESET, device="cpu")
mu, rho = posterior(bbb)
sigma = bayes.sigma(rho)                    # softplus(ρ)
rms_sigma = (sigma**2).mean().sqrt().item()
predicted = math.sqrt(mu.var().item() + rms_sigma**2)
print(f"std of μ {mu.std():.4f}, root mean σ² {rms_sigma:.4f}: "
      f"a sample's std {predicted:.4f}")

# %% tags=["remove-cell"]
# The live model is the one the stored result summarises (same mean σ), and the predicted
# spread matches the package's summary of one drawn sample (evaluate.weight_summary).
stored = results["mnist"]["bbb"]["weights"]
assert math.isclose(sigma.mean().item(), stored["mean_sigma"], rel_tol=1e-5)
assert math.isclose(mu.std().item(), stored["mu"]["std"], rel_tol=1e-5)
assert math.isclose(predicted, evaluate.weight_summary(bbb)["sample"]["std"], rel_tol=1e-2)
book.glue("sample_std", predicted)
book.glue("mu_std", mu.std().item())

# %% [markdown]
# The noise adds almost nothing: whatever makes BBB's distribution wider or narrower than the
# baselines' is the spread of its means.
#
# ## The Bayesian network in detail
#
# The posterior means $\mu$, standard deviations $\sigma$ and the signal-to-noise ratio
# $|\mu|/\sigma$ in decibels, the quantity SNR pruning ranks by {cite}`graves2011practical`
# (Blundell et al.'s Figure 4):

# %%
for dataset in DATASETS:
    plots.bbb_distributions(results[dataset]["bbb"],
                            title=style.DATASET_LABELS[dataset])

# %% [markdown]
# ## σ barely moved
#
# Every $\rho_j$ was drawn from $\mathcal{U}(-5, -4)$ (the preset's `rho_init`), so every
# $\sigma_j = \log(1 + e^{\rho_j}) \approx e^{\rho_j}$ started in a narrow band. How many of
# the trained $\sigma_j$ are still inside it?

# %%
rho_init = get_preset(PRESET).model_spec("bbb")["rho_init"]   # (-5, -4)
low, high = bayes.sigma(torch.tensor(rho_init)).tolist()      # the band
sigmas = {d: bayes.sigma(posterior(experiment.trained_model(
    d, "bbb", PRESET, device="cpu"))[1]) for d in DATASETS}
print(f"initial band: σ in [{low:.4f}, {high:.4f}]")
for d, s in sigmas.items():
    inside = ((s >= low) & (s <= high)).float().mean()
    print(f"{style.DATASET_LABELS[d]}: {inside:.1%} of σ inside")

# %% tags=["remove-cell"]
# The trained σ are those the stored results summarise.
for dataset, s in sigmas.items():
    stored_mean = results[dataset]["bbb"]["weights"]["mean_sigma"]
    assert math.isclose(s.mean().item(), stored_mean, rel_tol=1e-5)
    book.glue(f"{dataset}_inside", 100 * ((s >= low) & (s <= high)).float().mean().item())
book.glue("mnist_above", 100 * (sigmas["mnist"] > high).float().mean().item())

# %% [markdown]
# Their histograms against the band (shaded), beside the $\sigma$ of a freshly initialised
# network built from the same preset and seed:

# %%
torch.manual_seed(0)
fresh = models.build(get_preset(PRESET).model_spec("bbb"))
fresh_mu, fresh_rho = posterior(fresh)
fresh_sigma = bayes.sigma(fresh_rho)

# %% tags=["remove-input"]
fig, axes = plots.figure(height=3.0)
ax = axes[0, 0]
edges = torch.logspace(math.log10(0.9 * min(s.min() for s in sigmas.values())),
                       math.log10(1.1 * max(s.max() for s in sigmas.values())), 80)
ax.axvspan(low, high, color=style.REFERENCE_COLOR, alpha=0.2, lw=0, label="initial range")
steps = {"bins": edges.numpy(), "histtype": "step", "density": True}
ax.hist(fresh_sigma.numpy(), lw=1.5, ls=":", color=style.REFERENCE_COLOR,
        label="at initialisation", **steps)
for dataset, s in sigmas.items():
    ax.hist(s.numpy(), lw=1.8, ls=style.DATASET_STYLES[dataset],
            color=style.METHOD_COLORS["bbb"],
            label=f"trained, {style.DATASET_LABELS[dataset]}", **steps)
ax.set(xscale="log", yscale="log", xlabel="posterior std. dev. σ (log scale)",
       ylabel="density")
plots.plain_log_ticks(ax, axis="x", subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0))
plots.legend_below(fig, ncol=2);

# %% [markdown]
# Most trained $\sigma$ are still inside the band: {glue:text}`mnist_inside:.1f` % on MNIST
# (seed 0, every parameter counted), most of the rest above it
# ({glue:text}`mnist_above:.1f` %).
#
# ### Why σ cannot move far
#
# Adam divides each gradient by a running estimate of its own size, so a step moves a
# parameter by about the learning rate, whatever the gradient {cite}`kingma2015adam`: every
# $\rho$ has a **step-size budget**, the learning rate times the number of steps. `fresh` is
# the trained network's own starting point (training seeds torch with the run's seed, 0), so
# we can measure how far each $\rho$ did travel:

# %%
protocol = get_preset(PRESET).protocol("bbb")   # lr, batch size, epochs
n_train = len(data.load("mnist", subset=get_preset(PRESET).subset).x_train)
steps = protocol["epochs"] * math.ceil(n_train / protocol["batch_size"])
budget = protocol["lr"] * steps                 # the farthest any ρ can go
moved = (rho - fresh_rho).abs()                 # (n,) how far each ρ went
print(f"budget {budget:.3g} in ρ; largest move {moved.max():.3f}")

# %% tags=["remove-cell"]
# fresh is the initialisation of the stored seed-0 run, and no ρ moved past the budget
# (Adam's steps can exceed the learning rate a little, hence the margin).
stored_train = results["mnist"]["bbb"]["config"]["train"]
assert stored_train["seed"] == 0 and stored_train["lr"] == protocol["lr"]
assert stored_train["epochs"] == protocol["epochs"]
assert moved.max().item() <= 1.1 * budget
book.glue("rho_budget_factor", math.exp(budget))
book.glue("rho_moved_share", 100 * moved.max().item() / budget)

# %% [markdown]
# With the full budget, $\sigma \approx e^{\rho}$ could have grown or shrunk
# {glue:text}`rho_budget_factor:.0f`-fold; no $\rho$ of the MNIST network (seed 0) used more
# than {glue:text}`rho_moved_share:.0f` % of it. The steps did not all push one way: the
# complexity cost, the only pull towards the prior, is numerically zero in most minibatches
# of an epoch ({doc}`bayes_by_backprop`), and the likelihood reaches $\rho$ only through the
# noise $\varepsilon$, whose sign keeps changing. So ranking by $|\mu|/\sigma$ is partly
# ranking by where each $\rho$ started ({doc}`pruning`); {doc}`fair_comparison` trains the
# network with the complexity cost spread over every minibatch.
#
# ## Key takeaways
#
# * A BBB sample is as wide as its posterior means: its noise is small next to the spread of
#   $\mu$ (MNIST, seed 0: standard deviation {glue:text}`sample_std:.4f` against
#   {glue:text}`mu_std:.4f`).
# * $\sigma$ hardly moves in training: Adam's step-size budget bounds how far $\rho$ can
#   travel, and a gradient whose sign keeps changing spends little of it
#   ({glue:text}`mnist_inside:.1f` % of the MNIST $\sigma$ still in their initial range).
# * A $\sigma$ that stayed where it started carries little information, so ranking by
#   $|\mu|/\sigma$ is close to ranking by $|\mu|$ ({doc}`pruning` shows where they differ).
#
# ## Exercises
#
# 1. **$\sigma \approx e^{\rho}$.** Using $\log(1 + x) = x - x^2/2 + \dots$, bound the
#    relative error of $\sigma \approx e^{\rho}$ for $\rho \in [-5, -4]$.
# 2. **SNR at initialisation.** What share of `fresh`'s parameters has $|\mu| < \sigma$?
#    Predict it from $\mu \sim \mathcal{U}(-0.2, 0.2)$ and $\sigma \approx 0.011$, and compare
#    with the trained network.
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
print(f"measured:  {(fresh_mu.abs() < fresh_sigma).float().mean():.2%}")
print(f"predicted: {fresh_sigma.mean() / 0.2:.2%}")
print(f"trained:   {(mu.abs() < sigma).float().mean():.2%}")

# %% [markdown]
# **Solution 3** (code: click to show)

# %% tags=["hide-cell"]
# Solution 3: each layer's share of weights with σ in the initial band.
for i, layer in enumerate(bbb.layers):
    s = bayes.sigma(layer.weight_sampler.rho.detach())
    share = ((s >= low) & (s <= high)).float().mean()
    print(f"layer {i + 1} {tuple(s.shape)}: {share:.1%}")
