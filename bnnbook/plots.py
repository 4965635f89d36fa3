"""Figures of the book, drawn from stored results (no checkpoint needed) or live models.

Every function draws on a given matplotlib ``Axes`` (or makes a figure) and returns it, so
chapters stay one call per figure.  :func:`use_style` sets the book's look; nothing is changed
at import time.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import NullLocator

from bnntut import bayes
from bnntut.methods import get as get_method
from bnntut.models import is_bayesian
from bnntut.presets import METHOD_LABELS

from .report import e_to, superscript
from .style import (
    DATASET_LABELS,
    KEPT_COLORS,
    KL_COLORS,
    METHOD_COLORS,
    METHOD_MARKERS,
    PRIOR_STYLES,
    REFERENCE_COLOR,
)

#: Width (inches) of a figure that spans the text column.  At a 1280-px window the built
#: book's column shows images at most 676 px wide; at the style's 110 dpi a 6.1-in figure
#: saved as notebooks do (tight, 0.1-in pad) is about 690 px, so its 10-pt text is displayed
#: at about 9.8 pt.  Wider figures are scaled down, text and all.
PAGE_WIDTH = 6.1


def use_style() -> None:
    """The book's matplotlib style (call once per chapter): 10-pt text on figures at most
    :data:`PAGE_WIDTH` wide, so that nothing is smaller than 9 pt on the page."""
    plt.rcParams.update({
        "figure.dpi": 110, "savefig.dpi": 110, "figure.figsize": (PAGE_WIDTH, 3.6),
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
        "grid.alpha": 0.25, "axes.titleweight": "bold", "axes.titlesize": 10.5,
        "figure.titlesize": 11, "figure.titleweight": "bold",
        "legend.frameon": False, "font.size": 10, "axes.labelsize": 10,
        "xtick.labelsize": 10, "ytick.labelsize": 10, "legend.fontsize": 10,
        "legend.title_fontsize": 10,
    })


def figure(nrows: int = 1, ncols: int = 1, height: float = 3.4, **kwargs):
    """A column-wide figure (:data:`PAGE_WIDTH`) with the constrained layout, which makes room
    for a :func:`legend_below`; ``kwargs`` go to :func:`matplotlib.pyplot.subplots`."""
    kwargs.setdefault("squeeze", False)
    return plt.subplots(nrows, ncols, figsize=(PAGE_WIDTH, height), layout="constrained",
                        **kwargs)


def legend_below(fig, handles=None, labels=None, ncol: int = 2, **kwargs):
    """One legend for a whole figure, below its panels, where it covers no data.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        With the constrained layout (:func:`figure`) the legend gets its own room; otherwise it
        hangs below the figure's edge (a ``bbox_inches="tight"`` save, as in notebooks,
        includes it).
    handles, labels : list, optional
        By default those of all the figure's axes, each label once.
    ncol : int
        Columns of the legend.
    """
    if handles is None:
        handles, labels = [], []
        for ax in fig.axes:
            for handle, text in zip(*ax.get_legend_handles_labels()):
                if text not in labels:
                    handles.append(handle)
                    labels.append(text)
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        return fig.legend(handles, labels, loc="outside lower center", ncol=ncol, **kwargs)
    return fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                      ncol=ncol, **kwargs)


def plain_log_ticks(ax, unit: str = "", axis: str = "y",
                    subs: tuple[float, ...] | None = None) -> None:
    """Label a log axis 0.2, 0.5, 1, 2, … instead of 2 × 10⁻¹, …

    ``subs``: the mantissas that get a tick; by default 1, 2 and 5 on an axis that spans at
    most 2.5 decades (as now limited), else only the powers of ten.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    if subs is None:
        low, high = sorted(ax.get_ylim() if axis == "y" else ax.get_xlim())
        subs = (1.0, 2.0, 5.0) if low > 0 and high / low <= 10**2.5 else (1.0,)
    target.set_major_locator(LogLocator(subs=subs))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}{unit}"))
    target.set_minor_formatter(NullFormatter())


def smallest_display_font(fig, column_px: float = 676.0) -> float:
    """The smallest text of ``fig`` in points as displayed in a column ``column_px`` wide.

    The figure is rendered as a notebook shows it (``bbox_inches="tight"`` at its dpi); an
    image wider than the column is scaled down to it, its text with it.
    """
    fig.canvas.draw()                   # runs the layout
    bbox = fig.get_tightbbox(fig.canvas.get_renderer())
    width = (bbox.width + 2 * plt.rcParams["savefig.pad_inches"]) * fig.dpi
    sizes = [t.get_fontsize() for t in fig.findobj(plt.Text)
             if t.get_visible() and t.get_text().strip()]
    return min(sizes, default=float("inf")) * min(1.0, column_px / width)


def _axes(ax, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def prior_density(w: np.ndarray, pi: float, sigma1: float, sigma2: float) -> dict:
    """Densities of the two prior components (weighted by π, 1 − π) and of the mixture."""
    t = torch.as_tensor(w, dtype=torch.float64)
    g1 = torch.exp(bayes.log_gaussian(t, 0.0, sigma1)).numpy()
    g2 = torch.exp(bayes.log_gaussian(t, 0.0, sigma2)).numpy()
    return {"first": pi * g1, "second": (1 - pi) * g2, "mixture": pi * g1 + (1 - pi) * g2}


def _prior_lines(ax, w: np.ndarray, dens: dict, labels: dict | None = None) -> None:
    for key, (color, ls, lw, alpha) in PRIOR_STYLES.items():
        ax.plot(w, dens[key], color=color, ls=ls, lw=lw, alpha=alpha,
                label=(labels or {}).get(key))


def prior_figure(pi: float = 0.5, sigma1: float = 1.0, sigma2: float = math.exp(-6),
                 half_width: float = 3.0):
    """The study's Figure 2: the scale-mixture prior on three scales.

    Left: linear (the spike dominates); middle: linear, clipped to show the slab
    π·N(0, σ1²); right: logarithmic in both density and |w| (the prior is symmetric), where
    both components and their sum are visible — the mixture follows the spike near zero and
    the slab in the tails.  The mixture is drawn wide and grey under the two components.
    """
    w = np.linspace(-half_width, half_width, 4001)
    dens = prior_density(w, pi, sigma1, sigma2)
    r = np.geomspace(min(sigma1, sigma2) / 10, half_width, 2000)   # |w| of the log panel
    dens_r = prior_density(r, pi, sigma1, sigma2)
    fig, axes = figure(1, 3, height=3.0)
    axes = axes[0]
    labels = {"mixture": "mixture P(w)", "first": "slab π·N(0, σ1²)",
              "second": "spike (1−π)·N(0, σ2²)"}
    for ax, title in zip(axes, ("linear", "clipped to the slab", "log scale")):
        _prior_lines(ax, r if ax is axes[2] else w, dens_r if ax is axes[2] else dens,
                     labels if ax is axes[0] else None)
        ax.set_title(title)
        ax.set_ylabel("density")
    for ax in axes[:2]:
        ax.set_xlabel("weight w")
    axes[1].set_ylim(0, 1.5 * dens["first"].max())
    axes[2].set(xscale="log", yscale="log", xlabel="|w| (log scale)",
                ylim=(0.3 * dens_r["mixture"].min(), 3 * dens_r["mixture"].max()))
    plain_log_ticks(axes[2], axis="x", subs=(1.0,))
    plain_log_ticks(axes[2], subs=(1.0,))
    fig.suptitle(f"Scale-mixture prior: π = {pi:.2f}, σ1 = {sigma1:.3g}, σ2 = {sigma2:.3g}")
    legend_below(fig, ncol=3)
    return fig


def prior_grid_figure(sigma1: float = 1.0, pis=(0.25, 0.5, 0.75), log_sigma2s=(-8, -6, -3),
                      half_width: float = 3.0):
    """The mixture density (log–log over |w|) for several π (panels) and spike widths
    σ2 = e^k (lines): the static stand-in for the prior explorer."""
    fig, axes = figure(1, len(pis), height=2.9, sharey=True)
    r = np.geomspace(math.exp(min(log_sigma2s)) / 10, half_width, 2000)
    colors = plt.cm.viridis(np.linspace(0.0, 0.8, len(log_sigma2s)))
    for ax, pi in zip(axes[0], pis):
        for k, color, ls in zip(log_sigma2s, colors, ("-", "--", "-.", ":")):
            sigma2 = math.exp(k)
            ax.plot(r, prior_density(r, pi, sigma1, sigma2)["mixture"], color=color, ls=ls,
                    lw=2, label=f"σ2 = {e_to(k)} = {sigma2:.2g}")
        ax.set(xscale="log", yscale="log", title=f"π = {pi}", xlabel="|w| (log scale)",
               ylabel="mixture density")
        ax.tick_params(labelleft=True)
        plain_log_ticks(ax, axis="x", subs=(1.0,))
        plain_log_ticks(ax, subs=(1.0,))
    axes[0, 0].set_ylim(1e-3, 1e3)
    legend_below(fig, ncol=3)
    return fig


def kl_weights_figure(n_batches: int = 600):
    """The three minibatch weightings of the complexity cost (log scale), each in the colour
    of the BBB variant trained with it (:data:`bnnbook.style.KL_COLORS`)."""
    fig, axes = figure(1, 1, height=3.4)
    ax = axes[0, 0]
    i = np.arange(n_batches)
    for name, ls in zip(bayes.KL_WEIGHTINGS, ("-", "--", "-.")):
        weights = [bayes.kl_weight(name, k, n_batches) for k in i]
        ax.plot(i, weights, color=KL_COLORS[name], ls=ls, lw=2,
                label=f"{name} (sum {sum(weights):.2f})")
    ax.axhline(bayes.KL_WEIGHT_UNDERFLOW, color=REFERENCE_COLOR, ls=":", lw=1)
    ax.text(n_batches * 0.99, bayes.KL_WEIGHT_UNDERFLOW * 3, "float32 underflow (2⁻¹⁵⁰)",
            ha="right", va="bottom", color=REFERENCE_COLOR)
    ax.set_yscale("log")
    ax.set_ylim(1e-50, 10)
    ax.set_xlabel("minibatch index i within the epoch")
    ax.set_ylabel("weight κᵢ of the complexity cost")
    legend_below(fig, ncol=3)
    return fig


#: Axis labels of the per-epoch history keys.
CURVE_LABELS = {"train_nll": "training loss (NLL per example)", "loss": "training loss",
                "complexity": "complexity cost", "test_accuracy": "test accuracy"}


def curves(results: dict[str, dict], key: str = "train_nll", ax=None, logy: bool = True,
           title: str | None = None, legend: bool = True):
    """Per-epoch curves (``key`` of each history record) of several methods.

    Parameters
    ----------
    results : dict
        ``{method: result}`` as returned by :func:`bnntut.experiment.run`.
    key : str
        ``train_nll``, ``loss``, ``complexity`` or ``test_accuracy``.
    legend : bool
        Draw a legend on ``ax`` (leave it out for a :func:`legend_below`).
    """
    ax = _axes(ax)
    for method, result in results.items():
        epochs = [h["epoch"] for h in result["history"]]
        ax.plot(epochs, [h[key] for h in result["history"]], lw=2,
                color=METHOD_COLORS.get(method), label=METHOD_LABELS.get(method, method))
    ax.set_xlabel("epoch")
    ax.set_ylabel(CURVE_LABELS.get(key, key.replace("_", " ")))
    if logy:
        ax.set_yscale("log")
        plain_log_ticks(ax)
    if title:
        ax.set_title(title)
    if legend:
        ax.legend()
    return ax


def curves_figure(results: dict[str, dict[str, dict]],
                  keys=(("train_nll", True), ("test_accuracy", False))):
    """Training curves of several methods: one row per dataset, one column per
    ``(key, log y-axis)`` of ``keys``, one legend below.

    Parameters
    ----------
    results : dict
        ``{dataset: {method: result}}``.
    """
    fig, axes = figure(len(results), len(keys), height=2.6 * len(results) + 0.8, sharex=True)
    for row, (dataset, by_method) in zip(axes, results.items()):
        for ax, (key, logy) in zip(row, keys):
            curves(by_method, key, ax, logy=logy, legend=False,
                   title=DATASET_LABELS.get(dataset, dataset))
            ax.tick_params(labelbottom=True)
    legend_below(fig, ncol=2)
    return fig


def histogram(summary: dict, ax=None, color=None, label=None, density: bool = True):
    """Draw a stored histogram (see :func:`bnntut.evaluate.histogram`) as a step line."""
    ax = _axes(ax)
    edges = np.asarray(summary["edges"])
    counts = np.asarray(summary["counts"], dtype=float)
    if density:
        counts = counts / max(summary["n"], 1) / np.diff(edges)
    ax.stairs(counts, edges, color=color, lw=1.8, label=label, fill=False)
    return ax


def weight_histograms(results: dict[str, dict], ax=None, bbb_key: str = "sample",
                      title: str | None = None, legend: str | None = "right"):
    """Figures 8-9 of the study: all parameters of every model, one line per method.

    BBB is drawn as one posterior sample (``bbb_key="sample"``, what the study plotted) or as
    the posterior means (``"mu"``).  ``legend``: ``"right"`` (outside the axes, with each
    model's standard deviation), ``"inside"`` or ``None``.
    """
    ax = _axes(ax)
    for method, result in results.items():
        summary = result["weights"][bbb_key if get_method(method).bayesian else "values"]
        histogram(summary, ax, color=METHOD_COLORS.get(method),
                  label=f"{METHOD_LABELS.get(method, method)} (sd {summary['std']:.3f})")
    ax.set_xlabel("parameter value" + (" (BBB: one posterior sample)" if bbb_key == "sample"
                                       else " (BBB: posterior mean μ)"))
    ax.set_ylabel("density")
    ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if legend == "right":
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    elif legend:
        ax.legend()
    return ax


def weight_histograms_figure(results: dict[str, dict[str, dict]], bbb_key: str = "sample"):
    """:func:`weight_histograms` of each dataset: a full-width panel per row, each with its
    legend (and the models' standard deviations) below it."""
    fig = plt.figure(figsize=(PAGE_WIDTH, 3.4 * len(results)), layout="constrained")
    for sub, (dataset, by_method) in zip(fig.subfigures(len(results), 1, squeeze=False)[:, 0],
                                         results.items()):
        ax = sub.subplots()
        weight_histograms(by_method, ax, bbb_key, title=DATASET_LABELS.get(dataset, dataset),
                          legend=None)
        legend_below(sub, ncol=2)
    return fig


#: Removed fractions marked on :func:`removed_axis` (as percentages).
REMOVED_TICKS = (0.0, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99)


def kept(amounts) -> np.ndarray:
    """The fraction kept, 1 − removed: what :func:`removed_axis` plots on a log scale."""
    return 1.0 - np.asarray(amounts, dtype=float)


def removed_axis(ax, label: str = "parameters removed") -> None:
    """An x axis of the fraction kept on a log scale, labelled as the percentage removed, so
    that 80–99 % removed, where the methods differ, gets most of the width."""
    ax.set_xscale("log")
    ax.set_xlim(1.15, 0.0085)                     # removed grows to the right
    ax.set_xticks(kept(REMOVED_TICKS), [f"{100 * a:g}" for a in REMOVED_TICKS])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel(f"{label} (%), log scale of the fraction kept")


def prune_curves(results: dict[str, dict], ax=None, title: str | None = None,
                 show_mc: bool = True, study_table: dict | None = None):
    """Test accuracy against the pruned fraction for every method (no fine-tuning).

    BBB: SNR pruning with the posterior mean (solid, filled markers) and the Monte Carlo
    ensemble (dashed, open markers), and |μ| pruning (dotted).  Baselines: global L1 (solid,
    each with its own marker).  ``study_table`` adds the study's published points as crosses.
    """
    ax = _axes(ax)
    for method, result in results.items():
        color = METHOD_COLORS.get(method)
        label = METHOD_LABELS.get(method, method)
        sweeps = result["prune"]
        marker = METHOD_MARKERS.get(method, "o")
        if is_bayesian(result["config"]["model"]):
            s = sweeps["snr"]
            ax.plot(kept(s["amounts"]), s["accuracy"], "-", marker=marker, ms=3.5,
                    color=color, lw=1.8, label=f"{label}: SNR |μ|/σ")
            if show_mc and "accuracy_mc" in s:
                ax.plot(kept(s["amounts"]), s["accuracy_mc"], "--", marker=marker, ms=5,
                        mfc="none", color=color, lw=1.2,
                        label=f"{label}: SNR, ensemble of {s['mc_samples']}")
            ax.plot(kept(sweeps["l1"]["amounts"]), sweeps["l1"]["accuracy"], ":",
                    color=color, lw=1.8, label=f"{label}: |μ|")
        else:
            s = sweeps["l1"]
            ax.plot(kept(s["amounts"]), s["accuracy"], "-", marker=marker, ms=3.5,
                    color=color, lw=1.8, label=f"{label}: L1")
        if study_table and method in study_table:
            from bnntut.study import STUDY_AMOUNTS

            ax.plot(kept(STUDY_AMOUNTS), study_table[method], "x", color=color, ms=8, mew=2)
    removed_axis(ax)
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1)
    if title:
        ax.set_title(title)
    return ax


def prune_figure(results: dict[str, dict[str, dict]], study_tables: dict | None = None):
    """Accuracy against the pruned fraction, one panel per dataset, one legend below.

    Parameters
    ----------
    results : dict
        ``{dataset: {method: result}}``.
    study_tables : dict, optional
        ``{dataset: {method: accuracies}}`` at the study's fractions, drawn as crosses.
    """
    fig, axes = figure(len(results), 1, height=2.9 * len(results) + 1.4, sharex=True)
    for ax, (dataset, by_method) in zip(axes[:, 0], results.items()):
        prune_curves(by_method, ax, title=DATASET_LABELS.get(dataset, dataset),
                     study_table=(study_tables or {}).get(dataset))
        ax.tick_params(labelbottom=True)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if study_tables:
        handles.append(plt.Line2D([], [], ls="", marker="x", color=REFERENCE_COLOR, mew=2))
        labels.append("the study's published values")
    legend_below(fig, handles, labels, ncol=2)
    return fig


def occupied_range(summary: dict, pad: int = 1) -> tuple[float, float]:
    """The span of a stored histogram's nonempty bins, ``pad`` bins wider on each side (within
    the stored range): the x-range in which its data fill the panel."""
    edges = np.asarray(summary["edges"])
    filled = np.flatnonzero(np.asarray(summary["counts"]))
    if not len(filled):
        return float(edges[0]), float(edges[-1])
    return (float(edges[max(filled[0] - pad, 0)]),
            float(edges[min(filled[-1] + 1 + pad, len(edges) - 1)]))


def bbb_distributions(result: dict, axes=None, title: str | None = None):
    """Posterior summaries of a BBB model: μ, σ and SNR in dB, each over all parameters.

    σ is drawn on a log axis over the bins it occupies (the stored histogram of log10 σ spans
    10⁻⁴ to 1, most of it empty), as a density per decade; the SNR over its occupied bins.
    """
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    if axes is None:
        fig, axes = figure(1, 3, height=2.7)
        axes = axes[0]
        if title:
            fig.suptitle(title)
    elif title:
        axes[1].set_title(title)
    w = result["weights"]
    color = METHOD_COLORS["bbb"]
    histogram(w["mu"], axes[0], color=color)
    axes[0].set(xlabel="posterior mean μ", yscale="log")
    axes[0].xaxis.set_major_locator(MultipleLocator(0.2))
    s = w["log10_sigma"]
    edges = np.asarray(s["edges"])
    counts = np.asarray(s["counts"], dtype=float) / max(s["n"], 1) / np.diff(edges)
    axes[1].stairs(counts, 10.0 ** edges, color=color, lw=1.8)
    low, high = occupied_range(s)
    exponent = math.floor(low)          # ticks in units of 10^exponent: short labels
    axes[1].set(xscale="log", xlim=(10.0 ** low, 10.0 ** high), ylabel="density per decade",
                xlabel="posterior std. dev. σ\n(log scale"
                       + (f", ×10{superscript(str(exponent))})" if exponent else ")"))
    plain_log_ticks(axes[1], axis="x", subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0))
    axes[1].xaxis.set_major_formatter(
        FuncFormatter(lambda v, _: f"{v / 10.0 ** exponent:.3g}"))
    histogram(w["snr_db"], axes[2], color=color)
    axes[2].set(xlim=occupied_range(w["snr_db"]), xlabel="SNR 10·log10(|μ|/σ)\n(dB)")
    axes[2].xaxis.set_major_locator(MultipleLocator(20))
    for ax in axes[::2]:
        ax.set_ylabel("density")
    return axes


def surviving_histogram(summary: dict, n_removed: int, ax=None, color=None, label=None):
    """Draw a stored histogram of a pruned model without its ``n_removed`` exact zeros.

    The pruned entries are exactly 0 and all fall into the bin that contains 0; removing that
    known count leaves the distribution of the surviving parameters (density over survivors).
    """
    edges = np.asarray(summary["edges"])
    counts = np.asarray(summary["counts"], dtype=float)
    # The bin torch.histc put 0.0 in (its own formula; the float edges may miss 0 by an ulp).
    zero_bin = min(int((0.0 - edges[0]) / (edges[-1] - edges[0]) * len(counts)), len(counts) - 1)
    counts[zero_bin] -= n_removed
    survivors = summary["n"] - n_removed
    ax = _axes(ax)
    ax.stairs(counts / max(survivors, 1) / np.diff(edges), edges, color=color, lw=1.8,
              label=label)
    return ax


def live_weights_histogram(values: torch.Tensor, ax=None, color=None, label=None,
                           bins: int = 100, value_range=(-0.3, 0.3)):
    """Histogram (density, log scale) of the nonzero entries of ``values``."""
    v = values.detach().flatten().cpu()
    v = v[v != 0].numpy()
    ax = _axes(ax)
    ax.hist(v, bins=bins, range=value_range, density=True, histtype="step", lw=1.8,
            color=color, label=label)
    ax.set_yscale("log")
    return ax


def surviving_figure(results: dict[str, dict[str, dict]], amounts=(0.5, 0.75, 0.9)):
    """Histograms of the surviving parameters after pruning, from stored summaries.

    One panel per (amount, dataset): a row per amount, a column per dataset; baselines pruned
    by L1, BBB by SNR (its μ); the pruned exact zeros are left out
    (:func:`surviving_histogram`).
    """
    from matplotlib.ticker import MultipleLocator

    from bnntut.prune import n_to_prune

    fig, axes = figure(len(amounts), len(results), height=2.2 * len(amounts) + 0.9,
                       sharex=True)
    for col, (dataset, by_method) in enumerate(results.items()):
        for row, amount in enumerate(amounts):
            ax = axes[row, col]
            for method, result in by_method.items():
                kind = get_method(method)
                summary = result["pruned_weights"][f"{kind.criterion}@{amount}"]
                summary = summary["mu" if kind.bayesian else "values"]
                surviving_histogram(summary, n_to_prune(amount, summary["n"]), ax,
                                    color=METHOD_COLORS.get(method),
                                    label=METHOD_LABELS.get(method, method))
            ax.set_yscale("log")
            ax.set_title(f"{DATASET_LABELS.get(dataset, dataset)}, {amount:.0%} removed")
            ax.set(xlabel="surviving value (BBB: μ)", ylabel="density")
            ax.xaxis.set_major_locator(MultipleLocator(0.2))
            ax.tick_params(labelbottom=True)
    legend_below(fig, ncol=3)
    return fig


def kept_scatter(magnitude: torch.Tensor, sigma: torch.Tensor, removed_a: torch.Tensor,
                 removed_b: torch.Tensor, labels: tuple[str, str] = ("SNR", "|μ|"), ax=None,
                 max_points: int = 20000, seed: int = 0):
    """Scatter of (|μ|, σ) per parameter on log axes, coloured by which pruning keeps it.

    Parameters
    ----------
    magnitude, sigma : torch.Tensor
        |μ| and σ of every ranked parameter, shape ``(n,)``.
    removed_a, removed_b : torch.Tensor
        Boolean masks ``(n,)`` of the entries removed by pruning *a* and pruning *b*, in the
        same order (e.g. :func:`bnntut.prune.removed_mask` of two pruned copies).
    labels : (str, str)
        Names of the two prunings, for the legend ("kept by SNR only", …).
    ax : matplotlib.axes.Axes, optional
    max_points : int
        At most this many points are drawn: a seeded uniform subsample, so each group keeps
        its share.  Entries with |μ| = 0 or σ = 0 cannot sit on log axes and are left out.
    seed : int
        Seed of the subsample.

    Returns
    -------
    matplotlib.axes.Axes
        Groups drawn in the order removed by both (grey), kept by both, kept by *a* only,
        kept by *b* only, each with a legend label that carries its share of all ``n``.
    """
    magnitude, sigma = magnitude.detach().flatten().cpu(), sigma.detach().flatten().cpu()
    kept_a, kept_b = ~removed_a.flatten().cpu(), ~removed_b.flatten().cpu()
    groups = {"neither": ~kept_a & ~kept_b, "both": kept_a & kept_b,
              "a": kept_a & ~kept_b, "b": ~kept_a & kept_b}
    names = {"neither": "removed by both", "both": "kept by both",
             "a": f"kept by {labels[0]} only", "b": f"kept by {labels[1]} only"}
    n = magnitude.numel()
    drawable = (magnitude > 0) & (sigma > 0)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:max_points]
    ax = _axes(ax)
    for key, members in groups.items():
        chosen = order[(members & drawable)[order]]
        ax.scatter(magnitude[chosen].numpy(), sigma[chosen].numpy(),
                   s=3 if key == "neither" else 6, lw=0, color=KEPT_COLORS[key],
                   alpha=0.5 if key == "neither" else 0.9, rasterized=True,
                   label=f"{names[key]} ({100 * int(members.sum()) / max(n, 1):.1f} %)")
    ax.set(xscale="log", yscale="log", xlabel="posterior mean magnitude |μ| (log scale)",
           ylabel="posterior std. dev. σ (log scale)")
    return ax
