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
# Table 2 claimed that a BBB network classifies MNIST almost as well after most of its
# weights are removed, those with the lowest *signal-to-noise ratio* $|\mu|/\sigma$. The
# study *Model compression using Bayesian Deep Learning* {cite}`prasad2022compression` tested
# that claim against a network trained with Adam and dropout 0.01, which it calls "SGD", and
# dropout networks {cite}`srivastava2014dropout`, all pruned without fine-tuning (magnitude
# pruning {cite}`han2015learning` for the baselines). This book reproduces the study with a
# small package, `bnntut`, and checks it.
#
# **In short**, the study's headline comes from a bug: its pruning never reached the
# Bayesian network ({doc}`reproduction_notes`). Pruned correctly, BBB is not more prunable in
# general: it leads the "SGD" net on MNIST only when the biases are ranked with the weights,
# as the study did, and trails on Fashion-MNIST ({doc}`evaluation`). The networks that
# pruned best had a complexity cost acting in every training step, Bayesian or not, and an
# equal search chosen on held-out images finds no evidence that being Bayesian helps
# ({doc}`prunability`). No run, at the study's scale
# or at Blundell et al.'s, reached the error rates of their Table 2.
# {doc}`conclusions` gives the evidence.
#
# ## What you will learn
#
# * **Bayes by Backprop** from the ground up — prior, variational posterior,
#   reparameterisation, minibatch ELBO — each in a few lines, checked against a tested
#   package;
# * how to **prune** a network by magnitude or by signal-to-noise ratio, and test that the
#   pruning reached it;
# * how to **check a published result**: reproduce it, find its defects, make the comparison
#   fair, and size each claim to its evidence.
#
# **Learn** is the tutorial, to read in order in an evening:
#
# | Chapter | In one line |
# |---|---|
# | {doc}`prior` | The scale-mixture prior, why its spike-and-slab shape invites pruning; a live explorer. |
# | {doc}`bayes_by_backprop` | The variational posterior and the minibatch ELBO derived, then a BBB network trained and pruned in a loop you can copy. |
# | {doc}`toy` | Weight uncertainty on a toy problem, and the mean-field fit checked against an exact posterior. |
# | {doc}`baselines` | The study's deterministic networks (Adam + dropout) exactly as it built them. |
# | {doc}`weights` | Weight distributions of all models; μ, σ and SNR of the Bayesian net, and why σ barely moves. |
# | {doc}`pruning` | Global L1 pruning with `torch.nn.utils.prune`, SNR pruning, a live prune slider. |
# | {doc}`evaluation` | The study's Tables 1 and 2 next to ours, noise in a test accuracy, training cost. |
# | {doc}`conclusions` | The answer — does a Bayesian network prune better? — and what stays open. |
#
# **Check** holds the research notes behind the answer; skip any of them:
#
# | Chapter | In one line |
# |---|---|
# | {doc}`reproduction_notes` | Every defect of the study's code, demonstrated on the trained models. |
# | {doc}`fair_comparison` | Seeds, every pruning criterion, fine-tuning, three KL weightings. |
# | {doc}`prunability` | One factor of the study's protocol at a time: what makes SNR pruning work. |
# | {doc}`blundell_protocol` | Blundell et al.'s 2 × 1200 network against their Table 2, and what would test the gap. |
# | {doc}`uncertainty` | Calibration and out-of-distribution detection as the networks are pruned. |
# | {doc}`compression` | What pruning saves in bytes and in milliseconds. |
# | {doc}`gpu_study` | The study trained again on a GPU, and what a three-seed device check can see. |

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

# %% tags=["remove-cell"]
from bnnbook import book

PRESET = book.start()
record = book.reproduce_record("paper")
book.glue("reproduce_minutes",
          record["total_seconds"] / 60 if record else float("nan"))

# %% [markdown]
# Every number on these pages is computed by the package's code, none typed by hand, and
# labelled with its basis (seed 0, or a mean over seeds).
#
# ## How to run it
#
# * **Read** the rendered book, or open a chapter in **Colab** with the rocket button.
# * **Locally**: `pip install -r requirements.txt`. The chapters load the committed results;
#   `python -m bnntut reproduce --preset paper` retrains the study's ten models
#   ({glue:text}`reproduce_minutes:.0f` minutes on two CPU cores), and `BNNTUT_PRESET=quick`
#   runs every chapter on a tiny subset, labelled QUICK MODE.
