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

from . import bayes
from .presets import METHOD_LABELS

#: One colour per method, used in every figure (colour-blind-safe palette, Okabe–Ito).
METHOD_COLORS = {
    "sgd": "#0072B2", "dropout50": "#009E73", "dropout75": "#E69F00",
    "dropout90": "#CC79A7", "bbb": "#D55E00",
}
DATASET_LABELS = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}


def use_style() -> None:
    """The book's matplotlib style (call once per chapter)."""
    plt.rcParams.update({
        "figure.dpi": 110, "savefig.dpi": 110, "figure.figsize": (7.5, 4.0),
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
        "grid.alpha": 0.25, "axes.titleweight": "bold", "axes.titlesize": 11,
        "legend.frameon": False, "font.size": 10,
    })


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


def prior_figure(pi: float = 0.5, sigma1: float = 1.0, sigma2: float = math.exp(-6),
                 half_width: float = 3.0):
    """The study's Figure 2: the scale-mixture prior on three y-scales.

    Left: linear (the spike dominates); middle: linear, clipped to show the slab; right:
    logarithmic (both components and their sum across 20 orders of magnitude).
    """
    w = np.linspace(-half_width, half_width, 4001)
    dens = prior_density(w, pi, sigma1, sigma2)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    styles = {"first": ("#0072B2", "--", f"π·N(0, σ1²), σ1={sigma1:.3g}"),
              "second": ("#009E73", ":", f"(1−π)·N(0, σ2²), σ2={sigma2:.3g}"),
              "mixture": ("#D55E00", "-", "mixture")}
    for ax, title in zip(axes, ("linear scale", "linear, clipped to the slab", "log scale")):
        for key, (color, ls, label) in styles.items():
            ax.plot(w, dens[key], color=color, ls=ls, lw=1.8, label=label)
        ax.set_title(title)
        ax.set_xlabel("weight w")
    axes[0].set_ylabel("density")
    axes[1].set_ylim(0, 1.5 * dens["first"].max())
    axes[2].set_yscale("log")
    axes[2].set_ylim(1e-6, 2 * dens["mixture"].max())
    axes[0].legend(loc="upper right", fontsize=8)
    fig.suptitle(f"Scale-mixture prior, π = {pi:.2f}", fontweight="bold")
    fig.tight_layout()
    return fig


def kl_weights_figure(n_batches: int = 600):
    """The three minibatch weightings of the complexity cost (log scale)."""
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    i = np.arange(n_batches)
    for name, color in zip(bayes.KL_WEIGHTINGS, ("#D55E00", "#0072B2", "#009E73")):
        weights = [bayes.kl_weight(name, k, n_batches) for k in i]
        ax.plot(i, weights, color=color, lw=2, label=f"{name} (sum {sum(weights):.2f})")
    ax.axhline(bayes.KL_WEIGHT_UNDERFLOW, color="grey", ls=":", lw=1)
    ax.text(n_batches * 0.99, bayes.KL_WEIGHT_UNDERFLOW * 3, "float32 underflow (2⁻¹⁵⁰)",
            ha="right", va="bottom", fontsize=8, color="grey")
    ax.set_yscale("log")
    ax.set_ylim(1e-50, 10)
    ax.set_xlabel("minibatch index i within the epoch")
    ax.set_ylabel("weight κᵢ of the complexity cost")
    ax.legend()
    fig.tight_layout()
    return fig


def curves(results: dict[str, dict], key: str = "train_nll", ax=None, logy: bool = True,
           title: str | None = None):
    """Per-epoch curves (``key`` of each history record) of several methods.

    Parameters
    ----------
    results : dict
        ``{method: result}`` as returned by :func:`bnntut.experiment.run`.
    key : str
        ``train_nll``, ``loss``, ``complexity`` or ``test_accuracy``.
    """
    ax = _axes(ax)
    for method, result in results.items():
        epochs = [h["epoch"] for h in result["history"]]
        ax.plot(epochs, [h[key] for h in result["history"]], lw=2,
                color=METHOD_COLORS.get(method), label=METHOD_LABELS.get(method, method))
    ax.set_xlabel("epoch")
    ax.set_ylabel(key.replace("_", " "))
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


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
                      title: str | None = None):
    """Figures 8-9 of the study: all parameters of every model, one line per method.

    BBB is drawn as one posterior sample (``bbb_key="sample"``, what the study plotted) or as
    the posterior means (``"mu"``).
    """
    ax = _axes(ax)
    for method, result in results.items():
        summary = result["weights"][bbb_key if method == "bbb" else "values"]
        histogram(summary, ax, color=METHOD_COLORS.get(method),
                  label=f"{METHOD_LABELS.get(method, method)} (sd {summary['std']:.3f})")
    ax.set_xlabel("parameter value")
    ax.set_ylabel("density")
    ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def prune_curves(results: dict[str, dict], ax=None, title: str | None = None,
                 show_mc: bool = True, study_table: dict | None = None):
    """Test accuracy against the pruned fraction for every method (no fine-tuning).

    BBB: SNR pruning with the posterior mean (solid) and the Monte Carlo ensemble (dotted),
    and |μ| pruning (dashed).  Baselines: global L1.  ``study_table`` adds the study's
    published points as crosses.
    """
    ax = _axes(ax)
    for method, result in results.items():
        color = METHOD_COLORS.get(method)
        label = METHOD_LABELS.get(method, method)
        sweeps = result["prune"]
        if "snr" in sweeps:
            s = sweeps["snr"]
            ax.plot(s["amounts"], s["accuracy"], "-o", ms=3, color=color, lw=2,
                    label=f"{label}: SNR |μ|/σ")
            if show_mc and "accuracy_mc" in s:
                ax.plot(s["amounts"], s["accuracy_mc"], ":", color=color, lw=1.5,
                        label=f"{label}: SNR, {s['mc_samples']}-sample ensemble")
            ax.plot(sweeps["l1"]["amounts"], sweeps["l1"]["accuracy"], "--", color=color,
                    lw=1.5, label=f"{label}: |μ|")
        else:
            s = sweeps["l1"]
            ax.plot(s["amounts"], s["accuracy"], "-o", ms=3, color=color, lw=2,
                    label=f"{label}: L1")
        if study_table and method in study_table:
            from .study import STUDY_AMOUNTS

            ax.plot(STUDY_AMOUNTS, study_table[method], "x", color=color, ms=8, mew=2)
    ax.set_xlabel("fraction of parameters removed")
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
    fig, axes = plt.subplots(1, len(results), figsize=(12, 5.2), sharey=True, squeeze=False)
    for ax, (dataset, by_method) in zip(axes[0], results.items()):
        prune_curves(by_method, ax, title=DATASET_LABELS.get(dataset, dataset),
                     study_table=(study_tables or {}).get(dataset))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if study_tables:
        handles.append(plt.Line2D([], [], ls="", marker="x", color="grey", mew=2))
        labels.append("the study's published values")
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8)
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    return fig


def bbb_distributions(result: dict, axes=None, title: str | None = None):
    """Posterior summaries of a BBB model: μ, σ (log10) and SNR in dB."""
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    w = result["weights"]
    color = METHOD_COLORS["bbb"]
    histogram(w["mu"], axes[0], color=color)
    axes[0].set_xlabel("posterior mean μ")
    axes[0].set_yscale("log")
    histogram(w["log10_sigma"], axes[1], color=color)
    axes[1].set_xlabel("log10 σ")
    histogram(w["snr_db"], axes[2], color=color)
    axes[2].set_xlabel("signal-to-noise ratio 10·log10(|μ|/σ)  [dB]")
    axes[0].set_ylabel("density")
    if title:
        axes[1].set_title(title)
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

    One panel per (dataset, amount); baselines pruned by L1, BBB by SNR (its μ); the pruned
    exact zeros are left out (:func:`surviving_histogram`).
    """
    from .prune import n_to_prune

    fig, axes = plt.subplots(len(results), len(amounts), figsize=(12, 3.3 * len(results)),
                             sharex=True, squeeze=False)
    for row, (dataset, by_method) in enumerate(results.items()):
        for col, amount in enumerate(amounts):
            ax = axes[row, col]
            for method, result in by_method.items():
                criterion = "snr" if method == "bbb" else "l1"
                summary = result["pruned_weights"][f"{criterion}@{amount}"]
                summary = summary["mu" if method == "bbb" else "values"]
                surviving_histogram(summary, n_to_prune(amount, summary["n"]), ax,
                                    color=METHOD_COLORS.get(method),
                                    label=METHOD_LABELS.get(method, method))
            ax.set_yscale("log")
            ax.set_title(f"{DATASET_LABELS.get(dataset, dataset)}, {amount:.0%} removed")
    for ax in axes[-1]:
        ax.set_xlabel("surviving parameter value (BBB: μ)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=5, fontsize=8)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig
