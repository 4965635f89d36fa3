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
#
# **What you will learn**
#
# - Why minimising $\mathrm{KL}[q(w \mid \theta)\,\|\,P(w \mid \mathcal D)]$ is the same as
#   minimising the variational free energy, and how the reparameterisation trick turns its
#   gradient into ordinary backpropagation (Blundell et al.'s eqs. 2–4, checked against
#   autograd).
# - How the complexity cost is split over the minibatches of an epoch — Blundell's
#   weighting, the study's (four times larger, minibatch for minibatch, and counted from
#   0) and the uniform one — and how few minibatches actually carry it.
# - How to write a Bayesian linear layer in about 30 lines, and that it computes the same
#   sampled forward pass as blitz's `BayesianLinear` and the same objective as `bnntut`.
# - Which traps blitz's layers hide, and what training the study's Bayesian network looks
#   like.

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

import torch
import torch.nn.functional as F
from blitz.modules import BayesianLinear
from torch import nn
from torch.nn.utils import prune as torch_prune

from bnnbook import book, plots, report
from bnntut import bayes, fastmath, models
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
# The *softplus* keeps σ positive for any real ρ, so μ and ρ can be trained by plain
# gradient descent. Every weight (and bias) now has two trainable numbers: the study's
# 784-500-500-10 network has {glue:text}`n_weights` parameters, so its Bayesian version
# trains {glue:text}`n_variational`.
#
# ## From the posterior to the free energy
#
# We want the $\theta$ that brings $q(w \mid \theta)$ closest to the posterior in
# Kullback–Leibler divergence. Write $q$ for $q(w \mid \theta)$ and $\mathbb E_q$ for an
# expectation over $w \sim q$, write the KL divergence as such an expectation, and replace
# the posterior by Bayes' rule,
# $P(w \mid \mathcal D) = P(\mathcal D \mid w)\,P(w) / P(\mathcal D)$:
#
# $$
# \begin{aligned}
# \mathrm{KL}\left[q \,\|\, P(w \mid \mathcal D)\right]
# &= \mathbb E_q\left[\log q - \log P(w \mid \mathcal D)\right] \\
# &= \mathbb E_q\left[\log q - \log P(\mathcal D \mid w) - \log P(w)\right]
#    + \log P(\mathcal D) \\
# &= \underbrace{\mathbb E_q\left[\log q - \log P(w)\right]}_{
#    \mathrm{KL}\left[q \,\|\, P(w)\right]}
#    - \mathbb E_q\left[\log P(\mathcal D \mid w)\right] + \log P(\mathcal D) \\
# &= \mathcal F(\mathcal D, \theta) + \log P(\mathcal D).
# \end{aligned}
# $$
#
# The evidence $\log P(\mathcal D)$ does not depend on $\theta$ (and, not depending on $w$
# either, it came out of the expectation), so the $\theta$ that minimises the
# KL divergence is the one that minimises the **variational free energy**
#
# $$
# \mathcal F(\mathcal D, \theta) = \underbrace{\mathrm{KL}\left[q(w \mid \theta)\,\|\,P(w)\right]}_{
# \text{complexity cost}}
# - \underbrace{\mathbb E_{q(w \mid \theta)}\left[\log P(\mathcal D \mid w)\right]}_{
# \text{likelihood cost, with a minus}},
# $$
#
# a trade-off between staying close to the prior (previous chapter) and explaining the
# data. $-\mathcal F$ is the *evidence lower bound* (ELBO; exercise 1 shows why).
#
# ## Reparameterisation, samples and gradients
#
# Neither term of $\mathcal F$ has a closed form with a mixture prior, so Blundell et al.
# estimate both by Monte Carlo. The **reparameterisation trick** writes a sample of $q$ as a
# deterministic function of $\theta$ and parameter-free noise:
#
# $$
# w = t(\theta, \varepsilon) = \mu + \log\!\left(1 + e^{\rho}\right) \circ \varepsilon,
# \qquad \varepsilon \sim \mathcal N(0, I),
# $$
#
# ($\circ$ is the elementwise product). With $n$ samples $w^{(i)} = t(\theta,
# \varepsilon^{(i)})$, their eq. (2) is
#
# $$
# \mathcal F(\mathcal D, \theta) \approx \sum_{i=1}^{n} \log q(w^{(i)} \mid \theta)
# - \log P(w^{(i)}) - \log P(\mathcal D \mid w^{(i)}),
# $$
#
# written, as in the paper, as a sum: it is $n$ times the sample average, a constant factor
# that only rescales the gradient (the study's code takes the average of $n = 2$ samples).
# Each term is $f(w, \theta) = \log q(w \mid \theta) - \log P(w) - \log P(\mathcal D \mid w)$.
# Because $\varepsilon$ does not depend on $\theta$, the gradient can move inside the
# expectation (their Proposition 1), and the chain rule through $w = t(\theta,
# \varepsilon)$ gives
#
# $$
# \frac{\partial}{\partial \theta}\,\mathbb E_{q(w \mid \theta)}\left[f(w, \theta)\right]
# = \mathbb E_{\varepsilon}\left[\frac{\partial f}{\partial w}\,
# \frac{\partial w}{\partial \theta} + \frac{\partial f}{\partial \theta}\right].
# $$
#
# Here $\partial f / \partial w$ and $\partial f / \partial \theta$ are partial derivatives
# of $f$ with its two arguments treated as independent. With $\partial w / \partial \mu = 1$
# and $\partial w / \partial \rho = \varepsilon \cdot \frac{d}{d\rho}\log(1 + e^{\rho})
# = \varepsilon / (1 + e^{-\rho})$ (the derivative of the softplus is the logistic
# sigmoid), one sample gives Blundell et al.'s eqs. (3)–(4):
#
# $$
# \begin{aligned}
# \Delta_\mu &= \frac{\partial f(w, \theta)}{\partial w}
#   + \frac{\partial f(w, \theta)}{\partial \mu}, \\
# \Delta_\rho &= \frac{\partial f(w, \theta)}{\partial w}\,
#   \frac{\varepsilon}{1 + e^{-\rho}} + \frac{\partial f(w, \theta)}{\partial \rho}.
# \end{aligned}
# $$
#
# The $\partial f / \partial w$ part is exactly what ordinary backpropagation computes for a
# network with weights $w$ — hence the name. To check this in code we first need the two
# log-densities, written out:

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


# %% tags=["remove-cell"]
# The chapter's three densities are the package's tested ones.
_w = torch.linspace(-3, 3, 101, dtype=torch.float64)
_rho = torch.linspace(-8, 3, 101, dtype=torch.float64)
assert torch.equal(softplus(_rho), bayes.sigma(_rho))
_sd = softplus(_rho)
assert torch.allclose(log_normal(_w, 0.3, _sd), bayes.log_gaussian(_w, 0.3, _sd),
                      rtol=1e-12, atol=1e-12)
assert torch.allclose(log_mixture(_w, *PRIOR), bayes.log_mixture_prior(_w, *PRIOR),
                      rtol=1e-12, atol=1e-12)

# %% [markdown]
# Now eqs. (3)–(4) on a toy problem small enough to print: a linear regression with three
# weights, eight data points, the study's prior and a Gaussian likelihood. `f` takes $w$,
# $\mu$ and $\rho$ as three independent arguments; `torch.autograd.grad` gives its three
# partial derivatives, and the two formulas combine them. The same gradients, computed by
# autograd *through* the reparameterisation, must agree.

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
    """log q(w | θ) − log P(w) − log P(D | w),
    summed over w and the data."""
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
print("Δμ by eq. (3):", delta_mu.numpy().round(4))
print("Δμ, autograd: ", auto_mu.numpy().round(4))
print("Δρ by eq. (4):", delta_rho.numpy().round(4))
print("Δρ, autograd: ", auto_rho.numpy().round(4))
gap = max((delta_mu - auto_mu).abs().max(),
          (delta_rho - auto_rho).abs().max())
print(f"largest difference: {gap:.1e}")

# %% tags=["remove-cell"]
assert torch.allclose(delta_mu, auto_mu, rtol=1e-10, atol=1e-10)
assert torch.allclose(delta_rho, auto_rho, rtol=1e-10, atol=1e-10)
book.glue("grad_diff", f"{gap.item():.0e}")

# %% [markdown]
# Blundell et al. wrote the gradient out because it shows what the algorithm does; an
# autograd library does the same bookkeeping by itself, which is why neither the study nor
# `bnntut` ever writes eqs. (3)–(4) down in code.
#
# ## Splitting the complexity cost over minibatches
#
# Training uses minibatches. Split the data into $M$ equal minibatches
# $\mathcal D_1, \dots, \mathcal D_M$; the examples are independent given $w$, so
# $\log P(\mathcal D \mid w) = \sum_{i=1}^{M} \log P(\mathcal D_i \mid w)$, and for **any**
# weights $\kappa_i$ with $\sum_i \kappa_i = 1$
#
# $$
# \mathcal F(\mathcal D, \theta) = \sum_{i=1}^{M} \mathcal F_i, \qquad
# \mathcal F_i = \kappa_i\, \mathrm{KL}\left[q \,\|\, P(w)\right]
# - \mathbb E_q\left[\log P(\mathcal D_i \mid w)\right].
# $$
#
# One epoch of steps on $\mathcal F_1, \dots, \mathcal F_M$ then applies the complexity cost
# exactly once. (Blundell et al. call these weights $\pi_i$; we write $\kappa_i$ because
# $\pi$ is already the prior's mixing weight.) Three choices, with the minibatch counted
# exactly as each source counts it:
#
# | weighting | $\kappa_i$ | $i$ runs over | sum |
# |---|---|---|---|
# | Blundell et al., eq. (9) | $\dfrac{2^{M-i}}{2^M - 1}$ | $1, \dots, M$ | $\dfrac{\sum_{i=1}^{M} 2^{M-i}}{2^M-1} = 1$ |
# | the study's code | $\dfrac{2^{M-i}}{2^{M-1}} = 2^{1-i}$ | $0, \dots, M-1$ | $\sum_{i=0}^{M-1} 2^{1-i} = 4\,(1 - 2^{-M})$ |
# | uniform | $\dfrac1M$ | any | $1$ |
#
# The study's code counts its minibatches from $i = 0$ (its loop index; `bnntut`'s
# `bayes.kl_weight` does the same), so its first minibatch gets $2^{1-0} = 2$ and its second
# $1$. Had it counted from $1$ like Blundell et al., the weights would have been
# $1, \tfrac12, \dots$, summing to $2\,(1 - 2^{-M})$. Minibatch for minibatch — the $k$-th of
# the epoch is Blundell's $i = k$ and the code's $i = k - 1$ — the study's weight is
# $2^{2-k}$ against Blundell's $2^{M-k}/(2^M-1) \approx 2^{-k}$: **four times** as large, a
# factor two from starting the count at 0 and a factor two from dividing by $2^{M-1}$
# instead of $2^M - 1$. The study therefore applies the prior about four times per epoch
# instead of once. The cell below computes all three weightings for the study's $M$ and
# counts how many minibatches get $\kappa_i \ge 1$, i.e. at least the whole complexity cost.

# %%
M = 600  # 60 000 training images, minibatches of 100
blundell = [2 ** (M - i) / (2**M - 1) for i in range(1, M + 1)]  # i = 1..M
study = [2.0 ** (1 - i) for i in range(M)]  # i = 0..M-1
uniform = [1 / M] * M
weightings = {"Blundell": blundell, "study": study, "uniform": uniform}
for name, kappa in weightings.items():
    first = [round(k, 4) for k in kappa[:3]]
    heavy = sum(k >= 1 for k in kappa)
    print(f"{name:9s} first three {first}, sum {sum(kappa):.6f},",
          f"κ ≥ 1 for {heavy}")

# %% tags=["remove-cell"]
# The chapter's weightings are the package's kl_weight (0-based k = i - 1 for Blundell).
for k in range(M):
    assert math.isclose(blundell[k], bayes.kl_weight("blundell", k, M), rel_tol=1e-12)
    assert study[k] == bayes.kl_weight("paper", k, M)
    assert math.isclose(uniform[k], bayes.kl_weight("uniform", k, M), rel_tol=1e-15)
n_heavy = sum(k >= 1 for k in study)
first_zero = next(i for i in range(M) if bayes.kl_weight("paper", i, M)
                  <= bayes.KL_WEIGHT_UNDERFLOW)
book.glue("n_heavy", n_heavy)
book.glue("study_sum", sum(study))
book.glue("study_ratio", study[10] / blundell[10])
book.glue("first_share", report.percent(study[0] / sum(study)))
book.glue("heavy_share", report.percent(sum(k for k in study if k >= 1) / sum(study)))
book.glue("kappa_30", study[30])
book.glue("first_zero", first_zero)
book.glue("skipped_share", report.percent((M - first_zero) / M))

# %% tags=["remove-input"]
report.frame({
    name: {"i of the first minibatch": str(start),
           "κ of the first minibatch": report.number(kappa[0], 4),
           "sum over the epoch": report.number(sum(kappa), 4),
           "minibatches with κ ≥ 1": str(sum(k >= 1 for k in kappa)),
           "share of the first minibatch": report.number(100 * kappa[0] / sum(kappa), 1,
                                                          unit=" %")}
    for name, start, kappa in [("Blundell et al.", 1, blundell),
                               ("the study's code", 0, study),
                               ("uniform", "any", uniform)]},
    "Weighting")

# %% [markdown]
# With the study's counting, only {glue:text}`n_heavy` minibatches of each epoch get
# $\kappa_i \ge 1$, and they carry {glue:text}`heavy_share` of the epoch's total
# complexity weight (the first alone {glue:text}`first_share`). Both exponential
# weightings halve from one minibatch to the next, so they fall below any meaningful size
# within a few dozen minibatches: $\kappa_{30} =$ {glue:text}`kappa_30:.1e` in the study's
# counting. The figure shows the three weightings on a log scale.

# %%
fig = plots.kl_weights_figure(M)

# %% [markdown]
# From minibatch $i =$ {glue:text}`first_zero` on (counted from 0), the study's $\kappa_i$
# even rounds to exactly 0 in float32, so the complexity term and its gradient are exactly
# zero; `bnntut` skips computing it there (a bit-for-bit identical shortcut, documented and
# tested in `bnntut.bayes.KL_WEIGHT_UNDERFLOW`). In effect, {glue:text}`skipped_share` of
# every epoch is plain maximum likelihood on noisy weights. The {doc}`reproduction_notes`
# chapter returns to this, and {doc}`fair_comparison` trains BBB with all three weightings.
#
# ## What the study's code optimises
#
# Per minibatch $i$ of $M = 600$, the study's code uses $S = 2$ samples and
#
# $$
# \begin{aligned}
# \mathcal F_i &= \underbrace{-\sum_{n \in \text{batch}} \log \bar p(y_n \mid x_n)}_{\text{NLL, summed}}
# + \kappa_i \cdot \frac1S\sum_{s=1}^{S} \left[\log q(w^{(s)} \mid \theta) - \log P(w^{(s)})\right], \\
# \log \bar p &= \frac1S \sum_{s=1}^{S} \log \mathrm{softmax}\big(f(x; w^{(s)})\big),
# \end{aligned}
# $$
#
# with $\kappa_i = 2^{1-i}$, $i = 0, \dots, M-1$. It averages the *log*-probabilities of the
# two samples, and its complexity cost is the single-sample Monte Carlo estimate of the KL
# divergence of eq. (2), not the closed-form Gaussian KL (which does not exist for a mixture
# prior). `bnntut.bayes.study_objective` is exactly this objective, with fused kernels;
# `bnntut.bayes.study_objective_reference` writes the same objective the straightforward
# way, and the package's tests check that both give the same values and gradients.
#
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
# Does it compute what blitz's `BayesianLinear` computes? Build a blitz layer the way
# `bnntut.models` does (the study's prior), copy the hand layer's parameters into it — into
# the sampler's tensors, which blitz's forward reads (see the traps below) — and draw the
# noise from the same seed: blitz draws the weights' $\varepsilon$, then the biases', from
# torch's global generator, as the hand layer does.

# %%
torch.manual_seed(0)
hand = BayesLinear(5, 3)
blitz_layer = BayesianLinear(5, 3, prior_pi=PRIOR[0],
                             prior_sigma_1=PRIOR[1],
                             prior_sigma_2=PRIOR[2])
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
same_eps = (torch.equal(eps_w, blitz_layer.weight_sampler.eps_w)
            and torch.equal(eps_b, blitz_layer.bias_sampler.eps_w))
print("same ε as blitz drew:", same_eps)
out_hand = hand(x, eps_w, eps_b)
out_diff = (out_blitz - out_hand).abs().max()
print(f"sampled outputs, max |blitz − hand|: {out_diff:.1e}")

# %% [markdown]
# The sampled outputs agree. The complexity terms need a closer look, because blitz writes
# its log-densities slightly differently from the mathematics above:

# %%
n = hand.weight_mu.numel() + hand.bias_mu.numel()    # 18 weights and biases
blitz_log_q = blitz_layer.log_variational_posterior
blitz_log_p = blitz_layer.log_prior
pairs = {"log q(w | θ)": (hand.log_q, blitz_log_q),
         "log P(w)": (hand.log_p, blitz_log_p),
         "log q − log P": (hand.log_q - hand.log_p,
                           blitz_log_q - blitz_log_p)}
for term, (mine, theirs) in pairs.items():
    print(f"{term:14s} hand {mine.item():9.4f}   blitz {theirs.item():9.4f}"
          f"   blitz − hand {(theirs - mine).item():+.6f}")
print(f"-n/2 = {-n / 2}")

# %% tags=["remove-cell"]
# Same sampled forward, bit for bit; blitz's log-densities are the hand layer's plus
# -1/2 per entry (log q) and, for the prior, log(density + 1e-6) - 1/2 per entry.
assert torch.equal(out_blitz, out_hand)
assert math.isclose(blitz_log_q.item(), hand.log_q.item() - n / 2, rel_tol=1e-6,
                    abs_tol=1e-4)
_blitz_prior = sum((torch.log(torch.exp(log_mixture(s.w, *PRIOR)) + 1e-6) - 0.5).sum()
                   for s in (blitz_layer.weight_sampler, blitz_layer.bias_sampler))
assert math.isclose(blitz_layer.log_prior.item(), _blitz_prior.item(), rel_tol=1e-6,
                    abs_tol=1e-4)
_cost_gap = ((blitz_log_q - blitz_log_p) - (hand.log_q - hand.log_p)).item()
_out_diff = out_diff.item()
book.glue("blitz_out_diff", "0, bit for bit" if _out_diff == 0 else f"{_out_diff:.1e}")
book.glue("blitz_cost_gap", f"{_cost_gap:+.1e}")

# %% [markdown]
# blitz adds $-\tfrac12$ to the log-density of every entry, in $\log q$ and in $\log P$ alike
# (so $-n/2$ to each sum), and adds $10^{-6}$ to the prior *density* before taking its log
# "to prevent numeric problems". The $-\tfrac12$s cancel in $\log q - \log P$; the $10^{-6}$
# does not, and shifts this layer's complexity cost by {glue:text}`blitz_cost_gap` nats.
# `bnntut` therefore keeps $\mu$ and $\rho$ in blitz's layers but draws the samples and
# computes the objective itself (`bnntut.bayes`), with the exact mixture
# (`bnntut.bayes.log_mixture_prior`), as the study's own layers did.
#
# So the last check is the one that matters for training: the hand-written layers against
# `bnntut`'s objective. Build a small `BayesianMLP` (784-16-10) with the study's prior, copy
# its parameters into two hand layers, and evaluate the study's minibatch objective (above)
# on the same noise — here in float64 and on a random minibatch, since values, not
# predictions, are being compared.

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


torch.manual_seed(2)
net = models.build({**SPEC, "hidden": [16]}).double()   # bnntut's network
layers = [BayesLinear(784, 16).double(), BayesLinear(16, 10).double()]
with torch.no_grad():
    for layer, theirs in zip(layers, net.layers):
        ours = (layer.weight_mu, layer.weight_rho,
                layer.bias_mu, layer.bias_rho)
        for tensor, value in zip(ours, bayes.variational_tensors(theirs)):
            tensor.copy_(value)

xb = torch.rand(100, 784, dtype=torch.float64)         # a random minibatch
yb = torch.randint(0, 10, (100,))
noises = bayes.draw_noise(net, 2, NoiseSource(0))      # ε for S = 2 samples
kappa = bayes.kl_weight("paper", 0, M)                 # first minibatch: 2
mine = hand_objective(layers, xb, yb, noises, kappa)
package, _, _ = bayes.study_objective_reference(net, xb, yb, noises, kappa)
relative = abs(mine.item() / package.item() - 1)
print(f"F_0 by hand {mine.item():.6f}, bnntut {package.item():.6f},",
      f"relative difference {relative:.1e}")

# %% tags=["remove-cell"]
# The hand objective equals the package's reference objective and its optimised path
# (the one training uses; run eagerly here so that the paper build compiles nothing), in
# value and in the gradients with respect to every mu and rho.
assert math.isclose(mine.item(), package.item(), rel_tol=1e-12)
_was = fastmath.compile_enabled()
fastmath.set_compile(False)
try:
    _fast, _, _ = bayes.study_objective(net, xb, yb, noises, kappa)
    _fast_grads = torch.autograd.grad(_fast, bayes.variational_parameters(net))
finally:
    fastmath.set_compile(_was)
assert math.isclose(mine.item(), _fast.item(), rel_tol=1e-12)
_mine_grads = torch.autograd.grad(
    hand_objective(layers, xb, yb, noises, kappa),
    [p for layer in layers for p in (layer.weight_mu, layer.weight_rho, layer.bias_mu,
                                     layer.bias_rho)])
for _a, _b in zip(_mine_grads, _fast_grads):
    torch.testing.assert_close(_a, _b, rtol=1e-9, atol=1e-9)
book.glue("objective_rel", "0 in float64" if relative == 0 else f"{relative:.0e}")

# %% [markdown]
# The hand-written layers and the package compute the same objective (and, the hidden check
# also confirms, the same gradients for every $\mu$ and $\rho$). From here on the book uses
# the package version: `bnntut.models.BayesianMLP`, a stack of blitz `BayesianLinear` layers
# with the study's prior and initialisation, trained on `bnntut.bayes.study_objective`: the
# same objective with both samples in one batched matrix product and fused kernels for σ and
# the prior (`benchmarks/README.md` times it against the straightforward version).
#
# ## blitz's layers — and their traps
#
# `bnntut` builds its Bayesian network from blitz's `BayesianLinear` layers
# {cite}`esposito2020blitz`, but two of blitz's defaults differ from the study: its prior is
# a single Gaussian (`prior_pi=1`) and its posterior starts at $\rho = -7$.
# `bnntut.models.bayesian_mlp` always passes the study's prior ($\pi = 0.5$, $\sigma_1 = 1$,
# $\sigma_2 = e^{-6}$) and initialisation ($\mu \sim U(-0.2, 0.2)$, $\rho \sim U(-5, -4)$).
#
# A `BayesianLinear` keeps its variational parameters **twice**: `layer.weight_mu` and
# `layer.weight_sampler.mu` are two distinct `nn.Parameter` objects that share one storage,
# and sampled forward passes read the sampler's. Three consequences, shown on a small layer:

# %%
torch.manual_seed(0)
layer = BayesianLinear(4, 3, prior_pi=PRIOR[0], prior_sigma_1=PRIOR[1],
                       prior_sigma_2=PRIOR[2])
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
    print("  ", str(error)[:60], "...")

# 3. Re-binding the attribute (the study's way of pruning) leaves the
#    sampler's tensor alone.
fresh.weight_mu = torch.nn.Parameter(torch.zeros(3, 4))
print("3. after re-binding, the sampler still reads the old values:",
      bool(fresh.weight_sampler.mu.abs().sum() > 0))

# %% [markdown]
# So `bnntut` never uses any of these: it prunes by writing $\mu = 0$ and $\rho = -\infty$
# ($\sigma = 0$) *in place* into the tensors the sampler reads (`bnntut.prune`), copies models
# by rebuilding them and loading the state dict (`bnntut.models.clone`), and tests that pruned
# weights are exact zeros inside every sampled forward pass.
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
    style = dict(color=plots.METHOD_COLORS["bbb"], lw=2,
                 ls=plots.DATASET_STYLES[dataset],
                 label=plots.DATASET_LABELS[dataset])
    axes[0, 0].plot(epochs, [h["train_nll"] for h in history], **style)
    axes[0, 1].plot(epochs, [h["test_accuracy"] for h in history], **style)
axes[0, 0].set(yscale="log", xlabel="epoch",
               ylabel="training NLL per example", title="training loss")
axes[0, 1].set(xlabel="epoch", ylabel="test accuracy (posterior mean)",
               title="test accuracy")
plots.legend_below(fig);

# %% tags=["remove-input"]
rows = {}
for dataset in ("mnist", "fashion-mnist"):
    last = results[dataset]["bbb"]["history"][-1]
    rows[plots.DATASET_LABELS[dataset]] = {
        "epoch": str(last["epoch"]),
        "training NLL per example": report.number(last["train_nll"]),
        "test accuracy": report.number(last["test_accuracy"]),
        "weighted complexity per minibatch": report.number(last["complexity"], 1)}
report.frame(rows, "Dataset")

# %% tags=["remove-cell"]
batch_size = get_preset(PRESET).train["batch_size"]
for dataset, key in (("mnist", "mnist"), ("fashion-mnist", "fashion")):
    last = results[dataset]["bbb"]["history"][-1]
    book.glue(f"acc_{key}", f"{100 * last['test_accuracy']:.2f} %")
    book.glue(f"complexity_{key}", f"{last['complexity']:,.0f}".replace(",", " "))
    book.glue(f"nll_batch_{key}", f"{batch_size * last['train_nll']:.2f}")
book.glue("epochs", results["mnist"]["bbb"]["history"][-1]["epoch"])

# %% [markdown]
# The training NLL keeps falling while the test accuracy levels off. The last column is the
# complexity cost as training weighted it, averaged over the minibatches of the last epoch:
# {glue:text}`complexity_mnist` nats per minibatch on MNIST, against a summed NLL of
# {glue:text}`nll_batch_mnist` nats for a minibatch. It comes almost entirely from the first
# two minibatches of the epoch — the {glue:text}`n_heavy` with $\kappa_i \ge 1$, which carry
# {glue:text}`heavy_share` of the epoch's complexity weight.
#
# ## Key takeaways
#
# Minimising $\mathrm{KL}[q \,\|\, P(w \mid \mathcal D)]$ is minimising the free energy
# $\mathcal F$, because the evidence $\log P(\mathcal D)$ does not depend on $\theta$.
# With $w = \mu + \log(1 + e^\rho)\,\varepsilon$, Blundell et al.'s eqs. (3)–(4) are the
# chain rule, and they match autograd to {glue:text}`grad_diff` on the toy problem. The
# study weights minibatch $i$, counted from 0, by $2^{1-i}$: the weights sum to
# {glue:text}`study_sum:.3f` per epoch, {glue:text}`study_ratio:.3f` times Blundell's
# minibatch for minibatch; only {glue:text}`n_heavy` minibatches get $\kappa_i \ge 1$, the
# first alone carries {glue:text}`first_share` of the weight, and from minibatch
# {glue:text}`first_zero` on the term is exactly zero. A Bayesian layer of about 30 lines
# gives the same sampled outputs as blitz's (largest difference
# {glue:text}`blitz_out_diff`) and the same objective as `bnntut` (relative difference
# {glue:text}`objective_rel`); blitz's own prior term differs by its $10^{-6}$. Trained by
# the study's protocol for {glue:text}`epochs` epochs, the posterior mean reaches
# {glue:text}`acc_mnist` test accuracy on MNIST and {glue:text}`acc_fashion` on
# Fashion-MNIST.
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
# Gaussian cannot do for a neural network. The gap is the KL divergence that training
# shrinks.
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
# $\sigma = \log(1 + e^\rho)$, $\sigma'(\rho) = 1/(1 + e^{-\rho})$ and, at the sample,
# $w - \mu = \sigma\varepsilon$:
#
# $$
# \begin{aligned}
# \frac{\partial f_q}{\partial w} &= -\frac{w - \mu}{\sigma^2} = -\frac{\varepsilon}{\sigma},
# \qquad
# \frac{\partial f_q}{\partial \mu} = \frac{\varepsilon}{\sigma}, \\
# \frac{\partial f_q}{\partial \rho} &= \sigma'(\rho)\left(-\frac1\sigma
# + \frac{(w - \mu)^2}{\sigma^3}\right) = \sigma'(\rho)\,\frac{\varepsilon^2 - 1}{\sigma}.
# \end{aligned}
# $$
#
# So $\Delta_\mu = -\varepsilon/\sigma + \varepsilon/\sigma = 0$ and
# $\Delta_\rho = -\frac{\varepsilon}{\sigma}\,\varepsilon\,\sigma'(\rho)
# + \sigma'(\rho)\frac{\varepsilon^2 - 1}{\sigma} = -\sigma'(\rho)/\sigma$, whatever
# $\varepsilon$ is. The entropy term never moves $\mu$, and since its gradient in $\rho$ is
# always negative, gradient descent always increases $\sigma$: it pushes every weight to be
# as uncertain as the prior and the likelihood allow. (The hidden cell below checks it.)
# :::

# %% tags=["hide-cell"]
# Exercise 2: for log q alone, Δρ = -sigmoid(ρ)/σ for every ε; Δμ = 0.
rho_1 = torch.tensor([-4.0, -1.0, 0.5], **f64, requires_grad=True)
mu_1 = torch.zeros(3, **f64, requires_grad=True)
eps_1 = torch.randn(3, **f64)
w_1 = mu_1 + softplus(rho_1) * eps_1
log_q_1 = log_normal(w_1, mu_1, softplus(rho_1)).sum()
d_mu, d_rho = torch.autograd.grad(log_q_1, (mu_1, rho_1))
expected = (-torch.sigmoid(rho_1) / softplus(rho_1)).detach()
print("Δμ:", d_mu.numpy(), "\nΔρ:", d_rho.numpy().round(6),
      "\n-sigmoid(ρ)/σ:", expected.numpy().round(6))
assert torch.allclose(d_mu, torch.zeros(3, **f64), atol=1e-12)
assert torch.allclose(d_rho, expected)

# %% [markdown]
# 3. **Counting the minibatches.** The study's code counts its minibatches from $i = 0$. What
#    would $\sum_i 2^{1-i}$ be, and how many minibatches would get $\kappa_i \ge 1$, had it
#    counted from $i = 1$ as Blundell et al. do? What are both sums for the quick preset's
#    $M = 20$ minibatches per epoch?
#
# :::{admonition} Solution
# :class: dropdown
# A geometric series: counted from 0, $\sum_{i=0}^{M-1} 2^{1-i} = 2 \cdot
# \frac{1 - 2^{-M}}{1 - 1/2} = 4\,(1 - 2^{-M})$, and two minibatches ($\kappa_0 = 2$,
# $\kappa_1 = 1$) get $\kappa_i \ge 1$. Counted from 1, every weight halves:
# $\sum_{i=1}^{M} 2^{1-i} = 2\,(1 - 2^{-M})$, and only the first ($\kappa_1 = 1$) gets
# $\kappa_i \ge 1$ — still twice Blundell's normalised weighting. For $M = 20$ the sums are
# $4\,(1 - 2^{-20}) \approx 3.999996$ and $2\,(1 - 2^{-20}) \approx 1.999998$: already
# indistinguishable from 4 and 2, as for $M = 600$.
# :::
#
# 4. **The local reparameterisation trick.** For one input row $x$, each output of the layer,
#    $a_j = \sum_k x_k w_{jk} + b_j$, is a sum of independent Gaussians, so
#    $a_j \sim \mathcal N(\gamma_j, \delta_j)$ with $\gamma = x\,\mu_W^\top + \mu_b$ and
#    $\delta = x^2\,(\sigma_W^2)^\top + \sigma_b^2$ (squares elementwise).
#    {cite:t}`kingma2015variational` sample $a$ directly instead of $w$ — one draw per example, and less
#    variance in the gradient. Write `lrt_forward(layer, x, n)` that returns $n$ such draws
#    for `BayesLinear`, and check that their mean is the posterior-mean output
#    `F.linear(x, μ_W, μ_b)` and that mean and variance match those of `n` sampled forward
#    passes of the layer.

# %% tags=["hide-cell"]
# Exercise 4: the local reparameterisation trick for the hand layer.
def lrt_forward(layer, x, n):
    """n draws of the layer's outputs, sampled directly.

    Returns shape (n, batch, out).
    """
    w_sd, b_sd = softplus(layer.weight_rho), softplus(layer.bias_rho)
    gamma = F.linear(x, layer.weight_mu, layer.bias_mu)   # mean
    delta = F.linear(x**2, w_sd**2, b_sd**2)              # variance
    zeta = torch.randn(n, *gamma.shape, dtype=x.dtype)
    return gamma + delta.sqrt() * zeta


torch.manual_seed(3)
layer4 = BayesLinear(5, 3).double()
with torch.no_grad():
    layer4.weight_rho.fill_(-1.0)          # σ ≈ 0.31: visible noise
    x4 = torch.rand(4, 5, dtype=torch.float64)
    draws = 4000
    lrt = lrt_forward(layer4, x4, draws)
    weight_space = torch.stack([layer4(x4) for _ in range(draws)])
mean_output = F.linear(x4, layer4.weight_mu, layer4.bias_mu)
standard_error = weight_space.std(0).max() / math.sqrt(draws)
lrt_gap = (lrt.mean(0) - mean_output).abs().max()
weight_gap = (weight_space.mean(0) - mean_output).abs().max()
ratio = lrt.var(0) / weight_space.var(0)
print("max |mean − posterior-mean output|:")
print(f"  LRT {lrt_gap:.4f}, weight samples {weight_gap:.4f}",
      f"(standard error {standard_error:.4f})")
print(f"variance ratio LRT / weight samples: {ratio.min():.3f}",
      f"– {ratio.max():.3f}")
assert max(lrt_gap, weight_gap) < 5 * standard_error
