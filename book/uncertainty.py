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
# # Uncertainty under pruning

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
import ipywidgets as widgets
import matplotlib.pyplot as plt

from bnntut import book, data, experiment, plots, prune, uncertainty
from bnntut.presets import METHOD_LABELS, get_preset

PRESET = book.start()
subset = get_preset(PRESET)["subset"]

# %% [markdown]
# The study scored its pruned networks by test accuracy alone. Yet accuracy is not what a
# Bayesian network is for: a posterior over weights should make the network's *predictive
# distribution* honest — confident where it is usually right, uncertain where it is not, and
# uncertain on inputs unlike anything it was trained on. This chapter asks whether Bayes by
# Backprop delivers that better than the baselines, and whether it survives pruning.
#
# Two standard checks, on every model of the earlier chapters and on every pruned fraction
# 0, 10, 20, …, 90, 95 and 98 % (BBB pruned by SNR $|\mu|/\sigma$, the baselines by global L1
# magnitude, no fine-tuning, as in {doc}`pruning`):
#
# **Calibration** {cite}`guo2017calibration`. The *confidence* of a prediction is its largest
# class probability. Sort the test predictions into **15 equal-width confidence bins**
# $(0, 1/15], (1/15, 2/15], \dots, (14/15, 1]$; in each bin $b$ compare the accuracy
# $\mathrm{acc}(b)$ with the mean confidence $\mathrm{conf}(b)$. A calibrated model's
# 80 %-confident predictions are right 80 % of the time. The **expected calibration error** is the count-weighted mean gap,
#
# $$\mathrm{ECE} = \sum_{b=1}^{15} \frac{n_b}{n}\,\bigl|\mathrm{acc}(b) - \mathrm{conf}(b)\bigr|,$$
#
# and a **reliability diagram** draws $\mathrm{acc}(b)$ against $\mathrm{conf}(b)$. The
# number depends on the
# binning (other bin counts or equal-mass bins give other values), so the binning is part of
# the result: `bnntut.uncertainty.ECE_BINS`.
#
# **Out-of-distribution (OOD) detection** {cite}`hendrycks2017baseline`. Show the networks
# trained on MNIST the Fashion-MNIST test images, and those trained on Fashion-MNIST the MNIST
# test images. Neither set contains a single valid input for the other's classes, so a model
# that knows what it does not know should be less certain on them. The score is the
# **predictive entropy** $H(p) = -\sum_k p_k \log p_k$, between 0 (one class certain) and
# $\log 10 \approx 2.30$ nats (all ten classes equally likely). The **AUROC** is the probability that a random OOD
# image gets a higher entropy than a random in-distribution test image (the in-distribution
# test set are the negatives, the OOD test set the positives; ties count one half): 1 is
# perfect separation, 0.5 is chance. It is computed exactly from ranks
# (`bnntut.uncertainty.auroc`), not from a thresholded curve.
#
# Each model predicts in up to two **modes**:
#
# * *deterministic* — one forward pass in eval mode: the baselines without dropout, BBB with
#   its posterior mean μ (the network whose accuracy the study's tables report);
# * *Monte Carlo* — the average of the softmax over 10 stochastic forward passes: for BBB 10
#   weight samples from the posterior (the Bayesian predictive distribution); for the dropout
#   networks 10 passes with dropout left on, *MC dropout* {cite}`gal2016dropout`, which reads
#   dropout as approximate Bayesian inference too. The "SGD" network's dropout of 0.01 is a
#   stand-in for no dropout, so it is evaluated deterministically only.
#
# The numbers are computed by `python -m bnntut uncertainty --preset paper` and stored per
# model in `results/paper/<dataset>/<method>.uncertainty.json`, with the configuration hash,
# the identity of the training result they were computed from, and provenance.

# %% tags=["remove-input"]
from bnntut import report

results = uncertainty.run_all(PRESET, progress=False)
for name, value in uncertainty.highlights(results).items():
    book.glue(name, book.markdown(value) if isinstance(value, str) else value)
bbb = results["mnist"]["bbb"]
book.markdown(report.provenance(bbb["metadata"])
              + f" In-distribution / OOD test images per model: {bbb['n_in']} / "
                f"{bbb['n_ood']}.")

# %% [markdown]
# ## ECE and AUROC at four pruned fractions
#
# Lower ECE and higher AUROC are better; the best of each column is in bold. MNIST models,
# OOD = Fashion-MNIST:

# %% tags=["remove-input"]
uncertainty.styled_table(uncertainty.table(results["mnist"]))

# %% [markdown]
# Fashion-MNIST models, OOD = MNIST:

# %% tags=["remove-input"]
uncertainty.styled_table(uncertainty.table(results["fashion-mnist"]))

# %% [markdown]
# Unpruned, BBB's 10-sample predictive has an ECE of {glue:text}`bbb_mc_ece_mnist_0:.3f` on
# MNIST and {glue:text}`bbb_mc_ece_fmnist_0:.3f` on Fashion-MNIST, and separates the foreign
# images with an AUROC of {glue:text}`bbb_mc_auroc_mnist_0:.3f` and
# {glue:text}`bbb_mc_auroc_fmnist_0:.3f`. The best-calibrated unpruned model on MNIST is
# {glue:md}`best_ece_mnist_0` and the best OOD detector {glue:md}`best_auroc_mnist_0`; on
# Fashion-MNIST they are {glue:md}`best_ece_fmnist_0` and {glue:md}`best_auroc_fmnist_0`.
#
# ## How calibration and OOD detection degrade
#
# Solid lines with dots: deterministic prediction; dotted: the Monte Carlo predictive. The
# dashed grey line in the lower panels is chance (AUROC 0.5).

# %%
fig = uncertainty.degradation_figure(results)

# %% [markdown]
# Reading the tables and the curves — these statements are generated from the stored
# results (`bnntut.uncertainty.findings`):

# %% tags=["remove-input"]
book.markdown(uncertainty.findings(results))

# %% [markdown]
# So what does the Bayesian network buy? Counting how far each model can be pruned before
# its ECE rises, or its AUROC falls, by more than {glue:text}`tolerance` from the unpruned
# value (`bnntut.uncertainty.kept_up_to`): on MNIST calibration survives longest for
# {glue:md}`longest_ece_mnist` (up to {glue:text}`longest_ece_value_mnist:.0%` removed) and
# OOD detection for {glue:md}`longest_auroc_mnist` (up to
# {glue:text}`longest_auroc_value_mnist:.0%`); on Fashion-MNIST calibration for
# {glue:md}`longest_ece_fmnist` ({glue:text}`longest_ece_value_fmnist:.0%`) and OOD
# detection for {glue:md}`longest_auroc_fmnist` ({glue:text}`longest_auroc_value_fmnist:.0%`).
# At 90 % removed BBB's predictive stands at ECE {glue:text}`bbb_mc_ece_mnist_90:.3f` and
# AUROC {glue:text}`bbb_mc_auroc_mnist_90:.3f` on MNIST (accuracy
# {glue:text}`bbb_mc_accuracy_mnist_90:.3f`), and at {glue:text}`bbb_mc_ece_fmnist_90:.3f` and
# {glue:text}`bbb_mc_auroc_fmnist_90:.3f` on Fashion-MNIST (accuracy
# {glue:text}`bbb_mc_accuracy_fmnist_90:.3f`).
#
# BBB's Monte Carlo predictive stays within {glue:text}`bbb_mc_gap_ece_mnist:.3f` (ECE) and
# {glue:text}`bbb_mc_gap_auroc_mnist:.3f` (AUROC) of its posterior mean over the whole MNIST
# grid, and within {glue:text}`bbb_mc_gap_ece_fmnist:.3f` and
# {glue:text}`bbb_mc_gap_auroc_fmnist:.3f` on Fashion-MNIST: after 50 epochs the posterior is
# narrow, so its samples agree with the mean — the same reason the ensemble hardly changes
# BBB's accuracy in {doc}`evaluation`. MC dropout is a different matter: averaging over
# dropout masks makes predictions less confident, which lowers the ECE of an over-confident
# network and raises that of an under-confident one; the bullet on MC dropout above gives
# the direction of the eval-mode miscalibration of each dropout network.
#
# Two cautions in reading these curves. A low ECE does not make a model useful: a network
# pruned to near-chance accuracy that *says* it is near chance is well calibrated, so read
# ECE together with the accuracy. And an AUROC below 0.5 is not noise: it means the model is
# *more* certain on the foreign images than on its own test set.

# %% [markdown]
# ## Reliability and entropy of one pruned model
#
# Pick a dataset, a model, a pruned fraction and a prediction mode: the reliability diagram
# and the entropy histograms (in-distribution test set against the OOD test set) are
# recomputed live in Jupyter and Colab. The static book shows the precomputed version below.
# (The Monte Carlo mode takes ten times as long; the "SGD" network has none and falls back
# to eval mode.)

# %% tags=["remove-cell"]
_models, _data = {}, {}


def _show(dataset="mnist", method="bbb", fraction=0.9, mode="deterministic"):
    if (dataset, method) not in _models:
        _models[dataset, method] = experiment.trained_model(dataset, method, PRESET, device="cpu")
    for name in (dataset, uncertainty.OOD_DATASETS[dataset]):
        if name not in _data:
            _data[name] = data.load(name, subset=subset)
    ds, ood = _data[dataset], _data[uncertainty.OOD_DATASETS[dataset]]
    mode = mode if mode in uncertainty.modes_for(method) else "deterministic"
    criterion = prune.get_criterion(uncertainty.criterion_for(method))
    record = uncertainty.diagnose(criterion(_models[dataset, method], fraction), ds.x_test,
                                  ds.y_test, ood.x_test, uncertainty.modes_for(method)[mode])
    uncertainty.diagnostic_figure(
        record, ood_label=f"OOD: {plots.DATASET_LABELS[ood.name]} test",
        title=f"{METHOD_LABELS[method]} ({uncertainty.mode_label(method, mode)}), "
              f"{fraction:.0%} removed")
    plt.show()


book.live_widget(_show, lambda: dict(
    dataset=widgets.Dropdown(options=[(plots.DATASET_LABELS[d], d) for d in data.DATASETS],
                             description="trained on"),
    method=widgets.Dropdown(options=[(v, k) for k, v in METHOD_LABELS.items()], value="bbb",
                            description="model"),
    fraction=widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="prune",
                                 continuous_update=False, readout_format=".0%"),
    mode=widgets.Dropdown(options=[("deterministic", "deterministic"), ("Monte Carlo", "mc")],
                          description="prediction"),
));

# %% [markdown]
# ### Precomputed: BBB and the "SGD" network on MNIST, unpruned and at 90 %
#
# From the stored results (the same computation as the widget's, on the fixed grid): BBB's
# 10-sample predictive and the "SGD" network in eval mode. Left: reliability diagram (bars:
# accuracy per confidence bin; hatched: the gap to the bin's mean confidence; dashed: perfect
# calibration; black steps, right-hand log axis: the share of the predictions in each bin).
# Right: entropy histograms of the MNIST test images and of the Fashion-MNIST test images.

# %%
cases = [(f"{METHOD_LABELS[method]}, {uncertainty.mode_label(method, mode)}, "
          f"{fraction:.0%} removed", uncertainty.record_at(results["mnist"][method], fraction, mode))
         for method, mode, fraction in (("bbb", "mc", 0.0), ("bbb", "mc", 0.9),
                                        ("sgd", "deterministic", 0.0),
                                        ("sgd", "deterministic", 0.9))]
fig = uncertainty.diagnostic_grid(cases, ood_label="OOD: Fashion-MNIST test")

# %% [markdown]
# ## What this does and does not show
#
# * **One training run per model.** Each network was trained once (seed 0); how much ECE and
#   AUROC vary between seeds was not measured, so small differences between methods should
#   not be over-read.
# * **One kind of shift.** MNIST against Fashion-MNIST is one pair of unrelated image sets;
#   shifts closer to the training data (rotated digits, other handwriting) are a different
#   test. Entropy is one score among several (the maximum softmax probability of
#   {cite}`hendrycks2017baseline` is another).
# * **The binning is a choice.** ECE here uses 15 equal-width bins, as
#   {cite}`guo2017calibration` did; the per-bin counts are stored with every result, so other
#   summaries can be recomputed without the models.
# * **Pruned without fine-tuning**, as in the study: networks fine-tuned after pruning may
#   behave differently; that was not measured.
