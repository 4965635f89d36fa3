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
# * how the predictive distribution of a point-estimate net, an MC-dropout net and a
#   Bayes-by-Backprop net is formed, and why only the last two can be unsure where there are
#   no data;
# * how to swap the study's softmax likelihood for a Gaussian one and train a BBB regression
#   net in seconds;
# * what pruning by signal-to-noise ratio $|\mu|/\sigma$ and by $|\mu|$ remove, on a net small
#   enough to look at every one of its parameters;
# * what a factorised Gaussian posterior loses, on a model whose exact posterior is known.

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
import math
import time

import torch

from bnnbook import book, report, toy
from bnnbook.comparison import CRITERION_COLORS
from bnnbook.plots import METHOD_COLORS
from bnntut import bayes, exact, fastmath, prune
from bnntut.noise import NoiseSource

PRESET = book.start()
fastmath.set_compile(False)   # tiny tensors: compiling would cost more

# %% [markdown]
# The MNIST networks of this book have 648 010 weights and 784 inputs, too many to look at.
# This chapter shrinks the problem until every idea can be *seen*: one input, one output,
# 300 noisy points, and nets that train in a few seconds. The toy is the same in the book and
# in quick mode.
#
# ## A regression problem with a gap
#
# The targets are $y = x \sin x + \varepsilon$ with $\varepsilon \sim \mathcal N(0, 0.2^2)$.
# The inputs come from two clusters, $[-3.5, -1]$ and $[1, 3.5]$; between them (the *gap*)
# and beyond them (*outside*) there are no data, so a model that knows what it does not know
# should be unsure there. The true function dips to 0 in the gap, which a smooth
# interpolation between the clusters would miss.

# %%
data = toy.make_data(n_per_interval=150, seed=0)   # x, y: (300, 1)
grid = torch.linspace(*toy.DOMAIN, 481)[:, None]   # inputs to predict at
print(f"{len(data.x)} points in {data.intervals}, noise sd {data.noise_sd}")

# %% [markdown]
# ## Three predictive distributions
#
# All three nets model $y = f(x; w) + \varepsilon$ with the same known noise
# $\sigma_y = 0.2$, so that they differ only in what they believe about the weights $w$:
#
# * the **point estimate** keeps one $\hat w$ (least squares, i.e. maximum likelihood), so its
#   predictive distribution is $\mathcal N\big(f(x; \hat w), \sigma_y^2\big)$;
# * **MC dropout** {cite}`gal2016dropout` keeps dropout on at prediction time; each mask
#   $m_t$ gives weights $w_t$, and training with dropout is approximate variational inference
#   with that (Bernoulli) distribution (they pair it with weight decay, which plays the
#   prior's part; the toy leaves it out);
# * **Bayes by Backprop** draws $w_s \sim q(w \mid \theta) = \mathcal N(\mu, \sigma^2)$ from
#   its trained Gaussian posterior (previous chapter).
#
# In the last two the predictive distribution is a mixture over $S$ weight draws,
# $p(y \mid x) \approx \frac1S \sum_s \mathcal N\big(y \mid f_s, \sigma_y^2\big)$ with
# $f_s = f(x; w_s)$. Its mean is $\bar f = \frac1S\sum_s f_s$, and its variance follows from
# $\mathbb E[y^2 \mid w_s] = \sigma_y^2 + f_s^2$ (the law of total variance):
#
# $$
# \begin{aligned}
# \operatorname{Var}[y \mid x]
# &= \frac1S \sum_s \left(\sigma_y^2 + f_s^2\right) - \bar f^2 \\
# &= \underbrace{\sigma_y^2}_{\text{noise (aleatoric)}}
#  + \underbrace{\frac1S \sum_s \left(f_s - \bar f\right)^2}_{\text{disagreement of the
#    weight draws (epistemic)}} .
# \end{aligned}
# $$
#
# The first term is the same everywhere. Only the second can grow away from the data, and a
# point estimate does not have it: its band is $\pm 2\sigma_y$ at every $x$.

# %% [markdown]
# ## The BBB objective for regression
#
# The study's objective (previous chapter) is a classification loss plus the complexity cost.
# For regression only the likelihood changes: per weight sample the negative log-likelihood
# of the Gaussian, summed over the $n$ points,
#
# $$
# \begin{aligned}
# \mathcal F(\theta) \approx{}& \kappa \cdot \frac1S \sum_s \Big[\log q(w_s \mid \theta)
# - \log P(w_s)\Big] \\
# &+ \frac1S \sum_s \sum_{i=1}^{n} \Big[\frac{\big(y_i - f(x_i; w_s)\big)^2}{2\sigma_y^2}
# + \log \sigma_y + \tfrac12 \log 2\pi\Big].
# \end{aligned}
# $$
#
# The prior is the study's, unchanged: $\pi = 0.5$, $\sigma_1 = 1$, $\sigma_2 = e^{-6}$.
# We train on all 300 points at once, so an epoch is $M = 1$ minibatch and the uniform
# weighting $\kappa = 1/M = 1$ counts the complexity cost exactly once per pass over the data,
# as the evidence lower bound does. (The study's $2^{1-i}$ would give $\kappa = 2$ here,
# weighting the prior twice; Blundell et al.'s $2^{M-i}/(2^M - 1)$ also gives 1.)
#
# Written out for $S = 4$ samples of the untrained net — the complexity cost is the package's
# `bayes.complexity_cost`, the same function the MNIST networks are trained with:

# %%
bbb = toy.bayesian_mlp(seed=0)                       # 1-50-50-1
noises = bayes.draw_noise(bbb, 4, NoiseSource(0))    # ε for S = 4 samples
weights, sigmas = bayes.sample_weights(bbb, noises)  # w_s = μ + σ ε_s
f = bayes.forward_with(weights, data.x)              # (S, n, 1)
s_y = data.noise_sd
nll = ((data.y - f) ** 2 / (2 * s_y**2) + math.log(s_y)
       + 0.5 * math.log(2 * math.pi)).sum() / len(f)
complexity = bayes.complexity_cost(bbb, weights, noises, sigmas)
kappa = bayes.kl_weight("uniform", 0, 1)             # 1/M with M = 1
loss = nll + kappa * complexity
print(f"NLL {nll:.1f} + complexity {complexity:.1f} = loss {loss:.1f}")

# %% tags=["remove-cell"]
_loss, _nll, _weighted = toy.regression_objective(bbb, data.x, data.y, noises, s_y, kappa)
assert math.isclose(loss.item(), _loss.item(), rel_tol=1e-6)
assert math.isclose(nll.item(), _nll.item(), rel_tol=1e-6)

# %% [markdown]
# `toy.regression_objective` is this loss; `toy.fit_bbb` minimises it with Adam, full batch.
# The two deterministic nets have the same 1-50-50-1 shape; the MC-dropout net drops 10 % of
# the hidden units after each ReLU, and both minimise the squared error (the Gaussian negative
# log-likelihood up to constants).

# %%
start = time.perf_counter()
point = toy.mlp(dropout=0.0, seed=0)
toy.fit_net(point, data, steps=2000)
dropout = toy.mlp(dropout=0.1, seed=0)
toy.fit_net(dropout, data, steps=2000)
bbb = toy.bayesian_mlp(seed=0)
history = toy.fit_bbb(bbb, data, steps=1000, lr=0.03, samples=2)
seconds = time.perf_counter() - start
print(f"three nets trained in {seconds:.1f} s")

# %% tags=["remove-cell"]
book.glue("final_nll", sum(history["nll"][-50:]) / 50)
book.glue("final_complexity", sum(history["complexity"][-50:]) / 50)

# %% [markdown]
# ## Bands that widen away from the data
#
# The predictive mean and standard deviation from 100 weight draws, written out as derived
# above (`toy.function_samples` draws the $f_s$: BBB weight samples, or dropout masks):

# %%
f = toy.function_samples(bbb, grid, samples=100)   # (S, 481)
mean = f.mean(0)
disagreement = ((f - mean) ** 2).mean(0)
sd = torch.sqrt(data.noise_sd**2 + disagreement)

# %% tags=["remove-cell"]
_mean, _sd = toy.predictive(bbb, grid, data.noise_sd, samples=100)
assert torch.allclose(mean, _mean) and torch.allclose(sd, _sd)

# %% tags=["remove-cell"]
NETS = {"point estimate": (point, METHOD_COLORS["sgd"]),
        "MC dropout": (dropout, METHOD_COLORS["dropout50"]),
        "BBB": (bbb, METHOD_COLORS["bbb"])}
bands = {name: toy.predictive(net, grid, data.noise_sd) for name, (net, _) in NETS.items()}

# %%
fig = toy.bands_figure(data, grid, [[
    {"title": name, "mean": bands[name][0], "sd": bands[name][1],
     "color": color} for name, (_, color) in NETS.items()]])

# %% [markdown]
# The shaded bands are $\pm 2$ predictive standard deviations; grey backgrounds mark where
# there are no training inputs. The table gives, per region of the grid, the average
# predictive standard deviation (the noise alone is 0.2) and the RMSE of the predictive mean
# against the true function.

# %% tags=["remove-input"]
rows, short = {}, {"point estimate": "point", "MC dropout": "dropout", "BBB": "bbb"}
for name, (mean_, sd_) in bands.items():
    by_region = toy.region_means(sd_, grid, data.intervals)
    rmse = toy.region_rmse(mean_, grid, data.intervals)
    rows[name] = {("predictive sd", region): report.number(by_region[region], 3)
                  for region in ("data", "gap", "outside")}
    rows[name].update({("RMSE of the mean", region): report.number(rmse[region], 3)
                       for region in ("data", "gap")})
    for region in by_region:
        book.glue(f"sd_{region}_{short[name]}", by_region[region])
        book.glue(f"rmse_{region}_{short[name]}", rmse[region])
report.frame(rows, "net")

# %% [markdown]
# **Outside the data** the two stochastic nets do what we hoped: BBB's band averages
# {glue:text}`sd_outside_bbb:.2f` there against {glue:text}`sd_data_bbb:.2f` on the data, and
# it grows with the distance. A ReLU net extrapolates linearly, so the uncertain slopes of the
# weight draws fan out. The point net extrapolates just as far with the noise band alone.
#
# **In the gap** none of them does: all three bridge the two clusters and miss the dip of
# $x \sin x$ (BBB's mean is {glue:text}`rmse_gap_bbb:.2f` off in the gap) with a band no wider
# than on the data ({glue:text}`sd_gap_bbb:.3f`). This is a known limit of the approximations,
# not of Bayesian networks: {cite:t}`foong2020expressiveness` prove that with one hidden layer there are simple
# cases where neither a factorised Gaussian posterior nor MC dropout can make the uncertainty
# between two well-separated clusters substantially larger than on them, find that similar
# pathologies persist in deeper nets trained by variational inference, and give evidence that
# exact inference does not have them.
#
# BBB's mean is also the coarsest fit on the data. Its complexity cost does not shrink with
# the data: at the end of training it is {glue:text}`final_complexity:.0f` nats against
# {glue:text}`final_nll:.0f` for the negative log-likelihood of all 300 points, so the
# posterior uses as few weights as it can. Count the hidden units that fire on any training
# input (posterior-mean weights for BBB):

# %%
def units_that_fire(layers, x):
    """Units of each hidden layer that are > 0 for at least one input."""
    counts, h = [], x
    for weight, bias in layers[:-1]:
        h = torch.relu(h @ weight.T + bias)
        counts.append(int((h > 0).any(0).sum()))
    return counts


with torch.no_grad():
    means = [(layer.weight_sampler.mu, layer.bias_sampler.mu)
             for layer in bbb.layers]
    fire_bbb = units_that_fire(means, data.x)
    linears = [(m.weight, m.bias) for m in point[::2]]
    fire_point = units_that_fire(linears, data.x)
print(f"of 50 per layer: BBB {fire_bbb}, point estimate {fire_point}")

# %% tags=["remove-cell"]
for layer, (n_bbb, n_point) in enumerate(zip(fire_bbb, fire_point), start=1):
    book.glue(f"fire_bbb_{layer}", n_bbb)
    book.glue(f"fire_point_{layer}", n_point)

# %% [markdown]
# The weights into and out of the silent units are not constrained by the data at all, so
# their posteriors stay close to the prior: wide. That is what pruning sees next.
#
# ## Pruning the toy
#
# The toy BBB net is a `bnntut.models.BayesianMLP` with other widths, so the package's
# pruning applies unchanged. Ranking all its parameters (weights and biases, as the study
# does) by signal-to-noise ratio takes a few lines: concatenate every $\mu$ and
# $\sigma = \log(1 + e^{\rho})$, score, and remove the $k$ lowest over the whole net:

# %%
AMOUNT = 0.75
pairs = bayes.variational_pairs(bbb)   # (μ, ρ) of W1, b1, W2, b2, W3, b3
mu = torch.cat([m.detach().flatten() for m, _ in pairs])
rho = torch.cat([r.detach().flatten() for _, r in pairs])
sigma = torch.log1p(torch.exp(rho))    # σ = softplus(ρ)
snr = mu.abs() / sigma
k = round(AMOUNT * len(snr))           # how many to remove
removed_snr = torch.zeros(len(snr), dtype=torch.bool)
removed_snr[torch.topk(snr, k, largest=False).indices] = True
removed_mu = torch.zeros(len(snr), dtype=torch.bool)
removed_mu[torch.topk(mu.abs(), k, largest=False).indices] = True
print(f"remove {k} of {len(snr)}; both criteria remove "
      f"{int((removed_snr & removed_mu).sum())} of the same parameters")

# %% tags=["remove-cell"]
assert torch.equal(removed_snr, prune.removed_mask(prune.snr(bbb, AMOUNT)))
assert torch.equal(removed_mu, prune.removed_mask(prune.l1(bbb, AMOUNT)))
assert torch.equal(sigma, toy.mean_and_sd(bbb)[1])
book.glue("n_params", len(snr))

# %% [markdown]
# `prune.snr` and `prune.l1` compute the same masks (a hidden cell asserts it) and write
# $\mu = \sigma = 0$ into the removed entries. Where do the two criteria cut? Each dot below
# is one parameter of the trained net; the dashed line is the boundary of the removed set, a
# diagonal (constant $|\mu|/\sigma$) for SNR and a vertical line (constant $|\mu|$) for
# magnitude.

# %%
CRITERIA = {"snr": "SNR |μ|/σ", "l1": "|μ|"}
removed = {"snr": removed_snr, "l1": removed_mu}
fig = toy.kept_removed_figure(bbb, [
    {"title": CRITERIA[c], "removed": removed[c], "criterion": c,
     "color": CRITERION_COLORS[c]} for c in CRITERIA])

# %% [markdown]
# Most parameters sit in the cloud at the top, with $\sigma$ of the order of the slab's
# $\sigma_1 = 1$: the weights of the silent units, still close to the prior. The few
# parameters the fit depends on have a small $\sigma$ — the data pinned them down — but not
# always a large $|\mu|$. SNR removes the cloud and keeps them; magnitude keeps the cloud's
# large means and removes many of them. What that does to the function, at three fractions:

# %% tags=["remove-cell"]
AMOUNTS = (0.5, 0.75, 0.9)
pruned = {(c, a): prune.get_criterion(c)(bbb, a) for c in CRITERIA for a in AMOUNTS}
pruned_bands = {key: toy.predictive(net, grid, data.noise_sd) for key, net in pruned.items()}

# %%
fig = toy.bands_figure(data, grid, [[
    {"title": f"{CRITERIA[c]}, {report.percent(a)}",
     "mean": pruned_bands[c, a][0], "sd": pruned_bands[c, a][1],
     "color": CRITERION_COLORS[c]} for a in AMOUNTS] for c in CRITERIA],
    height=5.0)

# %% tags=["remove-input"]
rows = {}
for a in AMOUNTS:
    row = {}
    for c, label in CRITERIA.items():
        mean_, sd_ = pruned_bands[c, a]
        rmse = toy.region_rmse(mean_, grid, data.intervals)["data"]
        outside = toy.region_means(sd_, grid, data.intervals)["outside"]
        row[(label, "RMSE on the data")] = report.number(rmse, 3)
        row[(label, "sd outside")] = report.number(outside, 3)
        book.glue(f"rmse_{c}_{round(100 * a)}", rmse)
        book.glue(f"sd_outside_{c}_{round(100 * a)}", outside)
    overlap = prune.kept_overlap(pruned["snr", a], pruned["l1", a])
    row[("SNR and |μ|", "kept by both")] = report.percent(overlap)
    book.glue(f"overlap_{round(100 * a)}", 100 * overlap)
    rows[report.percent(a)] = row
report.frame(rows, "removed")

# %% [markdown]
# "Kept by both" is `prune.kept_overlap`: the share of the parameters SNR keeps that $|\mu|$
# keeps too. Pruned by SNR, the net keeps its function (RMSE on the data
# {glue:text}`rmse_snr_90:.3f` with 90 % removed, against {glue:text}`rmse_data_bbb:.3f`
# unpruned) and loses part of its band outside the data (average sd
# {glue:text}`sd_outside_snr_90:.2f` against {glue:text}`sd_outside_bbb:.2f`): the wide
# weights it removes were also what made the extrapolations disagree. Pruned by $|\mu|$, the
# function is gone by 75 % (RMSE {glue:text}`rmse_l1_75:.3f`): on this toy magnitude is the
# wrong criterion, because most large means belong to weights the data never constrained.
# Do not generalise from the toy: on the study's MNIST posterior it is the other way round,
# $|\mu|$ loses less accuracy than SNR, because there $\sigma$ varies far less than $|\mu|$
# ({doc}`pruning`). Which criterion wins depends on how much of the net the data leave at
# the prior.
#
# ## What the factorised Gaussian loses
#
# BBB approximates the posterior by a factorised Gaussian. A network's exact posterior is out
# of reach, a linear model's is not: keep the data and $\sigma_y$ and replace the net by
# $f(x; w) = \sum_j w_j \phi_j(x)$, 25 Gaussian bumps
# $\phi_j(x) = \exp\big(-(x - c_j)^2 / (2 \cdot 0.5^2)\big)$ centred every 0.5 on
# $[-6, 6]$, with the prior $w \sim \mathcal N(0, I)$. With $\Phi$ the $300 \times 25$ matrix
# of the $\phi_j(x_i)$, the posterior is Gaussian,
#
# $$
# \Lambda = \frac{\Phi^\top \Phi}{\sigma_y^2} + I, \qquad \Sigma = \Lambda^{-1}, \qquad
# m = \Sigma \, \frac{\Phi^\top y}{\sigma_y^2},
# $$
#
# and the predictive has mean $\phi(x)^\top m$ and variance
# $\phi(x)^\top \Sigma \, \phi(x) + \sigma_y^2$. `exact.fit_mean_field` fits
# $q(w) = \prod_j \mathcal N(\mu_j, s_j^2)$ to the same model by BBB (Adam on the
# reparameterised ELBO).

# %%
centres = torch.arange(-6.0, 6.01, 0.5)                # c_j
phi = exact.rbf_features(data.x, centres, width=0.5)   # Φ: (300, 25)
y, s_y = data.y[:, 0].double(), data.noise_sd
lam = phi.T @ phi / s_y**2 + torch.eye(25)             # Λ, prior sd 1
cov = torch.linalg.inv(lam)                            # Σ
m = cov @ phi.T @ y / s_y**2
mf = exact.fit_mean_field(phi, y, s_y, 1.0, steps=3000, seed=0)
phi_grid = exact.rbf_features(grid, centres, width=0.5)
linear_bands = {
    "exact posterior": exact.predictive(phi_grid, m, cov, s_y),
    "mean-field fit (BBB)": exact.predictive(
        phi_grid, mf.mean, torch.diag(mf.sd**2), s_y)}

# %% tags=["remove-cell"]
_m, _cov = exact.posterior(phi, y, s_y, 1.0)
assert torch.allclose(m, _m) and torch.allclose(cov, _cov)
best_mean, best_sd = exact.mean_field_optimum(phi, y, s_y, 1.0)
# The fit reaches the closed-form optimum of the factorised family.
fit_off = float((mf.sd / best_sd - 1).abs().max())
assert fit_off < 0.05 and float((mf.mean - best_mean).abs().max()) < 0.2
LINEAR_COLORS = {"exact posterior": toy.EXACT_COLOR,
                 "mean-field fit (BBB)": METHOD_COLORS["bbb"]}
sd_by_region = {name: toy.region_means(band[1], grid, data.intervals)
                for name, band in linear_bands.items()}
for name, key in (("exact posterior", "exact"), ("mean-field fit (BBB)", "mf")):
    for region, value in sd_by_region[name].items():
        book.glue(f"linear_sd_{region}_{key}", value)
assert sd_by_region["exact posterior"]["gap"] > sd_by_region["mean-field fit (BBB)"]["gap"]

# %%
fig = toy.bands_figure(data, grid, [[
    {"title": name, "mean": mean_, "sd": sd_, "color": LINEAR_COLORS[name]}
    for name, (mean_, sd_) in linear_bands.items()]], ylim=(-6.0, 4.0))

# %% tags=["remove-input"]
report.frame({name: {region: report.number(value, 3) for region, value in by_region.items()}
              for name, by_region in sd_by_region.items()}, "average predictive sd")

# %% [markdown]
# On the data the bands agree (average predictive sd {glue:text}`linear_sd_data_exact:.2f`
# and {glue:text}`linear_sd_data_mf:.2f`, seed 0); in the gap the exact band opens to
# {glue:text}`linear_sd_gap_exact:.2f`, the mean-field one only to
# {glue:text}`linear_sd_gap_mf:.2f`. The exact answer is known here, so the missing width is
# the factorisation's. The reason is in the weights:

# %%
sd_exact = cov.diagonal().sqrt()                       # √Σ_jj
corr = cov / torch.outer(sd_exact, sd_exact)
i, j = divmod(int((corr - torch.eye(25)).abs().argmax()), 25)
names = [f"$w_{{{k}}}$ (bump at {centres[k]:g})" for k in (i, j)]
fig = toy.covariance_figure(m, cov, mf.mean, mf.sd, (i, j), names)

# %% tags=["remove-cell"]
book.glue("linear_corr", float(corr[i, j]))
book.glue("linear_fit_off", 100 * fit_off)
book.glue("linear_sd_ratio", float((mf.sd / sd_exact).median()))
evidence = exact.log_evidence(phi, y, s_y, 1.0)
book.glue("linear_gap", evidence - exact.elbo(phi, y, s_y, 1.0, mf.mean, torch.diag(mf.sd**2)))
book.glue("linear_kl", exact.mean_field_kl(lam))

# %% [markdown]
# Neighbouring bumps overlap, so the data fix the sum of their weights better than either:
# the exact posterior correlates them ({glue:text}`linear_corr:.2f` for the pair on the left);
# a factorised $q$ cannot. Its best choice is known in closed form: the exact mean and
# $s_j^2 = 1/\Lambda_{jj}$, the variance of $w_j$ *given all the other weights*, never larger
# than the marginal $\Sigma_{jj}$. BBB (seed 0) finds it (every sd within
# {glue:text}`linear_fit_off:.1f` % of $\Lambda_{jj}^{-1/2}$) and so under-estimates the
# variances: the median weight's sd is {glue:text}`linear_sd_ratio:.2f` of the exact one
# (right). The ELBO falls short of $\log p(y)$ by
# $\mathrm{KL}\big(q \,\|\, p(w \mid y)\big)$: {glue:text}`linear_gap:.1f` nats, of which
# the optimum's $\tfrac12 \big(\sum_j \log \Lambda_{jj} - \log \det \Lambda\big)$ is
# {glue:text}`linear_kl:.1f`.
#
# ## Key takeaways
#
# A predictive band is noise plus the disagreement of weight draws, and only nets that average
# over weights have the second term: outside the data BBB's predictive sd averages
# {glue:text}`sd_outside_bbb:.2f` and MC dropout's {glue:text}`sd_outside_dropout:.2f`,
# against the point net's constant {glue:text}`sd_outside_point:.2f`. Between the clusters
# all three are over-confident — BBB's sd in the gap is {glue:text}`sd_gap_bbb:.3f` while its
# mean is {glue:text}`rmse_gap_bbb:.2f` off — a limit of factorised posteriors. With 300
# points against {glue:text}`n_params` parameters the complexity cost dominates, and BBB fits with
# {glue:text}`fire_bbb_1` and {glue:text}`fire_bbb_2` active units of 50 per layer, leaving the
# rest near the prior. That is why SNR prunes the toy almost for free (RMSE
# {glue:text}`rmse_snr_90:.3f` at 90 % removed) while $|\mu|$ destroys it (RMSE
# {glue:text}`rmse_l1_90:.3f`): the two criteria keep only {glue:text}`overlap_90:.0f` % of
# the same parameters at 90 %. On the study's MNIST posterior the order of the criteria is
# reversed: the toy shows the mechanism, not the outcome.
#
# A factorised Gaussian keeps each weight's variance given all the others, not its marginal
# variance. On a linear model whose posterior is exact, BBB's sds are a fraction of the true
# ones (median ratio {glue:text}`linear_sd_ratio:.2f`) and its band misses much of the
# widening between the clusters, where the toy nets' bands stayed narrow too.
#
# ## Exercises
#
# 1. **How wrong, how sure?** For each of the three nets, what share of the grid points in the
#    gap has the true function inside the $\pm 2$ sd band? And on the data?

# %% tags=["hide-cell"]
where = toy.regions(grid, data.intervals)
truth = toy.true_function(grid[:, 0])
for name, (mean_, sd_) in bands.items():
    inside = (truth - mean_).abs() <= 2 * sd_
    shares = {r: f"{inside[where[r][:, 0]].float().mean():.0%}"
              for r in ("data", "gap")}
    print(f"{name:>15}: true f inside the band on {shares}")

# %% [markdown]
# 2. **A flat band.** Why is the point net's band the same width everywhere, and what would
#    you add to make it widen outside the data without changing the net's architecture?
#
# :::{admonition} Solution
# :class: dropdown
# Its predictive distribution is $\mathcal N(f(x; \hat w), \sigma_y^2)$: there is one
# weight vector, so the epistemic term of the variance,
# $\frac1S\sum_s (f_s - \bar f)^2$, is zero and only the noise $\sigma_y^2$ is left. Any
# source of several plausible weight vectors restores it: an ensemble of nets trained from
# different seeds, a Laplace approximation around $\hat w$, or dropout kept on at prediction
# time. Each gives draws $f_s$ that agree on the data and disagree where nothing constrains
# them.
# :::
#
# 3. **Less data, more prior.** Train the BBB net on 40 points per cluster instead of 150.
#    How do its RMSE on the data and its number of active units change, and why?

# %% tags=["hide-cell"]
few = toy.make_data(n_per_interval=40, seed=0)
bbb_few = toy.bayesian_mlp(seed=0)
toy.fit_bbb(bbb_few, few, steps=1000, lr=0.03, samples=2)
mean_few, _ = toy.predictive(bbb_few, grid, few.noise_sd)
with torch.no_grad():
    means = [(layer.weight_sampler.mu, layer.bias_sampler.mu)
             for layer in bbb_few.layers]
    fire_few = units_that_fire(means, few.x)
rmse_few = toy.region_rmse(mean_few, grid, few.intervals)["data"]
print(f"RMSE on the data {rmse_few:.3f}, active units {fire_few}")

# %% [markdown]
# :::{admonition} Solution
# :class: dropdown
# The negative log-likelihood is a sum over the data points, the complexity cost is not: with
# fewer points each active weight must pay for itself with fewer data, so the posterior keeps
# fewer of them away from the prior and the fit gets coarser. (Blundell et al.'s minibatch
# weighting and the study's $2^{1-i}$ change the balance the same way, by scaling the
# complexity cost.)
# :::
#
# 4. **A random floor.** Prune the BBB net at random (`prune.random`) at 75 % and compare its
#    RMSE on the data with SNR and $|\mu|$ at the same fraction.

# %% tags=["hide-cell"]
nets = {"random": prune.random(bbb, 0.75, seed=0),
        "SNR": pruned["snr", 0.75], "|μ|": pruned["l1", 0.75]}
for name, net in nets.items():
    mean_, _ = toy.predictive(net, grid, data.noise_sd)
    rmse = toy.region_rmse(mean_, grid, data.intervals)["data"]
    print(f"{name:>6}: RMSE on the data {rmse:.3f}")

# %% [markdown]
# 5. **Less overlap.** Narrow the bumps of the linear model from 0.5 to 0.3, keeping the
#    centres. What happens to the correlation of neighbouring weights, to the median ratio
#    of mean-field to exact sd, and to the KL price of factorising? Why? (The
#    mean-field optimum is in closed form, `exact.mean_field_optimum`: no training needed.)

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
# Narrower bumps overlap less, so fewer training inputs see two of them at once: the
# off-diagonal entries of $\Phi^\top \Phi$, and with them those of $\Lambda$, shrink
# against the diagonal. Neighbouring weights are less correlated a posteriori, the variance
# of $w_j$ given the others comes closer to its marginal variance, and the KL price
# $\tfrac12 \big(\sum_j \log \Lambda_{jj} - \log \det \Lambda\big)$, zero for a diagonal
# $\Lambda$, falls. The mean-field approximation is good exactly when the posterior hardly
# correlates the weights.
# :::
