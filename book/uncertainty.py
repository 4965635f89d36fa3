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
# * how the expected calibration error (ECE) and a reliability diagram measure whether a
#   network's confidence can be trusted;
# * how predictive entropy and the AUROC, computed exactly from ranks, score the detection
#   of out-of-distribution images;
# * whether Bayes by Backprop is better calibrated, or better at spotting foreign images,
#   than the baselines, and how far each survives pruning.

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

from bnnbook import book, style, uncertainty_views
from bnntut import collect, data, experiment, prune, uncertainty
from bnntut.evaluate import predict_proba
from bnntut.presets import METHOD_LABELS, get_preset

PRESET = book.start()
subset = get_preset(PRESET).subset
results = collect.grid(PRESET, kind="uncertainty",
                       compute=PRESET != "paper")

# %% [markdown]
# The study scored its pruned networks by accuracy alone. Yet a posterior over weights should
# make the network's *predictive distribution* honest: confident where it is usually right,
# uncertain where it is not and on inputs unlike its training data. Two standard checks, on
# every model and on every pruned fraction from 0 to 98 % (BBB pruned by SNR, the baselines
# by global L1, no fine-tuning, as in {doc}`pruning`).
#
# ## Calibration
#
# The *confidence* of a prediction $p(x_i)$ is its largest class probability,
# $c_i = \max_k p_k(x_i)$, and it is *correct* when that class is the label,
# $\hat y_i = \arg\max_k p_k(x_i) = y_i$. A calibrated model's 80 %-confident predictions
# are right 80 % of the time {cite}`guo2017calibration`. To check this on $n$ test images,
# sort the predictions into **15 equal-width confidence bins**
# $B_b = \bigl(\tfrac{b}{15}, \tfrac{b+1}{15}\bigr]$ and compare in each bin the accuracy
# with the mean confidence:
#
# $$\mathrm{acc}(B_b) = \frac{1}{n_b}\sum_{i \in B_b} \mathbb{1}[\hat y_i = y_i], \qquad
# \mathrm{conf}(B_b) = \frac{1}{n_b}\sum_{i \in B_b} c_i .$$
#
# The **expected calibration error** is the gap weighted by the share $n_b / n$ of the
# predictions in each bin,
#
# $$\mathrm{ECE} = \sum_{b=0}^{14} \frac{n_b}{n}\,\bigl|\mathrm{acc}(B_b) -
# \mathrm{conf}(B_b)\bigr|,$$
#
# and a **reliability diagram** draws $\mathrm{acc}(B_b)$ against $\mathrm{conf}(B_b)$. The
# binning is part of the result (Exercise 1): `bnntut.uncertainty.ECE_BINS`.
#
# ## Out-of-distribution detection
#
# Show the networks trained on MNIST the Fashion-MNIST test images, and the other way round
# {cite}`hendrycks2017baseline`: a model that knows what it does not know should be less
# certain on them. The score is the **predictive entropy**
#
# $$H\bigl(p(x)\bigr) = -\sum_{k=1}^{10} p_k(x) \log p_k(x),$$
#
# between 0 (one class certain) and $\log 10$ nats (all classes equally likely). Call the
# $n_-$ in-distribution images the negatives and the $n_+$ OOD images the positives, with
# scores $s^-_j$ and $s^+_i$. The **AUROC** is the probability that a random positive scores
# higher than a random negative, ties counting one half:
#
# $$\mathrm{AUROC} = \frac{1}{n_+ n_-} \sum_{i=1}^{n_+}\sum_{j=1}^{n_-}
# \Bigl(\mathbb{1}\bigl[s^+_i > s^-_j\bigr] + \tfrac12\,\mathbb{1}\bigl[s^+_i = s^-_j\bigr]
# \Bigr).$$
#
# 1 is perfect separation, 0.5 chance. The double sum has $10^8$ terms here; one sort does
# the same. Rank all scores from the lowest (rank 1) up, ties sharing their mean rank. The
# rank $r_i$ of positive $i$ counts the negatives and the positives below it:
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
# the Mann–Whitney $U$ statistic divided by $n_+ n_-$: exact, with no thresholds.
#
# ## Both, written out
#
# On the MNIST BBB network, unpruned and with 90 % removed by SNR, predicting with its
# posterior mean:

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
# A hidden cell asserts that these functions agree with the package's
# `expected_calibration_error`, `entropy` and `auroc`, which computed the stored sweep
# (`python -m bnntut uncertainty --preset paper`, stored beside each model's results).
#
# Each model predicts in up to two **modes**: *deterministic*, one pass in eval mode (BBB
# with its posterior mean μ), and *Monte Carlo*, the softmax averaged over 10 stochastic
# passes: weight samples from BBB's posterior ({doc}`evaluation`), or dropout left on, *MC
# dropout* {cite}`gal2016dropout`. Adam + dropout 0.01 (the study's "SGD") is evaluated
# deterministically only.

# %% tags=["remove-input"]
for name, value in uncertainty_views.highlights(results, (0.0, 0.9)).items():
    book.glue(name, book.markdown(value) if isinstance(value, str) else value)
book.markdown(report.provenance(results["mnist"]["bbb"]["metadata"]))

# %% [markdown]
# ## ECE and AUROC, unpruned and at 90 % removed
#
# MNIST models (seed 0), OOD = Fashion-MNIST; the best of each column in bold (the
# Fashion-MNIST models are in the figures below):

# %% tags=["remove-input"]
uncertainty_views.show_table(uncertainty_views.table(results["mnist"], (0.0, 0.9)))

# %% [markdown]
# Unpruned, the best-calibrated model on MNIST is {glue:md}`best_ece_mnist_0` and the best
# OOD detector {glue:md}`best_auroc_mnist_0`; on Fashion-MNIST they are
# {glue:md}`best_ece_fmnist_0` and {glue:md}`best_auroc_fmnist_0`.
#
# ## How calibration and OOD detection degrade
#
# Left: deterministic prediction (solid); right: the Monte Carlo predictive (dotted); dashed
# grey: chance (AUROC 0.5).

# %%
for dataset in results:
    fig = uncertainty_views.degradation_figure({dataset: results[dataset]})

# %% [markdown]
# ## How far each model can be pruned
#
# For each predictor: the largest pruned fraction up to which its ECE has not risen, and its
# AUROC not fallen, by more than {glue:text}`tolerance` (`uncertainty_views.kept_up_to`), and
# the first at which it is *more* certain on the foreign images than on its own test set
# (AUROC below 0.5).

# %% tags=["remove-input"]
uncertainty_views.robustness_table(results)

# %% [markdown]
# Calibration survives pruning longest for {glue:md}`longest_ece_mnist` on MNIST, up to
# {glue:text}`longest_ece_value_mnist:.0%` removed; OOD detection for
# {glue:md}`longest_auroc_mnist` ({glue:text}`longest_auroc_value_mnist:.0%`).
# {glue:md}`below_chance`
#
# {glue:md}`mc_dropout_effect`
#
# BBB's Monte Carlo predictive stays within {glue:text}`bbb_mc_gap_ece_mnist:.3f` (ECE) and
# {glue:text}`bbb_mc_gap_auroc_mnist:.3f` (AUROC) of its posterior mean over the whole MNIST
# grid: the posterior is narrow ({doc}`weights`), so its samples agree with the mean.
#
# Two cautions. A low ECE does not make a model useful: a network pruned to near-chance
# accuracy that *says* it is near chance is well calibrated, so read ECE with the accuracy
# (Exercise 3). And an AUROC below 0.5 is not noise: the model is *more* certain on the
# foreign images than on its own test set.

# %% [markdown]
# ## Reliability and entropy of one pruned model
#
# In Jupyter and Colab, a hidden cell draws these for any model, fraction and mode, live.

# %% tags=["remove-cell"]
book.live_widget(uncertainty_views.live_diagnostic(PRESET), uncertainty_views.live_controls);

# %% [markdown]
# ### Precomputed: BBB and Adam + dropout 0.01 on MNIST, unpruned and at 90 %
#
# BBB's 10-sample predictive, then Adam + dropout 0.01 in eval mode. Left: reliability
# diagram (bars: accuracy per bin; hatched: the gap to its mean confidence; black steps: the
# share of predictions per bin). Right: entropy on MNIST (filled) and Fashion-MNIST (dashed).

# %%
label = uncertainty_views.mode_label
for method, mode in (("bbb", "mc"), ("sgd", "deterministic")):
    samples = uncertainty_views.mc_samples(results["mnist"][method])
    name = f"{METHOD_LABELS[method]}, {label(method, mode, samples)}"
    cases = [(f"{name}, {amount:.0%} removed",
              uncertainty.record_at(results["mnist"][method], amount, mode))
             for amount in (0.0, 0.9)]
    fig = uncertainty_views.diagnostic_grid(
        cases, "OOD: Fashion-MNIST test", color=style.METHOD_COLORS[method])

# %% [markdown]
# ## What this does and does not show
#
# * **One training run per model** (seed 0): do not over-read small differences.
# * **One kind of shift**, between unrelated image sets, scored by one of several scores
#   (Exercise 2).
# * **The binning is a choice** (after {cite}`guo2017calibration`); the per-bin counts are
#   stored, so other summaries need no model.
# * **Pruned without fine-tuning**, as in the study.

# %% [markdown]
# ## Key takeaways
#
# * Calibration and OOD detection are a few lines each: bin the confidences and weigh the
#   per-bin gaps for the ECE; rank the predictive entropies for the AUROC.
# * A posterior over weights does not by itself make the best-calibrated network: unpruned
#   on MNIST (seed 0), the best-calibrated model is {glue:md}`best_ece_mnist_0`.
# * Under pruning, calibration survives longest on MNIST for {glue:md}`longest_ece_mnist`;
#   BBB's weight samples change its predictions little, because its posterior is narrow.
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
