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

# %% tags=["hide-cell"]
# Colab: install bnntut and fetch the committed results (the URL is _config.yml's repository).
import importlib.util
import os
import subprocess
import sys

REPOSITORY = "https://github.com/bnntut/bnntut"
if "google.colab" in sys.modules and importlib.util.find_spec("bnntut") is None:
    subprocess.run(["git", "clone", "--depth=1", REPOSITORY, "bnntut-repo"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "bnntut-repo"], check=True)
    sys.path.insert(0, os.path.abspath("bnntut-repo"))
    os.chdir("bnntut-repo/book")

# %%
import matplotlib.pyplot as plt

from bnntut import book, plots
from bnntut.presets import METHOD_LABELS, get_preset

PRESET = book.start()
results = book.load_results(PRESET)

# %% [markdown]
# The study's method section rests on one figure of Blundell et al. {cite}`blundell2015weight`
# (their Figure 1): the histogram of the weights of a BBB network is wider than that of a
# dropout network, which is wider than that of plain SGD. The study's hypothesis: a wider
# weight distribution survives pruning better, and heavier dropout might widen it. Its
# Figures 8 and 9 show the distributions of its five models.
#
# `bnntut` stores, with every result, histograms of all parameters (weights and biases) on the
# study's range ±0.3 with 100 bins — for BBB both the posterior means μ and one weight sample
# (what the study plotted) — so this chapter needs no trained model.

# %% [markdown]
# ## All five models (the study's Figures 8 and 9)
#
# Densities on a log scale, so that the tails are visible; the legend gives each model's
# standard deviation over all its parameters.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
for ax, dataset in zip(axes, ("mnist", "fashion-mnist")):
    plots.weight_histograms(results[dataset], ax, title=plots.DATASET_LABELS[dataset])
fig.tight_layout()

# %%
lines = ["| Model | MNIST sd | Fashion-MNIST sd |", "|---|---|---|"]
for method in results["mnist"]:
    key = "sample" if method == "bbb" else "values"
    sds = [results[d][method]["weights"][key]["std"] for d in ("mnist", "fashion-mnist")]
    lines.append(f"| {METHOD_LABELS[method]} | {sds[0]:.4f} | {sds[1]:.4f} |")
mu_sds = [results[d]["bbb"]["weights"]["mu"]["std"] for d in ("mnist", "fashion-mnist")]
lines.append(f"| Bayes by Backprop, posterior means μ | {mu_sds[0]:.4f} | {mu_sds[1]:.4f} |")
book.markdown("\n".join(lines))

# %% [markdown]
# ## The Bayesian network in detail
#
# For BBB we can look at more than one sample: the posterior means μ, the posterior standard
# deviations σ and their ratio, the signal-to-noise ratio |μ|/σ in decibels — the quantity the
# pruning ranks by (Blundell et al.'s Figure 4).

# %%
for dataset in ("mnist", "fashion-mnist"):
    plots.bbb_distributions(results[dataset]["bbb"], title=plots.DATASET_LABELS[dataset])
    plt.gcf().tight_layout()

# %%
for dataset in ("mnist", "fashion-mnist"):
    w = results[dataset]["bbb"]["weights"]
    snr = w["snr_db"]
    counts, edges = snr["counts"], snr["edges"]
    below0 = sum(c for c, e in zip(counts, edges[1:]) if e <= 0) + snr["below"]
    print(f"{dataset:>13}: mean sigma {w['mean_sigma']:.4f}; "
          f"{below0 / snr['n']:.1%} of parameters have |mu| < sigma (SNR < 0 dB)")

# %% [markdown]
# ## Signal-to-noise ratio against magnitude
#
# Pruning by SNR keeps a weight with a small mean if its σ is smaller still; pruning by |μ|
# ignores σ. How different are the two rankings on the trained networks, and which weights do
# they disagree on?

# %%
import torch  # noqa: E402

from bnntut import bayes, experiment, prune  # noqa: E402

rho_init = torch.tensor(get_preset(PRESET)["methods"]["bbb"]["model"]["rho_init"])
print(f"sigma at initialisation: [{bayes.sigma(rho_init[0]):.4f}, {bayes.sigma(rho_init[1]):.4f}]")
for dataset in ("mnist", "fashion-mnist"):
    model = experiment.trained_model(dataset, "bbb", PRESET, device="cpu")
    mu = torch.cat([t.flatten() for layer in model.layers
                    for t in bayes.variational_tensors(layer)[0::2]])
    sd = bayes.sigma(torch.cat([t.flatten() for layer in model.layers
                                for t in bayes.variational_tensors(layer)[1::2]]))
    by_snr, by_mu = prune.snr(model, 0.9), prune.l1(model, 0.9)
    only_snr = ~prune.removed_mask(by_snr) & prune.removed_mask(by_mu)
    only_mu = prune.removed_mask(by_snr) & ~prune.removed_mask(by_mu)
    print(f"{plots.DATASET_LABELS[dataset]}: sigma ranges over "
          f"[{sd.min():.4f}, {sd.max():.4f}] (median {sd.median():.4f})")
    print(f"  at 90 % removed, the two rankings keep {prune.kept_overlap(by_snr, by_mu):.1%} "
          "of the same parameters")
    print(f"  kept only by SNR: median |mu| {mu[only_snr].abs().median():.4f}, "
          f"median sigma {sd[only_snr].median():.4f}")
    print(f"  kept only by |mu|: median |mu| {mu[only_mu].abs().median():.4f}, "
          f"median sigma {sd[only_mu].median():.4f}")

# %% [markdown]
# Compare the trained σ with its initial range (first line): in 50 epochs σ has hardly left
# the interval it was drawn from. The complexity cost, which would pull σ towards the prior,
# acts only in the first few dozen minibatches of each epoch, and the likelihood only pushes
# σ slowly down. So the ranking by |μ|/σ is partly a ranking by where each ρ happened to
# start. The weights that SNR keeps and |μ| drops are smaller ones with a small σ; those that
# |μ| keeps and SNR drops are larger ones with a larger σ. For the *posterior-mean* network
# evaluated after pruning, a weight's contribution is its magnitude, not its certainty — which
# is why ranking by |μ| costs less accuracy here ({doc}`evaluation`). Blundell et al. trained
# for 600 epochs; whether their σ moved further is one of the questions for the
# *Beyond the study* work.
