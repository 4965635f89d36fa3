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
# # The baselines: four dropout networks
#
# ## What you will learn
#
# * How the study's four deterministic networks are really built, and how many parameters a
#   pruning has to rank.
# * What inverted dropout does, written in two lines and checked against the package's model.
# * How heavier dropout trades training loss against test accuracy.

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
import matplotlib.pyplot as plt
import torch

from bnnbook import book, plots, report
from bnntut import collect, data, evaluate, experiment, models
from bnntut.presets import METHOD_LABELS, get_preset

PRESET = book.start()
preset = get_preset(PRESET)

# %% [markdown]
# ## Four networks, one architecture
#
# The study compares BBB with four deterministic 784-500-500-10 ReLU networks that differ only
# in their dropout rate $p$. Its code departs from its text ({doc}`reproduction_notes`):
# every model is trained with **Adam**, the "SGD" network is dropout with **$p = 0.01$**, and
# dropout also hits **the input pixels**. `bnntut` follows the code, which produced the
# published numbers. None of the four has a weight penalty (no weight decay, no L1, which
# would be a Laplace prior {cite}`williams1995bayesian`), so dropout is their only
# regulariser {cite}`srivastava2014dropout`; BBB has its prior ({doc}`prior`).

# %% tags=["remove-input"]
train = preset.train
rows = {}
for method in preset.methods:
    spec = preset.model_spec(method)
    if not models.is_bayesian(spec):
        rows[METHOD_LABELS[method]] = {
            "dropout p": f"{spec['dropout']:g}",
            "on the inputs": "yes" if spec["input_dropout"] else "no"}
book.glue("protocol", f"Adam, learning rate {train['lr']:g}, "
                      f"batch {train['batch_size']}, {train['epochs']} epochs")
report.frame(rows, "Model")

# %% [markdown]
# All four share one protocol ({glue:text}`protocol`).
#
# ### How many parameters?
#
# A linear layer from $n_\text{in}$ to $n_\text{out}$ units has $n_\text{out} \times
# n_\text{in}$ weights and $n_\text{out}$ biases, so the network has
#
# $$
# n = \sum_{\ell} \bigl(n_\text{in}^{(\ell)} + 1\bigr)\, n_\text{out}^{(\ell)}
#   = 785 \cdot 500 + 501 \cdot 500 + 501 \cdot 10
# $$
#
# parameters, the $n$ that a pruned fraction is a fraction of ({doc}`pruning`):

# %%
widths = [784, 500, 500, 10]
n = sum((n_in + 1) * n_out for n_in, n_out in zip(widths[:-1], widths[1:]))
print(f"n = {n:,}")

# %% tags=["remove-cell"]
# The count by the formula is the package model's parameter count.
assert n == sum(p.numel() for p in models.mlp(dropout=0.9).parameters())

# %% [markdown]
# ## Inverted dropout
#
# In training, dropout keeps each unit with probability $1 - p$ and scales the survivors up,
# so that the *expected* input of the next layer is unchanged:
#
# $$
# \tilde{x}_j = \frac{z_j}{1 - p}\, x_j ,\quad z_j \sim \operatorname{Bernoulli}(1 - p)
# \qquad\Longrightarrow\qquad
# \mathbb{E}[\tilde{x}_j] = x_j .
# $$
#
# At test time dropout does nothing, and the network sees the unscaled inputs it was, on
# average, trained on. For one MNIST image and $p = 0.9$:

# %%
ds = data.load("mnist", subset=preset.subset)
x, p = ds.x_train[0], 0.9                      # one image (784,)
torch.manual_seed(0)
z = torch.empty_like(x).bernoulli_(1 - p)      # 1 = kept, probability 1 − p
x_tilde = x * (z / (1 - p))
net = models.mlp(dropout=0.9).train()          # the package's network

# %% tags=["remove-cell"]
# Same seed, same draw: the hand-made dropout is the package model's input dropout layer
# (net[0], in training mode), bit for bit.
torch.manual_seed(0)
assert torch.equal(x_tilde, net[0](x))
averaged = torch.stack([net[0](x) for _ in range(2000)]).mean(0)
assert (averaged - x).abs().max() < 0.5       # E[x̃] = x, up to MC noise

# %% [markdown]
# A hidden cell checks that `x_tilde` is what the network's input layer `net[0]` draws from
# the same seed, bit for bit. Three more draws (survivors are multiplied by
# $1/(1 - p) = 10$ and show black):

# %%
fig, axes = plt.subplots(1, 4, figsize=(plots.PAGE_WIDTH, 1.9))
for ax, image in zip(axes, [x] + [net[0](x) for _ in range(3)]):
    ax.imshow(image.view(28, 28), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title("original" if ax is axes[0] else "p = 0.9 draw")
    ax.set_axis_off()
fig.tight_layout()

# %% [markdown]
# ## Training curves (the study's Figures 4–7)
#
# Training loss (cross-entropy per example, dropout on, as optimised) and test accuracy
# (dropout off) on MNIST's digits {cite}`deng2012mnist` and Fashion-MNIST's clothes
# {cite}`xiao2017fashion`, one run each (seed 0):

# %%
baselines = ["sgd", "dropout50", "dropout75", "dropout90"]
results = collect.grid(PRESET, methods=baselines, compute=PRESET != "paper")
keys = (("train_nll", True), ("test_accuracy", False))   # (key, log scale)
fig = plots.curves_figure(results, keys=keys)

# %% tags=["remove-cell"]
for method in ("sgd", "dropout90"):
    book.glue(f"mnist_{method}_acc", results["mnist"][method]["history"][-1]["test_accuracy"])

# %% [markdown]
# As in the study, the heavier the dropout, the higher the training loss, and $p = 0.9$,
# which hides 90 % of every image, trails far behind in test accuracy. The study read its
# curves as "all models are underfitting"; but for $p \le 0.5$ the training loss still falls
# at epoch 50 while test accuracy has levelled off, the usual picture of a well-fitted
# network.
#
# ## Key takeaways
#
# * The baselines are one architecture with four dropout rates, all trained with Adam and all
#   dropping input pixels; the smallest rate stands in for "no dropout", the study's "SGD".
# * Heavy dropout costs fit: hiding 90 % of every image costs much accuracy (MNIST
#   {glue:text}`mnist_dropout90_acc:.4f` against {glue:text}`mnist_sgd_acc:.4f` for Adam +
#   dropout 0.01, seed 0).
# * Inverted dropout keeps every input's expected value, so at test time the networks run
#   unchanged.
#
# ## Exercises
#
# 1. **Forgotten scaling.** Without the factor $1/(1 - p)$ in training and with nothing
#    changed at test time, by how much would the first layer's pre-activations be off at test
#    time for $p = 0.9$, and which way?
# 2. **MC dropout** {cite}`gal2016dropout`. Keep dropout on at test time and average the
#    softmax of 10 passes (`evaluate.accuracy(model, x, y, samples=10)`). Is the $p = 0.5$
#    network more accurate this way than in eval mode?
# 3. **How much of a digit survives?** Over the first 100 training images, how many nonzero
#    ("ink") pixels does input dropout with $p = 0.9$ keep on average, against the expected
#    value?
#
# :::{admonition} Solution 1
# :class: dropdown
#
# Without the factor, a unit's input in training has expectation $(1 - p)\,x_j$, and the
# weights adapt to inputs of that size. At test time every pixel is present at full size:
# each pre-activation $\sum_j w_j x_j + b$ sees inputs $1/(1 - p) = 10$ times larger than in
# training on average. The original dropout paper therefore multiplied the weights by
# $1 - p$ at test time; inverted dropout moves that factor into training, so the test-time
# network needs no change.
# :::
#
# **Solution 2** (code: click to show)

# %% tags=["hide-cell"]
# Solution 2: eval mode against MC dropout (10 passes), p = 0.5 network.
model = experiment.trained_model("mnist", "dropout50", PRESET, device="cpu")
print(f"eval mode:  {evaluate.accuracy(model, ds.x_test, ds.y_test):.4f}")
mc = evaluate.accuracy(model, ds.x_test, ds.y_test, samples=10)
print(f"MC dropout: {mc:.4f}")

# %% [markdown]
# **Solution 3** (code: click to show)

# %% tags=["hide-cell"]
# Solution 3: ink pixels kept by input dropout (p = 0.9), vs (1 − p) · ink.
images = ds.x_train[:100]                             # (100, 784)
torch.manual_seed(1)
kept = torch.nn.Dropout(0.9).train()(images) > 0
ink = images > 0
print(f"ink pixels per image: {ink.sum(1).float().mean():.1f}")
print(f"kept per image:       {(kept & ink).sum(1).float().mean():.1f} "
      f"(expected {0.1 * ink.sum(1).float().mean():.1f})")
