"""A fair comparison: results across seeds and the arms beyond the study, as tables and figures.

Used by the chapter ``book/fair_comparison``.  Loading never trains in ``paper`` mode: a
chapter built from committed results shows the seeds and arms that were run (and says which);
``compute=True`` (quick mode, or a reader with time) runs what is missing through
:func:`bnntut.experiment.run`, :func:`bnntut.criteria.run` and :func:`bnntut.finetune.run`.

Intervals over seeds (:func:`interval`): with fewer than :data:`T_INTERVAL_MIN_N` seeds the
range (min–max) is shown, from that many on a 95 % Student-t interval of the mean.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd

from bnntut import criteria, experiment, finetune
from bnntut.presets import (
    ABLATION_LABELS,
    BLUNDELL_TABLE2_ERROR,
    METHOD_LABELS,
    get_preset,
    method_config,
)

from . import plots
from .plots import DATASET_LABELS, METHOD_COLORS
from .report import accuracy_at, frame, number, percent

#: Seeds of the comparison (the preset's own seed, 0, and two more).
SEEDS = (0, 1, 2)

#: From this many seeds on, :func:`interval` gives a 95 % t-interval instead of min–max.
T_INTERVAL_MIN_N = 5

#: Two-sided 95 % quantiles of Student's t by degrees of freedom (df > 30: normal, 1.96).
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
         9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}

#: The complexity weightings of the KL ablation and the method trained with each.
KL_METHODS = {"paper": "bbb", "blundell": "bbb-kl-blundell", "uniform": "bbb-kl-uniform"}
#: Colour of each weighting: that of the method trained with it (:data:`METHOD_COLORS`).
KL_COLORS = {weighting: METHOD_COLORS[method] for weighting, method in KL_METHODS.items()}
#: Weight of minibatch i of M under each weighting, as text for tables and legends.
KL_FORMULAS = {"paper": "2¹⁻ⁱ", "blundell": "2ᴹ⁻ⁱ/(2ᴹ−1)", "uniform": "1/M"}
#: Legend labels of the weightings.
KL_LABELS = {weighting: f"{weighting}, {formula}" for weighting, formula in KL_FORMULAS.items()}

#: Line style of each bias mode of the criteria comparison.
BIAS_STYLES = {"with_bias": "-", "weights_only": "--"}
BIAS_MODES_ORDER = tuple(BIAS_STYLES)
#: Column labels of :func:`criteria_table`, in the order of :data:`BIAS_MODES_ORDER`.
BIAS_MODE_LABELS = ("biases ranked too", "weights only")
CRITERION_COLORS = {"snr": "#D55E00", "l1": "#0072B2", "l1-layer": "#009E73",
                    "random": "#999999"}


def label(method: str) -> str:
    """Readable name of a method or ablation."""
    return {**METHOD_LABELS, **ABLATION_LABELS}.get(method, method)


def _t_quantile(df: int) -> float:
    if df > 30:
        return 1.96
    return T_975[max(k for k in T_975 if k <= df)]   # conservative between table entries


def interval_kind(n: int) -> str:
    """What :func:`interval` gives for ``n`` values: ``single``, ``min-max`` or ``95% t``."""
    if n < 1:
        raise ValueError(f"need at least one value, got {n}")
    return "single" if n == 1 else "min-max" if n < T_INTERVAL_MIN_N else "95% t"


def interval(values: Sequence[float]) -> dict:
    """Mean of ``values`` and an interval around it.

    Returns
    -------
    dict
        ``mean``, ``low``, ``high``, ``n`` and ``kind``: ``"95% t"`` (mean ± t·s/√n) when
        ``n >= T_INTERVAL_MIN_N``, ``"min-max"`` when 2 <= n < that, ``"single"`` for one.

    Raises
    ------
    ValueError
        For no values.
    """
    values = [float(v) for v in values]
    if not values:
        raise ValueError("interval needs at least one value")
    n, mean = len(values), statistics.fmean(values)
    kind = interval_kind(n)
    if kind == "single":
        return {"mean": mean, "low": mean, "high": mean, "n": 1, "kind": kind}
    if kind == "min-max":
        return {"mean": mean, "low": min(values), "high": max(values), "n": n, "kind": kind}
    half = _t_quantile(n - 1) * statistics.stdev(values) / math.sqrt(n)
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": n, "kind": "95% t"}


# ----------------------------------------------------------------------------- loading


def _stored(config: dict, results) -> dict | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", experiment.StaleResultWarning)
        return experiment.Run(config, results).load()


def seed_results(preset: str, datasets: Sequence[str], methods: Sequence[str],
                 seeds: Sequence[int] = SEEDS, compute: bool = False,
                 results=None) -> dict[str, dict[str, dict[int, dict]]]:
    """``{dataset: {method: {seed: result}}}`` of the training results.

    ``compute=False`` keeps only current stored results (missing seeds are left out);
    ``compute=True`` runs the missing ones.
    """
    out: dict = {}
    for dataset in datasets:
        out[dataset] = {}
        for method in methods:
            found = {}
            for seed in seeds:
                if compute:
                    found[seed] = experiment.run(dataset, method, preset, seed=seed,
                                                 results=results, progress=False)
                else:
                    stored = _stored(method_config(preset, dataset, method, seed=seed), results)
                    if stored is not None:
                        found[seed] = stored
            out[dataset][method] = found
    return out


def derived_results(kind: str, preset: str, datasets: Sequence[str], methods: Sequence[str],
                    seed: int = 0, compute: bool = False, results=None) -> dict:
    """``{dataset: {method: result}}`` of ``kind`` (``"criteria"`` or ``"finetune"``) for one
    seed; without ``compute``, only stored results (those whose training result is current)."""
    module = {"criteria": criteria, "finetune": finetune}[kind]
    out: dict = {}
    for dataset in datasets:
        out[dataset] = {}
        for method in methods:
            config = method_config(preset, dataset, method, seed=seed)
            path = experiment.Run(config, results).path(f".{kind}.json")
            if compute or (path.exists() and _stored(config, results) is not None):
                kwargs = {"progress": False} if kind == "finetune" else {}
                out[dataset][method] = module.run(dataset, method, preset, seed=seed,
                                                  results=results, **kwargs)
    return out


# ------------------------------------------------------------------------------- seeds


def seed_intervals(by_seed: dict[int, dict], amounts: Sequence[float],
                   ensemble: bool = False) -> dict[float, dict]:
    """Per pruned fraction, the :func:`interval` of the accuracy over the seeds of one model
    (BBB: SNR pruning; ``ensemble`` picks the Monte Carlo accuracy)."""
    return {a: interval([accuracy_at(r, a, ensemble=ensemble) for r in by_seed.values()])
            for a in amounts}


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
        bayesian = "snr" in next(iter(by_seed.values()))["prune"]
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
            ax.plot(amounts, mean, "-", marker=plots.METHOD_MARKERS.get(method, "o"), ms=3.5,
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


def paired_gaps(by_method: dict[str, dict[int, dict]], first: str, second: str,
                amount: float) -> dict[int, float]:
    """Per seed trained for both, accuracy of ``first`` minus ``second`` after removing
    ``amount`` (each by its own criterion; posterior mean for BBB)."""
    common = sorted(set(by_method.get(first, {})) & set(by_method.get(second, {})))
    return {s: accuracy_at(by_method[first][s], amount)
            - accuracy_at(by_method[second][s], amount) for s in common}


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
        handles.append(plt.Line2D([], [], color="#333333", ls=BIAS_STYLES[mode], lw=1.6))
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


# --------------------------------------------------------------------------- fine-tuning


def finetune_figure(by_dataset: dict[str, dict[str, dict]], ensemble: bool = False):
    """Accuracy after pruning without (dashed, open marker) and with fine-tuning (solid),
    one panel per dataset."""
    fig, axes = plots.figure(len(by_dataset), 1, height=2.8 * len(by_dataset) + 1.1, sharex=True)
    for ax, (dataset, by_method) in zip(axes[:, 0], by_dataset.items()):
        for method, result in by_method.items():
            amounts = [lv["amount"] for lv in result["by_amount"]]
            key = "accuracy_mc" if ensemble and "accuracy_mc" in result["by_amount"][0]["after"] \
                else "accuracy"
            color, marker = METHOD_COLORS.get(method), plots.METHOD_MARKERS.get(method, "o")
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
    handles += [plt.Line2D([], [], color=plots.REFERENCE_COLOR, ls="-", marker="o", lw=2),
                plt.Line2D([], [], color=plots.REFERENCE_COLOR, ls="--", marker="o", mfc="white",
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
        if "accuracy_mc" in result["by_amount"][0]["after"]:
            keys.append(("accuracy_mc", "ensemble, "))
        for key, prefix in keys:
            for stage, name in (("before", "pruned only"), ("after", "fine-tuned")):
                rows[label(method), prefix + name] = {
                    percent(lv["amount"]): number(lv[stage][key]) for lv in result["by_amount"]}
    return frame(rows, ["Model", ""], [percent(a) for a in amounts], "removed")


# ------------------------------------------------------------------------- KL ablation


def kl_results(preset: str, datasets: Sequence[str], seeds: Sequence[int] = SEEDS,
               compute: bool = False, results=None) -> dict[str, dict[str, dict[int, dict]]]:
    """``{dataset: {weighting: {seed: result}}}`` of BBB trained with each complexity
    weighting (stored only, unless ``compute``; weightings with no stored seed left out)."""
    found = seed_results(preset, datasets, list(KL_METHODS.values()), seeds, compute, results)
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
                        marker=plots.METHOD_MARKERS.get(KL_METHODS[weighting], "o"), ms=3.5,
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
                          marker=plots.METHOD_MARKERS.get(KL_METHODS[w], "o")) for w in labels]
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


def histogram_median(h: dict) -> float:
    """The median of a stored histogram (linear within its bin; under/overflow counted)."""
    target = h["n"] / 2
    running = h["below"]
    if running >= target:
        return h["edges"][0]
    for count, lo, hi in zip(h["counts"], h["edges"][:-1], h["edges"][1:]):
        if running + count >= target:
            return lo + (hi - lo) * (target - running) / count
        running += count
    return h["edges"][-1]


def blundell_grid(results=None) -> dict[str, dict]:
    """The stored, current results of the ``blundell`` preset's learning-rate grid, by method
    (grid points not trained yet are left out)."""
    among = get_preset("blundell").selection["among"]
    stored = {m: _stored(method_config("blundell", "mnist", m), results) for m in among}
    return {m: r for m, r in stored.items() if r is not None}


def blundell_choice(grid: dict[str, dict]) -> str:
    """The grid point Blundell et al.'s protocol keeps: the highest accuracy on the held-out
    validation images at the end of training (ties: the first in grid order)."""
    by = get_preset("blundell").selection["by"]
    if not grid:
        raise ValueError("no grid point of the blundell preset is stored; train them with "
                         "`BNNTUT_CUDA_GRAPHS=1 python -m bnntut reproduce --preset blundell "
                         "--device cuda`")
    return max(grid, key=lambda m: grid[m]["history"][-1][by])


def blundell_result(results=None) -> tuple[str, dict] | None:
    """``(preset, result)`` of Blundell et al.'s experiment: the grid point of the full
    ``blundell`` preset chosen on validation (:func:`blundell_choice`) when any is stored,
    else the shorter Adam run ``blundell-cpu``, else ``None``."""
    grid = blundell_grid(results)
    if grid:
        return "blundell", grid[blundell_choice(grid)]
    stored = _stored(method_config("blundell-cpu", "mnist", "bbb"), results)
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
    return _stored(method_config("blundell", "mnist", BLUNDELL_PREDICTION), results)


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
