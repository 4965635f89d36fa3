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
from bnntut import book, plots
from bnntut.presets import METHOD_LABELS, get_preset

PRESET = book.start()
results = book.load_results(PRESET)

# %% [markdown]
# The study's method section rests on one figure of {cite:t}`blundell2015weight`
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
fig = plots.weight_histograms_figure(results)

# %% tags=["remove-input"]
from bnntut import report

DATASETS = ("mnist", "fashion-mnist")
rows = {}
for method in results["mnist"]:
    key = "sample" if method == "bbb" else "values"
    rows[METHOD_LABELS[method]] = {plots.DATASET_LABELS[d]: report.number(
        results[d][method]["weights"][key]["std"]) for d in DATASETS}
rows["Bayes by Backprop, posterior means μ"] = {plots.DATASET_LABELS[d]: report.number(
    results[d]["bbb"]["weights"]["mu"]["std"]) for d in DATASETS}
report.frame(rows, "Model", columns_name="standard deviation")

# %% [markdown]
# ## The Bayesian network in detail
#
# For BBB we can look at more than one sample: the posterior means μ, the posterior standard
# deviations σ and their ratio, the signal-to-noise ratio $|\mu|/\sigma$ in decibels — the quantity the
# pruning ranks by (Blundell et al.'s Figure 4).

# %%
for dataset in ("mnist", "fashion-mnist"):
    plots.bbb_distributions(results[dataset]["bbb"], title=plots.DATASET_LABELS[dataset])

# %% tags=["remove-input"]
rows = {}
for dataset in DATASETS:
    w = results[dataset]["bbb"]["weights"]
    snr = w["snr_db"]
    counts, edges = snr["counts"], snr["edges"]
    below0 = sum(c for c, e in zip(counts, edges[1:]) if e <= 0) + snr["below"]
    rows[plots.DATASET_LABELS[dataset]] = {
        "mean σ": report.number(w["mean_sigma"]),
        "share with |μ| < σ (SNR < 0 dB)": report.number(100 * below0 / snr["n"], 1,
                                                          unit=" %")}
report.frame(rows, "Dataset", columns_name="Bayes by Backprop")

# %% [markdown]
# ## Signal-to-noise ratio against magnitude
#
# Pruning by SNR keeps a weight with a small mean if its σ is smaller still; pruning by
# $|\mu|$ ignores σ. How different are the two rankings on the trained networks, and which
# weights do they disagree on?

# %%
import torch  # noqa: E402

from bnntut import bayes, experiment, prune, report  # noqa: E402

rho_init = get_preset(PRESET)["methods"]["bbb"]["model"]["rho_init"]
sigma_init = bayes.sigma(torch.tensor(rho_init))
print(f"sigma at initialisation: {sigma_init[0]:.4f} to {sigma_init[1]:.4f}")
rows = {}
for dataset in ("mnist", "fashion-mnist"):
    model = experiment.trained_model(dataset, "bbb", PRESET, device="cpu")
    tensors = [bayes.variational_tensors(layer) for layer in model.layers]
    mu = torch.cat([t.flatten() for ts in tensors for t in ts[0::2]])
    rho = torch.cat([t.flatten() for ts in tensors for t in ts[1::2]])
    sd = bayes.sigma(rho)
    by_snr, by_mu = prune.snr(model, 0.9), prune.l1(model, 0.9)
    overlap = prune.kept_overlap(by_snr, by_mu)
    only_snr = ~prune.removed_mask(by_snr) & prune.removed_mask(by_mu)
    only_mu = prune.removed_mask(by_snr) & ~prune.removed_mask(by_mu)
    column = {
        "σ: smallest": f"{sd.min():.4f}",
        "σ: median": f"{sd.median():.4f}",
        "σ: largest": f"{sd.max():.4f}",
        "90 % removed: kept by both": f"{100 * overlap:.1f} %",
        "kept only by SNR: median |μ|": f"{mu[only_snr].abs().median():.4f}",
        "kept only by SNR: median σ": f"{sd[only_snr].median():.4f}",
        "kept only by |μ|: median |μ|": f"{mu[only_mu].abs().median():.4f}",
        "kept only by |μ|: median σ": f"{sd[only_mu].median():.4f}",
    }
    for name, text in column.items():
        rows.setdefault(name, {})[plots.DATASET_LABELS[dataset]] = text
report.frame(rows, "Bayes by Backprop")

# %% [markdown]
# Compare the trained σ with its initial range (first line): in 50 epochs σ has hardly left
# the interval it was drawn from. The complexity cost, which would pull σ towards the prior,
# acts only in the first few dozen minibatches of each epoch, and the likelihood only pushes
# σ slowly down. So the ranking by $|\mu|/\sigma$ is partly a ranking by where each ρ happened
# to start. The weights that SNR keeps and $|\mu|$ drops are smaller ones with a small σ;
# those that $|\mu|$ keeps and SNR drops are larger ones with a larger σ. For the
# *posterior-mean* network evaluated after pruning, a weight's contribution is its magnitude,
# not its certainty — which is why ranking by $|\mu|$ costs less accuracy here
# ({doc}`evaluation`). Blundell et al. trained for 600 epochs; whether σ moves further under
# another weighting of the complexity cost, or at their scale, is what
# {doc}`fair_comparison` measures (its KL-schedule and Blundell's-scale sections).
