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
# # Bayes by Backprop
#
# **What you will learn**
#
# - Why minimising $\mathrm{KL}[q(w \mid \theta)\,\|\,P(w \mid \mathcal D)]$ is minimising
#   the free energy, and why its gradient is backpropagation (checked against autograd).
# - How the complexity cost is split over minibatches: evenly, as Blundell et al. propose,
#   or as the study did.
# - How to write a Bayesian layer by hand, check it against blitz, and avoid blitz's traps.
# - How to train and prune it in a loop you can copy, and how far Adam lets σ move.

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
import copy
import math
import time

import torch
import torch.nn.functional as F
from blitz.modules import BayesianLinear
from torch import nn
from torch.nn.utils import prune as torch_prune

from bnnbook import book, plots, report
from bnntut import bayes, data, evaluate, fastmath, models, prune
from bnntut.noise import NoiseSource
from bnntut.presets import get_preset

PRESET = book.start()
SPEC = get_preset(PRESET).model_spec("bbb")   # the study's BBB net
PRIOR = (SPEC["prior_pi"], SPEC["prior_sigma1"], SPEC["prior_sigma2"])

# %% tags=["remove-cell"]
widths = [784, *SPEC["hidden"], 10]
n_weights = sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))
book.glue("n_weights", f"{n_weights:,}".replace(",", " "))
book.glue("n_variational", f"{2 * n_weights:,}".replace(",", " "))

# %% [markdown]
# ## A distribution over every weight
#
# A Bayesian network learns a posterior distribution $P(w \mid \mathcal D)$ over its
# weights. That posterior is intractable, so {cite:t}`hinton1993keeping` fitted a Gaussian
# to every weight, minimising the description length of the weights, and
# {cite:t}`graves2011practical` made this variational inference practical for large
# networks. Bayes by Backprop {cite}`blundell2015weight` fits such a diagonal Gaussian
# *variational posterior* $q(w \mid \theta)$ with $\theta = (\mu, \rho)$:
#
# $$
# q(w_j \mid \theta) = \mathcal N\!\left(w_j \mid \mu_j, \sigma_j^2\right), \qquad
# \sigma_j = \log\!\left(1 + e^{\rho_j}\right).
# $$
#
# The *softplus* keeps σ positive for any real ρ, so μ and ρ can be trained by plain
# gradient descent. The study's 784-500-500-10 network has {glue:text}`n_weights` weights
# and biases, so its Bayesian version trains {glue:text}`n_variational` numbers.
#
# ## From the posterior to the free energy
#
# We want the $\theta$ that brings $q = q(w \mid \theta)$ closest to the posterior in
# Kullback–Leibler divergence. Write the divergence as an expectation $\mathbb E_q$ over
# $w \sim q$ and replace the posterior by Bayes' rule,
# $P(w \mid \mathcal D) = P(\mathcal D \mid w)\,P(w) / P(\mathcal D)$:
#
# $$
# \begin{aligned}
# \mathrm{KL}\left[q \,\|\, P(w \mid \mathcal D)\right]
# &= \mathbb E_q\left[\log q - \log P(\mathcal D \mid w) - \log P(w)\right]
#    + \log P(\mathcal D) \\
# &= \underbrace{\mathbb E_q\left[\log q - \log P(w)\right]}_{
#    \mathrm{KL}\left[q \,\|\, P(w)\right]:\ \text{complexity cost}}
#    - \underbrace{\mathbb E_q\left[\log P(\mathcal D \mid w)\right]}_{
#    \text{likelihood}} + \log P(\mathcal D) \\
# &= \mathcal F(\mathcal D, \theta) + \log P(\mathcal D).
# \end{aligned}
# $$
#
# The evidence $\log P(\mathcal D)$ depends on neither $w$ nor $\theta$, so the $\theta$
# that minimises the KL divergence minimises the **variational free energy**
# $\mathcal F(\mathcal D, \theta)$: a trade-off between staying close to the prior (previous
# chapter) and explaining the data. $-\mathcal F$ is the *evidence lower bound* (ELBO;
# exercise 1 shows why).
#
# ## Reparameterisation, samples and gradients
#
# With a mixture prior neither term of $\mathcal F$ has a closed form, so Blundell et al.
# estimate both by Monte Carlo. The **reparameterisation trick** writes a sample of $q$ as a
# deterministic function of $\theta$ and parameter-free noise,
# $w = t(\theta, \varepsilon) = \mu + \log(1 + e^{\rho}) \circ \varepsilon$ with
# $\varepsilon \sim \mathcal N(0, I)$ ($\circ$: elementwise product). With $n$ samples
# $w^{(i)} = t(\theta, \varepsilon^{(i)})$, their eq. (2) is
#
# $$
# \mathcal F(\mathcal D, \theta) \approx \sum_{i=1}^{n} f(w^{(i)}, \theta), \qquad
# f(w, \theta) = \log q(w \mid \theta) - \log P(w) - \log P(\mathcal D \mid w)
# $$
#
# (the study averages $n = 2$ samples instead; a constant factor). As $\varepsilon$ does
# not depend on $\theta$, the gradient moves inside the expectation (their Proposition 1),
# and the chain rule through $w = t(\theta, \varepsilon)$, with
# $\partial w / \partial \mu = 1$ and $\partial w / \partial \rho = \varepsilon / (1 +
# e^{-\rho})$ (the logistic sigmoid), gives for one sample their eqs. (3)–(4):
#
# $$
# \begin{aligned}
# \Delta_\mu &= \frac{\partial f(w, \theta)}{\partial w}
#   + \frac{\partial f(w, \theta)}{\partial \mu}, \\
# \Delta_\rho &= \frac{\partial f(w, \theta)}{\partial w}\,
#   \frac{\varepsilon}{1 + e^{-\rho}} + \frac{\partial f(w, \theta)}{\partial \rho},
# \end{aligned}
# $$
#
# with $f$'s two arguments treated as independent. $\partial f / \partial w$ is what
# ordinary backpropagation computes for a network with weights $w$, hence the name. In code,
# with the two log-densities written out:

# %%
def softplus(rho):
    """σ = log(1 + e^ρ), elementwise."""
    return torch.log1p(torch.exp(rho))


def log_normal(x, mean, sd):
    """Elementwise log N(x; mean, sd²)."""
    sd = torch.as_tensor(sd, dtype=x.dtype)
    z = (x - mean) / sd
    return -0.5 * math.log(2 * math.pi) - torch.log(sd) - z**2 / 2


def log_mixture(w, pi, sigma1, sigma2):
    """Elementwise log of the prior π N(0, σ1²) + (1 − π) N(0, σ2²) at w."""
    return torch.logaddexp(math.log(pi) + log_normal(w, 0.0, sigma1),
                           math.log(1 - pi) + log_normal(w, 0.0, sigma2))


# %% [markdown]
# Eqs. (3)–(4) on a toy linear regression (three weights, eight points, the study's prior):
# `torch.autograd.grad` gives the partial derivatives of `f`, the formulas combine them, and
# autograd *through* the reparameterisation must give the same gradients.

# %%
f64 = dict(dtype=torch.float64)            # double precision for the check
torch.manual_seed(0)
x_toy = torch.randn(8, 3, **f64)                 # 8 inputs with 3 features
y_toy = x_toy @ torch.tensor([0.5, -1.0, 0.0], **f64)
y_toy = y_toy + 0.1 * torch.randn(8, **f64)      # noise of sd 0.1
mu = torch.tensor([0.2, -0.3, 0.1], **f64, requires_grad=True)
rho = torch.tensor([-3.0, -2.0, -4.0], **f64, requires_grad=True)
eps = torch.randn(3, **f64)


def f(w, mu, rho):
    """log q(w | θ) − log P(w) − log P(D | w), summed."""
    log_q = log_normal(w, mu, softplus(rho)).sum()
    log_prior = log_mixture(w, *PRIOR).sum()
    log_likelihood = log_normal(y_toy, x_toy @ w, 0.1).sum()
    return log_q - log_prior - log_likelihood


# Eqs. (3)-(4): partial derivatives, w, mu and rho independent variables.
w = (mu + softplus(rho) * eps).detach().requires_grad_()
df_dw, df_dmu, df_drho = torch.autograd.grad(f(w, mu, rho), (w, mu, rho))
with torch.no_grad():                             # the two formulas
    delta_mu = df_dw + df_dmu
    delta_rho = df_dw * eps / (1 + torch.exp(-rho)) + df_drho

# Autograd through the reparameterisation w = mu + softplus(rho) * eps.
w_of_theta = mu + softplus(rho) * eps
auto_mu, auto_rho = torch.autograd.grad(f(w_of_theta, mu, rho), (mu, rho))
print("Δμ by eq. (3):", delta_mu.numpy().round(4), "autograd:",
      auto_mu.numpy().round(4))
print("Δρ by eq. (4):", delta_rho.numpy().round(4), "autograd:",
      auto_rho.numpy().round(4))
gap = max((delta_mu - auto_mu).abs().max(),
          (delta_rho - auto_rho).abs().max())
print(f"largest difference: {gap:.1e}")

# %% tags=["remove-cell"]
assert torch.allclose(delta_mu, auto_mu, rtol=1e-10, atol=1e-10)
assert torch.allclose(delta_rho, auto_rho, rtol=1e-10, atol=1e-10)

# %% [markdown]
# ## Splitting the complexity cost over minibatches
#
# Training uses minibatches. Split the data into $M$ equal minibatches
# $\mathcal D_1, \dots, \mathcal D_M$; the examples are independent given $w$, so
# $\log P(\mathcal D \mid w) = \sum_{i} \log P(\mathcal D_i \mid w)$, and for **any**
# weights $\kappa_i$ with $\sum_i \kappa_i = 1$
#
# $$
# \mathcal F(\mathcal D, \theta) = \sum_{i=1}^{M} \mathcal F_i, \qquad
# \mathcal F_i = \kappa_i\, \mathrm{KL}\left[q \,\|\, P(w)\right]
# - \mathbb E_q\left[\log P(\mathcal D_i \mid w)\right].
# $$
#
# One epoch of steps on $\mathcal F_1, \dots, \mathcal F_M$ applies the complexity cost
# exactly once. The default is the even split, $\kappa_i = 1/M$. Blundell et al.'s eq. (9)
# allows any such weights (they write $\pi_i$; $\pi$ is our prior's weight), and the
# sentence after it reports that the scheme $\pi_i = 2^{M-i}/(2^M - 1)$ worked well: it
# halves from one minibatch to the next, so the complexity cost dominates the first
# minibatches of an epoch and the data the later ones. Both sum to 1 per epoch, so both
# minimise the same $\mathcal F$: they differ in the optimisation, not in the objective.
# The study's code deviated from both:
#
# | weighting | $\kappa_i$ | $i$ runs over | sum over an epoch |
# |---|---|---|---|
# | uniform, the even split (the default) | $\dfrac1M$ | $1, \dots, M$ | $1$ |
# | Blundell et al.'s scheme | $\dfrac{2^{M-i}}{2^M - 1}$ | $1, \dots, M$ | $1$ |
# | the study's code | $\dfrac{2^{M-i}}{2^{M-1}} = 2^{1-i}$ | $0, \dots, M-1$ | $4\,(1 - 2^{-M})$ |
#
# The study counts from $i = 0$ (its loop index; `bnntut.bayes.kl_weight` too), so its
# first minibatch gets $2$ and its second $1$. Minibatch for minibatch — the $k$-th of the
# epoch is Blundell's $i = k$ and the code's $i = k - 1$ — the study's weight is $2^{2-k}$
# against Blundell's $2^{M-k}/(2^M-1) \approx 2^{-k}$: **four times** as large, a factor two
# from counting from 0 and a factor two from dividing by $2^{M-1}$ instead of $2^M - 1$.
# The study thus applies the prior about four times per epoch, which does change the
# objective. For the study's $M$:

# %%
M = 600  # 60 000 training images, minibatches of 100
uniform = [1 / M] * M
blundell = [2 ** (M - i) / (2**M - 1) for i in range(1, M + 1)]  # i = 1..M
study = [2.0 ** (1 - i) for i in range(M)]  # i = 0..M-1
for name, kappa in {"uniform": uniform, "Blundell": blundell,
                    "study": study}.items():
    print(f"{name:8s} first three {[round(k, 4) for k in kappa[:3]]},",
          f"sum {sum(kappa):.6f}, κ ≥ 1 for {sum(k >= 1 for k in kappa)}")

# %% tags=["remove-cell"]
# The chapter's weightings are the package's kl_weight (0-based k = i - 1 for Blundell).
for k in range(M):
    assert math.isclose(blundell[k], bayes.kl_weight("blundell", k, M), rel_tol=1e-12)
    assert study[k] == bayes.kl_weight("paper", k, M)
    assert math.isclose(uniform[k], bayes.kl_weight("uniform", k, M), rel_tol=1e-15)
n_heavy = sum(k >= 1 for k in study)
first_zero = next(i for i in range(M) if study[i] <= bayes.KL_WEIGHT_UNDERFLOW)
book.glue("n_heavy", n_heavy)
book.glue("study_sum", sum(study))
book.glue("study_ratio", study[10] / blundell[10])
book.glue("first_share", report.percent(study[0] / sum(study)))
book.glue("heavy_share", report.percent(sum(study[:n_heavy]) / sum(study)))
book.glue("first_zero", first_zero)
book.glue("skipped_share", report.percent((M - first_zero) / M))

# %% [markdown]
# With the study's counting only {glue:text}`n_heavy` minibatches per epoch get
# $\kappa_i \ge 1$; they carry {glue:text}`heavy_share` of the epoch's complexity weight
# (the first alone {glue:text}`first_share`). From minibatch {glue:text}`first_zero` on,
# $\kappa_i$ rounds to exactly 0 in float32 (`bnntut` then skips the term): in effect
# {glue:text}`skipped_share` of every epoch is maximum likelihood on noisy weights
# ({doc}`reproduction_notes`; {doc}`fair_comparison` trains with all three weightings).

# %%
fig = plots.kl_weights_figure(M)

# %% [markdown]
# ## A Bayesian layer by hand
#
# Everything so far fits in one small module: four parameter tensors, a forward pass that
# draws $\varepsilon$ and forms $w = \mu + \mathrm{softplus}(\rho) \circ \varepsilon$, and the
# two log-densities of the sample that the complexity cost needs.

# %%
class BayesLinear(nn.Module):
    """y = x Wᵀ + b; every call draws W, b from N(μ, softplus(ρ)²)."""

    def __init__(self, n_in, n_out, spec=SPEC):
        super().__init__()

        def uniform(*shape, bounds):
            return nn.Parameter(torch.empty(shape).uniform_(*bounds))

        self.weight_mu = uniform(n_out, n_in, bounds=spec["mu_init"])
        self.weight_rho = uniform(n_out, n_in, bounds=spec["rho_init"])
        self.bias_mu = uniform(n_out, bounds=spec["mu_init"])
        self.bias_rho = uniform(n_out, bounds=spec["rho_init"])
        self.prior = (spec["prior_pi"], spec["prior_sigma1"],
                      spec["prior_sigma2"])

    def forward(self, x, eps_w=None, eps_b=None):
        if eps_w is None:          # ε ~ N(0, I): weights first, then biases
            eps_w = torch.randn_like(self.weight_mu)
            eps_b = torch.randn_like(self.bias_mu)
        w_sd, b_sd = softplus(self.weight_rho), softplus(self.bias_rho)
        w = self.weight_mu + w_sd * eps_w     # the reparameterisation trick
        b = self.bias_mu + b_sd * eps_b
        self.log_q = (log_normal(w, self.weight_mu, w_sd).sum()
                      + log_normal(b, self.bias_mu, b_sd).sum())
        self.log_p = (log_mixture(w, *self.prior).sum()
                      + log_mixture(b, *self.prior).sum())
        return F.linear(x, w, b)              # x @ w.T + b


# %% [markdown]
# A stack of these gives $\mathcal F_i$ as the study's code computes it: $S = 2$ weight
# samples, their *log*-probabilities averaged, and the KL divergence estimated by the
# sampled $\log q - \log P$ of eq. (2):
#
# $$
# \begin{aligned}
# \mathcal F_i = &-\sum_{n \in \text{batch}} \frac1S \sum_{s=1}^{S}
#   \log \mathrm{softmax}\big(f(x_n; w^{(s)})\big)_{y_n} \\
# &+ \kappa_i \cdot \frac1S\sum_{s=1}^{S} \left[\log q(w^{(s)} \mid \theta)
#   - \log P(w^{(s)})\right].
# \end{aligned}
# $$

# %%
def hand_objective(layers, x, y, noises, kappa):
    """The study's F_i;
    noises[2k], noises[2k + 1]: layer k's ε, (S, ...)."""
    log_probs, costs = [], []
    for s in range(noises[0].shape[0]):              # S weight samples
        h = x
        for k, layer in enumerate(layers):
            h = layer(h, noises[2 * k][s], noises[2 * k + 1][s])
            h = torch.relu(h) if k < len(layers) - 1 else h
        log_probs.append(F.log_softmax(h, dim=-1))
        costs.append(sum(layer.log_q - layer.log_p for layer in layers))
    nll = F.nll_loss(torch.stack(log_probs).mean(0), y, reduction="sum")
    return nll + kappa * torch.stack(costs).mean()


# %% [markdown]
# ## Checked against blitz
#
# Does the layer compute what blitz's `BayesianLinear` {cite}`esposito2020blitz` computes?
# Copy the hand layer's parameters into a blitz layer with the study's prior — into the
# sampler's tensors, which blitz's forward reads (see the traps below) — and draw the noise
# from the same seed (blitz, too, draws the weights' ε, then the biases'):

# %%
torch.manual_seed(0)
hand = BayesLinear(5, 3)
blitz_layer = BayesianLinear(5, 3, prior_pi=PRIOR[0],
                             prior_sigma_1=PRIOR[1], prior_sigma_2=PRIOR[2])
with torch.no_grad():
    for name in ("weight", "bias"):
        sampler = getattr(blitz_layer, f"{name}_sampler")
        sampler.mu.copy_(getattr(hand, f"{name}_mu"))
        sampler.rho.copy_(getattr(hand, f"{name}_rho"))

x = torch.rand(4, 5)
torch.manual_seed(1)
out_blitz = blitz_layer(x)
torch.manual_seed(1)
eps_w, eps_b = torch.randn(3, 5), torch.randn(3)   # what hand(x) would draw
out_hand = hand(x, eps_w, eps_b)
out_diff = (out_blitz - out_hand).abs().max()
print(f"sampled outputs, max |blitz − hand|: {out_diff:.1e}")

n = hand.weight_mu.numel() + hand.bias_mu.numel()    # 18 weights and biases
blitz_log_q = blitz_layer.log_variational_posterior
blitz_log_p = blitz_layer.log_prior
for term, mine, theirs in [("log q", hand.log_q, blitz_log_q),
                           ("log P", hand.log_p, blitz_log_p)]:
    print(f"{term}: hand {mine.item():8.4f}, blitz {theirs.item():8.4f},",
          f"blitz − hand {(theirs - mine).item():+.6f}, -n/2 = {-n / 2}")

# %% tags=["remove-cell"]
# Same ε and sampled forward, bit for bit; blitz's log-densities are the hand layer's plus
# -1/2 per entry (log q) and, for the prior, log(density + 1e-6) - 1/2 per entry.
assert torch.equal(eps_w, blitz_layer.weight_sampler.eps_w)
assert torch.equal(eps_b, blitz_layer.bias_sampler.eps_w)
assert torch.equal(out_blitz, out_hand)
assert math.isclose(blitz_log_q.item(), hand.log_q.item() - n / 2, rel_tol=1e-6,
                    abs_tol=1e-4)
_blitz_prior = sum((torch.log(torch.exp(log_mixture(s.w, *PRIOR)) + 1e-6) - 0.5).sum()
                   for s in (blitz_layer.weight_sampler, blitz_layer.bias_sampler))
assert math.isclose(blitz_layer.log_prior.item(), _blitz_prior.item(), rel_tol=1e-6,
                    abs_tol=1e-4)
_cost_gap = ((blitz_log_q - blitz_log_p) - (hand.log_q - hand.log_p)).item()
book.glue("blitz_out_diff", "0, bit for bit" if out_diff == 0 else f"{out_diff:.1e}")
book.glue("blitz_cost_gap", f"{_cost_gap:+.1e}")

# %% [markdown]
# The sampled outputs agree ({glue:text}`blitz_out_diff`); the log-densities do not quite.
# blitz adds $-\tfrac12$ to every entry's log-density, in $\log q$ and $\log P$ alike (these
# cancel), and $10^{-6}$ to the prior *density* "to prevent numeric problems", which shifts
# this layer's complexity cost by {glue:text}`blitz_cost_gap` nats. `bnntut` therefore keeps
# $\mu$ and $\rho$ in blitz's layers but computes the objective itself (`bnntut.bayes`).
#
# ## blitz's traps
#
# Two of blitz's defaults differ from the study: its prior is a single Gaussian
# (`prior_pi=1`) and its posterior starts at $\rho = -7$; `bnntut.models.bayesian_mlp`
# always passes the study's prior and initialisation. Worse, a `BayesianLinear` keeps its
# variational parameters **twice**: `layer.weight_mu` and `layer.weight_sampler.mu` are two
# distinct `nn.Parameter` objects over one storage, and sampled forward passes read the
# sampler's. Three consequences, on a small layer:

# %%
torch.manual_seed(0)
layer = BayesianLinear(4, 3, prior_pi=PRIOR[0], prior_sigma_1=PRIOR[1],
                       prior_sigma_2=PRIOR[2])
mu, sampler_mu = layer.weight_mu, layer.weight_sampler.mu
print("two objects:", mu is not sampler_mu, "| one storage:",
      mu.data_ptr() == sampler_mu.data_ptr())

# 1. torch.nn.utils.prune masks `weight_mu` through a forward pre-hook ...
x = torch.rand(2, 4)
torch.manual_seed(1)
before = layer(x)
torch_prune.l1_unstructured(layer, "weight_mu", amount=0.75)
torch.manual_seed(1)
after = layer(x)
print("1. torch prune on weight_mu changes sampled outputs:",
      not torch.equal(before, after))

# 2. ... and copy.deepcopy unties the two objects (and fails after a
#    forward pass).
fresh = BayesianLinear(4, 3)
clone = copy.deepcopy(fresh)
print("2. deepcopy keeps them tied:",
      clone.weight_mu.data_ptr() == clone.weight_sampler.mu.data_ptr())
fresh(x)
try:
    copy.deepcopy(fresh)
except RuntimeError as error:
    print("   deepcopy after a forward pass:", type(error).__name__)

# 3. Re-binding the attribute (the study's way of pruning) leaves the
#    sampler's tensor alone.
fresh.weight_mu = torch.nn.Parameter(torch.zeros(3, 4))
print("3. after re-binding, the sampler still reads the old values:",
      bool(fresh.weight_sampler.mu.abs().sum() > 0))

# %% [markdown]
# So `bnntut` prunes by writing $\mu = 0$ and $\rho = -\infty$ *in place* into the
# sampler's tensors (`bnntut.prune`) and copies models through their state dict
# (`bnntut.models.clone`). The hand layer, too, cannot be deep-copied after a forward pass
# (it keeps `log_q`, part of the autograd graph): copy its `state_dict`, not the layer.
#
# ## Training the layers
#
# Train two hand layers, 784-100-10, on a stratified MNIST subset with the even split
# $\kappa_i = 1/M$, two weight samples per step, and Adam {cite}`kingma2015adam` at ten
# times the study's learning rate, as the run is short (next section). Seeded, one CPU core:

# %%
N_TRAIN, N_TEST = 10_000, 10_000
HIDDEN, EPOCHS, BATCH, LR = 100, 10, 100, 1e-3
mnist = data.load("mnist", subset=(N_TRAIN, N_TEST))  # reads $BNNTUT_DATA
M = N_TRAIN // BATCH                                 # minibatches per epoch


@torch.no_grad()
def accuracy(layers, x, y):
    """Test accuracy of the posterior mean (every weight at its μ)."""
    h = x
    for k, layer in enumerate(layers):
        h = F.linear(h, layer.weight_mu, layer.bias_mu)
        h = torch.relu(h) if k < len(layers) - 1 else h
    return (h.argmax(1) == y).float().mean().item()


# %%
torch.set_num_threads(1)                             # one CPU core
torch.manual_seed(0)                                 # init and ε
order = torch.Generator().manual_seed(0)             # minibatch order
layers = nn.ModuleList([BayesLinear(784, HIDDEN), BayesLinear(HIDDEN, 10)])
optimizer = torch.optim.Adam(layers.parameters(), lr=LR)
start, start_cpu = time.perf_counter(), time.process_time()
for epoch in range(EPOCHS):
    perm = torch.randperm(N_TRAIN, generator=order)
    total = 0.0
    for i in range(M):
        idx = perm[i * BATCH:(i + 1) * BATCH]
        xb, yb = mnist.x_train[idx], mnist.y_train[idx]
        noises = [torch.randn(2, *p.shape) for layer in layers  # ε, S = 2
                  for p in (layer.weight_mu, layer.bias_mu)]
        loss = hand_objective(layers, xb, yb, noises, 1 / M)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    acc = accuracy(layers, mnist.x_test, mnist.y_test)
    print(f"epoch {epoch + 1:2d}: mean F_i {total / M:7.1f},",
          f"test accuracy {acc:.4f}")
wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
print(f"{EPOCHS} epochs of {M} steps: {wall:.0f} s of wall time",
      f"({cpu:.0f} s of CPU time)")

# %% [markdown]
# ## How far σ can move
#
# Pruning by $|\mu|/\sigma$ (next section) learns something from σ only if σ has moved
# from its random start, $\rho \sim U(-5, -4)$, σ between {glue:text}`sigma_low:.4f` and
# {glue:text}`sigma_high:.4f`; otherwise it ranks $|\mu|$ divided by noise. Adam moves each parameter by about the learning rate $\eta$
# per step *whatever the size of its gradient* ({doc}`prunability` shows why), so after $T$
# steps $\rho$ has moved by at most about $\eta T$: a **step-size budget**, and
# $\sigma \le \mathrm{softplus}(-4 + \eta T)$.

# %%
rho_init = torch.tensor(SPEC["rho_init"])            # (-5, -4)
steps = EPOCHS * M
budget = LR * steps                                  # Adam: ≈ lr per step
sigma = torch.cat([softplus(m.weight_rho).flatten() for m in layers])
ceiling = softplus(rho_init[1] + budget).item()
print("σ at initialisation:", softplus(rho_init).numpy().round(4))
print(f"budget {LR} × {steps} steps = {budget:g}: σ ≤ {ceiling:.4f}")
print(f"trained σ: {sigma.min():.4f} to {sigma.max():.4f}")

# %% tags=["remove-cell"]
paper = get_preset("paper").train
study_steps = paper["epochs"] * (60_000 // paper["batch_size"])
for key, value in {
        "sigma_low": softplus(rho_init[0]).item(), "sigma_max": sigma.max().item(),
        "sigma_high": softplus(rho_init[1]).item(), "sigma_ceiling": ceiling,
        "study_lr": f"{paper['lr']:g}", "study_budget": paper["lr"] * study_steps,
        "study_steps": f"{study_steps:,}".replace(",", " "),
        "study_ceiling": softplus(rho_init[1] + paper["lr"] * study_steps).item()}.items():
    book.glue(key, value)
# The largest σ reached the ceiling and not beyond: Adam's step size was the limit.
assert 0.95 * ceiling < sigma.max().item() <= 1.01 * ceiling

# %% [markdown]
# The largest trained σ ({glue:text}`sigma_max:.4f`) sits at the ceiling
# ({glue:text}`sigma_ceiling:.4f`): its $\rho$ was pushed up in every step, and Adam let it
# go no faster. The study's $\eta =$ {glue:text}`study_lr` and {glue:text}`study_steps`
# steps give a budget of {glue:text}`study_budget:.0f`, so its σ can reach at most
# {glue:text}`study_ceiling:.2f`; {doc}`weights` shows where they ended.
#
# ## Pruning by signal-to-noise ratio
#
# {cite:t}`graves2011practical` and Blundell et al. prune the weights whose posterior is
# least distinguishable from zero: the lowest signal-to-noise ratio $|\mu|/\sigma$. A pruned
# weight gets $\mu = 0$ and $\sigma = 0$ ($\rho = -\infty$), in the tensors the forward pass
# reads, so every sample of it is exactly 0. Ranked over all weights and biases (posterior
# mean, seed 0):

# %%
@torch.no_grad()
def prune_snr(layers, fraction):
    """Set μ = 0 and σ = 0 (ρ = −∞), in place, for the `fraction` of all
    weights and biases with the lowest |μ|/σ."""
    pairs = [(layer.weight_mu, layer.weight_rho) for layer in layers]
    pairs += [(layer.bias_mu, layer.bias_rho) for layer in layers]
    snr = [mu.abs() / softplus(rho) for mu, rho in pairs]
    k = round(fraction * sum(s.numel() for s in snr))
    if k == 0:
        return
    cut = torch.cat([s.flatten() for s in snr]).kthvalue(k).values
    for (mu, rho), s in zip(pairs, snr):
        mu[s <= cut] = 0.0
        rho[s <= cut] = -math.inf                    # softplus(−∞) = 0


trained = copy.deepcopy(layers.state_dict())
pruned_accuracy = {}
for fraction in (0.0, 0.5, 0.9, 0.95):
    layers.load_state_dict(trained)
    prune_snr(layers, fraction)
    pruned_accuracy[fraction] = accuracy(layers, mnist.x_test, mnist.y_test)
    print(f"{fraction:4.0%} removed: test accuracy",
          f"{pruned_accuracy[fraction]:.4f}")
_ = layers.load_state_dict(trained)

# %% [markdown]
# {doc}`pruning` runs the same sweep on the study's 784-500-500-10 networks, and
# {doc}`prunability` asks when $|\mu|/\sigma$ ranks better than $|\mu|$ alone.
#
# ## The same loop in `bnntut`
#
# `bnntut.train.fit` is the same loop with the speed-ups and bookkeeping a 50-epoch run
# needs. The run above would read
#
# ```python
# from bnntut import models, train
#
# net = models.build({**SPEC, "hidden": [HIDDEN]})
# history = train.fit(net, mnist, epochs=EPOCHS, batch_size=BATCH, lr=LR,
#                     kl_weighting="uniform", seed=0,
#                     checkpoint_path="bbb-hand.pt")
# ```
#
# What differs: the objective, `bnntut.bayes.study_objective`, puts both samples in one
# batched matrix product with fused kernels for σ, the sample and the prior, and skips the
# complexity cost where $\kappa_i$ rounds to 0; noise and order come from their own seeded
# generators; and every epoch ends with a test accuracy and a checkpoint (model, optimiser,
# every generator) from which an interrupted run resumes bit for bit. A hidden cell copies
# the trained layers into such a `net` and checks, in float64 on one minibatch and the same
# noise, that the hand objective with $\kappa = 1/M$ equals `study_objective` with the
# uniform weighting (relative difference {glue:text}`objective_rel`) with the same gradients,
# and that `bnntut.prune.snr` gives the pruned accuracies above.

# %% tags=["remove-cell"]
# The hand loop's objective and pruning are bnntut's: one minibatch, the same noise.
net = models.build({**SPEC, "hidden": [HIDDEN]}).double()
layers.double()
params = [p for layer in layers for p in (layer.weight_mu, layer.weight_rho,
                                          layer.bias_mu, layer.bias_rho)]
with torch.no_grad():
    for value, tensor in zip(params, bayes.variational_parameters(net)):
        tensor.copy_(value)
xb, yb = mnist.x_train[:BATCH].double(), mnist.y_train[:BATCH]
noises = bayes.draw_noise(net, 2, NoiseSource(0))
assert bayes.kl_weight("uniform", 0, M) == 1 / M
mine = hand_objective(layers, xb, yb, noises, 1 / M)
_was = fastmath.compile_enabled()
fastmath.set_compile(False)          # eager: the book build compiles nothing
try:
    package, _, _ = bayes.study_objective(net, xb, yb, noises, 1 / M)
    package_grads = torch.autograd.grad(package, bayes.variational_parameters(net))
finally:
    fastmath.set_compile(_was)
relative = abs(mine.item() / package.item() - 1)
assert relative < 1e-12
for _a, _b in zip(torch.autograd.grad(mine, params), package_grads):
    torch.testing.assert_close(_a, _b, rtol=1e-9, atol=1e-9)
layers.float()
net.float()
for fraction, acc in pruned_accuracy.items():
    _pruned = prune.snr(net, fraction)
    assert evaluate.accuracy(_pruned, mnist.x_test, mnist.y_test) == acc, fraction
book.glue("objective_rel", "0 in float64" if relative == 0 else f"{relative:.0e}")

# %% [markdown]
# ## The study's network, trained
#
# The study's Figure 3 shows BBB's training loss. Ours, by the study's protocol (weighting
# $2^{1-i}$, $\eta =$ {glue:text}`study_lr`, seed 0): the per-example NLL of the two-sample
# average (left) and the test accuracy of the posterior mean (right).

# %%
results = book.load_results(PRESET, methods=["bbb"])
fig = plots.curves_figure(results)

# %% tags=["remove-cell"]
batch_size = get_preset(PRESET).train["batch_size"]
for dataset, key in (("mnist", "mnist"), ("fashion-mnist", "fashion")):
    last = results[dataset]["bbb"]["history"][-1]
    book.glue(f"acc_{key}", f"{100 * last['test_accuracy']:.2f} %")
    book.glue(f"complexity_{key}", f"{last['complexity']:,.0f}".replace(",", " "))
    book.glue(f"nll_batch_{key}", f"{batch_size * last['train_nll']:.2f}")
book.glue("epochs", results["mnist"]["bbb"]["history"][-1]["epoch"])

# %% [markdown]
# The training NLL keeps falling while the test accuracy levels off, at
# {glue:text}`acc_mnist` on MNIST and {glue:text}`acc_fashion` on Fashion-MNIST after
# {glue:text}`epochs` epochs. In the last epoch the weighted complexity cost averaged
# {glue:text}`complexity_mnist` nats per MNIST minibatch against a summed NLL of
# {glue:text}`nll_batch_mnist` nats, {glue:text}`heavy_share` of it from the first
# {glue:text}`n_heavy` minibatches of each epoch.
#
# ## Key takeaways
#
# - Minimising $\mathrm{KL}[q \,\|\, P(w \mid \mathcal D)]$ is minimising the free energy
#   $\mathcal F$, because the evidence does not depend on $\theta$. With
#   $w = \mu + \log(1 + e^\rho)\,\varepsilon$ its gradient is ordinary backpropagation:
#   Blundell et al.'s eqs. (3)–(4) are the chain rule.
# - Every minibatch weighting that sums to 1 per epoch minimises the same $\mathcal F$: the
#   even split $1/M$ and Blundell et al.'s halving scheme differ only in the optimisation.
#   The study's $2^{1-i}$, counted from 0, applies the complexity cost about four times per
#   epoch, most of it in the first {glue:text}`n_heavy` minibatches.
# - A Bayesian layer is about 30 lines. blitz's gives the same sampled outputs, but adds
#   $10^{-6}$ to the prior density, and its two aliases of every $\mu$ make
#   `torch.nn.utils.prune` and `copy.deepcopy` silently wrong: prune in the tensors the
#   forward pass reads.
# - The training loop is the free energy written down. Adam moves $\rho$ by about $\eta$ per
#   step, so ρ travels at most about $\eta T$ from its random start, and $|\mu|/\sigma$ can rank
#   weights only by what σ learnt within that budget.
#
# ## Exercises
#
# 1. **The evidence lower bound.** Show that $-\mathcal F(\mathcal D, \theta) \le
#    \log P(\mathcal D)$ for every $\theta$, and say when equality holds.
#
# :::{admonition} Solution
# :class: dropdown
# The derivation above gives $\log P(\mathcal D) = -\mathcal F(\mathcal D, \theta) +
# \mathrm{KL}[q(w \mid \theta)\,\|\,P(w \mid \mathcal D)]$. A KL divergence is never
# negative (Gibbs' inequality), so $\log P(\mathcal D) \ge -\mathcal F$, with equality
# exactly when $q(w \mid \theta)$ equals the posterior almost everywhere — which a diagonal
# Gaussian cannot do for a neural network.
# :::
#
# 2. **The gradient of the entropy term.** Take only $f_q(w, \theta) = \log q(w \mid \theta)$
#    for one weight. Derive $\partial f_q/\partial w$, $\partial f_q/\partial \mu$ and
#    $\partial f_q/\partial \rho$ (with $w$ held fixed), then $\Delta_\mu$ and $\Delta_\rho$
#    from eqs. (3)–(4). What does this term do to $\mu$ and to $\sigma$ during training?
#
# :::{admonition} Solution
# :class: dropdown
# With $\log q = -\tfrac12 \log 2\pi - \log\sigma - (w - \mu)^2 / (2\sigma^2)$,
# $\sigma'(\rho) = 1/(1 + e^{-\rho})$ and, at the sample, $w - \mu = \sigma\varepsilon$:
#
# $$
# \begin{aligned}
# \frac{\partial f_q}{\partial w} &= -\frac{\varepsilon}{\sigma}, \qquad
# \frac{\partial f_q}{\partial \mu} = \frac{\varepsilon}{\sigma}, \\
# \frac{\partial f_q}{\partial \rho} &= \sigma'(\rho)\left(-\frac1\sigma
#   + \frac{(w - \mu)^2}{\sigma^3}\right) = \sigma'(\rho)\,\frac{\varepsilon^2 - 1}{\sigma}.
# \end{aligned}
# $$
#
# So $\Delta_\mu = -\varepsilon/\sigma + \varepsilon/\sigma = 0$ and
#
# $$
# \Delta_\rho = -\frac{\varepsilon}{\sigma}\,\varepsilon\,\sigma'(\rho) +
# \sigma'(\rho)\,\frac{\varepsilon^2 - 1}{\sigma} = -\frac{\sigma'(\rho)}{\sigma}
# $$
#
# whatever $\varepsilon$ is. The entropy term never moves $\mu$, and as its gradient in
# $\rho$ is always negative, gradient descent always increases $\sigma$: it pushes every
# weight to be as uncertain as the prior and the likelihood allow. (The cell below checks
# it.)
# :::

# %% tags=["hide-cell"]
# Exercise 2: for log q alone, Δμ = 0 and Δρ = -sigmoid(ρ)/σ for every ε.
rho_1 = torch.tensor([-4.0, -1.0, 0.5], **f64, requires_grad=True)
mu_1 = torch.zeros(3, **f64, requires_grad=True)
w_1 = mu_1 + softplus(rho_1) * torch.randn(3, **f64)
log_q_1 = log_normal(w_1, mu_1, softplus(rho_1)).sum()
d_mu, d_rho = torch.autograd.grad(log_q_1, (mu_1, rho_1))
print("Δμ:", d_mu.numpy(), "Δρ:", d_rho.numpy().round(6), "-sigmoid(ρ)/σ:",
      (-torch.sigmoid(rho_1) / softplus(rho_1)).detach().numpy().round(6))
assert torch.allclose(d_mu, torch.zeros(3, **f64), atol=1e-12)
assert torch.allclose(d_rho, -torch.sigmoid(rho_1) / softplus(rho_1))

# %% [markdown]
# 3. **Counting the minibatches.** What would $\sum_i 2^{1-i}$ be, and how many minibatches
#    would get $\kappa_i \ge 1$, had the study counted from $i = 1$ as Blundell et al. do?
#
# :::{admonition} Solution
# :class: dropdown
# A geometric series: counted from 0, $\sum_{i=0}^{M-1} 2^{1-i} = 2 \cdot
# \frac{1 - 2^{-M}}{1 - 1/2} = 4\,(1 - 2^{-M})$, and two minibatches ($\kappa_0 = 2$,
# $\kappa_1 = 1$) get $\kappa_i \ge 1$. Counted from 1, every weight halves:
# $\sum_{i=1}^{M} 2^{1-i} = 2\,(1 - 2^{-M})$, and only the first ($\kappa_1 = 1$) gets
# $\kappa_i \ge 1$ — still twice Blundell et al.'s scheme, minibatch for minibatch.
# :::
#
# 4. **The local reparameterisation trick.** For one input row $x$, each output of the layer,
#    $a_j = \sum_k x_k w_{jk} + b_j$, is a sum of independent Gaussians, so
#    $a_j \sim \mathcal N(\gamma_j, \delta_j)$ with $\gamma = x\,\mu_W^\top + \mu_b$ and
#    $\delta = x^2\,(\sigma_W^2)^\top + \sigma_b^2$ (squares elementwise).
#    {cite:t}`kingma2015variational` sample $a$ directly instead of $w$: one draw per
#    example, and less variance in the gradient. Write `lrt_forward(layer, x, n)` that
#    returns $n$ such draws for `BayesLinear`, and check that their mean and variance match
#    those of $n$ sampled forward passes of the layer.

# %% tags=["hide-cell"]
# Exercise 4: the local reparameterisation trick for the hand layer.
def lrt_forward(layer, x, n):
    """n draws of the layer's outputs, sampled directly: (n, batch, out)."""
    w_sd, b_sd = softplus(layer.weight_rho), softplus(layer.bias_rho)
    gamma = F.linear(x, layer.weight_mu, layer.bias_mu)   # mean
    delta = F.linear(x**2, w_sd**2, b_sd**2)              # variance
    zeta = torch.randn(n, *gamma.shape, dtype=x.dtype)
    return gamma + delta.sqrt() * zeta


torch.manual_seed(3)
layer4 = BayesLinear(5, 3).double().requires_grad_(False)
layer4.weight_rho.fill_(-1.0)                  # σ ≈ 0.31: visible noise
x4, draws = torch.rand(4, 5, dtype=torch.float64), 4000
lrt = lrt_forward(layer4, x4, draws)
weight_space = torch.stack([layer4(x4) for _ in range(draws)])
standard_error = weight_space.std(0).max() / math.sqrt(draws)
mean_gap = (lrt.mean(0) - weight_space.mean(0)).abs().max()
ratio = lrt.var(0) / weight_space.var(0)
print(f"max |mean gap| {mean_gap:.4f},",
      f"standard error {standard_error:.4f},",
      f"variance ratio {ratio.min():.3f} – {ratio.max():.3f}")
assert mean_gap < 5 * standard_error and (ratio - 1).abs().max() < 0.15
