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
# # Pruning
#
# ## What you will learn
#
# * How *global unstructured* pruning builds one mask for the whole network — the $k$ lowest
#   scores over all layers — written in a few lines and checked against `bnntut.prune`.
# * How to measure the accuracy of a pruned network by hand: mask, forward, argmax, compare.
# * Why {cite:t}`blundell2015weight` rank a Bayesian network's weights by their
#   signal-to-noise ratio $|\mu|/\sigma$ — and why, on the study's trained posterior, ranking
#   by $|\mu|$ alone loses less accuracy.

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

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from bnnbook import book, claims, interactive, plots, report
from bnntut import bayes, data, evaluate, experiment, prune
from bnntut.noise import NoiseSource
from bnntut.presets import METHOD_LABELS, get_preset

PRESET = book.start()
subset = get_preset(PRESET).subset
results = book.load_results(PRESET)

# %% [markdown]
# ## The global pruning mask
#
# Put every weight and bias of the three layers into one vector $\theta \in \mathbb{R}^n$;
# for 784-500-500-10 that is $784 \cdot 500 + 500 \cdot 500 + 500 \cdot 10$ weights and
# $500 + 500 + 10$ biases ({doc}`baselines` counts them). A pruning criterion gives each
# entry a score $s_j$: its magnitude $|\theta_j|$ for the baselines {cite}`han2015learning`
# (the study called `torch.nn.utils.prune.global_unstructured` with `L1Unstructured`), its
# signal-to-noise ratio $|\mu_j|/\sigma_j$ for Bayes by Backprop, the criterion
# {cite:t}`graves2011practical` proposed for variational networks. Magnitude is the
# cheapest score; optimal brain damage {cite}`lecun1990optimal` and optimal brain surgeon
# {cite}`hassibi1993second` estimate instead what removing a weight costs the loss, from its
# second derivatives. Pruning a fraction $a$ removes the $k$ lowest scores and sets those
# entries to exactly zero:
#
# $$
# \begin{aligned}
# k &= \operatorname{round}(a\,n), \\
# m_j &= \mathbb{1}\bigl[\,s_j \text{ is one of the } k \text{ smallest scores}\,\bigr]
#      = \mathbb{1}\bigl[\,s_j \le s_{(k)}\,\bigr], \\
# \theta'_j &= (1 - m_j)\,\theta_j ,
# \end{aligned}
# $$
#
# where $s_{(k)}$ is the $k$-th smallest score. There is one threshold for the whole network
# (*global*), so a layer loses more or less than the fraction $a$ depending on how its scores
# compare with the other layers'; single entries go, not whole neurons (*unstructured*). As in
# the study, nothing is retrained afterwards — unlike gradual pruning schedules
# {cite}`zhu2017prune`, which prune a little and train again many times, or the lottery-ticket
# procedure {cite}`frankle2019lottery`, which retrains the surviving weights from their
# initial values.
#
# **How $k$ is counted.** `round` is Python's, as in `torch.nn.utils.prune`: the nearest
# integer, and on an exact half the even one (`round(2.5) == 2`, `round(3.5) == 4`); $a\,n$ is
# a float product, so a value that should be a half can land a rounding error either side.
# Ties between scores would make "the $k$ smallest" ambiguous, but trained float weights do
# not tie at the threshold (checked below), so the two forms of $m_j$ agree.
#
# Here is the whole mask at $a = 0.9$ for the trained MNIST network that the study calls
# "SGD" — trained with Adam and dropout 0.01 ({doc}`baselines`), seed 0:

# %%
def global_mask(scores, amount):
    """True for the round(amount · n) smallest of ``scores`` (n,)."""
    k = round(amount * scores.numel())
    removed = torch.zeros(scores.numel(), dtype=torch.bool)
    removed[scores.argsort()[:k]] = True
    return removed


sgd = experiment.trained_model("mnist", "sgd", PRESET, device="cpu")
params = ([lin.weight for lin in sgd.linears]        # W1, W2, W3
          + [lin.bias for lin in sgd.linears])      # b1, b2, b3
scores = torch.cat([p.detach().abs().flatten() for p in params])  # |θ|
removed = global_mask(scores, 0.9)

# %% tags=["remove-cell"]
# The mask written out above is the package's global L1 pruning (torch's own call), entry for
# entry, with the package's count; and nothing ties at the threshold.
assert torch.equal(removed, prune.removed_mask(prune.l1(sgd, 0.9)))
assert int(removed.sum()) == prune.n_to_prune(0.9, scores.numel())
assert scores.numel() == sum(p.numel() for p in sgd.parameters())
threshold = scores[removed].max()
assert int((scores == threshold).sum()) == 1
assert bool(scores[~removed].min() > threshold)

# %% tags=["remove-input"]
layer_names = ("784→500", "500→500", "500→10")
sizes = [p.numel() for p in params]
per_tensor = removed.split(sizes)
rows = {"parameters n": {"value": f"{scores.numel():,}"},
        "removed k = round(0.9 n)": {"value": f"{int(removed.sum()):,}"},
        "largest removed |w|": {"value": report.number(threshold.item(), 7)},
        "smallest kept |w|": {"value": report.number(scores[~removed].min().item(), 7)}}
for name, part in zip(layer_names, per_tensor[:3]):
    rows[f"weights kept, layer {name}"] = {"value": report.number(
        100 * (~part).float().mean().item(), 1, unit=" %")}
rows["biases kept, all layers"] = {"value": report.number(
    100 * (~torch.cat(per_tensor[3:])).float().mean().item(), 1, unit=" %")}
biases = torch.cat(params[3:]).detach().abs()               # |b|, all layers
book.glue("sgd_first_kept", 100 * (~per_tensor[0]).float().mean().item())
book.glue("sgd_last_kept", 100 * (~per_tensor[2]).float().mean().item())
book.glue("sgd_biases_removed",
          100 * torch.cat(per_tensor[3:]).float().mean().item())
book.glue("sgd_bias_median", biases.median().item())
book.glue("sgd_threshold", threshold.item())
report.frame(rows, "SGD net, 90 % removed by global |w|")

# %% [markdown]
# One threshold, different shares per layer: the first layer keeps
# {glue:text}`sgd_first_kept:.1f` % of its weights, the output layer
# {glue:text}`sgd_last_kept:.1f` %. A layer whose weights are small as a whole gives up more
# than the requested fraction, one with large weights less.
#
# The biases are ranked under the same threshold, as in the study. This network's biases are
# small — their median magnitude is {glue:text}`sgd_bias_median:.4f`, against a threshold of
# {glue:text}`sgd_threshold:.4f` — so the global rule removes
# {glue:text}`sgd_biases_removed:.1f` % of them. Whether the biases are ranked at all
# changes which model looks more prunable ({doc}`evaluation`).
#
# ## Accuracy after pruning, by hand
#
# The pruned network is evaluated like any other: one forward pass over the $N$ test images in
# eval mode (dropout off), the class with the largest logit as the prediction, the share of
# correct predictions as the accuracy,
#
# $$
# \operatorname{acc}(\theta') = \frac{1}{N} \sum_{i=1}^{N}
#   \mathbb{1}\Bigl[\,\arg\max_{c}\, f_{\theta'}(x_i)_c = y_i\Bigr].
# $$
#
# With the mask above, for the three ReLU layers:

# %%
ds = data.load("mnist", subset=subset)
kept = (~removed).float().split(sizes)
W1, W2, W3, b1, b2, b3 = [p.detach() * m.view_as(p)
                          for p, m in zip(params, kept)]
h = torch.relu(ds.x_test @ W1.T + b1)                    # (N, 500)
h = torch.relu(h @ W2.T + b2)                            # (N, 500)
logits = h @ W3.T + b3                                   # (N, 10)
accuracy = (logits.argmax(dim=1) == ds.y_test).float().mean().item()
print(f"'SGD' net, 90 % removed by |w|: test accuracy {accuracy:.4f}")

# %% tags=["remove-cell"]
# The hand-made pruned forward gives the package's accuracy of the package's pruned copy, and
# the value stored in the committed sweep.
package = evaluate.accuracy(prune.l1(sgd, 0.9), ds.x_test, ds.y_test)
assert math.isclose(accuracy, package, abs_tol=1e-9)
assert math.isclose(accuracy, report.accuracy_at(results["mnist"]["sgd"], 0.9, "l1"),
                    abs_tol=1e-6)

# %% [markdown]
# The package does the same in two calls, `evaluate.accuracy(prune.l1(model, a), x, y)`:
# `prune.l1` returns a pruned copy (torch's `global_unstructured`, made permanent with
# `prune.remove`) and leaves the trained model untouched. From here on we use it.
#
# ## Pruning a Bayesian network
#
# A BBB weight is a distribution, $w_j \sim \mathcal{N}(\mu_j, \sigma_j^2)$ with
# $\sigma_j = \log(1 + e^{\rho_j})$, and a sampled network draws $w_j = \mu_j + \sigma_j
# \varepsilon_j$. To remove it, every sample must be zero, not only the mean: `prune.snr` sets
# $\mu_j = 0$ **and** $\rho_j = -\infty$ (so $\sigma_j = 0$), in place in the tensors the
# sampler reads. (The study's code assigned new tensors that the sampler never read, so its
# "pruned" networks were the unpruned ones: {doc}`reproduction_notes`.) Ten weight samples of
# the MNIST network pruned by SNR at 90 %:

# %%
bbb = experiment.trained_model("mnist", "bbb", PRESET, device="cpu")
pruned = prune.snr(bbb, 0.9)
noise = bayes.draw_noise(pruned, 10, NoiseSource(0))
weights, _ = bayes.sample_weights(pruned, noise)
layer1 = weights[0]                             # (10, 500, 784): 10 samples
gone = pruned.layers[0].weight_sampler.mu == 0  # (500, 784): removed
print("removed: 0 in all samples    ", bool((layer1[:, gone] == 0).all()))
print("kept: nonzero in all samples ", bool((layer1[:, ~gone] != 0).all()))

# %% [markdown]
# ## Why the signal-to-noise ratio?
#
# The network was trained on samples $w_j = \mu_j + \sigma_j \varepsilon_j$: the expected
# log-likelihood of the ELBO averages over them, so the trained network already tolerates
# changes of $w_j$ of the size of $\sigma_j$. Removing the weight sets $w_j = 0$, a change
# whose mean square is
#
# $$
# \mathbb{E}\bigl[(w_j - 0)^2\bigr] = \mu_j^2 + \sigma_j^2
# \quad\Longrightarrow\quad
# \frac{\mathbb{E}\bigl[w_j^2\bigr]}{\sigma_j^2}
#   = 1 + \Bigl(\frac{|\mu_j|}{\sigma_j}\Bigr)^2 = 1 + \mathrm{SNR}_j^2 .
# $$
#
# Measured in the noise the network is used to, removing weight $j$ costs $1 + \mathrm{SNR}_j^2$.
# Equivalently, zero lies $\mathrm{SNR}_j$ posterior standard deviations from the mean,
# $q(0)/q(\mu_j) = e^{-\mathrm{SNR}_j^2/2}$: a weight with $\mathrm{SNR}_j \lesssim 1$ is one
# the posterior cannot tell from zero, and removing it costs about as much as resampling it.
# The scale-mixture prior ({doc}`prior`) gives a reason to expect many such weights: its narrow
# component ($\sigma_2 = e^{-6}$) rewards posteriors that collapse onto zero, so weights the
# data do not need should end with $\mu_j \approx 0$ — the low-SNR mode of Blundell et al.'s
# Figure 4, which SNR pruning removes first.
#
# Two caveats follow from the same formula. The accuracy that the study reports is the
# **posterior-mean** network's, which uses $w_j = \mu_j$: its change on removal is $|\mu_j|$,
# whatever $\sigma_j$, and ranking by $|\mu_j|$ removes the $k$ smallest such changes. And
# SNR differs from $|\mu|$ only where $\sigma$ varies:
#
# $$
# \log \mathrm{SNR}_j = \log|\mu_j| - \log\sigma_j ,
# $$
#
# so if every $\sigma_j$ were equal, the two rankings would be the same. Both rules at 90 % on
# the trained MNIST posterior, with `global_mask` from above:

# %%
pairs = bayes.variational_pairs(bbb)   # (μ, ρ) of W1, b1, W2, b2, W3, b3
mu = torch.cat([m.detach().flatten() for m, _ in pairs])        # (n,)
rho = torch.cat([r.detach().flatten() for _, r in pairs])       # (n,)
sigma = bayes.sigma(rho)                                        # (n,)
by_snr = global_mask(mu.abs() / sigma, 0.9)     # removed by SNR
by_mu = global_mask(mu.abs(), 0.9)              # removed by |μ|
overlap = ((~by_snr & ~by_mu).sum() / (~by_snr).sum()).item()
print(f"of the parameters SNR keeps, |μ| keeps {overlap:.1%} too")

# %% tags=["remove-cell"]
# Both hand-made masks are the package's prunings of the Bayesian net (prune.snr, prune.l1
# ranking by |μ|), and the overlap is prune.kept_overlap.
by_mu_model = prune.l1(bbb, 0.9)
assert torch.equal(by_snr, prune.removed_mask(pruned))
assert torch.equal(by_mu, prune.removed_mask(by_mu_model))
assert math.isclose(overlap, prune.kept_overlap(pruned, by_mu_model), rel_tol=1e-6)
book.glue("overlap_90", 100 * overlap)
assert not (~by_snr | ~by_mu)[mu.abs() < 1e-4].any()   # left of the figure: removed

# %% [markdown]
# Each point below is one parameter (a random 20 000 of them, so each group keeps its share;
# the axis starts at $|\mu| = 10^{-4}$, and the few smaller ones are removed by both rules).
# The two rules are two lines: $|\mu|$ keeps what lies right of a vertical line, SNR what lies
# below the diagonal $\sigma = |\mu|/t$ (slope 1 on log axes). The dotted lines mark where
# $\sigma$ started: $\rho \sim \mathcal{U}(-5, -4)$ and $\sigma = \log(1 + e^\rho)$ is
# increasing, so $\sigma \in [\log(1 + e^{-5}), \log(1 + e^{-4})]$.

# %%
rho_init = get_preset(PRESET).model_spec("bbb")["rho_init"]
low, high = bayes.sigma(torch.tensor(rho_init)).tolist()  # initial σ range
t_mu = mu.abs()[by_mu].max()                          # largest |μ| removed
t_snr = (mu.abs() / sigma)[by_snr].max()              # largest SNR removed
fig, axes = plots.figure(height=4.4)
ax = plots.kept_scatter(mu.abs(), sigma, by_snr, by_mu, ax=axes[0, 0])
ax.set(xlim=(1e-4, 1.5 * mu.abs().max()),
       ylim=(0.9 * sigma.min(), 1.1 * sigma.max()))
for edge, label in ((low, "initial range of σ"), (high, None)):
    ax.axhline(edge, color=plots.REFERENCE_COLOR, ls=":", lw=1.8,
               label=label)
ax.axvline(t_mu, color=plots.KEPT_COLORS["b"], ls="--", lw=1.2,
           label="|μ| threshold")
y = torch.logspace(*[math.log10(v) for v in ax.get_ylim()], 50)
ax.plot(t_snr * y, y, color=plots.KEPT_COLORS["a"], ls="--", lw=1.2,
        label="SNR threshold")                       # |μ| / σ = t
plots.plain_log_ticks(ax, axis="y", subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0))
plots.legend_below(fig, ncol=2, markerscale=3);

# %% [markdown]
# ### Why $|\mu|$ beats SNR on this posterior
#
# The dotted lines tell the story: after 50 epochs most $\sigma$ are still inside the range
# they were drawn from ({doc}`weights` measures the share and shows the histogram). In
# $\log\mathrm{SNR} = \log|\mu| - \log\sigma$ the second term then varies much less than the
# first, and over all parameters SNR ranks almost like $|\mu|$:

# %%
def ranks(v):
    return v.argsort().argsort().double()    # 0 for the smallest entry


spread_mu = mu.abs().log10().std().item()       # in decades
spread_sigma = sigma.log10().std().item()
both = torch.stack([ranks(mu.abs() / sigma), ranks(mu.abs())])
spearman = torch.corrcoef(both)[0, 1]
print(f"std of log10 |μ|: {spread_mu:.2f}, of log10 σ: {spread_sigma:.2f}")
print(f"rank correlation of SNR and |μ| (Spearman): {spearman:.4f}")

# %% tags=["remove-cell"]
book.glue("spearman", spearman.item())

# %% [markdown]
# Almost — but pruning at 90 % keeps only the top tenth, a narrow tail of large $|\mu|$, and
# there the small spread of $\sigma$ is enough to reshuffle the choice: of the parameters SNR
# keeps, $|\mu|$ keeps only {glue:text}`overlap_90:.1f` %. *How* they disagree follows from
# the two thresholds, $t_{|\mu|}$ and $t_\mathrm{SNR}$, which cross at $\sigma^* =
# t_{|\mu|}/t_\mathrm{SNR}$:
#
# $$
# \begin{aligned}
# \text{kept by SNR only:}\quad & |\mu_j| \le t_{|\mu|}
#   &&\text{and}\quad \sigma_j < |\mu_j|/t_\mathrm{SNR} \le \sigma^* , \\
# \text{kept by } |\mu| \text{ only:}\quad & |\mu_j| > t_{|\mu|}
#   &&\text{and}\quad \sigma_j \ge |\mu_j|/t_\mathrm{SNR} > \sigma^* .
# \end{aligned}
# $$
#
# Every weight that SNR keeps in exchange is smaller *and* more certain than every weight it
# gives up; the ones it gives up are larger weights whose $\sigma$ is larger — largely by the
# luck of where their $\rho$ was drawn. The posterior-mean network computes with $\mu$, and
# it needs those larger weights.

# %% tags=["remove-cell"]
# The two exchanged groups lie on either side of σ* = t_|μ| / t_SNR, as derived.
sigma_star = t_mu / t_snr
assert bool(sigma[~by_snr & by_mu].max() < sigma_star)
assert bool(sigma[by_snr & ~by_mu].min() > sigma_star)

# %% [markdown]
# The same comparison with the package, on both datasets, with the stored accuracies at 90 %
# removed (seed 0, posterior mean, ± the test set's standard error $\sqrt{p(1-p)/n}$ that
# {doc}`evaluation` introduces):

# %% tags=["remove-input"]
rows = {}
for dataset in results:
    model = bbb if dataset == "mnist" else experiment.trained_model(
        dataset, "bbb", PRESET, device="cpu")
    d_pairs = bayes.variational_pairs(model)
    d_mu = torch.cat([m.detach().flatten() for m, _ in d_pairs]).abs()
    d_sigma = bayes.sigma(torch.cat([r.detach().flatten() for _, r in d_pairs]))
    gone_snr = prune.removed_mask(prune.snr(model, 0.9))
    gone_mu = prune.removed_mask(prune.l1(model, 0.9))
    groups = {"kept by both": ~gone_snr & ~gone_mu,
              "kept by SNR only": ~gone_snr & gone_mu,
              "kept by |μ| only": gone_snr & ~gone_mu}
    column = {}
    for group, members in groups.items():
        column[f"{group}: median |μ|"] = report.number(d_mu[members].median().item())
        column[f"{group}: median σ"] = report.number(d_sigma[members].median().item())
    result = results[dataset]["bbb"]
    n_test = claims.n_test_images(result)
    for criterion, label in (("snr", "SNR"), ("l1", "|μ|")):
        acc = report.accuracy_at(result, 0.9, criterion)
        se = claims.standard_error(acc, n_test)
        column[f"accuracy at 90 %, pruned by {label}"] = (
            f"{report.number(acc)} ± {report.number(se)}")
    for name, text in column.items():
        rows.setdefault(name, {})[plots.DATASET_LABELS[dataset]] = text
report.frame(rows, "Bayes by Backprop, 90 % removed")

# %% [markdown]
# ## The prune slider
#
# Pick a dataset, a model and a fraction to remove; the test accuracy and the histogram of the
# surviving parameters update (live in Jupyter and Colab; the static book shows the
# precomputed version below). BBB is pruned by SNR and evaluated with its posterior mean.

# %% tags=["remove-cell"]
_models, _data = {}, {}


def _show(dataset="mnist", method="bbb", amount=0.9):
    if (dataset, method) not in _models:
        _models[dataset, method] = experiment.trained_model(dataset, method, PRESET, device="cpu")
    if dataset not in _data:
        _data[dataset] = data.load(dataset, subset=subset)
    model, ds = _models[dataset, method], _data[dataset]
    pruned = (prune.snr if method == "bbb" else prune.l1)(model, amount)
    accuracy = evaluate.accuracy(pruned, ds.x_test, ds.y_test)
    values = (torch.cat([layer.weight_sampler.mu.flatten() for layer in pruned.layers])
              if method == "bbb" else torch.cat([p.flatten() for p in pruned.parameters()]))
    fig, ax = plt.subplots(figsize=(7, 3.4))
    plots.live_weights_histogram(values, ax, color=plots.METHOD_COLORS[method])
    ax.set(xlabel="surviving parameter value" + (" (μ)" if method == "bbb" else ""),
           ylabel="density",
           title=f"{METHOD_LABELS[method]}, {amount:.0%} removed: test accuracy {accuracy:.4f}")
    plt.show()


book.live_widget(_show, lambda: dict(
    dataset=widgets.Dropdown(options=["mnist", "fashion-mnist"], description="dataset"),
    method=widgets.Dropdown(options=[(v, k) for k, v in METHOD_LABELS.items()], value="bbb",
                            description="model"),
    amount=widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="prune",
                               continuous_update=False, readout_format=".0%"),
));

# %% [markdown]
# On this static page the slider runs on precomputed states: every model pruned at each
# fraction below, with the accuracy from its stored sweep, the histogram of the surviving
# parameters and, as a picture of *where* the pruning cuts, the share of each input pixel's
# first-layer weights that survive (28 × 28, one square per pixel).

# %% tags=["remove-input"]
results = book.load_results(PRESET)
interactive.show(interactive.prune_explorer(PRESET, results))

# %% [markdown]
# ### Precomputed: accuracy against the pruned fraction, and the surviving parameters
#
# The same information for every model, computed when the models were trained
# (`bnntut.evaluate.prune_sweep` over 0, 5, …, 95, 98, 99 %). Dots: posterior mean / eval
# mode; dotted: BBB's 10-sample ensemble; dashed: BBB ranked by $|\mu|$ instead of SNR.

# %%
fig = plots.prune_figure(results)

# %%
fig = plots.surviving_figure(results)

# %% [markdown]
# Magnitude pruning leaves a hole around zero in the baselines' distributions; SNR pruning
# leaves BBB's μ distribution with small-$|\mu|$ survivors whose σ is even smaller.

# %% [markdown]
# ## Key takeaways
#
# * Global pruning is one sort over all parameters under a single threshold, so layers and
#   biases lose very different shares: at 90 % the "SGD" net keeps
#   {glue:text}`sgd_first_kept:.1f` % of its first layer's weights and loses
#   {glue:text}`sgd_biases_removed:.1f` % of its biases.
# * Masking, a forward pass and an argmax give exactly the accuracy the package computes:
#   the test that a pruning reached the network.
# * SNR removes the weights the posterior cannot tell from zero. On the study's posterior σ
#   barely varies, so SNR ranks almost like $|\mu|$ overall (rank correlation
#   {glue:text}`spearman:.3f`) yet keeps a different tenth of the parameters at 90 %
#   (only {glue:text}`overlap_90:.1f` % shared).
# * The network that is evaluated computes with $\mu$, and SNR gives up larger $\mu$ for
#   smaller σ: on this posterior, ranking by $|\mu|$ loses less accuracy than SNR.
#
# ## Exercises
#
# 1. **Global or per layer?** Prune the "SGD" network by 90 % of *each* tensor
#    (`prune.l1_per_layer`) instead of 90 % globally and compare the test accuracies. Which
#    layer does the global rule cut harder than 90 %, and why can the per-layer rule not do
#    that?
# 2. **The floor.** How much of the accuracy at 90 % is due to choosing *which* weights to
#    remove? Prune the Bayesian network with `prune.random` (a seeded random choice of the
#    same number of entries) and compare with SNR and $|\mu|$.
# 3. **When do SNR and $|\mu|$ agree?** Show that if every $\sigma_j$ is the same constant $c$,
#    SNR pruning and $|\mu|$ pruning remove the same entries. What happens if instead
#    $\sigma_j = c\,|\mu_j|$ for every $j$?
#
# **Solution 1** (code: click to show)

# %% tags=["hide-cell"]
# Solution 1: global against per-layer magnitude pruning, "SGD" net.
per_layer = prune.l1_per_layer(sgd, 0.9)
glob = prune.l1(sgd, 0.9)
print(f"global:    {evaluate.accuracy(glob, ds.x_test, ds.y_test):.4f}")
acc = evaluate.accuracy(per_layer, ds.x_test, ds.y_test)
print(f"per layer: {acc:.4f}")
for name, lin in zip(layer_names, per_layer.linears):
    kept_share = (lin.weight != 0).float().mean()
    print(f"  layer {name}: {kept_share:.1%} of weights kept")
# Compare with the global table above: the per-layer rule removes 90 % of
# every tensor, the output layer's 5000 weights too, whatever their size.

# %% [markdown]
# **Solution 2** (code: click to show)

# %% tags=["hide-cell"]
# Solution 2: random removal of the same number of entries as the floor.
for name, model in (("SNR", pruned), ("|μ|", by_mu_model),
                    ("random", prune.random(bbb, 0.9, seed=0))):
    acc = evaluate.accuracy(model, ds.x_test, ds.y_test)
    print(f"{name:>6}: {acc:.4f}")

# %% [markdown]
# :::{admonition} Solution 3
# :class: dropdown
#
# With $\sigma_j = c$, $\mathrm{SNR}_j = |\mu_j|/c$ is an increasing function of $|\mu_j|$, so
# the order of the scores — and hence the $k$ smallest — is the same. (In logarithms:
# $\log\mathrm{SNR}_j = \log|\mu_j| - \log c$, a constant shift.) With $\sigma_j = c|\mu_j|$,
# every entry has $\mathrm{SNR}_j = 1/c$: all scores tie, and "the $k$ smallest" is decided
# by the tie-breaking of the sort, not by the posterior — SNR carries no information at all.
# The study's posterior lies between the two cases, close to the first: $\sigma$ varies
# little, so SNR is $|\mu|$ plus the noise of where each $\rho$ was initialised.
# :::
