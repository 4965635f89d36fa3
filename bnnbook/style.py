"""The book's colours, markers, line styles and names of things on figures, in one place.

Each method's colour and marker is part of its registry entry (:data:`bnntut.methods.REGISTRY`,
Okabe–Ito and other colour-blind-safe palettes); everything else a figure styles — datasets,
criteria, complexity weightings, the prior's parts, kept and removed weights, reference lines —
is named here.  The other modules of the book import from here and from nowhere else.
"""

from __future__ import annotations

from bnntut.methods import KL_FORMULAS, REGISTRY

#: One colour per method, used in every figure (chosen in :data:`bnntut.methods.REGISTRY`).
METHOD_COLORS = {name: method.color for name, method in REGISTRY.items()}
#: One marker per method, for figures whose curves coincide or cross.
METHOD_MARKERS = {name: method.marker for name, method in REGISTRY.items()}

#: Neutral colour of reference lines (chance, dense size, break-even, a truth curve).
REFERENCE_COLOR = "#777777"

#: Names of the datasets on figures and tables.
DATASET_LABELS = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
#: Short names of the datasets in glue keys (``rt_bbb_fmnist_98``).
DATASET_TAGS = {"mnist": "mnist", "fashion-mnist": "fmnist"}
#: Line style per dataset where one method is shown on both.
DATASET_STYLES = {"mnist": "-", "fashion-mnist": "--"}

#: How the prior's curves are drawn: colour, line style, width, opacity.  The mixture goes
#: first, wide and light, so that both components stay visible on top of it.
PRIOR_STYLES = {"mixture": ("#999999", "-", 5.0, 0.6), "first": ("#0072B2", "--", 1.8, 1.0),
                "second": ("#D55E00", ":", 2.4, 1.0)}

#: Grey means removed, on every page that shows what a pruning keeps.
REMOVED_COLOR = "#BBBBBB"
#: Colours of the four groups of two prunings compared (:func:`bnnbook.plots.kept_scatter`),
#: from the methods' palette; the parameters both remove are :data:`REMOVED_COLOR`.
KEPT_COLORS = {"both": METHOD_COLORS["bbb"], "a": METHOD_COLORS["sgd"],
               "b": METHOD_COLORS["bbb-kl-uniform"], "neither": REMOVED_COLOR}

#: The complexity weightings of the KL ablation and the method trained with each (whose
#: colour and marker the weighting takes).
KL_METHODS = {"paper": "bbb", "blundell": "bbb-kl-blundell", "uniform": "bbb-kl-uniform"}
#: Colour of each weighting: that of the method trained with it.
KL_COLORS = {weighting: METHOD_COLORS[method] for weighting, method in KL_METHODS.items()}
#: Legend labels of the weightings.
KL_LABELS = {weighting: f"{weighting}, {formula}" for weighting, formula in KL_FORMULAS.items()}

#: Colour of each pruning criterion.
CRITERION_COLORS = {"snr": "#D55E00", "l1": "#0072B2", "l1-layer": "#009E73",
                    "random": "#999999"}
#: Line style of each bias mode of the criteria comparison.
BIAS_STYLES = {"with_bias": "-", "weights_only": "--"}
#: Dark neutral of legend entries that stand for a line style, not a method.
LEGEND_GREY = "#333333"

#: Colours of the uncertainty diagnostics: reliability bars, their gap to the diagonal, the
#: share of images per bin, and the in-distribution and OOD entropy histograms.
DIAGNOSTIC_COLORS = {"bars": "#BBBBBB", "gap": "#444444", "share": "#000000",
                     "in": "#BBBBBB", "ood": "#333333"}

#: Colour of the exact posterior of the toy's linear model (Okabe–Ito reddish purple); its
#: mean-field fit is a BBB fit and takes BBB's colour.
EXACT_COLOR = "#CC79A7"
