"""A fair comparison: results across seeds and the arms beyond the study, as tables and figures.

Used by the chapter ``book/fair_comparison``.  Results are loaded through
:func:`bnntut.collect.grid`, which never trains unless asked (``compute=True``: quick mode, or
a reader with time); the statistics are :mod:`bnnbook.stats`', the colours
:mod:`bnnbook.style`'s, and the choice of Blundell et al.'s grid point is the library's
(:func:`bnntut.selection.choose`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd

from bnntut import collect, criteria, selection
from bnntut.methods import REGISTRY
from bnntut.methods import get as get_method
from bnntut.presets import (
    ABLATION_LABELS,
    BLUNDELL,
    BLUNDELL_TABLE2_ERROR,
    METHOD_LABELS,
    Preset,
)

from . import plots
from .report import accuracy_at, frame, number, percent
from .stats import histogram_median, interval, near_zero, paired_gaps, seed_intervals
from .style import (
    BIAS_STYLES,
    CRITERION_COLORS,
    DATASET_LABELS,
    DATASET_TAGS,
    KL_COLORS,
    KL_LABELS,
    KL_METHODS,
    LEGEND_GREY,
    METHOD_COLORS,
    METHOD_MARKERS,
    REFERENCE_COLOR,
)

#: Seeds of the comparison (the preset's own seed, 0, and two more).
SEEDS = (0, 1, 2)

#: The bias modes of the criteria comparison, in the order of :data:`BIAS_MODE_LABELS`.
BIAS_MODES_ORDER = tuple(BIAS_STYLES)
#: Column labels of :func:`criteria_table`, in the order of :data:`BIAS_MODES_ORDER`.
BIAS_MODE_LABELS = ("biases ranked too", "weights only")


#: The study's "SGD" net is trained with Adam and carries dropout 0.01: its labels say so.
SGD_LABEL = ("SGD (dropout 0.01)", '"SGD" (Adam, dropout 0.01)')


def label(method: str) -> str:
    """Readable name of a method or ablation (the registry's label, with the study's "SGD"
    net named for what it is: Adam with dropout 0.01)."""
    name = REGISTRY[method].label if method in REGISTRY else \
        {**METHOD_LABELS, **ABLATION_LABELS}.get(method, method)
    return name.replace(*SGD_LABEL)


#: What a glued value reads where its result is not part of this run (quick mode's slice).
MISSING = "n/a (quick mode)"


# ----------------------------------------------------------------------------- loading


# ------------------------------------------------------------------------------- seeds


def seed_table(by_method: dict[str, dict[int, dict]], amounts: Sequence[float]
               ) -> pd.DataFrame:
    """Accuracy over seeds per method and pruned fraction (BBB: SNR pruning; baselines:
    global L1).

    Returns
    -------
    pandas.DataFrame
        Index ``(Model, seeds, "")``: per method (BBB twice: ``…, posterior mean`` and
        ``…, ensemble``) and its seeds (``"0, 1, 2"``), the rows of :func:`interval_rows`
        (``mean``, then ``min``/``max`` or the 95 % t bounds); columns ``"0 %"``, ``"50 %"``,
        … (name ``removed``); cells accuracies as text with four decimals.  Methods without
        a stored seed are left out.
    """
    rows: dict = {}
    for method, by_seed in by_method.items():
        if not by_seed:
            continue
        bayesian = get_method(method).bayesian
        for ensemble in ((False, True) if bayesian else (False,)):
            stats = seed_intervals(by_seed, amounts, ensemble)
            name = label(method) + ((", ensemble" if ensemble else ", posterior mean")
                                    if bayesian else "")
            for stat, cells in interval_rows({percent(a): stats[a] for a in amounts}).items():
                rows[name, _seed_list(by_seed), stat] = cells
    return frame(rows, ["Model", "seeds", ""], [percent(a) for a in amounts], "removed")


#: Row labels of :func:`interval_rows` for the bounds of each kind of :func:`interval`.
INTERVAL_BOUNDS = {"min-max": ("min", "max"), "95% t": ("95 % t low", "95 % t high")}


def interval_rows(stats: dict[str, dict], digits: int = 4) -> dict[str, dict[str, str]]:
    """Table rows for :func:`interval` results, the mean and each bound on a row of its own
    (narrow columns instead of ``mean [low – high]`` cells).

    Parameters
    ----------
    stats : dict
        ``{column: interval}``, all of one kind.
    digits : int
        Decimals of every cell.

    Returns
    -------
    dict
        ``{"mean": {column: text}}``, plus two rows named by :data:`INTERVAL_BOUNDS` (``min``
        and ``max``, or the 95 % t bounds) unless the intervals are of a single value.
    """
    kind = next(iter(stats.values()))["kind"]
    rows = {"mean": {c: number(s["mean"], digits) for c, s in stats.items()}}
    for name, key in zip(INTERVAL_BOUNDS.get(kind, ()), ("low", "high")):
        rows[name] = {c: number(s[key], digits) for c, s in stats.items()}
    return rows


def _seed_list(by_seed: dict) -> str:
    return ", ".join(str(k) for k in sorted(by_seed))


def seed_figure(by_dataset: dict[str, dict[str, dict[int, dict]]]):
    """Accuracy against the pruned fraction, mean over seeds (line) and interval (band), one
    panel per dataset (BBB: SNR, posterior mean; baselines: global L1)."""
    fig, axes = plots.figure(len(by_dataset), 1, height=2.8 * len(by_dataset) + 0.9, sharex=True)
    for ax, (dataset, by_method) in zip(axes[:, 0], by_dataset.items()):
        for method, by_seed in by_method.items():
            if not by_seed:
                continue
            amounts = next(iter(by_seed.values()))["prune"]["l1"]["amounts"]
            stats = seed_intervals(by_seed, amounts)
            mean = [stats[a]["mean"] for a in amounts]
            color = METHOD_COLORS.get(method)
            ax.plot(amounts, mean, "-", marker=METHOD_MARKERS.get(method, "o"), ms=3.5,
                    color=color, lw=1.8, label=f"{label(method)} (n={len(by_seed)})")
            ax.fill_between(amounts, [stats[a]["low"] for a in amounts],
                            [stats[a]["high"] for a in amounts], color=color, alpha=0.2, lw=0)
        ax.set_title(DATASET_LABELS.get(dataset, dataset))
        ax.set_xlabel("fraction of parameters removed")
        ax.set_ylabel("test accuracy")
        ax.set_ylim(0, 1)
        ax.tick_params(labelbottom=True)
    plots.legend_below(fig, ncol=2)
    return fig


def paired_table(by_dataset: dict[str, dict[str, dict[int, dict]]], amounts: Sequence[float],
                 first: str = "bbb", second: str = "sgd") -> pd.DataFrame:
    """Per dataset and fraction removed, the paired difference ``first`` − ``second`` on each
    seed trained for both (:func:`paired_gaps`).

    Returns
    -------
    pandas.DataFrame
        Index ``(dataset, removed)``; columns ``seed 0``, … (signed, four decimals).  Pairs
        with fewer than two common seeds are left out.
    """
    rows = {}
    for dataset, by_method in by_dataset.items():
        for amount in amounts:
            gaps = paired_gaps(by_method, first, second, amount)
            if len(gaps) >= 2:
                rows[DATASET_LABELS.get(dataset, dataset), percent(amount)] = {
                    f"seed {s}": number(g, sign=True) for s, g in gaps.items()}
    return frame(rows, ["dataset", "removed"])


# ---------------------------------------------------------------------------- criteria


def criteria_figure(by_method: dict[str, dict], dataset: str):
    """One panel per model: accuracy against the pruned fraction for every criterion of its
    family, biases ranked with the weights (solid) or left in place (dashed).  Posterior mean
    for BBB, eval mode for the baselines.  Three panels a row; the legend takes the first
    free panel (or goes below)."""
    from matplotlib.patches import Patch

    methods = list(by_method)
    ncols = min(3, len(methods) + 1)
    nrows = math.ceil(len(methods) / ncols)
    fig, axes = plots.figure(nrows, ncols, height=2.4 * nrows + 0.5, sharey=True)
    names_of: dict[str, list[str]] = {}
    for ax, method in zip(axes.flat, methods):
        result = by_method[method]
        names = criteria.CRITERION_LABELS[result["family"]]
        for mode, style in BIAS_STYLES.items():
            for criterion, sweep in result["sweeps"][mode].items():
                ax.plot(sweep["amounts"], sweep["accuracy"], style,
                        color=CRITERION_COLORS[criterion], lw=1.6)
                if names[criterion] not in names_of.setdefault(criterion, []):
                    names_of[criterion].append(names[criterion])
        ax.set_title(label(method))
        ax.set(xlabel="fraction removed", ylabel="test accuracy", ylim=(0, 1))
        ax.tick_params(labelleft=True)
    # Colour patches name the criteria, dark lines the two line styles.
    handles = [Patch(color=CRITERION_COLORS[c]) for c in CRITERION_COLORS if c in names_of]
    labels = [" / ".join(names_of[c]) for c in CRITERION_COLORS if c in names_of]
    for mode, text in zip(BIAS_MODES_ORDER, BIAS_MODE_LABELS):
        handles.append(plt.Line2D([], [], color=LEGEND_GREY, ls=BIAS_STYLES[mode], lw=1.6))
        labels.append(text)
    spare = list(axes.flat)[len(methods):]
    for ax in spare:
        ax.set_axis_off()
    if spare:
        spare[0].legend(handles, labels, loc="center", title="criterion, line style")
    else:
        plots.legend_below(fig, handles, labels, ncol=3)
    fig.suptitle(f"{DATASET_LABELS.get(dataset, dataset)}: pruning criteria")
    return fig


def criteria_table(by_method: dict[str, dict], amount: float = 0.9) -> pd.DataFrame:
    """Accuracy after removing ``amount`` for every model and criterion, with and without the
    biases in the ranking.

    Returns
    -------
    pandas.DataFrame
        Index ``(Model, Criterion)`` (criterion names as
        :data:`bnntut.criteria.CRITERION_LABELS` spells them, ``|`` included); columns
        ``biases ranked too`` and ``weights only`` (name: the pruned fraction, e.g.
        ``"90 % removed"``); cells the accuracy as text with four decimals, for BBB
        ``"posterior mean / ensemble"``.
    """
    rows: dict = {}
    for method, result in by_method.items():
        names = criteria.CRITERION_LABELS[result["family"]]
        for criterion in result["sweeps"]["with_bias"]:
            cells = {}
            for mode, column in zip(BIAS_MODES_ORDER, BIAS_MODE_LABELS):
                sweep = result["sweeps"][mode][criterion]
                k = sweep["amounts"].index(amount)
                cell = number(sweep["accuracy"][k])
                if "accuracy_mc" in sweep:
                    cell += f" / {number(sweep['accuracy_mc'][k])}"
                cells[column] = cell
            rows[label(method), names[criterion]] = cells
    return frame(rows, ["Model", "Criterion"], list(BIAS_MODE_LABELS), percent(amount, "removed"))


def best_criterion(result: dict, amount: float, mode: str = "with_bias") -> tuple[str, float]:
    """The criterion with the highest accuracy after removing ``amount``, and that accuracy."""
    scores = {c: s["accuracy"][s["amounts"].index(amount)]
              for c, s in result["sweeps"][mode].items()}
    best = max(scores, key=scores.get)
    return best, scores[best]


def best_criteria_table(by_dataset: dict[str, dict[str, dict]], amount: float = 0.9
                        ) -> pd.DataFrame:
    """The best criterion of each model (:func:`best_criterion`) after removing ``amount``,
    with the biases ranked too and with weights only, and its accuracy.

    Returns
    -------
    pandas.DataFrame
        Index ``(Model, ranking)``; one column per dataset; cells ``"name (accuracy)"``.
    """
    rows: dict = {}
    for dataset, by_method in by_dataset.items():
        for method, result in by_method.items():
            names = criteria.CRITERION_LABELS[result["family"]]
            for mode, column in zip(BIAS_MODES_ORDER, BIAS_MODE_LABELS):
                best, accuracy = best_criterion(result, amount, mode)
                rows.setdefault((label(method), column), {})[
                    DATASET_LABELS.get(dataset, dataset)] = f"{names[best]} ({accuracy:.4f})"
    return frame(rows, ["Model", "ranking"])


# --------------------------------------------------------------------------- fine-tuning


def finetune_figure(by_dataset: dict[str, dict[str, dict]], ensemble: bool = False):
    """Accuracy after pruning without (dashed, open marker) and with fine-tuning (solid),
    one panel per dataset."""
    fig, axes = plots.figure(len(by_dataset), 1, height=2.8 * len(by_dataset) + 1.1, sharex=True)
    for ax, (dataset, by_method) in zip(axes[:, 0], by_dataset.items()):
        for method, result in by_method.items():
            amounts = [lv["amount"] for lv in result["by_amount"]]
            key = "accuracy_mc" if ensemble and get_method(method).bayesian else "accuracy"
            color, marker = METHOD_COLORS.get(method), METHOD_MARKERS.get(method, "o")
            ax.plot(amounts, [lv["before"][key] for lv in result["by_amount"]], "--", marker=marker,
                    ms=4.5, mfc="white", color=color, lw=1.2)
            ax.plot(amounts, [lv["after"][key] for lv in result["by_amount"]], "-", marker=marker,
                    ms=4.5, color=color, lw=2, label=label(method))
        ax.set_title(DATASET_LABELS.get(dataset, dataset))
        ax.set_xlabel("fraction of parameters removed")
        ax.set_ylabel("test accuracy")
        ax.set_ylim(0, 1)
        ax.tick_params(labelbottom=True)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    handles += [plt.Line2D([], [], color=REFERENCE_COLOR, ls="-", marker="o", lw=2),
                plt.Line2D([], [], color=REFERENCE_COLOR, ls="--", marker="o", mfc="white",
                           lw=1.2)]
    labels += ["fine-tuned, mask fixed", "pruned only"]
    plots.legend_below(fig, handles, labels, ncol=2)
    return fig


def finetune_table(by_method: dict[str, dict]) -> pd.DataFrame:
    """Accuracy per model and pruned fraction, pruned only and after fine-tuning.

    Returns
    -------
    pandas.DataFrame
        Index ``(Model, "")``: per model the rows ``pruned only`` and ``fine-tuned``
        (posterior mean for BBB), and for BBB also ``ensemble, pruned only`` and
        ``ensemble, fine-tuned``; columns ``"50 %"``, … (name ``removed``); cells accuracies
        as text with four decimals.
    """
    amounts = [lv["amount"] for lv in next(iter(by_method.values()))["by_amount"]]
    rows: dict = {}
    for method, result in by_method.items():
        keys = [("accuracy", "")]
        if get_method(method).bayesian:
            keys.append(("accuracy_mc", "ensemble, "))
        for key, prefix in keys:
            for stage, name in (("before", "pruned only"), ("after", "fine-tuned")):
                rows[label(method), prefix + name] = {
                    percent(lv["amount"]): number(lv[stage][key]) for lv in result["by_amount"]}
    return frame(rows, ["Model", ""], [percent(a) for a in amounts], "removed")


# ------------------------------------------------------------------------- KL ablation


def kl_results(preset: Preset | str, datasets: Sequence[str], seeds: Sequence[int] = SEEDS,
               compute: bool = False, results=None) -> dict[str, dict[str, dict[int, dict]]]:
    """``{dataset: {weighting: {seed: result}}}`` of BBB trained with each complexity
    weighting (stored only, unless ``compute``; weightings with no stored seed left out)."""
    found = collect.grid(preset, datasets, list(KL_METHODS.values()), seeds, compute=compute,
                         results=results)
    return {d: {w: found[d][m] for w, m in KL_METHODS.items() if found[d][m]} for d in datasets}


def _snr_density(h: dict) -> tuple[list[float], list[float]]:
    widths = [b - a for a, b in zip(h["edges"][:-1], h["edges"][1:])]
    centres = [(a + b) / 2 for a, b in zip(h["edges"][:-1], h["edges"][1:])]
    return centres, [c / (h["n"] * w) for c, w in zip(h["counts"], widths)]


def kl_figure(by_dataset: dict[str, dict[str, dict[int, dict]]]):
    """Per dataset: the SNR density in dB of the trained posterior (Blundell et al.'s
    Figure 4; one line per seed) for each weighting, and the accuracy after SNR pruning
    (mean over seeds, with the :func:`interval` as a band)."""
    fig, axes = plots.figure(len(by_dataset), 2, height=2.7 * len(by_dataset) + 0.8)
    labels = {}
    for row, (dataset, by_weighting) in zip(axes, by_dataset.items()):
        low, high = math.inf, -math.inf
        for weighting, by_seed in by_weighting.items():
            color = KL_COLORS[weighting]
            for seed in sorted(by_seed):
                h = by_seed[seed]["weights"]["snr_db"]
                centres, density = _snr_density(h)
                row[0].plot(centres, density, color=color, lw=1.4, alpha=0.8)
                span = plots.occupied_range(h)
                low, high = min(low, span[0]), max(high, span[1])
            amounts = next(iter(by_seed.values()))["prune"]["snr"]["amounts"]
            stats = seed_intervals(by_seed, amounts)
            row[1].plot(amounts, [stats[a]["mean"] for a in amounts], "-",
                        marker=METHOD_MARKERS.get(KL_METHODS[weighting], "o"), ms=3.5,
                        color=color, lw=1.8)
            row[1].fill_between(amounts, [stats[a]["low"] for a in amounts],
                                [stats[a]["high"] for a in amounts], color=color, alpha=0.2,
                                lw=0)
            seeds = labels.setdefault(weighting, set())
            seeds.add(len(by_seed))
        name = DATASET_LABELS.get(dataset, dataset)
        row[0].set_title(f"{name}: posterior SNR")
        row[0].set(xlabel="10·log10(|μ|/σ) (dB)", ylabel="density (a line per seed)",
                   xlim=(low, high))
        row[1].set_title(f"{name}: SNR pruning")
        row[1].set_xlabel("fraction of parameters removed")
        row[1].set_ylabel("test accuracy")
        row[1].set_ylim(0, 1)
    handles = [plt.Line2D([], [], color=KL_COLORS[w], lw=2, ms=4,
                          marker=METHOD_MARKERS.get(KL_METHODS[w], "o")) for w in labels]
    texts = [f"{KL_LABELS.get(w, w)} ({'/'.join(map(str, sorted(n)))} seeds)"
             for w, n in labels.items()]
    plots.legend_below(fig, handles, texts, ncol=2, title="KL weighting of minibatch i of M")
    return fig


def _kl_summaries(by_seed: dict[int, dict]) -> tuple[dict, dict]:
    """Intervals over seeds of the mean σ and of the median SNR (dB)."""
    results = by_seed.values()
    return (interval([r["weights"]["mean_sigma"] for r in results]),
            interval([histogram_median(r["weights"]["snr_db"]) for r in results]))


def kl_table(by_weighting: dict[str, dict[int, dict]], amounts: Sequence[float]
             ) -> pd.DataFrame:
    """Per complexity weighting: the mean σ, the median SNR (dB) and the accuracy after SNR
    pruning (posterior mean), each the mean over seeds with its :func:`interval`.

    Returns
    -------
    pandas.DataFrame
        Index ``(KL weighting, seeds, "")`` with the rows of :func:`interval_rows`; columns
        ``mean σ``, ``median SNR (dB)`` (one decimal) and ``"0 %"``, ``"50 %"``, … (accuracy
        at that fraction removed); cells as text.
    """
    rows: dict = {}
    for weighting, by_seed in by_weighting.items():
        sigma, snr = _kl_summaries(by_seed)
        stats = seed_intervals(by_seed, amounts)
        merged: dict = {}
        for columns, digits in (({"mean σ": sigma}, 4), ({"median SNR (dB)": snr}, 1),
                                ({percent(a): stats[a] for a in amounts}, 4)):
            for stat, cells in interval_rows(columns, digits).items():
                merged.setdefault(stat, {}).update(cells)
        for stat, cells in merged.items():
            rows[weighting, _seed_list(by_seed), stat] = cells
    columns = ["mean σ", "median SNR (dB)", *(percent(a) for a in amounts)]
    return frame(rows, ["KL weighting", "seeds", ""], columns)


def _with_range(stats: dict, digits: int) -> str:
    if stats["kind"] == "single":
        return f"{stats['mean']:.{digits}f}"
    return (f"{stats['mean']:.{digits}f} [{stats['kind']} {stats['low']:.{digits}f} – "
            f"{stats['high']:.{digits}f}]")


def kl_findings(by_weighting: dict[str, dict[int, dict]], amounts: Sequence[float]) -> list[str]:
    """One Markdown line per weighting: median SNR, mean σ and accuracy after SNR pruning
    (means over seeds, with their intervals)."""
    lines = []
    for weighting, by_seed in by_weighting.items():
        sigma, snr = _kl_summaries(by_seed)
        stats = seed_intervals(by_seed, amounts)
        accs = ", ".join(f"{_with_range(stats[a], 4)} at {a:.0%}" for a in amounts)
        lines.append(f"- **{weighting}** (seeds {_seed_list(by_seed)}): median SNR "
                     f"{_with_range(snr, 1)} dB, mean σ {_with_range(sigma, 4)}; "
                     f"accuracy {accs}.")
    return lines


def _blundell_stored(methods: Sequence[str], preset: Preset | str = BLUNDELL,
                     results=None) -> dict[str, dict]:
    """The stored, current MNIST results of ``methods`` of a Blundell preset, by method."""
    return collect.grid(preset, ["mnist"], methods, results=results)["mnist"]


#: The ``blundell`` preset's selection family of their BBB learning-rate grid (the others are
#: the deterministic calibration runs, :mod:`bnnbook.blundell_table1`).
BLUNDELL_BBB = "bbb"


def blundell_grid(results=None) -> dict[str, dict]:
    """The stored, current results of the ``blundell`` preset's learning-rate grid, by method
    (grid points not trained yet are left out)."""
    return _blundell_stored(selection.grid(BLUNDELL, BLUNDELL_BBB), results=results)


def blundell_choice(grid: dict[str, dict]) -> str:
    """The grid point Blundell et al.'s protocol keeps (:func:`bnntut.selection.choose` with
    the ``blundell`` preset's rule, among the stored points): the highest accuracy on the
    held-out validation images at the end of training, the first in grid order on a tie."""
    return selection.choose(grid, BLUNDELL, BLUNDELL_BBB, complete=False)


def blundell_result(results=None) -> tuple[str, dict] | None:
    """``(preset, result)`` of Blundell et al.'s experiment: the grid point of the full
    ``blundell`` preset chosen on validation (:func:`blundell_choice`) when any is stored,
    else the shorter Adam run ``blundell-cpu``, else ``None``."""
    grid = blundell_grid(results)
    if grid:
        return "blundell", grid[blundell_choice(grid)]
    stored = _blundell_stored(["bbb"], "blundell-cpu", results).get("bbb")
    return None if stored is None else ("blundell-cpu", stored)


#: The ``blundell`` ablation that tests the reading of Table 2 predicted by chapter *What
#: makes a network prunable* (section 6): plain SGD at 1e-3, the equal split 1/M of the
#: complexity cost and σ1 = e^-2, on Blundell et al.'s network and schedule.
BLUNDELL_PREDICTION = "bbb-sgd-lr1e-3-kl-uniform-sigma1-e-2"


def blundell_prediction(results=None) -> dict | None:
    """The stored, current MNIST result of :data:`BLUNDELL_PREDICTION`, or ``None``.

    It is an ablation of the ``blundell`` preset, never one of the grid points that
    :func:`blundell_choice` chooses among (it is not part of the paper's protocol).
    """
    return _blundell_stored([BLUNDELL_PREDICTION], results=results).get(BLUNDELL_PREDICTION)


def snr_error(result: dict, amount: float, ensemble: bool = False) -> float:
    """Test error in percent after removing ``amount`` of a BBB result's weights by SNR
    (``ensemble``: of the Monte Carlo ensemble, else of the posterior mean)."""
    return 100 * (1 - accuracy_at(result, amount, "snr", ensemble=ensemble))


#: How many points of test error more than Table 2's own cost (0.15 from 0 to 98 % removed)
#: pruning may cost a run for it to prune "as Table 2 does".
PRUNING_COST_TOLERANCE = 0.25


def blundell_pruning_cost(result: dict) -> tuple[float, float, bool]:
    """What removing 98 % of the weights by SNR costs, in points of test error.

    Returns
    -------
    tuple
        ``(ours, theirs, as_table2)``: the error at 98 % removed minus the unpruned error, for
        ``result`` and for Table 2 (1.39 − 1.24 = 0.15), and whether ours is within
        :data:`PRUNING_COST_TOLERANCE` of theirs or below it.
    """
    ours = snr_error(result, 0.98) - snr_error(result, 0.0)
    theirs = BLUNDELL_TABLE2_ERROR[0.98] - BLUNDELL_TABLE2_ERROR[0.0]
    return ours, theirs, ours <= theirs + PRUNING_COST_TOLERANCE


def blundell_pruning_sentence(result: dict) -> str:
    """:func:`blundell_pruning_cost` as a sentence for running text, e.g. ``"Removing 98 % of
    its weights changes its error by −0.04 points, against +0.15 in Table 2: the prediction
    about prunability holds, …"``."""
    ours, theirs, as_table2 = blundell_pruning_cost(result)
    return (f"Removing 98 % of its weights changes its error by {number(ours, 2, sign=True)} "
            f"points, against {number(theirs, 2, sign=True)} in Table 2: " + (
                "the prediction about prunability holds, and the gap to Table 2 is in the "
                "unpruned network, not in what pruning costs." if as_table2 else
                "pruning costs it more than it cost theirs."))


def blundell_errors_clause(result: dict) -> str:
    """A result's unpruned error and its error at 95 % removed by SNR beside Table 2's, as a
    clause: ``"errs 1.20 % unpruned and 1.43 % at 95 % removed (Table 2: 1.24 % and
    1.29 %)"``."""
    return (f"errs {snr_error(result, 0.0):.2f} % unpruned and {snr_error(result, 0.95):.2f} % "
            f"at 95 % removed (Table 2: {BLUNDELL_TABLE2_ERROR[0.0]:.2f} % and "
            f"{BLUNDELL_TABLE2_ERROR[0.95]:.2f} %)")


def blundell_prediction_phrase(result: dict | None) -> str:
    """Where the prediction stands, as a clause for running text.

    ``"still to be run at their scale"`` without a stored result; with one, ``"run at their
    scale: it "`` and :func:`blundell_errors_clause`, e.g. ``"run at their scale: it errs
    1.20 % unpruned and 1.43 % at 95 % removed (Table 2: 1.24 % and 1.29 %)"``.
    """
    if result is None:
        return "still to be run at their scale"
    return "run at their scale: it " + blundell_errors_clause(result)


def blundell_table(result: dict) -> pd.DataFrame:
    """Blundell et al.'s Table 2 test error next to ours after SNR pruning (posterior mean and
    the Monte Carlo ensemble), at Table 2's pruned fractions.

    Returns
    -------
    pandas.DataFrame
        Index ``removed`` (``"0 %"``, …); columns ``Blundell et al., Table 2``,
        ``ours, posterior mean``, ``ours, ensemble`` (name ``test error``); cells errors in
        percent as text with two decimals (``"1.29 %"``).
    """
    rows = {}
    for amount, error in BLUNDELL_TABLE2_ERROR.items():
        ours = [snr_error(result, amount, ensemble=e) for e in (False, True)]
        rows[percent(amount)] = {"Blundell et al., Table 2": number(error, 2, unit=" %"),
                                 "ours, posterior mean": number(ours[0], 2, unit=" %"),
                                 "ours, ensemble": number(ours[1], 2, unit=" %")}
    return frame(rows, "removed", columns_name="test error")


#: Blundell et al.'s Table 1: test error (%) on MNIST of their networks with 1200 units per
#: hidden layer, the size of the network their Table 2 prunes.
BLUNDELL_TABLE1_ERROR = {"plain SGD": 1.88, "SGD, dropout": 1.36, "BBB, Gaussian prior": 2.04,
                         "BBB, scale-mixture prior": 1.32}
#: The lowest test error (%) Blundell et al. report for the network Table 2 prunes; Table 2
#: itself reports that network at the end of training.
BLUNDELL_LOWEST_ERROR = 1.12
#: The range (dB) of the SNR axis of their Figure 4, read off the figure.
BLUNDELL_FIGURE4_SNR_DB = (-7.5, 0.0)
#: Runs of the ``blundell`` preset that section 6 of chapter *Blundell et al.'s protocol*
#: names as open: the averaged-gradient grid and the deterministic calibration runs.
BLUNDELL_OPEN_RUNS = {
    "averaged-gradient BBB over their learning-rate grid":
        [m for m in BLUNDELL.ablations if m.endswith("-mean")],
    "calibration: the 2 × 1200 MLP, plain SGD, without and with dropout 0.5":
        [m for family, grid in BLUNDELL.selection["families"].items()
         if family != BLUNDELL_BBB for m in grid],
}


def blundell_open_runs(results=None) -> dict[str, list[str]]:
    """:data:`BLUNDELL_OPEN_RUNS` without the runs that are stored by now (groups left empty
    are dropped)."""
    stored = _blundell_stored([m for methods in BLUNDELL_OPEN_RUNS.values() for m in methods],
                              results=results)
    still = {group: [m for m in methods if m not in stored]
             for group, methods in BLUNDELL_OPEN_RUNS.items()}
    return {group: methods for group, methods in still.items() if methods}


#: The prepared command that trains ``blundell`` runs side by side on one GPU, with CUDA
#: graphs, within a deadline in seconds (``benchmarks/blundell_gpu.py``; ``$OUT`` is the folder
#: its packed results go to).
BLUNDELL_GPU_COMMAND = 'python benchmarks/blundell_gpu.py --out "$OUT" --deadline 540'


def blundell_open_commands(results=None) -> str:
    """:func:`blundell_open_runs` as Markdown: per group its title and the
    :data:`BLUNDELL_GPU_COMMAND` that trains its runs, three methods to a line."""
    blocks = []
    for group, methods in blundell_open_runs(results).items():
        lines = [" ".join(methods[i:i + 3]) for i in range(0, len(methods), 3)]
        blocks.append(f"{group}:\n\n```bash\n{BLUNDELL_GPU_COMMAND} \\\n    --methods "
                      + " \\\n    ".join(lines) + "\n```")
    return "\n\n".join(blocks) or "All of them are stored now."


def blundell_comparison_table(runs: dict[str, dict]) -> pd.DataFrame:
    """Blundell et al.'s Table 2 test error beside ours after SNR pruning (posterior mean),
    one column per run, at Table 2's pruned fractions.

    Parameters
    ----------
    runs : dict
        ``{column title: result}``.

    Returns
    -------
    pandas.DataFrame
        Index ``removed`` (``"0 %"``, …); columns ``Blundell et al., Table 2`` and the run
        titles (name ``test error``); cells errors in percent as text with two decimals.
    """
    rows = {}
    for amount, error in BLUNDELL_TABLE2_ERROR.items():
        rows[percent(amount)] = {"Blundell et al., Table 2": number(error, 2, unit=" %"),
                                 **{title: number(snr_error(r, amount), 2, unit=" %")
                                    for title, r in runs.items()}}
    return frame(rows, "removed", columns_name="test error")


def _error_text(value: float | None, digits: int = 2) -> str:
    return MISSING if value is None else f"{value:.{digits}f}"


def blundell_values(grid: dict[str, dict], prediction: dict | None) -> dict[str, str]:
    """Every value chapter *Blundell et al.'s protocol* glues, as text; :data:`MISSING`
    where a run is not stored.

    Parameters
    ----------
    grid : dict
        :func:`blundell_grid`.
    prediction : dict or None
        :func:`blundell_prediction`.
    """
    t2 = BLUNDELL_TABLE2_ERROR
    values = {"t2_0": f"{t2[0.0]:.2f}", "t2_95": f"{t2[0.95]:.2f}",
              "t2_cost": number(t2[0.98] - t2[0.0], 2, sign=True),
              "lowest": f"{BLUNDELL_LOWEST_ERROR:.2f}",
              "fig4_low": number(BLUNDELL_FIGURE4_SNR_DB[0], 1),
              "fig4_high": f"{BLUNDELL_FIGURE4_SNR_DB[1]:.0f}",
              **{f"t1_{k}": f"{v:.2f}" for k, v in zip(
                  ("sgd", "dropout", "gauss", "mixture"), BLUNDELL_TABLE1_ERROR.values())}}
    chosen = grid[blundell_choice(grid)] if grid else None
    train = chosen["config"]["train"] if chosen else None
    snr = [r["weights"]["snr_db"]["mean"] for r in grid.values()]
    values |= {
        "bl_chosen": label(chosen["config"]["method"]) if chosen else MISSING,
        "bl_device": chosen["metadata"]["device_name"] if chosen else MISSING,
        "bl_validation": number(chosen["history"][-1]["validation_accuracy"]) if chosen
        else MISSING,
        "bl_mu_75": number(accuracy_at(chosen, 0.75, "l1")) if chosen else MISSING,
        "bl_rho_budget": f"{train['lr'] * train['epochs']:.1f}" if chosen else MISSING,
        "bl_growth": f"{math.exp(train['lr'] * train['epochs']):.1f}" if chosen else MISSING,
        "bl_ceiling": (f"{math.log1p(math.exp(-4.0)) * math.exp(train['lr'] * train['epochs']):.3f}"
                       if chosen else MISSING),
        "bl_sigma_init_high": f"{math.log1p(math.exp(-4.0)):.4f}",
        "grid_snr_low": number(min(snr), 1, sign=True) if snr else MISSING,
        "grid_snr_high": number(max(snr), 1, sign=True) if snr else MISSING,
    }
    for amount in (0.0, 0.5, 0.95):
        values[f"bl_error_{round(100 * amount)}"] = _error_text(
            snr_error(chosen, amount) if chosen else None)
    values |= {
        "pred_error_0": _error_text(snr_error(prediction, 0.0) if prediction else None),
        "pred_cost": (number(blundell_pruning_cost(prediction)[0], 2, sign=True)
                      if prediction else MISSING),
        "pred_zero": percent(near_zero(prediction)) if prediction else MISSING,
        "pred_validation": (number(prediction["history"][-1]["validation_accuracy"])
                            if prediction else MISSING),
    }
    return values


# ------------------------------------------------------------------- the chapter's text


def finetune_accuracy(result: dict, amount: float, stage: str = "after") -> float:
    """Accuracy of a fine-tuning result at ``amount`` removed, ``stage`` ``"before"``
    (pruned only) or ``"after"`` (fine-tuned); posterior mean for BBB."""
    return next(lv[stage]["accuracy"] for lv in result["by_amount"] if lv["amount"] == amount)


def fair_values(seeds: dict, crit: dict, ft: dict, kl: dict) -> dict[str, str]:
    """Every value chapter *A fair comparison* glues, as text; :data:`MISSING` where a
    result is not part of this run.

    Parameters
    ----------
    seeds, crit, ft, kl : dict
        ``{dataset: …}`` of :func:`bnntut.collect.grid`: the training results over seeds,
        the criteria and fine-tuning results (seed 0), and :func:`kl_results`.
    """
    values = {}
    for dataset, key in DATASET_TAGS.items():
        gaps = paired_gaps(seeds.get(dataset, {}), "bbb", "sgd", 0.9)
        values[f"gap_low_{key}"] = number(min(gaps.values()), sign=True) if gaps else MISSING
        values[f"gap_high_{key}"] = number(max(gaps.values()), sign=True) if gaps else MISSING
        bbb = crit.get(dataset, {}).get("bbb")
        for criterion, name in (("l1", "mu"), ("snr", "snr")):
            values[f"{name}_{key}"] = (number(best_criterion_accuracy(bbb, criterion, 0.9))
                                       if bbb else MISSING)
        for method in ("bbb", "sgd"):
            found = ft.get(dataset, {}).get(method)
            done = {lv["amount"] for lv in found["by_amount"]} if found else set()
            for amount in (0.9, 0.95, 0.98):
                values[f"ft_{method}_{key}_{round(100 * amount)}"] = (
                    number(finetune_accuracy(found, amount)) if amount in done else MISSING)
            values[f"pruned_{method}_{key}_98"] = (
                number(finetune_accuracy(found, 0.98, "before")) if 0.98 in done else MISSING)
        by_weighting = kl.get(dataset, {})
        for weighting in ("paper", "uniform"):
            found = by_weighting.get(weighting)
            values[f"kl_{weighting}_{key}"] = (
                number(statistics.fmean(accuracy_at(r, 0.9) for r in found.values()))
                if found else MISSING)
            values[f"kl_snr_{weighting}_{key}"] = (
                number(statistics.fmean(histogram_median(r["weights"]["snr_db"])
                                        for r in found.values()), 1) if found else MISSING)
    bbb_seeds = seeds.get("mnist", {}).get("bbb", {})
    values["n_seeds"] = str(len(bbb_seeds)) if bbb_seeds else MISSING
    return values


def cost_table(seeds: dict, crit: dict, ft: dict, kl: dict) -> pd.DataFrame:
    """Runs and wall time (minutes, from each result's metadata) of every arm beyond the
    study: the extra seeds, the criteria sweeps, the fine-tuning and the KL ablation (the
    arguments as for :func:`fair_values`)."""
    def minutes(results, key):
        return sum(r["metadata"]["seconds"][key] for r in results) / 60

    arms = {"extra seeds": ([r for by_method in seeds.values() for by_seed in by_method.values()
                             for s, r in by_seed.items() if s != 0], "train_epochs"),
            "criteria": ([r for found in crit.values() for r in found.values()], "sweeps"),
            "fine-tuning": ([r for found in ft.values() for r in found.values()], "fine_tune"),
            "KL ablation": ([r for by_weighting in kl.values()
                             for w, by_seed in by_weighting.items() if w != "paper"
                             for r in by_seed.values()], "train_epochs")}
    return frame({arm: {"runs": len(results), "minutes": number(minutes(results, key), 1)}
                  for arm, (results, key) in arms.items() if results}, "arm")


def best_criterion_accuracy(result: dict, criterion: str, amount: float,
                            mode: str = "with_bias") -> float:
    """Accuracy of a criteria result after removing ``amount`` by ``criterion``."""
    sweep = result["sweeps"][mode][criterion]
    return sweep["accuracy"][sweep["amounts"].index(amount)]
