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
# # Pruning

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
import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from bnntut import bayes, book, data, evaluate, experiment, interactive, plots, prune
from bnntut.noise import NoiseSource
from bnntut.presets import METHOD_LABELS, get_preset

PRESET = book.start()
subset = get_preset(PRESET)["subset"]

# %% [markdown]
# *Unstructured* pruning removes individual parameters — sets them to exactly zero — rather
# than whole neurons. Both criteria here are **global**: one ranking over all weights and
# biases of all three layers, so a layer can lose more or less than the requested fraction.
# As in the study, nothing is retrained after pruning.
#
# * **Baselines — global L1 magnitude** {cite}`han2015learning`: remove the entries with the
#   smallest $|w|$. The study called `torch.nn.utils.prune.global_unstructured` with
#   `L1Unstructured`; `bnntut.prune.l1` makes the same call on a copy and makes it permanent
#   with `prune.remove`.
# * **Bayes by Backprop — signal-to-noise ratio** {cite}`blundell2015weight`: remove the
#   entries with the smallest $|\mu|/\sigma$. A weight with a small mean relative to its
#   uncertainty is one the posterior cannot tell apart from zero. `bnntut.prune.snr` sets
#   $\mu = 0$ **and** $\sigma = 0$ ($\rho = -\infty$) in place in the tensors the sampler
#   reads, so that every sampled weight, and the posterior mean, is exactly zero.
#   `bnntut.prune.l1` on a Bayesian model ranks by $|\mu|$ alone, for comparison.
#
# The amount is exact: pruning a fraction $a$ of $n$ parameters removes `round(a · n)` of them.

# %% [markdown]
# ## Pruning, checked on the trained models
#
# Take the trained MNIST "SGD" network and prune half of its parameters:

# %%
sgd = experiment.trained_model("mnist", "sgd", PRESET, device="cpu")
half = prune.l1(sgd, 0.5)
n = sum(p.numel() for p in sgd.parameters())
removed = prune.sparsity(half)
print(f"parameters:             {n}")
print(f"removed:                {round(removed * n)} ({removed:.4%})")
print(f"original's sparsity:    {prune.sparsity(sgd):.4%}  (left untouched)")
survivors = torch.cat([p.flatten() for p in half.parameters()])
print(f"smallest surviving |w|: {survivors[survivors != 0].abs().min():.5f}")

# %% [markdown]
# And the Bayesian network, pruned by SNR at 90 %: every one of ten weight samples drawn
# through the fast sampler has exact zeros where the pruning put them — and nonzeros elsewhere.

# %%
bbb = experiment.trained_model("mnist", "bbb", PRESET, device="cpu")
pruned = prune.snr(bbb, 0.9)
noises = bayes.draw_noise(pruned, 10, NoiseSource(0))
weights, _ = bayes.sample_weights(pruned, noises)
layer1_mask = pruned.layers[0].weight_sampler.mu == 0
print(f"sparsity: {prune.sparsity(pruned):.4f}")
print("pruned entries of layer 1 are 0 in all 10 samples:",
      bool((weights[0][:, layer1_mask] == 0).all()))
print("surviving entries are nonzero in all 10 samples:",
      bool((weights[0][:, ~layer1_mask] != 0).all()))

# %% [markdown]
# Where do the pruned weights come from? Global ranking removes different fractions per layer:

# %%
from bnntut import report  # noqa: E402

kept = {}
for name, model in (("SGD, L1 at 90 %", prune.l1(sgd, 0.9)),
                    ("BBB, SNR at 90 %", pruned)):
    if hasattr(model, "linears"):
        tensors = [lin.weight for lin in model.linears]
    else:
        tensors = [layer.weight_sampler.mu for layer in model.layers]
    shares = [(t != 0).float().mean().item() for t in tensors]
    kept[name] = {layer: f"{100 * share:.1f} %"
                  for layer, share in zip(("784→500", "500→500", "500→10"), shares)}
report.frame(kept, "pruned model", columns_name="weights kept per layer")

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
