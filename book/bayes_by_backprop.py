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
# # Bayes by Backprop

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
import copy

import torch
from blitz.modules import BayesianLinear
from torch.nn.utils import prune as torch_prune

from bnntut import bayes, book, plots

PRESET = book.start()

# %% [markdown]
# ## A distribution over every weight
#
# A Bayesian network does not learn one value per weight but a posterior distribution
# $P(w \mid \mathcal D)$. That posterior is intractable, so Bayes by Backprop
# {cite}`blundell2015weight` fits a diagonal Gaussian *variational posterior*
# $q(w \mid \theta)$ with $\theta = (\mu, \rho)$:
#
# $$
# q(w_j \mid \theta) = \mathcal N\!\left(w_j \mid \mu_j, \sigma_j^2\right), \qquad
# \sigma_j = \log\!\left(1 + e^{\rho_j}\right).
# $$
#
# The *softplus* keeps σ positive for any real ρ, so μ and ρ can be trained by plain gradient
# descent. Every weight (and bias) now has two trainable numbers: the network of this study
# has 648 010 parameters, so its Bayesian version trains 1 296 020.
#
# ## The objective
#
# θ is chosen to minimise the variational free energy (the negative ELBO)
#
# $$
# \mathcal F(\mathcal D, \theta) = \mathrm{KL}\left[q(w \mid \theta)\,\|\,P(w)\right]
# - \mathbb E_{q(w \mid \theta)}\left[\log P(\mathcal D \mid w)\right],
# $$
#
# a trade-off between staying close to the prior (previous chapter) and explaining the data.
# Neither term has a closed form with a mixture prior, so both are estimated by Monte Carlo
# with the **reparameterisation trick**: draw $\varepsilon \sim \mathcal N(0, I)$ and set
# $w = \mu + \sigma \circ \varepsilon$. Then $w$ is a differentiable function of $(\mu, \rho)$
# and backpropagation gives unbiased gradients:
#
# $$
# \begin{aligned}
# \mathcal F &\approx \frac1S \sum_{s=1}^{S} \Big[\log q(w^{(s)} \mid \theta) - \log P(w^{(s)})
# - \log P(\mathcal D \mid w^{(s)})\Big], \\
# w^{(s)} &= \mu + \sigma \circ \varepsilon^{(s)} .
# \end{aligned}
# $$
#
# ## What the study's code optimises
#
# Per minibatch $i$ of $M = 600$, the study's code uses $S = 2$ samples and
#
# $$
# \begin{aligned}
# \mathcal F_i &= \underbrace{-\sum_{n \in \text{batch}} \log \bar p(y_n \mid x_n)}_{\text{NLL, summed}}
# + \kappa_i \cdot \frac1S\sum_s \left[\log q(w^{(s)} \mid \theta) - \log P(w^{(s)})\right], \\
# \log \bar p &= \frac1S \sum_s \log \mathrm{softmax}\big(f(x; w^{(s)})\big),
# \end{aligned}
# $$
#
# i.e. it averages the *log*-probabilities of the two samples. `bnntut.bayes.study_objective`
# is exactly this; `bnntut.bayes.study_objective_reference` writes the same objective the
# straightforward way, and the tests check that both give the same values and gradients.

# %% [markdown]
# ## Weighting the complexity cost per minibatch
#
# Blundell et al. (their eq. 9) spread the KL term over the minibatches of an epoch with
# weights $\kappa_i = 2^{M-i}/(2^M-1)$, which sum to one: early minibatches are dominated by
# the prior, later ones by the data. The study's code uses $2^{M-i}/2^{M-1} = 2^{1-i}$
# instead — the same shape, but summing to **four**, so it weights the prior four times more.
# A third common choice is the uniform $1/M$.

# %%
fig = plots.kl_weights_figure(600)
first_zero = next(i for i in range(600) if bayes.kl_weight("paper", i, 600)
                  <= bayes.KL_WEIGHT_UNDERFLOW)
book.glue("first_zero", first_zero)
print("with the study's weighting, kappa_i is exactly 0 in float32")
print(f"from minibatch {first_zero} on")

# %% [markdown]
# Both exponential weightings fall below any meaningful size within a few dozen minibatches:
# $\kappa_{30} \approx 2 \cdot 10^{-9}$. From minibatch {glue:text}`first_zero` on, the
# study's $\kappa_i$ even rounds to
# exactly 0 in float32, so the complexity term and its gradient are exactly zero; `bnntut`
# skips computing it there (a bit-for-bit identical shortcut, documented and tested in
# `bnntut.bayes.KL_WEIGHT_UNDERFLOW`). In effect, three quarters of every epoch is plain
# maximum likelihood on noisy weights. The {doc}`reproduction_notes` chapter returns to this.
#
# ## Bayesian layers from blitz — and their traps
#
# `bnntut` builds its Bayesian network from `blitz`'s `BayesianLinear` layers
# {cite}`esposito2020blitz`, but two of blitz's defaults differ from the study: its prior is a
# single Gaussian (`prior_pi=1`) and its posterior starts at $\rho = -7$.
# `bnntut.models.bayesian_mlp` always passes the study's prior ($\pi = 0.5$, $\sigma_1 = 1$,
# $\sigma_2 = e^{-6}$) and initialisation ($\mu \sim U(-0.2, 0.2)$, $\rho \sim U(-5, -4)$).
#
# A `BayesianLinear` keeps its variational parameters **twice**: `layer.weight_mu` and
# `layer.weight_sampler.mu` are two distinct `nn.Parameter` objects that share one storage, and
# sampled forward passes read the sampler's. Three consequences, shown on a small layer:

# %%
torch.manual_seed(0)
layer = BayesianLinear(4, 3, prior_pi=0.5, prior_sigma_1=1.0,
                       prior_sigma_2=0.0025)
mu, sampler_mu = layer.weight_mu, layer.weight_sampler.mu
print("two objects:", mu is not sampler_mu)
print("one storage:", mu.data_ptr() == sampler_mu.data_ptr())

# 1. torch.nn.utils.prune masks `weight_mu` through a forward pre-hook ...
x = torch.rand(2, 4)
torch.manual_seed(1)
before = layer(x)
torch_prune.l1_unstructured(layer, "weight_mu", amount=0.75)
torch.manual_seed(1)
after = layer(x)
print("1. torch prune on weight_mu changes sampled outputs:",
      not torch.equal(before, after))

# 2. ... and copy.deepcopy unties the two objects (and fails after a forward pass).
fresh = BayesianLinear(4, 3)
clone = copy.deepcopy(fresh)
print("2. deepcopy keeps them tied:",
      clone.weight_mu.data_ptr() == clone.weight_sampler.mu.data_ptr())
fresh(x)
try:
    copy.deepcopy(fresh)
except RuntimeError as error:
    print("   deepcopy after a forward pass:", type(error).__name__)
    print("  ", str(error)[:60], "...")

# 3. Re-binding the attribute (the study's way of pruning) leaves the sampler's
#    tensor alone.
fresh.weight_mu = torch.nn.Parameter(torch.zeros(3, 4))
print("3. after re-binding, the sampler still reads the old values:",
      bool(fresh.weight_sampler.mu.abs().sum() > 0))

# %% [markdown]
# So `bnntut` never uses any of these: it prunes by writing $\mu = 0$ and $\rho = -\infty$
# ($\sigma = 0$) *in place* into the tensors the sampler reads (`bnntut.prune`), copies models by rebuilding them
# and loading the state dict (`bnntut.models.clone`), and tests that pruned weights are exact
# zeros inside every sampled forward pass.
#
# ## Training the Bayesian network
#
# The study's Figure 3 shows BBB's training loss on both datasets. Here are ours: the
# per-example NLL of the two-sample average (left) and the test accuracy of the posterior
# mean after each epoch (right).

# %%
results = book.load_results(PRESET, methods=["bbb"])
fig, axes = plots.figure(1, 2, height=3.2)
for dataset in ("mnist", "fashion-mnist"):
    history = results[dataset]["bbb"]["history"]
    epochs = [h["epoch"] for h in history]
    style = dict(color=plots.METHOD_COLORS["bbb"], ls=plots.DATASET_STYLES[dataset], lw=2,
                 label=plots.DATASET_LABELS[dataset])
    axes[0, 0].plot(epochs, [h["train_nll"] for h in history], **style)
    axes[0, 1].plot(epochs, [h["test_accuracy"] for h in history], **style)
axes[0, 0].set(yscale="log", xlabel="epoch", ylabel="training NLL per example",
               title="training loss")
axes[0, 1].set(xlabel="epoch", ylabel="test accuracy (posterior mean)", title="test accuracy")
plots.legend_below(fig)

# %% tags=["remove-input"]
from bnntut import report

rows = {}
for dataset in ("mnist", "fashion-mnist"):
    last = results[dataset]["bbb"]["history"][-1]
    rows[plots.DATASET_LABELS[dataset]] = {
        "epoch": str(last["epoch"]),
        "training NLL": report.number(last["train_nll"]),
        "test accuracy": report.number(last["test_accuracy"]),
        "weighted complexity per minibatch": report.number(last["complexity"], 1)}
report.frame(rows, "Dataset")

# %% [markdown]
# The weighted complexity cost per minibatch (last column) is an average over the epoch: it
# comes almost entirely from the first handful of minibatches, where $\kappa_i \ge 1$.
