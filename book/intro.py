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
# # Pruning Bayesian neural networks, checked
#
# ## What you will learn
#
# * **Bayes by Backprop** from the ground up: the prior, the variational posterior, the
#   reparameterisation trick and the minibatch ELBO, derived and implemented in a few lines
#   each, then checked against a tested package;
# * how to **prune** a network — by magnitude, by signal-to-noise ratio — and how to test that
#   a pruning really reached the network;
# * how to **check a published result**: reproduce it, find the defects in its code, then make
#   the comparison fair with seeds, criteria on equal terms, fine-tuning and ablations.
#
# Chapter by chapter:
#
# | Chapter | In one line |
# |---|---|
# | {doc}`prior` | The scale-mixture prior, why its spike-and-slab shape invites pruning; a live explorer. |
# | {doc}`bayes_by_backprop` | Variational posterior, reparameterisation, the Monte Carlo ELBO and the minibatch KL weightings, derived and trained. |
# | {doc}`toy` | Weight uncertainty on a toy problem: what μ, σ and the SNR look like where you can see the whole data set. |
# | {doc}`baselines` | The "SGD" and dropout networks exactly as the study built them; training curves. |
# | {doc}`weights` | Weight distributions of all models; μ, σ and SNR of the Bayesian net. |
# | {doc}`pruning` | Global L1 pruning with `torch.nn.utils.prune`, SNR pruning, a live prune slider. |
# | {doc}`evaluation` | The study's Tables 1 and 2 next to ours, accuracy-vs-sparsity curves, training cost. |
# | {doc}`reproduction_notes` | Every defect of the study's code, demonstrated on the trained models. |
# | {doc}`uncertainty` | Calibration and out-of-distribution detection as the networks are pruned. |
# | {doc}`compression` | What pruning saves in bytes (sparse storage) and in milliseconds (sparse kernels). |
# | {doc}`fair_comparison` | Seeds, every pruning criterion, fine-tuning, three KL weightings, Blundell's scale. |
# | {doc}`prunability` | One factor of the study's protocol at a time: why σ barely moves, what makes SNR pruning work, Blundell et al.'s Table 2 at full length. |
# | {doc}`conclusions` | The answer — does a Bayesian network prune better? — and what stays open. |

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

# %% tags=["remove-input"]
import statistics

from bnnbook import book, comparison, prunability, report
from bnntut import study
from bnntut.methods import REGISTRY
from bnntut.presets import BLUNDELL_TABLE2_ERROR

PRESET = book.start()

# %% tags=["remove-cell"]
# Every number of the summary below, from the stored results (NaN where a quick-mode run
# has not stored an arm: the page is then labelled QUICK MODE).
results = book.load_results(PRESET)
values = {}
for dataset, tag in (("mnist", "mnist"), ("fashion-mnist", "fmnist")):
    for method in ("bbb", "sgd"):
        values[f"{method}_{tag}_90"] = report.accuracy_at(results[dataset][method], 0.9)
    baselines = [v[3] for m, v in study.STUDY_TABLES[dataset].items() if m != "bbb"]
    values[f"study_low_{tag}"], values[f"study_high_{tag}"] = min(baselines), max(baselines)
    values[f"study_bbb_{tag}"] = 100 * study.STUDY_TABLES[dataset]["bbb"][3]
seeds = comparison.seed_results(PRESET, ["mnist", "fashion-mnist"], ["bbb", "sgd"])
for dataset, tag in (("mnist", "mnist"), ("fashion-mnist", "fmnist")):
    gaps = comparison.paired_gaps(seeds[dataset], "bbb", "sgd", 0.9)
    values[f"seeds_{tag}"] = len(gaps)
    values[f"ahead_{tag}"] = sum(g > 0 for g in gaps.values())
    bbb = seeds[dataset]["bbb"].values()
    if bbb:
        values[f"mu_{tag}_90"] = statistics.fmean(report.accuracy_at(r, 0.9, "l1")
                                                  for r in bbb)
kl = comparison.kl_results(PRESET, ["mnist"])["mnist"]
if "uniform" in kl:
    values["kl_uniform_mnist_90"] = statistics.fmean(
        report.accuracy_at(r, 0.9) for r in kl["uniform"].values())
ft = comparison.derived_results("finetune", PRESET, ["mnist"], ["bbb"])["mnist"]
if "bbb" in ft:
    values["ft_bbb_mnist_90"] = next(lv["after"]["accuracy"] for lv in ft["bbb"]["by_amount"]
                                     if lv["amount"] == 0.9)
blundell = comparison.blundell_result()
if blundell is not None:
    values["blundell_epochs"] = blundell[1]["config"]["train"]["epochs"]
    values["blundell_95"] = 100 * (1 - report.accuracy_at(blundell[1], 0.95))
values["bl_prediction"] = comparison.blundell_prediction_phrase(
    comparison.blundell_prediction())
# Every prunability row of both datasets, read once.
every_row = {d: prunability.rows(by_method) for d, by_method in comparison.seed_results(
    PRESET, ["mnist", "fashion-mnist"],
    [*prunability.BBB_ROWS, *prunability.DETERMINISTIC_ROWS], [0, 1, 2]).items()}
rows = {m: r for m, r in every_row["mnist"].items() if REGISTRY[m].bayesian}
if rows:
    best = prunability.best_bbb(rows, "mnist")
    values["prunable_label"] = REGISTRY[best].label
    values["prunable_mnist_95"] = rows[best]["snr"][0.95]
    values["prunable_mnist_98"] = rows[best]["snr"][0.98]
    values["prunable_seeds"] = len(rows[best]["seeds"])
    spread = rows.get("bbb-opt-sgd-kl-uniform-sigma1-e-2")
    values["sgd_spread_mnist_95"] = spread["snr"][0.95] if spread else float("nan")
fmnist_rows = every_row["fashion-mnist"]
det = prunability.best_deterministic(fmnist_rows, "fashion-mnist")
if det:
    values["det_fmnist_label"] = REGISTRY[det].label
    values["det_fmnist_95"] = fmnist_rows[det]["l1"][0.95]
if any(REGISTRY[m].bayesian for m in fmnist_rows):
    bbb_best = prunability.best_bbb(fmnist_rows, "fashion-mnist")
    values["bbb_fmnist_label"] = REGISTRY[bbb_best].label
    values["bbb_fmnist_95"] = fmnist_rows[bbb_best]["snr"][0.95]
values["table2_95"] = 1 - BLUNDELL_TABLE2_ERROR[0.95] / 100
values["table2_98"] = 1 - BLUNDELL_TABLE2_ERROR[0.98] / 100
record = book.reproduce_record("paper")
values["reproduce_minutes"] = record["total_seconds"] / 60 if record else float("nan")
for name in ("mu_mnist_90", "mu_fmnist_90", "kl_uniform_mnist_90", "ft_bbb_mnist_90",
             "blundell_epochs", "blundell_95", "prunable_mnist_95", "prunable_mnist_98",
             "prunable_seeds", "det_fmnist_95", "sgd_spread_mnist_95", "bbb_fmnist_95"):
    values.setdefault(name, float("nan"))
values.setdefault("prunable_label", "(not stored)")
values.setdefault("det_fmnist_label", "(not stored)")
values.setdefault("bbb_fmnist_label", "(not stored)")
for name, value in values.items():
    book.glue(name, value)

# %% [markdown]
# {cite:t}`blundell2015weight` introduced **Bayes by Backprop** (BBB): a neural
# network whose every weight is a Gaussian distribution, trained by variational inference.
# Their Table 2 made a striking side claim: a BBB network still classifies MNIST almost as
# well after **95 % of its weights are removed**, if one removes the weights with the lowest
# *signal-to-noise ratio* $|\mu|/\sigma$.
#
# The study *Model compression using Bayesian Deep Learning* {cite}`prasad2022compression`
# set out to test that claim fairly: train BBB and the usual baselines — SGD and dropout
# networks {cite}`srivastava2014dropout` — under one protocol, prune all of them without
# fine-tuning (global L1 magnitude pruning {cite}`han2015learning` for the baselines, SNR for
# BBB), and compare. Its headline: BBB keeps **{glue:text}`study_bbb_mnist:.1f` % accuracy on
# MNIST after pruning 90 %** of its weights, while its baselines fall to between
# {glue:text}`study_low_mnist:.4f` and {glue:text}`study_high_mnist:.4f`.
#
# This book reproduces that study step by step, with a small companion package, `bnntut`,
# that does all the work, and checks it.
#
# ## What we found
#
# * **The study's headline comes from a bug.** Its BBB rows are flat because its pruning
#   **never reached the network**: it assigned new `nn.Parameter` objects that the weight
#   sampler did not read ({doc}`reproduction_notes`).
# * **Pruned correctly, BBB leads on MNIST only.** At 90 % removed it scores
#   {glue:text}`bbb_mnist_90:.4f` on MNIST and {glue:text}`bbb_fmnist_90:.4f` on
#   Fashion-MNIST, against {glue:text}`sgd_mnist_90:.4f` and {glue:text}`sgd_fmnist_90:.4f`
#   for the "SGD" network pruned by magnitude: the "SGD" baseline does not collapse, and on
#   Fashion-MNIST it beats BBB. Over seeds, BBB is ahead of the "SGD" net at 90 % on
#   {glue:text}`ahead_mnist` of {glue:text}`seeds_mnist` seeds on MNIST and on
#   {glue:text}`ahead_fmnist` of {glue:text}`seeds_fmnist` on Fashion-MNIST
#   ({doc}`fair_comparison`).
# * **The choices around the model matter more than being Bayesian.** On MNIST at 90 %,
#   ranking BBB's weights by $|\mu|$ alone keeps {glue:text}`mu_mnist_90:.4f`, the uniform
#   weighting of the complexity cost {glue:text}`kl_uniform_mnist_90:.4f`, and fine-tuning
#   after pruning {glue:text}`ft_bbb_mnist_90:.4f`.
# * **Why: σ hardly moves.** With Adam at the study's learning rate, σ can hardly leave its
#   random initial value, so $|\mu|/\sigma$ is partly noise ({doc}`prunability`). Changing
#   one factor at a time, the most prunable row on MNIST is
#   *{glue:text}`prunable_label`*: {glue:text}`prunable_mnist_95:.4f` at 95 % removed and
#   {glue:text}`prunable_mnist_98:.4f` at 98 % (mean of {glue:text}`prunable_seeds` seeds),
#   against {glue:text}`table2_95:.4f` and {glue:text}`table2_98:.4f` in Blundell et al.'s
#   Table 2.
# * **The deterministic nets, given the same search, prune as well.** With an L1 penalty in
#   every step (the MAP counterpart of a prior), *{glue:text}`det_fmnist_label`* keeps
#   {glue:text}`det_fmnist_95:.4f` on Fashion-MNIST with 95 % removed, against
#   {glue:text}`bbb_fmnist_95:.4f` for the best BBB row there,
#   *{glue:text}`bbb_fmnist_label`*.
# * **Blundell et al.'s own protocol, as their paper states it, does not prune.** Their
#   network, trained here by plain SGD for {glue:text}`blundell_epochs` epochs on a GPU, errs
#   {glue:text}`blundell_95:.2f` % at 95 % removed: plain SGD keeps σ near its initial value
#   too, and with their weighting of the complexity cost no prior of their grid switches the
#   unneeded weights off. Spread that cost equally over every step instead (the split their
#   paper describes before proposing its own) and take the narrowest $\sigma_1$ of their
#   grid: plain SGD then keeps {glue:text}`sgd_spread_mnist_95:.4f` at 95 % removed at this
#   study's scale — our reading of their Table 2; {glue:text}`bl_prediction`.
#
# {doc}`conclusions` puts it together.
#
# Every number on these pages is computed from stored runs of the package's code (the
# {doc}`evaluation` chapter lists the machine, commit and timing of each); none is typed by
# hand.

# %% [markdown]
# ## The study's claim
#
# Here are the study's two result tables, as published (test accuracy after removing the given
# fraction of parameters, no fine-tuning):

# %% tags=["remove-input"]
report.study_table()

# %% [markdown]
# ## Our headline numbers
#
# The same protocol (50 epochs, 784-500-500-10, Adam at $10^{-4}$, batch 100), run by
# `bnntut`, with pruning that provably changes the network (MNIST, seed 0):

# %% tags=["remove-input"]
report.comparison_table(results["mnist"], "mnist", (0.0, 0.5, 0.75, 0.9))

# %% [markdown]
# For each model the table gives **our accuracy** (*ours*), the study's value and the
# difference. BBB is pruned by $|\mu|/\sigma$ and evaluated with the posterior mean (one
# deterministic pass) and with a 10-sample Monte Carlo ensemble.
#
# ## How to run it
#
# * **Read** the rendered book: every page was executed from the committed full runs.
# * **Colab**: the rocket button at the top of each page opens the chapter in Colab; its first
#   (hidden) cell installs `bnntut` and the committed results. Choose a GPU runtime to retrain
#   quickly.
# * **Locally**: `pip install -r requirements.txt`, then `python -m bnntut reproduce --preset
#   paper` retrains the study's ten models ({glue:text}`reproduce_minutes:.0f` minutes for the
#   committed run on two CPU cores; the chapters load the committed results instantly
#   instead). Set `BNNTUT_PRESET=quick` to run the chapters on a tiny subset in seconds —
#   those pages are then labelled QUICK MODE.
