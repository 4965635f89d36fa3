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
# * How *global unstructured* pruning builds one mask for the whole network, checked
#   against `torch.nn.utils.prune`.
# * How to test that a pruning reached the network: mask, forward pass, argmax, compare.
# * Why {cite:t}`blundell2015weight` rank a Bayesian network's weights by their
#   signal-to-noise ratio $|\mu|/\sigma$, and why $|\mu|$ alone does better here.

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
import torch

from bnnbook import book, claims, interactive, plots, report, style
from bnntut import bayes, collect, data, evaluate, experiment, prune
from bnntut.noise import NoiseSource
from bnntut.presets import get_preset

PRESET = book.start()
subset = get_preset(PRESET).subset
results = collect.grid(PRESET, compute=PRESET != "paper")

# %% [markdown]
# ## The global pruning mask
#
# Put every weight and bias into one vector $\theta \in \mathbb{R}^n$. A criterion scores
# each entry: its magnitude $|\theta_j|$ for the baselines
# {cite}`han2015learning` (the study called `torch.nn.utils.prune.global_unstructured` with
# `L1Unstructured`), its signal-to-noise ratio $|\mu_j|/\sigma_j$ for Bayes by Backprop
# {cite}`graves2011practical`. Pruning a fraction $a$ zeroes the $k$ lowest scores:
#
# $$
# k = \operatorname{round}(a\,n), \qquad
# m_j = \mathbb{1}\bigl[\,s_j \le s_{(k)}\,\bigr], \qquad
# \theta'_j = (1 - m_j)\,\theta_j ,
# $$
#
# with $s_{(k)}$ the $k$-th smallest score: one threshold for the whole network (*global*),
# single entries (*unstructured*), no retraining (unlike {cite}`zhu2017prune`,
# {cite}`frankle2019lottery`), and the cheapest score ({cite}`lecun1990optimal` and
# {cite}`hassibi1993second` use second derivatives). The mask at $a = 0.9$ for the MNIST net
# the study calls "SGD" (Adam + dropout 0.01, {doc}`baselines`), seed 0:

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
scores = torch.cat([p.detach().abs().flatten() for p in params])  # (n,)
removed = global_mask(scores, 0.9)

# %% tags=["remove-cell"]
# The mask is torch's global L1 pruning (prune.l1), entry for entry; nothing ties.
assert torch.equal(removed, prune.removed_mask(prune.l1(sgd, 0.9)))
assert scores.numel() == sum(p.numel() for p in sgd.parameters())
threshold = scores[removed].max()
assert int((scores == threshold).sum()) == 1 and scores[~removed].min() > threshold
kept = [100 * (~part).float().mean().item()
        for part in removed.split([p.numel() for p in params])]
book.glue("sgd_first_kept", kept[0])
book.glue("sgd_last_kept", kept[2])
book.glue("sgd_biases_removed", 100 * claims.biases_removed(sgd, 0.9))

# %% [markdown]
# One threshold, different shares: the first layer keeps {glue:text}`sgd_first_kept:.1f` %
# of its weights, the output layer {glue:text}`sgd_last_kept:.1f` %. The biases, ranked
# with the weights as in the study, are small: the rule removes
# {glue:text}`sgd_biases_removed:.1f` % of them, and whether biases are ranked at all
# changes which model looks more prunable ({doc}`conclusions`).
#
# ## Accuracy after pruning, by hand
#
# One forward pass over the $N$ test images in eval mode, the largest logit as the
# prediction, $\operatorname{acc}(\theta') = \frac{1}{N} \sum_{i}
# \mathbb{1}\bigl[\arg\max_{c} f_{\theta'}(x_i)_c = y_i\bigr]$. If this hand-made number
# equals the package's, the pruning reached the forward pass: the test the study's Bayesian
# pruning would have failed (next section).

# %%
ds = data.load("mnist", subset=subset)
kept = (~removed).split([p.numel() for p in params])
W1, W2, W3, b1, b2, b3 = [p.detach() * m.view_as(p)
                          for p, m in zip(params, kept)]
h = torch.relu(ds.x_test @ W1.T + b1)                    # (N, 500)
h = torch.relu(h @ W2.T + b2)                            # (N, 500)
logits = h @ W3.T + b3                                   # (N, 10)
accuracy = (logits.argmax(1) == ds.y_test).float().mean().item()
package = evaluate.accuracy(prune.l1(sgd, 0.9), ds.x_test, ds.y_test)
print(f"by hand {accuracy:.4f}, package {package:.4f}")

# %% tags=["remove-cell"]
stored = report.accuracy_at(results["mnist"]["sgd"], 0.9, "l1")
assert abs(accuracy - package) < 1e-9 and abs(accuracy - stored) < 1e-6

# %% [markdown]
# ## Pruning a Bayesian network
#
# A sampled BBB weight is $w_j = \mu_j + \sigma_j \varepsilon_j$, with
# $\sigma_j = \log(1 + e^{\rho_j})$. To remove it, every sample must be zero: `prune.snr`
# sets $\mu_j = 0$ **and** $\rho_j = -\infty$, in place, in the tensors the sampler reads.
# The study's code assigned new tensors the sampler never read, so its "pruned" networks
# were unpruned ({doc}`reproduction_notes`). Ten samples of the MNIST net, 90 % removed:

# %%
bbb = experiment.trained_model("mnist", "bbb", PRESET, device="cpu")
pruned = prune.snr(bbb, 0.9)
noise = bayes.draw_noise(pruned, 10, NoiseSource(0))
w1 = bayes.sample_weights(pruned, noise)[0][0]   # (10, 500, 784): layer 1
gone = pruned.layers[0].weight_sampler.mu == 0   # (500, 784): removed
print("removed: 0 in every sample:", bool((w1[:, gone] == 0).all()))
print("kept: never 0:", bool((w1[:, ~gone] != 0).all()))

# %% [markdown]
# ## Why the signal-to-noise ratio?
#
# Trained on samples $w_j = \mu_j + \sigma_j \varepsilon_j$, the network tolerates changes of
# $w_j$ of the size of $\sigma_j$. Setting $w_j = 0$ is a change whose mean square, in those
# units, is
#
# $$
# \frac{\mathbb{E}\bigl[(w_j - 0)^2\bigr]}{\sigma_j^2}
#   = \frac{\mu_j^2 + \sigma_j^2}{\sigma_j^2} = 1 + \mathrm{SNR}_j^2 .
# $$
#
# A weight with $\mathrm{SNR}_j \lesssim 1$ is one the posterior cannot tell from zero:
# removing it costs about as much as resampling it. The scale-mixture prior ({doc}`prior`)
# pushes unneeded weights onto zero, and SNR removes them first.
#
# Two caveats. The study reports the **posterior-mean** network, which computes with
# $w_j = \mu_j$: removing a weight changes it by $|\mu_j|$, whatever $\sigma_j$. And
# $\log \mathrm{SNR}_j = \log|\mu_j| - \log\sigma_j$, so with equal $\sigma_j$ the two
# rankings coincide. Both rules at 90 % on the MNIST posterior:

# %%
pairs = bayes.variational_pairs(bbb)   # (μ, ρ) of W1, b1, W2, b2, W3, b3
mu = torch.cat([m.detach().flatten() for m, _ in pairs]).abs()  # |μ|: (n,)
sigma = bayes.sigma(torch.cat([r.detach().flatten() for _, r in pairs]))
by_snr = global_mask(mu / sigma, 0.9)     # removed by SNR
by_mu = global_mask(mu, 0.9)              # removed by |μ|
overlap = ((~by_snr & ~by_mu).sum() / (~by_snr).sum()).item()
print(f"of the parameters SNR keeps, |μ| keeps {overlap:.1%} too")

# %% tags=["remove-cell"]
# The hand-made masks are the package's prunings (prune.snr; prune.l1 ranks by |μ|).
by_mu_model = prune.l1(bbb, 0.9)
assert torch.equal(by_snr, prune.removed_mask(pruned))
assert torch.equal(by_mu, prune.removed_mask(by_mu_model))
assert abs(overlap - prune.kept_overlap(pruned, by_mu_model)) < 1e-6
assert not (~by_snr | ~by_mu)[mu < 1e-4].any()   # left of the figure: removed
book.glue("overlap_90", 100 * overlap)

# %% [markdown]
# After 50 epochs $\sigma$ has barely left its initial range ({doc}`weights`), so SNR ranks
# almost like $|\mu|$; but only the top tenth survives, and there the small spread of
# $\sigma$ reshuffles the choice. Below, a random 20 000 parameters (from
# $|\mu| = 10^{-4}$): $|\mu|$ keeps what lies right of a vertical line, SNR what lies below
# a diagonal.

# %% tags=["hide-input"]
t_mu = mu[by_mu].max()                          # largest |μ| removed
t_snr = (mu / sigma)[by_snr].max()              # largest SNR removed
rho_init = get_preset(PRESET).model_spec("bbb")["rho_init"]
fig, axes = plots.figure(height=4.4)
ax = plots.kept_scatter(mu, sigma, by_snr, by_mu, ax=axes[0, 0])
ax.set(xlim=(1e-4, 1.5 * mu.max()),
       ylim=(0.9 * sigma.min(), 1.1 * sigma.max()))
for edge in bayes.sigma(torch.tensor(rho_init)).tolist():
    ax.axhline(edge, color=style.REFERENCE_COLOR, ls=":", lw=1.8)
ax.lines[0].set_label("initial range of σ")
ax.axvline(t_mu, color=style.KEPT_COLORS["b"], ls="--", lw=1.2,
           label="|μ| threshold")
y = torch.logspace(*torch.tensor(ax.get_ylim()).log10().tolist(), 50)
ax.plot(t_snr * y, y, color=style.KEPT_COLORS["a"], ls="--", lw=1.2,
        label="SNR threshold")                       # |μ| / σ = t
plots.plain_log_ticks(ax, axis="y", subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0))
plots.legend_below(fig, ncol=2, markerscale=3);

# %% tags=["remove-cell"]
# The exchanged groups lie on either side of σ* = t_|μ| / t_SNR; |μ| against SNR at 90 %.
assert sigma[~by_snr & by_mu].max() < t_mu / t_snr < sigma[by_snr & ~by_mu].min()
for d, tag in (("mnist", "mnist"), ("fashion-mnist", "fmnist")):
    r = results[d]["bbb"]
    acc = {c: report.accuracy_at(r, 0.9, c) for c in ("snr", "l1")}
    n = claims.n_test_images(r)
    book.glue(f"snr_{tag}", acc["snr"])
    book.glue(f"mu_{tag}", acc["l1"])
    book.glue(f"mu_vs_snr_{tag}", claims.compare(acc["l1"], acc["snr"], n, n)["verdict"])

# %% [markdown]
# The lines cross at $\sigma^* = t_{|\mu|}/t_\mathrm{SNR}$: SNR trades larger weights, whose
# larger $\sigma$ is largely the luck of where $\rho$ started, for smaller and more certain
# ones ($\sigma < \sigma^*$). The posterior-mean network needs the larger weights: at 90 %
# removed (seed 0), its accuracy is {glue:text}`mu_mnist:.4f` by $|\mu|$ against
# {glue:text}`snr_mnist:.4f` by SNR on MNIST, {glue:text}`mu_fmnist:.4f` against
# {glue:text}`snr_fmnist:.4f` on Fashion-MNIST. By the test set's standard error
# ({doc}`evaluation`), $|\mu|$ is {glue:text}`mu_vs_snr_mnist` on MNIST and
# {glue:text}`mu_vs_snr_fmnist` on Fashion-MNIST.
#
# ## The prune slider
#
# Pick a dataset, a model and a fraction to remove (BBB by SNR, posterior mean): live in
# Jupyter and Colab, precomputed on this page — the stored accuracy, the surviving
# parameters, and the share of each input pixel's first-layer weights that survive.

# %% tags=["remove-cell"]
import functools

import ipywidgets as widgets
import matplotlib.pyplot as plt

from bnntut.methods import get as get_method
from bnntut.presets import METHOD_LABELS


@functools.cache
def _load(dataset, method):
    model = experiment.trained_model(dataset, method, PRESET, device="cpu")
    return model, data.load(dataset, subset=subset)


def _show(dataset="mnist", method="bbb", amount=0.9):
    (model, d), criterion = _load(dataset, method), get_method(method).criterion
    acc = evaluate.accuracy(prune.get_criterion(criterion)(model, amount), d.x_test, d.y_test)
    state = interactive.pruned_state(model, criterion, amount)
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.stairs(state["density"], state["edges"], color=style.METHOD_COLORS[method], lw=1.8)
    ax.set(yscale="log", xlabel="surviving parameter value (BBB: μ)", ylabel="density",
           title=f"{METHOD_LABELS[method]}, {amount:.0%} removed: test accuracy {acc:.4f}")
    plt.show()


book.live_widget(_show, lambda: dict(
    dataset=widgets.Dropdown(options=["mnist", "fashion-mnist"], description="dataset"),
    method=widgets.Dropdown(options=[(v, k) for k, v in METHOD_LABELS.items()], value="bbb",
                            description="model"),
    amount=widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="prune",
                               continuous_update=False, readout_format=".0%"),
));

# %% tags=["remove-input"]
interactive.show(interactive.prune_explorer(PRESET, results))

# %% [markdown]
# All models at three fractions: magnitude pruning leaves a hole around zero; SNR leaves
# BBB small-$|\mu|$ survivors whose $\sigma$ is smaller still.

# %%
fig = plots.surviving_figure(results)

# %% [markdown]
# ## Key takeaways
#
# * One global threshold cuts layers and biases very differently: at 90 % the "SGD" net
#   keeps {glue:text}`sgd_first_kept:.1f` % of its first layer and loses
#   {glue:text}`sgd_biases_removed:.1f` % of its biases.
# * A hand-made forward pass matching the package's accuracy shows that the pruning
#   reached the network: the test the study's Bayesian pruning fails.
# * SNR removes what the posterior cannot tell from zero. Here σ barely varies, yet SNR and
#   $|\mu|$ share only {glue:text}`overlap_90:.1f` % of the survivors at 90 %, and the
#   posterior-mean network fares better by $|\mu|$.
#
# ## Exercises
#
# 1. **Global or per layer?** Prune the "SGD" net by 90 % of *each* tensor
#    (`prune.l1_per_layer`). Which layer does the global rule cut harder, and which rule
#    keeps more accuracy?
# 2. **The floor.** Prune the Bayesian net at 90 % with `prune.random` and compare with SNR
#    and $|\mu|$: how much accuracy comes from choosing *which* weights go?
# 3. **When do SNR and $|\mu|$ agree?** Show that if every $\sigma_j$ equals one constant
#    $c$, the two remove the same entries. What if $\sigma_j = c\,|\mu_j|$?
#
# **Solution 1** (code: click to show)

# %% tags=["hide-cell"]
# Solution 1: global against per-layer magnitude pruning, "SGD" net.
for name, model in (("global", prune.l1(sgd, 0.9)),
                    ("per layer", prune.l1_per_layer(sgd, 0.9))):
    acc = evaluate.accuracy(model, ds.x_test, ds.y_test)
    shares = [f"{(lin.weight != 0).float().mean():.1%}"
              for lin in model.linears]
    print(f"{name:>9}: accuracy {acc:.4f}, weights kept per layer {shares}")
# The per-layer rule removes 90 % of every tensor, the output layer's 5000
# weights too, whatever their size.

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
# the order of the scores — and hence the $k$ smallest — is the same. With
# $\sigma_j = c|\mu_j|$, every entry has $\mathrm{SNR}_j = 1/c$: all scores tie, and "the $k$
# smallest" is decided by the sort's tie-breaking — SNR carries no information at all. The
# study's posterior lies close to the first case: $\sigma$ varies little, so SNR is $|\mu|$
# plus the noise of where each $\rho$ was initialised.
# :::
