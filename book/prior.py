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
# # The scale-mixture prior

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
import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from bnntut import bayes, book, interactive, plots
from bnntut.presets import get_preset

PRESET = book.start()

# %% [markdown]
# Bayes by Backprop places a prior $P(w)$ on every weight. {cite:t}`blundell2015weight` chose a **scale mixture of two zero-mean Gaussians**,
#
# $$
# P(w) = \pi\,\mathcal N(w \mid 0, \sigma_1^2) + (1-\pi)\,\mathcal N(w \mid 0, \sigma_2^2),
# \qquad \sigma_1 > \sigma_2,\ \sigma_2 \ll 1 .
# $$
#
# The narrow component ($\sigma_2$) is a *spike* at zero; the wide one ($\sigma_1$) is a *slab* that lets a
# few weights be large. This is a smooth stand-in for the spike-and-slab priors of Bayesian
# variable selection: the prior believes that most weights are (nearly) zero and a few are
# not — exactly the belief that makes pruning sensible.
#
# The study's code uses $\pi = 0.5$, $\sigma_1 = e^0 = 1$ and $\sigma_2 = e^{-6} \approx 0.0025$.
# (Its Figure 2 caption says $\sigma_1 = e^1$; the code that trained the models uses $e^0$, and
# so do we.)

# %% [markdown]
# The prior used by every BBB model in this book comes from the preset (one place):

# %%
bbb_model = get_preset(PRESET)["methods"]["bbb"]["model"]
PI = bbb_model["prior_pi"]
SIGMA1, SIGMA2 = bbb_model["prior_sigma1"], bbb_model["prior_sigma2"]
print(f"pi     = {PI}")
print(f"sigma1 = {SIGMA1:.4g} = e^{math.log(SIGMA1):.0f}")
print(f"sigma2 = {SIGMA2:.4g} = e^{math.log(SIGMA2):.0f}")

# %% [markdown]
# ## The study's Figure 2, three ways
#
# On a linear scale (left) the spike is about {glue:text}`spike_ratio:.0f` times taller than
# the slab, so the slab is invisible; clipping the y-axis (middle) shows it; a log scale
# (right) shows both components and how the mixture follows the spike near zero and the slab
# in the tails.

# %%
fig = plots.prior_figure(PI, SIGMA1, SIGMA2)
density = plots.prior_density(np.array([0.0]), PI, SIGMA1, SIGMA2)
book.glue("spike_ratio", float(density["second"][0] / density["first"][0]))

# %% [markdown]
# ## Why this shape favours pruning
#
# Under this prior, how much probability lies very close to zero? The spike holds half of the
# mass within a few $\sigma_2$ of zero; the slab spreads the other half over ±3:

# %%
for radius in (0.005, 0.01, 0.05):
    mass = bayes.prior_mass_within(radius, PI, SIGMA1, SIGMA2)
    print(f"P(|w| < {radius}) = {mass:.3f}")
book.glue("mass_001", bayes.prior_mass_within(0.01, PI, SIGMA1, SIGMA2))

# %% [markdown]
# So the prior puts {glue:text}`mass_001:.2f` of its mass within ±0.01. During training the
# complexity cost pulls every weight's posterior towards this prior; a weight that the data do
# not need can sit in the spike — its posterior mean near 0 and its posterior width comparable
# to $|\mu|$ — so its signal-to-noise ratio $|\mu|/\sigma$ is low and removing it costs little. Weights the
# data need move into the slab, far from 0 relative to their σ. That is the argument for
# pruning by SNR, and it is what the following chapters put to the test.
#
# One caveat the study does not discuss: the prior's influence depends on how strongly the
# complexity cost is weighted. With the study's minibatch weighting (next chapter) that
# influence is concentrated in the first few dozen minibatches of every epoch.
#
# ## Explore the prior
#
# Move the sliders to see how $\pi$, $\sigma_1$ and $\sigma_2$ shape the mixture (live in Jupyter and Colab,
# where the widget redraws the three-panel figure above).

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
# The same explorer on a precomputed grid, which works on this static page too: drag the
# sliders. The left panel spans the slab, the right one zooms into the spike; the mixture
# (grey) follows the spike near zero and the slab in the tails.

# %% tags=["remove-input"]
interactive.show(interactive.prior_explorer(PI, SIGMA1, SIGMA2))

# %% [markdown]
# For print, the mixture (log scale) for three values of $\pi$ and three spike widths $\sigma_2$:

# %%
fig = plots.prior_grid_figure(SIGMA1, pis=(0.25, 0.5, 0.75), log_sigma2s=(-8, -6, -3))
