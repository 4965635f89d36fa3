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

# %% tags=["remove-input"]
from bnntut import book, report

PRESET = book.start()

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
# BBB), and compare. Its headline: BBB keeps **98.2 % accuracy on MNIST after pruning 90 %**
# of its weights, while every baseline collapses.
#
# This book reproduces that study step by step, with a small companion package, `bnntut`,
# that does all the work, and checks it. The short version of what we found:
#
# * The study's BBB rows are flat (98.2 % at 0, 50, 75 and 90 %) because its pruning **never
#   reached the network**: it assigned new `nn.Parameter` objects that the weight sampler did
#   not read, so forward passes saw the unpruned weights. The chapter
#   {doc}`reproduction_notes` demonstrates this on our trained models.
# * Pruned correctly, BBB at 90 % scores {glue:text}`bbb_mnist_90:.4f` on MNIST
#   (study: 0.9822) and {glue:text}`bbb_fmnist_90:.4f` on Fashion-MNIST (study: 0.8962),
#   against {glue:text}`sgd_mnist_90:.4f` / {glue:text}`sgd_fmnist_90:.4f` for the "SGD"
#   network pruned by magnitude.
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
# `bnntut`, with pruning that provably changes the network:

# %% tags=["remove-input"]
results = book.load_results(PRESET)
for dataset, tag in (("mnist", "mnist"), ("fashion-mnist", "fmnist")):
    for method in ("bbb", "sgd"):
        book.glue(f"{method}_{tag}_90", report.accuracy_at(results[dataset][method], 0.9))
record = book.reproduce_record("paper")
book.glue("reproduce_minutes", record["total_seconds"] / 60 if record else float("nan"))
report.comparison_table(results["mnist"], "mnist", (0.0, 0.5, 0.75, 0.9))

# %% [markdown]
# For each model the table gives **our accuracy** (*ours*), the study's value and the
# difference. BBB is pruned by $|\mu|/\sigma$ and evaluated with the posterior mean (one
# deterministic pass) and with a 10-sample Monte Carlo ensemble.
#
# ## What you will learn
#
# | Chapter | What it covers |
# |---|---|
# | {doc}`prior` | The scale-mixture prior, why its spike-and-slab shape invites pruning; a live explorer. |
# | {doc}`bayes_by_backprop` | Variational posterior, reparameterisation, the Monte Carlo ELBO, minibatch KL weightings, blitz's layers and their traps; training curves. |
# | {doc}`baselines` | The SGD and dropout networks exactly as the study built them; training curves. |
# | {doc}`weights` | Weight distributions of all models; μ, σ and SNR of the Bayesian net. |
# | {doc}`pruning` | Global L1 pruning with `torch.nn.utils.prune`, SNR pruning, a live prune slider. |
# | {doc}`evaluation` | Tables 1 and 2 next to the study's, accuracy-vs-sparsity curves, training cost. |
# | {doc}`reproduction_notes` | Every defect of the study's code, demonstrated on the trained models. |
#
# ## How to run it
#
# * **Read** the rendered book: every page was executed from the committed full runs.
# * **Colab**: the rocket button at the top of each page opens the chapter in Colab; its first
#   (hidden) cell installs `bnntut` and the committed results. Choose a GPU runtime to retrain
#   quickly.
# * **Locally**: `pip install -r requirements.txt`, then `python -m bnntut reproduce --preset
#   paper` retrains everything ({glue:text}`reproduce_minutes:.0f` minutes for the committed
#   run on two CPU cores; the chapters load the committed results instantly instead). Set `BNNTUT_PRESET=quick` to run the chapters on a
#   tiny subset in seconds — those pages are then labelled QUICK MODE.
