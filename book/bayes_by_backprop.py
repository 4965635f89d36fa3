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
# - Why fitting $q(w \mid \theta)$ to the posterior is minimising the free energy, and why
#   its gradient is backpropagation.
# - How the study split the complexity cost over minibatches.
# - How to write a Bayesian layer, check it against blitz, and train and prune it.

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
import copy
import math

import torch
import torch.nn.functional as F
from blitz.modules import BayesianLinear
from torch import nn

from bnnbook import book, plots
from bnntut import data
from bnntut.presets import get_preset

PRESET = book.start()
SPEC = get_preset(PRESET).model_spec("bbb")
PRIOR = (SPEC["prior_pi"], SPEC["prior_sigma1"], SPEC["prior_sigma2"])

# %% tags=["remove-cell"]
from bnnbook import report
from bnntut import bayes, collect, evaluate, fastmath, models, prune
from bnntut.noise import NoiseSource

widths = [784, *SPEC["hidden"], 10]
n_weights = sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))
book.glue("n_weights", f"{n_weights:,}".replace(",", " "))

# %% [markdown]
# ## A distribution over every weight
#
# The posterior $P(w \mid \mathcal D)$ of a network's weights is intractable, so
# {cite:t}`hinton1993keeping` and {cite:t}`graves2011practical` fitted a Gaussian to each
# weight; Bayes by Backprop {cite}`blundell2015weight` fits such a *variational posterior*
# $q(w \mid \theta)$, $\theta = (\mu, \rho)$:
#
# $$
# q(w_j \mid \theta) = \mathcal N\!\left(w_j \mid \mu_j, \sigma_j^2\right), \qquad
# \sigma_j = \log\!\left(1 + e^{\rho_j}\right).
# $$
#
# The *softplus* keeps σ positive for any real ρ: two free numbers for each of the study
# network's {glue:text}`n_weights` weights and biases.
#
# ## From the posterior to the free energy
#
# Write the KL divergence from $q = q(w \mid \theta)$ to the posterior as an expectation
# over $w \sim q$ and apply Bayes' rule:
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
# The evidence $\log P(\mathcal D)$ does not depend on $\theta$, so the best $\theta$
# minimises the **variational free energy** $\mathcal F$: stay close to the prior
# ({doc}`prior`), explain the data. $-\mathcal F$ is the *evidence lower bound*.
#
# ## Reparameterisation and the gradient
#
# $\mathcal F$ has no closed form under a mixture prior, so Blundell et al. sum (the study
# averages) $f(w, \theta) = \log q(w \mid \theta) - \log P(w) - \log P(\mathcal D \mid w)$
# over samples of $q$, their eq. (2). The **reparameterisation trick** writes a sample as
# $w = \mu + \log(1 + e^{\rho}) \circ \varepsilon$, $\varepsilon \sim \mathcal N(0, I)$, so
# the chain rule through $w$ gives their eqs. (3)–(4):
#
# $$
# \Delta_\mu = \frac{\partial f}{\partial w} + \frac{\partial f}{\partial \mu}, \qquad
# \Delta_\rho = \frac{\partial f}{\partial w}\,\frac{\varepsilon}{1 + e^{-\rho}}
#   + \frac{\partial f}{\partial \rho},
# $$
#
# with $f$'s arguments independent. $\partial f / \partial w$ is ordinary backpropagation,
# hence the name. On a toy regression, against autograd *through* $w(\mu, \rho)$:

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
    """Elementwise log of π N(w; 0, σ1²) + (1 − π) N(w; 0, σ2²)."""
    return torch.logaddexp(math.log(pi) + log_normal(w, 0.0, sigma1),
                           math.log(1 - pi) + log_normal(w, 0.0, sigma2))


# %%
torch.manual_seed(0)
x_toy, y_toy = torch.randn(8, 3), torch.randn(8)     # 8 points
mu = torch.randn(3, requires_grad=True)              # 3 weights
rho = torch.full((3,), -3.0, requires_grad=True)
eps = torch.randn(3)


def f(w, mu, rho):
    """log q(w | θ) − log P(w) − log P(D | w)."""
    log_q_over_p = log_normal(w, mu, softplus(rho)) - log_mixture(w, *PRIOR)
    return log_q_over_p.sum() - log_normal(y_toy, x_toy @ w, 0.1).sum()


w = (mu + softplus(rho) * eps).detach().requires_grad_()  # w, μ, ρ apart
df_dw, df_dmu, df_drho = torch.autograd.grad(f(w, mu, rho), (w, mu, rho))
delta_mu = df_dw + df_dmu                                  # eq. (3)
delta_rho = df_dw * eps / (1 + torch.exp(-rho)) + df_drho  # eq. (4)
w_of_theta = mu + softplus(rho) * eps
auto = torch.autograd.grad(f(w_of_theta, mu, rho), (mu, rho))
print("eqs. (3)-(4) = autograd:", torch.allclose(delta_mu, auto[0])
      and torch.allclose(delta_rho, auto[1]))

# %% tags=["remove-cell"]
assert torch.allclose(delta_mu, auto[0], rtol=1e-5, atol=1e-6)
assert torch.allclose(delta_rho, auto[1], rtol=1e-5, atol=1e-6)

# %% [markdown]
# ## Splitting the complexity cost over minibatches
#
# Training takes a step per minibatch $\mathcal D_i$, $M$ per epoch. Given $w$ the examples
# are independent, so for **any** $\kappa_i$ with $\sum_i \kappa_i = 1$
#
# $$
# \mathcal F(\mathcal D, \theta) = \sum_{i=1}^{M} \mathcal F_i, \qquad
# \mathcal F_i = \kappa_i\, \mathrm{KL}\left[q \,\|\, P(w)\right]
# - \mathbb E_q\left[\log P(\mathcal D_i \mid w)\right].
# $$
#
# | weighting | $\kappa_i$ | $i$ runs over | sum over an epoch |
# |---|---|---|---|
# | uniform, the even split (the default) | $\dfrac1M$ | $1, \dots, M$ | $1$ |
# | Blundell et al.'s eq. (9) scheme | $\dfrac{2^{M-i}}{2^M - 1}$ | $1, \dots, M$ | $1$ |
# | the study's code | $\dfrac{2^{M-i}}{2^{M-1}} = 2^{1-i}$ | $0, \dots, M-1$ | $4\,(1 - 2^{-M})$ |
#
# The first two minimise the same $\mathcal F$ by different paths. The study's code divides
# by $2^{M-1}$, not $2^M - 1$, and counts from $i = 0$: a factor two each, so its weight is
# **four times** Blundell et al.'s, a different objective. In float32 its $\kappa_i$ is 0
# from minibatch {glue:text}`first_zero` on: {glue:text}`skipped_share` of each epoch is
# maximum likelihood ({doc}`reproduction_notes`; {doc}`fair_comparison` trains all three).

# %% tags=["remove-cell"]
M = 600  # 60 000 training images, minibatches of 100; the table is bnntut's kl_weight
for k in range(M):  # k = i - 1 in the rows counted from 1
    assert math.isclose(bayes.kl_weight("uniform", k, M), 1 / M, rel_tol=1e-15)
    assert math.isclose(bayes.kl_weight("blundell", k, M), 2 ** (M - k - 1) / (2**M - 1),
                        rel_tol=1e-12)
    assert bayes.kl_weight("paper", k, M) == 2.0 ** (1 - k)
assert math.isclose(bayes.kl_weight("paper", 10, M) / bayes.kl_weight("blundell", 10, M), 4)
first_zero = next(k for k in range(M)
                  if bayes.kl_weight("paper", k, M) <= bayes.KL_WEIGHT_UNDERFLOW)
book.glue("first_zero", first_zero)
book.glue("skipped_share", report.percent((M - first_zero) / M))

# %%
fig = plots.kl_weights_figure(M)

# %% [markdown]
# ## A Bayesian layer by hand
#
# Four parameter tensors; the forward pass forms $w$ from the noise it is given and keeps
# the log-densities the complexity cost needs:

# %%
class BayesLinear(nn.Module):
    """y = x Wᵀ + b, W = μ_W + softplus(ρ_W) ε_W and b alike."""

    def __init__(self, n_in, n_out):
        super().__init__()

        def uniform(*shape, bounds):
            return nn.Parameter(torch.empty(shape).uniform_(*bounds))

        self.weight_mu = uniform(n_out, n_in, bounds=SPEC["mu_init"])
        self.weight_rho = uniform(n_out, n_in, bounds=SPEC["rho_init"])
        self.bias_mu = uniform(n_out, bounds=SPEC["mu_init"])
        self.bias_rho = uniform(n_out, bounds=SPEC["rho_init"])

    def forward(self, x, eps_w, eps_b):
        w_sd, b_sd = softplus(self.weight_rho), softplus(self.bias_rho)
        w = self.weight_mu + w_sd * eps_w     # the reparameterisation trick
        b = self.bias_mu + b_sd * eps_b
        self.log_q = (log_normal(w, self.weight_mu, w_sd).sum()
                      + log_normal(b, self.bias_mu, b_sd).sum())
        self.log_p = (log_mixture(w, *PRIOR).sum()
                      + log_mixture(b, *PRIOR).sum())
        return F.linear(x, w, b)              # x @ w.T + b


# %% [markdown]
# A stack of them gives $\mathcal F_i$ as the study computes it, averaging over $S = 2$
# weight samples:
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
    """The study's F_i; noises[2k], noises[2k + 1]: layer k's ε, (S, ...)"""
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
# Does blitz's `BayesianLinear` {cite}`esposito2020blitz` compute the same? Same μ, ρ,
# prior and noise seed:

# %%
torch.manual_seed(0)
hand = BayesLinear(5, 3)
blitz_layer = BayesianLinear(5, 3, prior_pi=PRIOR[0],
                             prior_sigma_1=PRIOR[1], prior_sigma_2=PRIOR[2])
blitz_layer.load_state_dict(hand.state_dict(), strict=False)  # μ and ρ
x = torch.rand(4, 5)
torch.manual_seed(1)
out_blitz = blitz_layer(x)
torch.manual_seed(1)
eps_w, eps_b = torch.randn(3, 5), torch.randn(3)  # weights, then biases
out_hand = hand(x, eps_w, eps_b)
print("same sampled outputs:", torch.equal(out_blitz, out_hand))

# %% tags=["remove-cell"]
# Same ε and sampled forward, bit for bit; blitz's log-densities are the hand layer's plus
# -1/2 per entry (log q) and, for the prior, log(density + 1e-6) - 1/2 per entry.
n = hand.weight_mu.numel() + hand.bias_mu.numel()
blitz_log_q, blitz_log_p = blitz_layer.log_variational_posterior, blitz_layer.log_prior
assert torch.equal(eps_w, blitz_layer.weight_sampler.eps_w)
assert torch.equal(eps_b, blitz_layer.bias_sampler.eps_w)
assert torch.equal(out_blitz, out_hand)
assert math.isclose(blitz_log_q.item(), hand.log_q.item() - n / 2, rel_tol=1e-6,
                    abs_tol=1e-4)
_blitz_prior = sum((torch.log(torch.exp(log_mixture(s.w, *PRIOR)) + 1e-6) - 0.5).sum()
                   for s in (blitz_layer.weight_sampler, blitz_layer.bias_sampler))
assert math.isclose(blitz_log_p.item(), _blitz_prior.item(), rel_tol=1e-6, abs_tol=1e-4)
_cost_gap = ((blitz_log_q - blitz_log_p) - (hand.log_q - hand.log_p)).item()
book.glue("blitz_cost_gap", f"{_cost_gap:+.1e}")

# %% [markdown]
# The outputs agree bit for bit; the log-densities differ. blitz adds $-\tfrac12$ per entry
# to $\log q$ and $\log P$ (these cancel) and $10^{-6}$ to the prior *density*, shifting
# this layer's complexity cost by {glue:text}`blitz_cost_gap` nats. So `bnntut` keeps μ and
# ρ in blitz's layers but computes the objective itself.
#
# ## blitz's traps
#
# blitz's default prior and initial ρ are not the study's (`bnntut.models.bayesian_mlp`
# passes the study's). Worse, `weight_mu` and `weight_sampler.mu` are two `nn.Parameter`
# objects over one storage, and the forward pass reads the sampler's:

# %%
layer, x = BayesianLinear(4, 3), torch.rand(2, 4)
torch.manual_seed(1)
before = layer(x)
torch.nn.utils.prune.l1_unstructured(layer, "weight_mu", amount=0.75)
torch.manual_seed(1)
print("pruning changes the outputs:", not torch.equal(before, layer(x)))

# %% tags=["remove-cell"]
_fresh = BayesianLinear(4, 3)                 # two objects over one storage
assert _fresh.weight_sampler.mu is not _fresh.weight_mu
assert _fresh.weight_sampler.mu.data_ptr() == _fresh.weight_mu.data_ptr()

# %% [markdown]
# The pruning is silently lost. `copy.deepcopy` unties the two, and re-binding `weight_mu`
# (the study's pruning) never reaches the sampler either ({doc}`reproduction_notes`).
# `bnntut` prunes in place in the sampler's tensors and copies through the state dict.
#
# ## Training the layers
#
# Two hand layers, 784-100-10, on an MNIST subset, with $\kappa_i = 1/M$, two weight
# samples per step and Adam {cite}`kingma2015adam` at ten times the study's learning rate
# for the short run, printing each epoch's mean $\mathcal F_i$:

# %%
N_TRAIN, HIDDEN, EPOCHS, BATCH, LR = 10_000, 100, 10, 100, 1e-3
mnist = data.load("mnist", subset=(N_TRAIN, 10_000))  # reads $BNNTUT_DATA
M = N_TRAIN // BATCH                        # minibatches per epoch


@torch.no_grad()
def accuracy(layers, x, y):
    """Test accuracy of the posterior mean (every weight at its μ)."""
    h = x
    for k, layer in enumerate(layers):
        h = F.linear(h, layer.weight_mu, layer.bias_mu)
        h = torch.relu(h) if k < len(layers) - 1 else h
    return (h.argmax(1) == y).float().mean().item()


# %%
torch.set_num_threads(1)                    # one CPU core
torch.manual_seed(0)                                 # init and ε
order = torch.Generator().manual_seed(0)             # minibatch order
layers = nn.ModuleList([BayesLinear(784, HIDDEN), BayesLinear(HIDDEN, 10)])
optimizer = torch.optim.Adam(layers.parameters(), lr=LR)
for _ in range(EPOCHS):                              # epochs
    perm, total = torch.randperm(N_TRAIN, generator=order), 0.0
    for i in range(M):
        idx = perm[i * BATCH:(i + 1) * BATCH]
        noises = [torch.randn(2, *p.shape) for layer in layers  # ε, S = 2
                  for p in (layer.weight_mu, layer.bias_mu)]
        xb, yb = mnist.x_train[idx], mnist.y_train[idx]
        loss = hand_objective(layers, xb, yb, noises, 1 / M)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"{total / M:.0f}", end=" ")     # mean F_i of the epoch

# %% tags=["remove-cell"]
ceiling = softplus(torch.tensor(SPEC["rho_init"][1] + LR * EPOCHS * M)).item()
sigma_max = max(softplus(layer.weight_rho).max().item() for layer in layers)
assert 0.95 * ceiling < sigma_max <= 1.01 * ceiling   # Adam's step size was the limit
book.glue("sigma_max", sigma_max)
book.glue("sigma_ceiling", ceiling)

# %% [markdown]
# Adam moves each $\rho$ by about the learning rate $\eta$ per step whatever its gradient
# ({doc}`weights`): from $\rho \le -4$ at the start, $\sigma \le \mathrm{softplus}(-4 +
# \eta T)$ after $T$ steps. The largest trained σ, {glue:text}`sigma_max:.4f`, sits at that ceiling,
# {glue:text}`sigma_ceiling:.4f`, and $|\mu|/\sigma$ can use only what σ learnt
# ({doc}`prunability`).
#
# ## Pruning by signal-to-noise ratio
#
# {cite:t}`graves2011practical` and Blundell et al. prune the weights with the lowest
# signal-to-noise ratio $|\mu|/\sigma$, setting $\mu = \sigma = 0$ ({doc}`pruning` does it
# to the study's networks). Posterior-mean test accuracy, seed 0:

# %%
@torch.no_grad()
def prune_snr(layers, fraction):
    """μ = 0, ρ = −∞ (σ = 0) in place for the `fraction` of lowest |μ|/σ."""
    pairs = [(m.weight_mu, m.weight_rho) for m in layers]
    pairs += [(m.bias_mu, m.bias_rho) for m in layers]
    snr = [mu.abs() / softplus(rho) for mu, rho in pairs]
    k = round(fraction * sum(s.numel() for s in snr))
    if k == 0:
        return
    cut = torch.cat([s.flatten() for s in snr]).kthvalue(k).values
    for (mu, rho), s in zip(pairs, snr):
        mu[s <= cut] = 0.0
        rho[s <= cut] = -math.inf                    # softplus(−∞) = 0


trained = copy.deepcopy(layers.state_dict())     # μ and ρ, saved
for fraction in (0.0, 0.5, 0.9, 0.95):
    layers.load_state_dict(trained)
    prune_snr(layers, fraction)
    acc = accuracy(layers, mnist.x_test, mnist.y_test)
    print(f"{fraction:.0%} removed: {acc:.4f}")

# %% [markdown]
# ## The same loop in `bnntut`
#
# `bnntut.train.fit` is this loop with the speed-ups and bookkeeping a 50-epoch run needs:
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
# It batches both samples with fused kernels and checkpoints every epoch, so a run resumes
# bit for bit. A hidden cell checks that its objective, gradients and SNR pruning match the
# hand-written ones.

# %% tags=["remove-cell"]
layers.load_state_dict(trained)
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
assert math.isclose(mine.item(), package.item(), rel_tol=1e-12)
for _a, _b in zip(torch.autograd.grad(mine, params), package_grads):
    torch.testing.assert_close(_a, _b, rtol=1e-9, atol=1e-9)
layers.float()
net.float()
for fraction in (0.0, 0.5, 0.9, 0.95):
    layers.load_state_dict(trained)
    prune_snr(layers, fraction)
    _ours = accuracy(layers, mnist.x_test, mnist.y_test)
    assert evaluate.accuracy(prune.snr(net, fraction), mnist.x_test, mnist.y_test) == _ours
_ = layers.load_state_dict(trained)

# %% [markdown]
# By the study's protocol (seed 0), `fit` gives its Figure 3: the training NLL keeps falling
# while the test accuracy levels off ({doc}`evaluation`).

# %%
bbb_runs = collect.grid(PRESET, methods=["bbb"], compute=PRESET != "paper")
fig = plots.curves_figure(bbb_runs)

# %% [markdown]
# ## Key takeaways
#
# - Fitting $q$ to the posterior is minimising the free energy; reparameterised, its
#   gradient is backpropagation plus the chain rule.
# - A minibatch weighting summing to 1 per epoch keeps the objective; the study's, four
#   times Blundell et al.'s, changes it.
# - A Bayesian layer is about 30 lines. blitz's keeps every μ twice: prune where the
#   forward pass reads.
# - Adam's step size bounds how far ρ, hence σ, can learn.
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
# 2. **The entropy term.** Derive $\Delta_\mu$ and $\Delta_\rho$ for
#    $f_q = \log q(w \mid \theta)$ alone (one weight). What does it do to $\mu$ and $\sigma$?
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
f64 = dict(dtype=torch.float64)
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
# 3. **Counting from 1.** What would $\sum_i 2^{1-i}$ be, and how many minibatches would get
#    $\kappa_i \ge 1$, had the study counted from $i = 1$?
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
# 4. **The local reparameterisation trick** {cite}`kingma2015variational`. A layer's
#    outputs are Gaussian with mean $x\,\mu_W^\top + \mu_b$ and variance
#    $x^2\,(\sigma_W^2)^\top + \sigma_b^2$. Sample them directly, and compare with
#    `BayesLinear`'s sampled outputs.

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
weight_space = torch.stack([
    layer4(x4, torch.randn(3, 5, **f64), torch.randn(3, **f64))
    for _ in range(draws)])
standard_error = weight_space.std(0).max() / math.sqrt(draws)
mean_gap = (lrt.mean(0) - weight_space.mean(0)).abs().max()
ratio = lrt.var(0) / weight_space.var(0)
print(f"max |mean gap| {mean_gap:.4f},",
      f"standard error {standard_error:.4f},",
      f"variance ratio {ratio.min():.3f} – {ratio.max():.3f}")
assert mean_gap < 5 * standard_error and (ratio - 1).abs().max() < 0.15
