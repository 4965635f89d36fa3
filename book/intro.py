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
# # Pruning Bayesian neural networks, checked
#
# {cite:t}`blundell2015weight` introduced **Bayes by Backprop** (BBB): a neural network
# whose every weight is a Gaussian distribution, trained by variational inference. Their
# Table 2 made a striking side claim: a BBB network still classifies MNIST almost as well
# after most of its weights are removed, if one removes those with the lowest
# *signal-to-noise ratio* $|\mu|/\sigma$. The study *Model compression using Bayesian Deep
# Learning* {cite}`prasad2022compression` set out to test that claim against the usual
# baselines — a network trained with Adam and dropout 0.01, which the study calls "SGD", and
# dropout networks {cite}`srivastava2014dropout` — all pruned without fine-tuning (global
# magnitude pruning {cite}`han2015learning` for the baselines, SNR for BBB). It reported that
# BBB keeps its accuracy where the baselines collapse. This book reproduces that study with
# a small companion package, `bnntut`, and checks it.
#
# **The answer, in short.** The study's headline comes from a bug: its pruning never reached
# the Bayesian network ({doc}`reproduction_notes`). Pruned correctly, BBB is not more
# prunable in general: on MNIST it leads the Adam + dropout 0.01 network (the study's "SGD")
# only when the biases are ranked together with the weights, as the study did, and on
# Fashion-MNIST it trails ({doc}`evaluation`). In our ablations the networks that pruned
# best had a complexity cost acting in every training step, Bayesian or not, so being
# Bayesian is not necessary here; that search gave BBB more settings than the deterministic
# nets, and an equal-budget comparison is under way ({doc}`prunability`). No run of this
# book, at the study's scale or at Blundell et al.'s, reached the error rates of their
# Table 2. {doc}`conclusions` gives the evidence.
#
# ## What you will learn
#
# * **Bayes by Backprop** from the ground up: the prior, the variational posterior, the
#   reparameterisation trick and the minibatch ELBO, derived and implemented in a few lines
#   each, then checked against a tested package;
# * how to **prune** a network — by magnitude, by signal-to-noise ratio — and how to test that
#   a pruning really reached the network;
# * how to **check a published result**: reproduce it, find the defects in its code, then make
#   the comparison fair with seeds, criteria on equal terms, fine-tuning and ablations, and
#   size each claim to its evidence.
#
# The book has two parts. **Learn** is the tutorial, to read in order in an evening:
#
# | Chapter | In one line |
# |---|---|
# | {doc}`prior` | The scale-mixture prior, why its spike-and-slab shape invites pruning; a live explorer. |
# | {doc}`bayes_by_backprop` | The variational posterior, reparameterisation and the minibatch ELBO, derived, then a BBB network trained and pruned in a loop you can copy. |
# | {doc}`toy` | Weight uncertainty on a toy problem, and the mean-field fit checked against an exact posterior. |
# | {doc}`baselines` | The study's deterministic networks (Adam + dropout) exactly as it built them. |
# | {doc}`weights` | Weight distributions of all models; μ, σ and SNR of the Bayesian net, and why σ barely moves. |
# | {doc}`pruning` | Global L1 pruning with `torch.nn.utils.prune`, SNR pruning, a live prune slider. |
# | {doc}`evaluation` | The study's Tables 1 and 2 next to ours, noise in a test accuracy, training cost. |
# | {doc}`conclusions` | The answer — does a Bayesian network prune better? — and what stays open. |
#
# **Check** holds the research notes behind the answer, each a chapter you may skip:
#
# | Chapter | In one line |
# |---|---|
# | {doc}`reproduction_notes` | Every defect of the study's code, demonstrated on the trained models. |
# | {doc}`fair_comparison` | Seeds, every pruning criterion, fine-tuning, three KL weightings. |
# | {doc}`prunability` | One factor of the study's protocol at a time: what makes SNR pruning work. |
# | {doc}`blundell_protocol` | Blundell et al.'s 2 × 1200 network and their Table 2: what our completion of their protocol gives, and what would test the gap. |
# | {doc}`uncertainty` | Calibration and out-of-distribution detection as the networks are pruned. |
# | {doc}`compression` | What pruning saves in bytes (sparse storage) and in milliseconds (sparse kernels). |
# | {doc}`gpu_study` | The study trained again on a GPU, and what a three-seed device check can see. |

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

# %% tags=["remove-cell"]
from bnnbook import book

PRESET = book.start()
record = book.reproduce_record("paper")
book.glue("reproduce_minutes",
          record["total_seconds"] / 60 if record else float("nan"))

# %% [markdown]
# Every number on these pages is computed from stored runs of the package's code and labelled
# with its basis (seed 0, or the mean of several seeds); none is typed by hand. The
# study's published tables stand next to ours in {doc}`evaluation` (Tables 1 and 2).
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
