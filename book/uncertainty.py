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
# # Uncertainty under pruning
#
# **What you will learn**
#
# * how the expected calibration error (ECE, 15 equal-width bins) and a reliability
#   diagram measure whether a network's confidence can be trusted, computed in a few lines;
# * how predictive entropy and the AUROC — computed exactly from ranks — score the
#   detection of out-of-distribution images;
# * whether Bayes by Backprop's predictive distribution is better calibrated, or better at
#   spotting foreign images, than the baselines, and how far each survives pruning.

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

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from bnnbook import book, plots, uncertainty_views
from bnntut import data, experiment, prune, uncertainty
from bnntut.evaluate import predict_proba
from bnntut.presets import METHOD_LABELS, get_preset

PRESET = book.start()
subset = get_preset(PRESET).subset
results = uncertainty.run_all(PRESET, progress=False)

# %% [markdown]
# The study scored its pruned networks by test accuracy alone. Yet accuracy is not what a
# Bayesian network is for: a posterior over weights should make the network's *predictive
# distribution* honest — confident where it is usually right, uncertain where it is not, and
# uncertain on inputs unlike anything it was trained on. This chapter asks whether Bayes by
# Backprop delivers that better than the baselines, and whether it survives pruning.
#
# Two standard checks, on every model of the earlier chapters and on every pruned fraction
# 0, 10, 20, …, 90, 95 and 98 % (BBB pruned by SNR $|\mu|/\sigma$, the baselines by global L1
# magnitude, no fine-tuning, as in {doc}`pruning`).
#
# ## Calibration
#
# The *confidence* of a prediction $p(x_i)$ is its largest class probability,
# $c_i = \max_k p_k(x_i)$, and it is *correct* when that class is the label,
# $\hat y_i = \arg\max_k p_k(x_i) = y_i$. A calibrated model's 80 %-confident predictions
# are right 80 % of the time {cite}`guo2017calibration`. To check this on $n$ test images,
# sort the predictions into **15 equal-width confidence bins**
# $B_b = \bigl(\tfrac{b}{15}, \tfrac{b+1}{15}\bigr]$, $b = 0, \dots, 14$, and compare in each
# bin the accuracy with the mean confidence:
#
# $$\mathrm{acc}(B_b) = \frac{1}{n_b}\sum_{i \in B_b} \mathbb{1}[\hat y_i = y_i], \qquad
# \mathrm{conf}(B_b) = \frac{1}{n_b}\sum_{i \in B_b} c_i .$$
#
# The **expected calibration error** is the gap averaged over the predictions, i.e.
# weighted by the share $n_b / n$ of the predictions in each bin,
#
# $$\mathrm{ECE} = \sum_{b=0}^{14} \frac{n_b}{n}\,\bigl|\mathrm{acc}(B_b) -
# \mathrm{conf}(B_b)\bigr|,$$
#
# and a **reliability diagram** draws $\mathrm{acc}(B_b)$ against $\mathrm{conf}(B_b)$. The
# number depends on the binning (other bin counts or equal-mass bins give other values:
# Exercise 1), so the binning is part of the result: `bnntut.uncertainty.ECE_BINS`.
#
# ## Out-of-distribution detection
#
# Show the networks trained on MNIST the Fashion-MNIST test images, and those trained on
# Fashion-MNIST the MNIST test images {cite}`hendrycks2017baseline`. Neither set contains a
# single valid input for the other's classes, so a model that knows what it does not know
# should be less certain on them. The score is the **predictive entropy**
#
# $$H\bigl(p(x)\bigr) = -\sum_{k=1}^{10} p_k(x) \log p_k(x),$$
#
# between 0 (one class certain) and $\log 10 \approx 2.30$ nats (all ten classes equally
# likely). How well does it separate the two sets? Call the $n_-$ in-distribution test
# images the negatives and the $n_+$ OOD images the positives, with scores $s^-_j$ and
# $s^+_i$. The **AUROC** — the area under the ROC curve — is the probability that a random
# positive scores higher than a random negative, ties counting one half:
#
# $$\mathrm{AUROC} = \frac{1}{n_+ n_-} \sum_{i=1}^{n_+}\sum_{j=1}^{n_-}
# \Bigl(\mathbb{1}\bigl[s^+_i > s^-_j\bigr] + \tfrac12\,\mathbb{1}\bigl[s^+_i = s^-_j\bigr]
# \Bigr).$$
#
# 1 is perfect separation, 0.5 chance. The double sum has $10^8$ terms here; one sort does
# the same. Rank all $n_+ + n_-$ scores from the lowest (rank 1) up, tied scores sharing the
# mean of their ranks. The rank $r_i$ of positive $i$ is 1 plus the number of scores below it
# (plus half of the others tied with it), and those scores are negatives or positives:
#
# $$\begin{aligned}
# \sum_{i=1}^{n_+} r_i
# &= \underbrace{\sum_{i}\sum_{j} \Bigl(\mathbb{1}\bigl[s^-_j < s^+_i\bigr]
#    + \tfrac12\,\mathbb{1}\bigl[s^-_j = s^+_i\bigr]\Bigr)}_{\text{negatives below: }
#    n_+ n_- \,\mathrm{AUROC}}
#  + \underbrace{\bigl(1 + 2 + \dots + n_+\bigr)}_{\text{positives among themselves}} ,\\
# \mathrm{AUROC} &= \frac{1}{n_+ n_-}\Bigl(\sum_{i=1}^{n_+} r_i
#    - \frac{n_+ (n_+ + 1)}{2}\Bigr),
# \end{aligned}$$
#
# the Mann–Whitney $U$ statistic divided by $n_+ n_-$. It is exact — no thresholds, no
# interpolated curve.
#
# ## Both, written out
#
# On the MNIST BBB network, unpruned and with 90 % of its parameters removed by SNR,
# predicting with its posterior mean (`bnntut.evaluate.predict_proba`, one deterministic
# pass):

# %%
ood_name = uncertainty.OOD_DATASETS["mnist"]              # "fashion-mnist"
mnist, foreign = (data.load(n, subset=subset) for n in ("mnist", ood_name))
bbb = experiment.trained_model("mnist", "bbb", PRESET, device="cpu")
probs = {}      # fraction -> (n, 10) probabilities on MNIST, on the OOD set
for amount in (0.0, 0.9):
    net = prune.snr(bbb, amount)
    probs[amount] = (predict_proba(net, mnist.x_test),
                       predict_proba(net, foreign.x_test))


def ece(p, y, bins=15):
    """Expected calibration error over the bins (b/bins, (b+1)/bins]."""
    confidence, predicted = p.double().max(-1)       # c_i and ŷ_i, (n,)
    correct = (predicted == y).double()
    which = (torch.ceil(confidence * bins).long() - 1).clamp(0, bins - 1)
    total = 0.0
    for b in range(bins):
        in_b = which == b
        if in_b.any():                                # n_b/n · |acc − conf|
            gap = correct[in_b].mean() - confidence[in_b].mean()
            total += in_b.double().mean() * gap.abs()
    return float(total)


def entropy(p):
    """−Σ_k p_k log p_k per row, in nats (xlogy makes 0 · log 0 = 0)."""
    return -torch.xlogy(p.double(), p.double()).sum(-1)


def auroc(negatives, positives):
    """P(positive scores above negative) + ½ P(tie), from mid-ranks."""
    scores = torch.cat([negatives, positives])
    ordered = scores.sort().values
    below = torch.searchsorted(ordered, scores, side="left")    # lower
    upto = torch.searchsorted(ordered, scores, side="right")    # or equal
    rank = (below + 1 + upto).double() / 2       # 1-based; ties: mean rank
    n_neg, n_pos = len(negatives), len(positives)
    u = rank[n_neg:].sum() - n_pos * (n_pos + 1) / 2    # Mann–Whitney U
    return (u / (n_pos * n_neg)).item()


mine = {f: {"ECE": ece(p_in, mnist.y_test),   # AUROC: MNIST −, OOD +
            "AUROC": auroc(entropy(p_in), entropy(p_ood))}
        for f, (p_in, p_ood) in probs.items()}

# %% tags=["remove-cell"]
# The written-out measures against the package's tested functions.
from bnnbook import report

for amount, (p_in, p_ood) in probs.items():
    package_ece = uncertainty.expected_calibration_error(p_in, mnist.y_test)
    assert math.isclose(mine[amount]["ECE"], package_ece, rel_tol=1e-9, abs_tol=1e-12)
    assert torch.allclose(entropy(p_in), uncertainty.entropy(p_in), rtol=0, atol=1e-12)
    assert torch.allclose(entropy(p_ood), uncertainty.entropy(p_ood), rtol=0, atol=1e-12)
    h_in, h_ood = uncertainty.entropy(p_in), uncertainty.entropy(p_ood)
    assert math.isclose(auroc(h_in, h_ood), uncertainty.auroc(h_in, h_ood), rel_tol=1e-12)
    assert math.isclose(mine[amount]["AUROC"], uncertainty.auroc(h_in, h_ood), rel_tol=1e-9)
# Ties count one half: scores (0, 1) against (1, 2) give (1 + 0.5 + 1 + 1) / 4.
ties = torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0])
assert auroc(*ties) == uncertainty.auroc(*ties) == 0.875

# %% tags=["remove-input"]
rows = {}
for amount in probs:
    stored = uncertainty.record_at(results["mnist"]["bbb"], amount, "deterministic")
    rows[report.percent(amount)] = {
        ("ECE", "written out"): report.number(mine[amount]["ECE"], 4),
        ("ECE", "stored sweep"): report.number(stored["ece"], 4),
        ("AUROC", "written out"): report.number(mine[amount]["AUROC"], 4),
        ("AUROC", "stored sweep"): report.number(stored["auroc"], 4)}
report.frame(rows, "removed")

# %% [markdown]
# The stored sweep (the tables below) was computed by `python -m bnntut uncertainty` with
# `bnntut.uncertainty`; a hidden cell of this page asserts that the functions above agree
# with the package's `expected_calibration_error`, `entropy` and `auroc`.
#
# Each model predicts in up to two **modes**:
#
# * *deterministic* — one forward pass in eval mode: the baselines without dropout, BBB with
#   its posterior mean μ (the network whose accuracy the study's tables report);
# * *Monte Carlo* — the average of the softmax over 10 stochastic forward passes: for BBB 10
#   weight samples from the posterior (the Bayesian predictive distribution, see
#   {doc}`evaluation`); for the dropout networks 10 passes with dropout left on, *MC
#   dropout* {cite}`gal2016dropout`, which reads dropout as approximate Bayesian inference
#   too. Adam + dropout 0.01 (the study's "SGD") is evaluated deterministically only: its
#   dropout is a stand-in for none.
#
# The numbers are computed by `python -m bnntut uncertainty --preset paper` and stored per
# model in `results/paper/<dataset>/<method>.uncertainty.json`, with the configuration hash,
# the identity of the training result they were computed from, and provenance.

# %% tags=["remove-input"]
for name, value in uncertainty_views.highlights(results).items():
    book.glue(name, book.markdown(value) if isinstance(value, str) else value)
bbb_result = results["mnist"]["bbb"]
book.markdown(report.provenance(bbb_result["metadata"])
              + f" In-distribution / OOD test images per model: {bbb_result['n_in']} / "
                f"{bbb_result['n_ood']}.")

# %% [markdown]
# ## ECE and AUROC at four pruned fractions
#
# Lower ECE and higher AUROC are better; the best of each column is in bold. MNIST models,
# OOD = Fashion-MNIST:

# %% tags=["remove-input"]
uncertainty_views.show_table(uncertainty_views.table(results["mnist"]))

# %% [markdown]
# Fashion-MNIST models, OOD = MNIST:

# %% tags=["remove-input"]
uncertainty_views.show_table(uncertainty_views.table(results["fashion-mnist"]))

# %% [markdown]
# Every model here is one training run (seed 0). Unpruned, BBB's 10-sample predictive has an
# ECE of {glue:text}`bbb_mc_ece_mnist_0:.3f` on MNIST and {glue:text}`bbb_mc_ece_fmnist_0:.3f` on Fashion-MNIST, and separates the foreign
# images with an AUROC of {glue:text}`bbb_mc_auroc_mnist_0:.3f` and
# {glue:text}`bbb_mc_auroc_fmnist_0:.3f`. The best-calibrated unpruned model on MNIST is
# {glue:md}`best_ece_mnist_0` and the best OOD detector {glue:md}`best_auroc_mnist_0`; on
# Fashion-MNIST they are {glue:md}`best_ece_fmnist_0` and {glue:md}`best_auroc_fmnist_0`.
#
# ## How calibration and OOD detection degrade
#
# One figure per training set, each method in its own colour and marker. Left: deterministic
# prediction (solid lines); right: the Monte Carlo predictive (dotted). The dashed grey line
# in the lower panels is chance (AUROC 0.5).

# %%
for dataset in results:
    fig = uncertainty_views.degradation_figure({dataset: results[dataset]})

# %% [markdown]
# ## How far each model can be pruned
#
# For each model and prediction mode: the largest pruned fraction up to which its ECE has
# not risen, and its AUROC not fallen, by more than {glue:text}`tolerance` from the unpruned
# value (`bnnbook.uncertainty_views.kept_up_to`), and the first fraction at which it is *more*
# certain on the foreign images than on its own test set (AUROC below 0.5).

# %% tags=["remove-input"]
from IPython.display import display

below_chance_from = uncertainty_views.below_chance_from
rows = {}
for dataset, by_method in results.items():
    name = plots.DATASET_LABELS[dataset]
    for method, result in by_method.items():
        for mode in result["modes"]:
            row = rows.setdefault((METHOD_LABELS[method], uncertainty_views.mode_label(method, mode)),
                                  {})
            below = below_chance_from(result, mode)
            row.update({
                (name, "ECE kept up to"):
                    report.percent(uncertainty_views.kept_up_to(result, "ece", mode)),
                (name, "AUROC kept up to"):
                    report.percent(uncertainty_views.kept_up_to(result, "auroc", mode)),
                (name, "AUROC < 0.5 from"): "never" if below is None else report.percent(below)})
robustness = report.frame(rows, ["Model", "prediction"])
robustness.columns.names = ["trained on", ""]
display(robustness)

# %% tags=["remove-cell"]
# The two sentences below come from tested functions of bnnbook.uncertainty_views.
for dataset, by_method in results.items():
    m, mode, value = uncertainty_views.best(by_method, "ece", 0.9)
    book.glue(f"best_ece_accuracy_{uncertainty_views.DATASET_TAGS[dataset]}_90",
              uncertainty.record_at(by_method[m], 0.9, mode)["accuracy"])
book.glue("below_chance", book.markdown(uncertainty_views.below_chance_sentence(results)))
book.glue("mc_dropout_effect", book.markdown(uncertainty_views.mc_dropout_sentence(results)))

# %% [markdown]
# Calibration survives pruning longest for {glue:md}`longest_ece_mnist` on MNIST (up to
# {glue:text}`longest_ece_value_mnist:.0%` removed) and for {glue:md}`longest_ece_fmnist` on
# Fashion-MNIST ({glue:text}`longest_ece_value_fmnist:.0%`); OOD detection for
# {glue:md}`longest_auroc_mnist` on MNIST ({glue:text}`longest_auroc_value_mnist:.0%`) and
# {glue:md}`longest_auroc_fmnist` on Fashion-MNIST
# ({glue:text}`longest_auroc_value_fmnist:.0%`).
#
# At 90 % removed BBB's predictive stands at ECE {glue:text}`bbb_mc_ece_mnist_90:.3f` and
# AUROC {glue:text}`bbb_mc_auroc_mnist_90:.3f` on MNIST (accuracy
# {glue:text}`bbb_mc_accuracy_mnist_90:.3f`), and at {glue:text}`bbb_mc_ece_fmnist_90:.3f`
# and {glue:text}`bbb_mc_auroc_fmnist_90:.3f` on Fashion-MNIST (accuracy
# {glue:text}`bbb_mc_accuracy_fmnist_90:.3f`). {glue:md}`below_chance`
#
# {glue:md}`mc_dropout_effect`
#
# BBB's Monte Carlo predictive stays within {glue:text}`bbb_mc_gap_ece_mnist:.3f` (ECE) and
# {glue:text}`bbb_mc_gap_auroc_mnist:.3f` (AUROC) of its posterior mean over the whole MNIST
# grid, and within {glue:text}`bbb_mc_gap_ece_fmnist:.3f` and
# {glue:text}`bbb_mc_gap_auroc_fmnist:.3f` on Fashion-MNIST: the posterior is narrow
# ({doc}`weights`), so its samples agree with the mean — the same reason the ensemble hardly
# changes BBB's accuracy in {doc}`evaluation`.
#
# Two cautions in reading these numbers. A low ECE does not make a model useful: a network
# pruned to near-chance accuracy that *says* it is near chance is well calibrated, so read
# ECE together with the accuracy (Exercise 3). And an AUROC below 0.5 is not noise: it means
# the model is *more* certain on the foreign images than on its own test set.

# %% [markdown]
# ## Reliability and entropy of one pruned model
#
# In Jupyter and Colab, the cell below (hidden in the book) draws the reliability diagram and
# the entropy histograms (in-distribution test set against the OOD test set) of any
# dataset, model, pruned fraction and prediction mode, recomputed live. (The Monte Carlo mode
# takes ten times as long; Adam + dropout 0.01 has none and falls back to eval mode.)

# %% tags=["remove-cell"]
_models, _data = {}, {}


def _show(dataset="mnist", method="bbb", amount=0.9, mode="deterministic"):
    if (dataset, method) not in _models:
        _models[dataset, method] = experiment.trained_model(dataset, method, PRESET, device="cpu")
    for name in (dataset, uncertainty.OOD_DATASETS[dataset]):
        if name not in _data:
            _data[name] = data.load(name, subset=subset)
    ds, ood = _data[dataset], _data[uncertainty.OOD_DATASETS[dataset]]
    mode = mode if mode in uncertainty.modes_for(method) else "deterministic"
    criterion = prune.get_criterion(uncertainty.criterion_for(method))
    record = uncertainty.diagnose(criterion(_models[dataset, method], amount), ds.x_test,
                                  ds.y_test, ood.x_test, uncertainty.modes_for(method)[mode])
    uncertainty_views.diagnostic_figure(
        record, ood_label=f"OOD: {plots.DATASET_LABELS[ood.name]} test",
        title=f"{METHOD_LABELS[method]} ({uncertainty_views.mode_label(method, mode)}), "
              f"{amount:.0%} removed")
    plt.show()


book.live_widget(_show, lambda: dict(
    dataset=widgets.Dropdown(options=[(plots.DATASET_LABELS[d], d) for d in data.DATASETS],
                             description="trained on"),
    method=widgets.Dropdown(options=[(v, k) for k, v in METHOD_LABELS.items()], value="bbb",
                            description="model"),
    amount=widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="prune",
                                 continuous_update=False, readout_format=".0%"),
    mode=widgets.Dropdown(options=[("deterministic", "deterministic"), ("Monte Carlo", "mc")],
                          description="prediction"),
));

# %% [markdown]
# ### Precomputed: BBB and Adam + dropout 0.01 on MNIST, unpruned and at 90 %
#
# From the stored results (the same computation as the widget's, on the fixed grid), one
# figure per model in its colour: BBB's 10-sample predictive, then Adam + dropout 0.01 (the
# study's "SGD") in eval mode. Left: reliability diagram (bars: accuracy per confidence bin;
# hatched: the gap to the bin's mean confidence; dashed: perfect calibration; black steps,
# right-hand log axis: the share of the predictions in each bin). Right: entropy histograms
# of the MNIST test images (filled) and of the Fashion-MNIST test images (dashed).

# %%
label = uncertainty_views.mode_label
for method, mode in (("bbb", "mc"), ("sgd", "deterministic")):
    name = f"{METHOD_LABELS[method]}, {label(method, mode)}"
    cases = [(f"{name}, {amount:.0%} removed",
              uncertainty.record_at(results["mnist"][method], amount, mode))
             for amount in (0.0, 0.9)]
    fig = uncertainty_views.diagnostic_grid(
        cases, "OOD: Fashion-MNIST test", color=plots.METHOD_COLORS[method])

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

# %% [markdown]
# ## Key takeaways
#
# * Calibration and OOD detection are a few lines each: bin the confidences and weigh the
#   per-bin gaps for the ECE; rank the predictive entropies for the AUROC.
# * A posterior over weights does not by itself make the best-calibrated network: unpruned
#   on MNIST (seed 0), the best-calibrated model is {glue:md}`best_ece_mnist_0` (ECE
#   {glue:text}`best_ece_value_mnist_0:.3f`), BBB's 10-sample predictive reaches
#   {glue:text}`bbb_mc_ece_mnist_0:.3f`.
# * Under pruning, calibration survives longest for {glue:md}`longest_ece_mnist` on MNIST
#   (up to {glue:text}`longest_ece_value_mnist:.0%` removed). BBB's weight samples change
#   its predictions little, because its posterior is narrow ({doc}`weights`).
#
# ## Exercises
#
# 1. **The binning is a choice.** Compute the ECE of the 90 %-pruned BBB network (posterior
#    mean, `probs[0.9]`) with 5, 10, 15, 30 and 100 equal-width bins using `ece` above. Why
#    does the ECE tend to grow with the number of bins?

# %% tags=["hide-cell"]
p_in, _ = probs[0.9]
for bins in (5, 10, 15, 30, 100):
    print(f"{bins:3d} bins: ECE {ece(p_in, mnist.y_test, bins):.4f}")

# %% [markdown]
# :::{admonition} Solution
# :class: dropdown
# Within a bin, over- and under-confident predictions cancel before the absolute value is
# taken; finer bins mix fewer predictions, so less cancels — and a bin with a handful of
# predictions has a noisy accuracy, whose gap to the confidence is positive on average even
# for a calibrated model. Fewer, coarser bins hide miscalibration; many bins add noise. That
# is why the number of bins (15, after {cite}`guo2017calibration`) is stated with every ECE.
# :::
#
# 2. **Another OOD score.** {cite}`hendrycks2017baseline` score an image by its maximum
#    softmax probability (low = suspicious). Compute the AUROC of $1 - \max_k p_k$ with
#    `auroc` for the unpruned and the 90 %-pruned BBB network and compare it with the
#    entropy's. Why would $-\max_k p_k$ give exactly the same AUROC as $1 - \max_k p_k$?

# %% tags=["hide-cell"]
for amount, (p_in, p_ood) in probs.items():
    msp = auroc(1 - p_in.double().max(-1).values,         # 1 − max_k p_k
                1 - p_ood.double().max(-1).values)
    print(f"{amount:.0%} removed: AUROC with 1 − max p {msp:.4f}, "
          f"with entropy {mine[amount]['AUROC']:.4f}")

# %% [markdown]
# :::{admonition} Solution
# :class: dropdown
# The AUROC depends on the scores only through their order (the ranks), and $-\max_k p_k$
# and $1 - \max_k p_k$ order the images identically — so does any strictly increasing
# function of a score. Entropy and $1 - \max_k p_k$ order them differently (entropy also
# looks at how the remaining probability is spread), so their AUROCs differ a little.
# :::
#
# 3. **Calibrated but useless.** At 90 % removed on Fashion-MNIST, the best-calibrated
#    predictor is {glue:md}`best_ece_fmnist_90`, with an ECE of
#    {glue:text}`best_ece_value_fmnist_90:.3f` at an accuracy of
#    {glue:text}`best_ece_accuracy_fmnist_90:.3f`. How can a network that is nearly always
#    wrong be well calibrated, and what should be reported beside the ECE?
#
# :::{admonition} Solution
# :class: dropdown
# ECE only asks whether the confidence matches the accuracy. A network that has lost its
# ability to classify and spreads its probability almost evenly has a confidence near its
# (low) accuracy in every bin, so its gaps are small. Calibration is a property worth having
# only together with accuracy: report the accuracy (or the negative log-likelihood, which
# rewards both) next to the ECE, as the tables above do.
# :::
