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
# # Weight uncertainty on a toy problem
#
# ## What you will learn
#
# * why Bayes by Backprop (BBB) and MC dropout can be unsure away from the data, and a point
#   estimate cannot;
# * what pruning by $|\mu|/\sigma$ and by $|\mu|$ removes, parameter by parameter;
# * what a factorised Gaussian posterior loses, against an exact posterior.

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

from bnnbook import book, report, toy
from bnnbook.style import CRITERION_COLORS, METHOD_COLORS
from bnntut import bayes, exact, fastmath, prune
from bnntut.noise import NoiseSource

PRESET = book.start()
fastmath.set_compile(False)   # tiny tensors: compiling would cost more

# %% [markdown]
# ## A regression problem with a gap
#
# One input, one output, 300 points: $y = x \sin x + \varepsilon$ with
# $\varepsilon \sim \mathcal N(0, 0.2^2)$ and inputs in $[-3.5, -1]$ and $[1, 3.5]$. Between
# the clusters (the *gap*) and beyond them (*outside*) there are no data, so a model should be
# unsure there. The nets train in seconds.

# %%
data = toy.make_data(n_per_interval=150, seed=0)   # x, y: (300, 1)
grid = torch.linspace(*toy.DOMAIN, 481)[:, None]   # inputs to predict at
s_y = data.noise_sd

# %% [markdown]
# ## Three predictive distributions
#
# Three 1-50-50-1 ReLU nets model $y = f(x; w) + \varepsilon$ with the known noise
# $\sigma_y = 0.2$. The **point estimate** keeps one $\hat w$. **MC dropout**
# {cite}`gal2016dropout` keeps dropout (10 %) on at prediction time, each mask giving weights
# $w_s$; **BBB** draws $w_s \sim \mathcal N(\mu, \sigma^2)$. With $S$ draws
# $f_s = f(x; w_s)$ and their mean $\bar f$, the law of total variance splits the predictive
# variance in two:
#
# $$
# \operatorname{Var}[y \mid x]
# = \underbrace{\sigma_y^2}_{\text{noise}}
#  + \underbrace{\frac1S \sum_s \left(f_s - \bar f\right)^2}_{\text{disagreement of the
#    draws}} .
# $$
#
# Only the second term can grow away from the data, and a point estimate does not have it.
#
# For regression, BBB's objective ({doc}`bayes_by_backprop`) swaps the softmax for a Gaussian
# likelihood:
#
# $$
# \begin{aligned}
# \mathcal F(\theta) \approx \frac1S \sum_s \Big[&\log q(w_s \mid \theta) - \log P(w_s) \\
# &+ \sum_{i} \Big(\frac{\big(y_i - f(x_i; w_s)\big)^2}{2\sigma_y^2}
# + \log \sigma_y + \tfrac12 \log 2\pi\Big)\Big],
# \end{aligned}
# $$
#
# with the study's prior, counted once: all points form one minibatch. The new likelihood
# term, for $S = 4$ draws of the untrained net:

# %%
bbb = toy.bayesian_mlp(seed=0)
f = bayes.sampled_logits(bbb, data.x, 4, NoiseSource(0))   # f_s: (4, n, 1)
nll = -torch.distributions.Normal(f, s_y).log_prob(data.y).sum() / 4

# %% tags=["remove-cell"]
eps = bayes.draw_noise(bbb, 4, NoiseSource(0))
_nll = toy.regression_objective(bbb, data.x, data.y, eps, s_y, 1.0)[1]
assert math.isclose(nll.item(), _nll.item(), rel_tol=1e-6)
assert bayes.kl_weight("uniform", 0, 1) == 1.0

# %% [markdown]
# `toy.fit_bbb` minimises this loss (`toy.regression_objective`, checked in a hidden cell)
# with Adam; the other nets minimise the squared error.

# %%
point, dropout = toy.mlp(dropout=0.0), toy.mlp(dropout=0.1)   # seed 0
for net in (point, dropout):
    toy.fit_net(net, data)
bbb = toy.bayesian_mlp(seed=0)
history = toy.fit_bbb(bbb, data, steps=1000, lr=0.03, samples=2)

# %% [markdown]
# ## Bands that widen away from the data
#
# BBB's predictive mean and sd from 100 draws, as derived above:

# %%
f = toy.function_samples(bbb, grid, samples=100)   # (S, 481)
mean = f.mean(0)
sd = torch.sqrt(s_y**2 + ((f - mean) ** 2).mean(0))

# %% tags=["remove-cell"]
assert all(torch.allclose(a, b) for a, b in zip((mean, sd), toy.predictive(bbb, grid, s_y)))
for name, value in (("sd", toy.region_means(sd, grid, data.intervals)),
                    ("rmse", toy.region_rmse(mean, grid, data.intervals))):
    for region in value:
        book.glue(f"{name}_{region}_bbb", value[region])
for key in ("nll", "complexity"):
    book.glue(f"final_{key}", sum(history[key][-50:]) / 50)

# %%
nets = {"point estimate": point, "MC dropout": dropout, "BBB": bbb}
bands = [toy.predictive(net, grid, s_y) for net in nets.values()]
colors = [METHOD_COLORS[c] for c in ("sgd", "dropout50", "bbb")]
fig = toy.bands_figure(data, grid, [list(zip(nets, bands, colors))])

# %% [markdown]
# Bands are $\pm 2$ predictive sd; grey marks where there are no data. **Outside**, both
# stochastic nets widen: BBB's sd averages {glue:text}`sd_outside_bbb:.2f` there against
# {glue:text}`sd_data_bbb:.2f` on the data (seed 0), as the slopes of its draws fan out.
# **In the gap** none does: all three miss the dip of $x \sin x$ (BBB's mean by
# {glue:text}`rmse_gap_bbb:.2f`, with sd {glue:text}`sd_gap_bbb:.2f`). That is a limit of the
# approximations, not of Bayesian nets: {cite:t}`foong2020expressiveness` prove it for
# factorised Gaussian and MC-dropout posteriors and find that exact inference widens the gap.
#
# BBB's mean is also the coarsest fit: its complexity cost ({glue:text}`final_complexity:.0f`
# nats after training) outweighs the likelihood term ({glue:text}`final_nll:.0f`), so the
# posterior uses as few weights as it can. Hidden units that fire on any training input:

# %%
print("of 50 per layer: BBB", toy.active_units(bbb, data.x),
      "point estimate", toy.active_units(point, data.x))

# %% [markdown]
# The silent units' weights are unconstrained by the data, so they stay near the prior.
#
# ## Pruning the toy
#
# The package's pruning applies unchanged. Rank all weights and biases by $|\mu|/\sigma$ or by
# $|\mu|$, and remove the lowest 75 %:

# %%
mu, sigma = toy.mean_and_sd(bbb)     # all weights and biases: (2701,)
k = round(0.75 * len(mu))            # how many to remove
lowest = {"snr": (mu.abs() / sigma).argsort()[:k],
          "l1": mu.abs().argsort()[:k]}

# %% tags=["remove-cell"]
removed = {c: prune.removed_mask(prune.get_criterion(c)(bbb, 0.75)) for c in toy.CRITERIA}
assert all(removed[c].nonzero()[:, 0].tolist() == sorted(lowest[c].tolist()) for c in removed)

# %% [markdown]
# `prune.snr` and `prune.l1` remove the same (a hidden cell asserts it). Each dot is one
# parameter; the dashed line bounds the removed set.

# %%
fig = toy.kept_removed_figure(bbb, removed)

# %% [markdown]
# The cloud at the top, $\sigma$ near the prior's $\sigma_1 = 1$, is the silent units. The
# few weights the fit needs have a small $\sigma$, but not always a large $|\mu|$: SNR removes
# the cloud and keeps them, magnitude keeps the cloud's large means. The functions:

# %% tags=["remove-cell"]
AMOUNTS = (0.5, 0.75, 0.9)
pruned = {(c, a): prune.get_criterion(c)(bbb, a) for c in toy.CRITERIA for a in AMOUNTS}
pruned_bands = {key: toy.predictive(net, grid, s_y) for key, net in pruned.items()}
for (c, a), (mean_, _) in pruned_bands.items():
    rmse = toy.region_rmse(mean_, grid, data.intervals)["data"]
    book.glue(f"rmse_{c}_{round(100 * a)}", rmse)

# %%
fig = toy.bands_figure(data, grid, [
    [(f"{t}, {report.percent(a)}", pruned_bands[c, a], CRITERION_COLORS[c])
     for a in AMOUNTS] for c, t in toy.CRITERIA.items()], height=5.0)

# %% [markdown]
# Pruned by SNR, the net keeps its function (RMSE on the data {glue:text}`rmse_snr_90:.3f`
# with 90 % removed, {glue:text}`rmse_data_bbb:.3f` unpruned) and narrows its band outside,
# since the wide weights made the draws disagree. Pruned by $|\mu|$, the function is gone by
# 75 % (RMSE {glue:text}`rmse_l1_75:.3f`). On MNIST it is the other way round, because there
# $\sigma$ hardly varies ({doc}`pruning`): the winner depends on how much of the net the data
# leave at the prior.
#
# ## What the factorised Gaussian loses
#
# A linear model's exact posterior is known. Keep the data and let
# $f(x; w) = \sum_j w_j \phi_j(x)$: 25 Gaussian bumps $\phi_j$ of width 0.5, centred every 0.5
# on $[-6, 6]$, prior $w \sim \mathcal N(0, I)$. With $\Phi_{ij} = \phi_j(x_i)$, the
# posterior is $\mathcal N(m, \Sigma)$ with
#
# $$
# \Lambda = \frac{\Phi^\top \Phi}{\sigma_y^2} + I, \qquad \Sigma = \Lambda^{-1}, \qquad
# m = \Sigma \, \frac{\Phi^\top y}{\sigma_y^2}.
# $$
#
# `exact.fit_mean_field` fits $q(w) = \prod_j \mathcal N(\mu_j, s_j^2)$ to it by BBB.

# %%
centres = torch.arange(-6.0, 6.01, 0.5)
phi = exact.rbf_features(data.x, centres, width=0.5)  # Φ: (300, 25)
y = data.y[:, 0].double()
lam = phi.T @ phi / s_y**2 + torch.eye(25)            # Λ
cov = torch.linalg.inv(lam)                           # Σ
m = cov @ phi.T @ y / s_y**2
mf = exact.fit_mean_field(phi, y, s_y, 1.0, steps=3000, seed=0)

# %% tags=["remove-cell"]
_m, _cov = exact.posterior(phi, y, s_y, 1.0)
assert torch.allclose(m, _m) and torch.allclose(cov, _cov)
best_mean, best_sd = exact.mean_field_optimum(phi, y, s_y, 1.0)
# The fit reaches the closed-form optimum of the factorised family.
fit_off = float((mf.sd / best_sd - 1).abs().max())
assert fit_off < 0.05 and float((mf.mean - best_mean).abs().max()) < 0.2

# %%
phi_x = exact.rbf_features(grid, centres, width=0.5)
q_cov = (mf.sd**2).diag()                             # diagonal
linear = [
    ("exact posterior", exact.predictive(phi_x, m, cov, s_y),
     toy.EXACT_COLOR),
    ("mean-field fit (BBB)", exact.predictive(phi_x, mf.mean, q_cov, s_y),
     METHOD_COLORS["bbb"])]
fig = toy.bands_figure(data, grid, [linear], ylim=(-6.0, 4.0))

# %% tags=["remove-cell"]
for (_, (_, sd_), _), key in zip(linear, ("exact", "mf")):
    book.glue(f"linear_sd_gap_{key}", toy.region_means(sd_, grid, data.intervals)["gap"])

# %% [markdown]
# In the gap the exact predictive sd opens to {glue:text}`linear_sd_gap_exact:.2f` on
# average, the mean-field one only to {glue:text}`linear_sd_gap_mf:.2f` (seed 0): the
# missing width is the factorisation's. The reason is in the weights:

# %%
fig = toy.covariance_figure(m, cov, mf.mean, mf.sd)  # left: most correlated

# %% tags=["remove-cell"]
book.glue("linear_corr", float(toy.correlation(cov)[toy.most_correlated(cov)]))
book.glue("linear_fit_off", 100 * fit_off)
book.glue("linear_sd_ratio", float((mf.sd / cov.diagonal().sqrt()).median()))
evidence = exact.log_evidence(phi, y, s_y, 1.0)
book.glue("linear_gap", evidence - exact.elbo(phi, y, s_y, 1.0, mf.mean, torch.diag(mf.sd**2)))

# %% [markdown]
# Neighbouring bumps overlap, so the data fix the sum of their weights better than either:
# the exact posterior correlates them ({glue:text}`linear_corr:.2f` for the pair on the left),
# a factorised $q$ cannot. Its best choice is the exact mean with $s_j^2 = 1/\Lambda_{jj}$,
# the variance of $w_j$ *given all the others*, never above the marginal $\Sigma_{jj}$. BBB
# finds it (every sd within {glue:text}`linear_fit_off:.1f` %), so the median sd is
# {glue:text}`linear_sd_ratio:.2f` of the exact one (right), and the ELBO falls short of
# $\log p(y)$ by $\mathrm{KL}\big(q \,\|\, p(w \mid y)\big) =$ {glue:text}`linear_gap:.1f`
# nats.
#
# ## Key takeaways
#
# * A predictive band is noise plus the disagreement of weight draws: only nets that average
#   over weights widen away from the data, and in the gap even they stay over-confident.
# * With few data BBB leaves most weights at the prior, so SNR prunes the toy almost for free
#   and $|\mu|$ breaks it; on MNIST the order is reversed.
# * A factorised Gaussian keeps each weight's variance given the others, not its marginal, and
#   under-estimates uncertainty where the posterior correlates weights.
#
# ## Exercises
#
# 1. **How wrong, how sure?** For each net, on what share of the gap (and of the data) is
#    the true function inside the $\pm 2$ sd band?

# %% tags=["hide-cell"]
where = toy.regions(grid, data.intervals)
truth = toy.true_function(grid[:, 0])
for name, (mean_, sd_) in zip(nets, bands):
    inside = (truth - mean_).abs() <= 2 * sd_
    shares = {r: f"{inside[where[r][:, 0]].float().mean():.0%}"
              for r in ("data", "gap")}
    print(f"{name:>15}: true f inside the band on {shares}")

# %% [markdown]
# 2. **A flat band.** Why is the point net's band equally wide everywhere? What would widen it
#    outside the data, same architecture?
#
# :::{admonition} Solution
# :class: dropdown
# There is one weight vector, so the disagreement term is zero and only $\sigma_y^2$ is left.
# Any source of several plausible weight vectors restores it: an ensemble trained from
# different seeds, a Laplace approximation around $\hat w$, or dropout kept on at prediction
# time. Their draws agree on the data and disagree where nothing constrains them.
# :::
#
# 3. **Less data, more prior.** Train BBB on 40 points per cluster. How do its RMSE on the
#    data and its active units change, and why?

# %% tags=["hide-cell"]
few = toy.make_data(n_per_interval=40, seed=0)
bbb_few = toy.bayesian_mlp(seed=0)
toy.fit_bbb(bbb_few, few, steps=1000, lr=0.03, samples=2)
mean_few, _ = toy.predictive(bbb_few, grid, few.noise_sd)
rmse_few = toy.region_rmse(mean_few, grid, few.intervals)["data"]
print(f"RMSE on the data {rmse_few:.3f}, "
      f"active units {toy.active_units(bbb_few, few.x)}")

# %% [markdown]
# :::{admonition} Solution
# :class: dropdown
# The negative log-likelihood is a sum over the points, the complexity cost is not: with
# fewer points each active weight must pay for itself with fewer data, so the posterior keeps
# fewer of them away from the prior and the fit gets coarser.
# :::
#
# 4. **A random floor.** Prune BBB at random (`prune.random`) at 75 %; compare its RMSE on
#    the data with SNR and $|\mu|$.

# %% tags=["hide-cell"]
nets = {"random": prune.random(bbb, 0.75, seed=0),
        "SNR": pruned["snr", 0.75], "|μ|": pruned["l1", 0.75]}
for name, net in nets.items():
    mean_, _ = toy.predictive(net, grid, s_y)
    rmse = toy.region_rmse(mean_, grid, data.intervals)["data"]
    print(f"{name:>6}: RMSE on the data {rmse:.3f}")

# %% [markdown]
# 5. **Less overlap.** Narrow the linear model's bumps to 0.3. What happens to neighbours'
#    correlation, the median mean-field-to-exact sd ratio and the KL price of factorising?
#    (`exact.mean_field_optimum` needs no training.)

# %% tags=["hide-cell"]
for width in (0.5, 0.3):
    phi_w = exact.rbf_features(data.x, centres, width)
    _, cov_w = exact.posterior(phi_w, y, s_y, 1.0)
    _, sd_w = exact.mean_field_optimum(phi_w, y, s_y, 1.0)
    marginal = cov_w.diagonal().sqrt()
    corr_w = cov_w / torch.outer(marginal, marginal)
    neighbours = corr_w.diagonal(1).abs().median()   # |corr(w_j, w_j+1)|
    kl = exact.mean_field_kl(exact.precision(phi_w, s_y, 1.0))
    ratio = (sd_w / marginal).median()
    print(f"width {width}: neighbours' |corr| {neighbours:.2f} (median), "
          f"median sd ratio {ratio:.2f}, KL {kl:.1f} nats")

# %% [markdown]
# :::{admonition} Solution
# :class: dropdown
# Narrower bumps overlap less, so the off-diagonal entries of $\Phi^\top \Phi$, and of
# $\Lambda$, shrink against the diagonal. Neighbouring weights are less correlated, the
# variance of $w_j$ given the others comes closer to its marginal, and the KL price at the
# optimum, $\tfrac12 \big(\sum_j \log \Lambda_{jj} - \log \det \Lambda\big)$, zero for a
# diagonal $\Lambda$, falls. Mean field is good exactly when the posterior hardly correlates
# the weights.
# :::
