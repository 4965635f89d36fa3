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
# # The scale-mixture prior
#
# ## What you will learn
#
# * what the scale-mixture prior of Bayes by Backprop is, and which component dominates
#   near zero and in the tails;
# * how to compute its spike-to-slab ratio and its mass near zero, the prior's case for
#   pruning;
# * how $\pi$, $\sigma_1$ and $\sigma_2$ change its shape.

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

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from bnnbook import book, interactive, plots
from bnntut import bayes
from bnntut.presets import get_preset

PRESET = book.start()

# %% [markdown]
# Bayes by Backprop places a prior $P(w)$ on every weight. {cite:t}`blundell2015weight`
# chose a **scale mixture of two zero-mean Gaussians**,
#
# $$
# P(w) = \pi\,\mathcal N(w \mid 0, \sigma_1^2) + (1-\pi)\,\mathcal N(w \mid 0, \sigma_2^2),
# \qquad \sigma_1 > \sigma_2,\ \sigma_2 \ll 1 .
# $$
#
# The narrow component ($\sigma_2$) is a *spike* at zero; the wide one ($\sigma_1$) is a
# *slab* that lets a few weights be large: a smooth spike-and-slab prior, which believes that
# most weights are (nearly) zero — the belief that makes pruning sensible.
#
# The study's code uses $\pi = 0.5$, $\sigma_1 = e^0 = 1$ and $\sigma_2 = e^{-6} \approx
# 0.0025$ (its Figure 2 caption says $\sigma_1 = e^1$; the trained models used $e^0$, and so
# do we). Every BBB model in this book reads them from the preset:

# %%
bbb_model = get_preset(PRESET).model_spec("bbb")
PI = bbb_model["prior_pi"]
SIGMA1, SIGMA2 = bbb_model["prior_sigma1"], bbb_model["prior_sigma2"]

# %% [markdown]
# ## The study's Figure 2, three ways
#
# On a linear scale (left) the spike, {glue:text}`spike_ratio:.0f` times taller, hides the
# slab; a clipped y-axis (middle) shows it; a log scale (right) shows the mixture following
# the spike near zero and the slab in the tails.

# %%
fig = plots.prior_figure(PI, SIGMA1, SIGMA2)

# %% [markdown]
# That height follows from $\mathcal N(0 \mid 0, \sigma^2) = 1/(\sqrt{2\pi}\,\sigma)$: at
# $w = 0$ the two weighted components stand in the ratio
#
# $$
# \frac{(1-\pi)\,\mathcal N(0 \mid 0, \sigma_2^2)}{\pi\,\mathcal N(0 \mid 0, \sigma_1^2)}
# = \frac{1-\pi}{\pi} \cdot \frac{\sigma_1}{\sigma_2},
# $$
#
# which for $\pi = 0.5$ is just $\sigma_1/\sigma_2 = e^{6}$:

# %%
spike_ratio = (1 - PI) / PI * SIGMA1 / SIGMA2
print(f"spike / slab at w = 0: {spike_ratio:.1f}")

# %% tags=["remove-cell"]
density = plots.prior_density(np.array([0.0]), PI, SIGMA1, SIGMA2)
assert math.isclose(spike_ratio, float(density["second"][0] / density["first"][0]),
                    rel_tol=1e-9)
book.glue("spike_ratio", spike_ratio)

# %% [markdown]
# ## Why this shape favours pruning
#
# How much prior probability lies close to zero? For one Gaussian
# $P(|w| < r) = \operatorname{erf}\big(r / (\sigma\sqrt 2)\big)$, so for the mixture
#
# $$
# P(|w| < r) = \pi \operatorname{erf}\!\left(\frac{r}{\sigma_1\sqrt 2}\right)
# + (1-\pi) \operatorname{erf}\!\left(\frac{r}{\sigma_2\sqrt 2}\right).
# $$
#
# The spike holds half of the mass within a few $\sigma_2$ of zero; the slab spreads the other
# half over ±3:

# %%
def mass_within(r):
    return (PI * math.erf(r / (SIGMA1 * math.sqrt(2)))
            + (1 - PI) * math.erf(r / (SIGMA2 * math.sqrt(2))))


for radius in (0.005, 0.01, 0.05):
    print(f"P(|w| < {radius}) = {mass_within(radius):.3f}")

# %% tags=["remove-cell"]
for radius in (0.005, 0.01, 0.05, 1.0):
    assert math.isclose(mass_within(radius),
                        bayes.prior_mass_within(radius, PI, SIGMA1, SIGMA2), rel_tol=1e-12)
book.glue("mass_001", bayes.prior_mass_within(0.01, PI, SIGMA1, SIGMA2))

# %% [markdown]
# So the prior puts {glue:text}`mass_001:.2f` of its mass within ±0.01.
#
# How does that mass reach the trained network? Bayes by Backprop ({doc}`bayes_by_backprop`)
# learns for every weight a Gaussian with **mean $\mu$** and **standard deviation $\sigma$**,
# and its loss adds a **complexity cost** that pulls each Gaussian towards this prior. A
# weight the data do not need can sit in the spike, with $\sigma$ comparable to $|\mu|$: its
# **signal-to-noise ratio** (SNR) $|\mu|/\sigma$ is low, and removing it costs little. Weights the
# data need move into the slab. That is the case for pruning by SNR that the following
# chapters test. In {cite:t}`hinton1993keeping`'s description-length view, a weight close
# to the prior is cheap to send and so cheap to drop; a Laplace prior makes the same bet more
# sharply, as L1 regularisation's exact zeros {cite}`williams1995bayesian`.
#
# A caveat the study does not discuss: the prior's pull depends on how strongly the
# complexity cost is weighted, which the study does per minibatch ({doc}`bayes_by_backprop`),
# and down-weighting the prior ("cold" posteriors) often predicts better
# {cite}`wenzel2020good`.
#
# ## Explore the prior
#
# Move the sliders to reshape the mixture (live in Jupyter and Colab, where the widget
# redraws the three-panel figure above).

# %% tags=["remove-cell"]
def _explore(pi=PI, log_sigma1=math.log(SIGMA1), log_sigma2=math.log(SIGMA2)):
    plots.prior_figure(pi, math.exp(log_sigma1), math.exp(log_sigma2))
    plt.show()


book.live_widget(_explore, lambda: dict(
    pi=widgets.FloatSlider(value=PI, min=0.05, max=0.95, step=0.05, description="π"),
    log_sigma1=widgets.FloatSlider(value=math.log(SIGMA1), min=-3, max=1, step=0.5,
                                   description="log σ1"),
    log_sigma2=widgets.FloatSlider(value=math.log(SIGMA2), min=-8, max=-1, step=0.5,
                                   description="log σ2"),
));

# %% [markdown]
# The same explorer on a precomputed grid works on this static page too. The left panel
# spans the slab, the right one zooms into the spike; the mixture is grey.

# %% tags=["remove-input"]
interactive.show(interactive.prior_explorer(PI, SIGMA1, SIGMA2))

# %% [markdown]
# For print, three values of $\pi$ and three spike widths $\sigma_2$ (log scale):

# %%
fig = plots.prior_grid_figure(SIGMA1, pis=(0.25, 0.5, 0.75),
                              log_sigma2s=(-8, -6, -3))

# %% [markdown]
# ## Key takeaways
#
# * The study's prior is a smooth spike-and-slab: half its mass sits within a few
#   $\sigma_2$ of zero, while the slab keeps the tails heavy enough for the weights the data
#   need.
# * That shape is the prior's argument for pruning: a weight the data do not need can stay
#   near the prior, $|\mu|$ small next to $\sigma$, and removing it costs little.
# * How much the prior shapes the trained weights depends on how strongly the complexity
#   cost is weighted against the data.
#
# ## Exercises
#
# 1. **Three spike widths.** How much prior mass lies within $\pm 3\sigma_2$ for the study's
#    $\pi = 0.5$? Why is it so close to one half?

# %% tags=["hide-cell"]
mass = bayes.prior_mass_within(3 * SIGMA2, PI, SIGMA1, SIGMA2)
spike = (1 - PI) * math.erf(3 / math.sqrt(2))
print(f"P(|w| < 3 sigma2) = {mass:.4f}; the spike's share is {spike:.4f}")

# %% [markdown]
# :::{admonition} Solution
# :class: dropdown
# The spike puts $\operatorname{erf}(3/\sqrt 2) \approx 0.9973$ of its half within
# $\pm 3\sigma_2$; the slab, $e^6 \approx 400$ times wider, adds only
# $\pi\operatorname{erf}\big(3\sigma_2/(\sigma_1\sqrt2)\big)$, a few thousandths.
# :::
#
# 2. **Equal heights.** What $\sigma_1$ makes the slab's weighted density at $w = 0$ equal to
#    the spike's? What does the prior look like then?
#
# :::{admonition} Solution
# :class: dropdown
# From the ratio above, $\frac{1-\pi}{\pi}\frac{\sigma_1}{\sigma_2} = 1$, so
# $\sigma_1 = \frac{\pi}{1-\pi}\,\sigma_2$. For $\pi = 0.5$ that is $\sigma_1 = \sigma_2$:
# the two components coincide and the mixture is a single Gaussian. A spike-and-slab shape
# needs $\sigma_1 \gg \sigma_2$, and then the spike is always the taller one unless $\pi$ is
# close to 1.
# :::
#
# 3. **Where the slab takes over.** At which $|w|$ are the two weighted components equal?
#    Set $\pi\,\mathcal N(w \mid 0, \sigma_1^2) = (1-\pi)\,\mathcal N(w \mid 0, \sigma_2^2)$,
#    solve for $w$, and check the answer against `plots.prior_density`.

# %% tags=["hide-cell"]
# log of both sides: w² (1/σ2² − 1/σ1²) / 2 = log((1 − π) σ1 / (π σ2))
crossing = math.sqrt(2 * math.log((1 - PI) * SIGMA1 / (PI * SIGMA2))
                     / (1 / SIGMA2**2 - 1 / SIGMA1**2))
parts = plots.prior_density(np.array([crossing]), PI, SIGMA1, SIGMA2)
print(f"|w| = {crossing:.5f} = {crossing / SIGMA2:.2f} sigma2: "
      f"slab {parts['first'][0]:.3f}, spike {parts['second'][0]:.3f}")
