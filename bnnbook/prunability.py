"""What makes a Bayes-by-Backprop network prunable: the study's protocol with one factor
changed at a time (chapter *What makes a network prunable*).

Every row is an ablation method of the ``paper`` preset (:data:`bnntut.presets.PAPER`), so
any row is one command to regenerate — ``python -m bnntut reproduce --preset paper --methods
<row> --seeds 0 1`` — and its numbers are read from the stored training results: the pruning
sweeps by signal-to-noise ratio (``snr``) and by magnitude (``l1``, i.e. |μ| for BBB), the
weight summaries (SNR histogram, mean σ) and the training wall time (median epoch × epochs).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import pandas as pd

from bnntut.evaluate import TABLE_AMOUNTS
from bnntut.methods import get as get_method
from bnntut.presets import get_preset, lr_label

from . import report
from .comparison import KL_FORMULAS

#: BBB rows: ``method -> (factor, setting)``; the first is the study's protocol.
BBB_ROWS = {
    "bbb": ("the study's protocol", f"Adam 1e-4, weighting {KL_FORMULAS['paper']}, "
                                    "ρ ~ U(−5, −4), π = 1/2, σ1 = e⁰, σ2 = e⁻⁶, 2 samples, "
                                    "50 epochs"),
    "bbb-kl-blundell": ("complexity weighting", f"Blundell's {KL_FORMULAS['blundell']}"),
    "bbb-kl-uniform": ("complexity weighting", f"uniform {KL_FORMULAS['uniform']}"),
    "bbb-lr1e-3": ("optimiser", "Adam, learning rate 1e-3"),
    "bbb-opt-sgd": ("optimiser", "plain SGD, learning rate 1e-3"),
    "bbb-rho-fixed": ("posterior initialisation", "ρ = −5 for every weight"),
    "bbb-prior-wide": ("prior", "π = 1/4, σ1 = e⁻¹, σ2 = e⁻⁷"),
    "bbb-150ep": ("epochs", "150"),
    "bbb-samples1": ("weight samples per step", "1"),
    "bbb-samples5": ("weight samples per step", "5"),
    "bbb-kl-uniform-lr1e-3": ("combination", "uniform weighting and Adam 1e-3"),
    "bbb-opt-sgd-sigma1-e-2": ("combination", "plain SGD 1e-3 and σ1 = e⁻²"),
    "bbb-opt-sgd-kl-uniform-sigma1-e-2": ("combination",
                                          "plain SGD 1e-3, σ1 = e⁻² and uniform weighting"),
}

#: The BBB rows that change exactly one factor of the study's protocol.
SINGLE_FACTOR_ROWS = [m for m, (factor, _) in BBB_ROWS.items()
                      if factor not in ("the study's protocol", "combination")]

#: Deterministic rows, pruned by their best criterion (global magnitude), same budget.
DETERMINISTIC_ROWS = {
    "sgd": ("the study's protocol", "Adam 1e-4"),
    "sgd-lr1e-3": ("optimiser", "Adam 1e-3"),
    "dropout50": ("the study's protocol", "Adam 1e-4"),
    "dropout50-lr1e-3": ("optimiser", "Adam 1e-3"),
    "sgd-l1-1e-5-lr1e-3": ("penalty (complexity cost)", "Adam 1e-3, L1 1e-5 × Σ|w|"),
    "sgd-l1-1e-4-lr1e-3": ("penalty (complexity cost)", "Adam 1e-3, L1 1e-4 × Σ|w|"),
}

#: Fractions removed that the table reports: the book's table grid without 0.
AMOUNTS = TABLE_AMOUNTS[1:]

#: The issue's targets (mean over seeds, SNR pruning, no fine-tuning): Blundell et al.'s
#: Table 2 levels on MNIST; on Fashion-MNIST levels about 0.03 below the unpruned networks.
TARGETS = {"mnist": {0.95: 0.980, 0.98: 0.970}, "fashion-mnist": {0.9: 0.880, 0.95: 0.870}}


def median_snr_db(result: dict) -> float:
    """Median signal-to-noise ratio |μ|/σ in dB (20·log10) of a BBB result's weights,
    interpolated within the stored histogram's bins (0.8 dB wide)."""
    hist = result["weights"]["snr_db"]
    counts, edges = hist["counts"], hist["edges"]
    half = (hist["below"] + sum(counts) + hist["above"]) / 2
    seen = hist["below"]
    for count, low, high in zip(counts, edges[:-1], edges[1:]):
        if count and seen + count >= half:
            return low + (high - low) * (half - seen) / count
        seen += count
    raise ValueError("the median lies outside the histogram's range")


def scope(preset: str) -> tuple[list[str], list[str], list[int]]:
    """``(datasets, methods, seeds)`` of the prunability rows for ``preset``: every row, all
    of the preset's datasets and seeds 0–2, unless the preset narrows them with a
    ``prunability_scope`` (``quick`` does, to keep CI fast)."""
    spec = get_preset(preset)
    narrowed = spec.prunability_scope or {}
    return (list(narrowed.get("datasets", spec.datasets)),
            list(narrowed.get("methods", [*BBB_ROWS, *DETERMINISTIC_ROWS])),
            list(narrowed.get("seeds", [0, 1, 2])))


def row(by_seed: dict[int, dict]) -> dict:
    """Means over seeds of one method's stored results.

    Returns
    -------
    dict
        ``seeds`` (list), ``unpruned``, ``snr`` and ``l1`` (``{amount: accuracy}``; ``snr``
        empty for deterministic nets), ``median_snr_db`` and ``mean_sigma`` (``None`` for
        deterministic nets), ``train_minutes`` (mean over seeds of the median epoch's wall time
        times the number of epochs: robust to epochs slowed by other work on the machine).
    """
    if not by_seed:
        raise ValueError("no stored result for this method")
    results = [by_seed[s] for s in sorted(by_seed)]
    bayesian = "snr" in results[0]["prune"]
    mean, accuracy = statistics.fmean, report.accuracy_at
    return {"seeds": sorted(by_seed),
            "unpruned": mean(accuracy(r, 0.0, "l1") for r in results),
            "l1": {a: mean(accuracy(r, a, "l1") for r in results) for a in AMOUNTS},
            "snr": ({a: mean(accuracy(r, a, "snr") for r in results) for a in AMOUNTS}
                    if bayesian else {}),
            "median_snr_db": mean(median_snr_db(r) for r in results) if bayesian else None,
            "mean_sigma": mean(r["weights"]["mean_sigma"] for r in results) if bayesian
            else None,
            "train_minutes": mean(statistics.median(e["seconds"] for e in r["history"])
                                  * len(r["history"]) / 60 for r in results)}


def rows(collected: dict[str, dict[int, dict]]) -> dict[str, dict]:
    """:func:`row` of every method with at least one stored seed."""
    return {method: row(by_seed) for method, by_seed in collected.items() if by_seed}


def own_sweep(summary: dict) -> dict[float, float]:
    """``{amount: accuracy}`` under the row's own criterion: SNR for BBB, magnitude else."""
    return summary["snr"] or summary["l1"]


def meets_targets(summary: dict, dataset: str) -> dict[float, bool]:
    """``{amount: reached}`` for the dataset's :data:`TARGETS` (SNR pruning for BBB)."""
    return {a: own_sweep(summary)[a] >= level
            for a, level in TARGETS[dataset].items()}


def best_bbb(summaries: dict[str, dict], dataset: str) -> str:
    """The BBB row with the highest accuracy at the dataset's hardest target fraction."""
    hardest = max(TARGETS[dataset])
    candidates = [m for m in summaries if get_method(m).bayesian]
    return max(candidates, key=lambda m: summaries[m]["snr"][hardest])


def best_deterministic(summaries: dict[str, dict], dataset: str) -> str | None:
    """The deterministic row with the highest accuracy, pruned by magnitude, at the
    dataset's hardest target fraction (``None`` when no deterministic row is stored)."""
    hardest = max(TARGETS[dataset])
    candidates = [m for m in summaries if not get_method(m).bayesian]
    return max(candidates, key=lambda m: summaries[m]["l1"][hardest]) if candidates else None


def settings(methods: Sequence[str]) -> pd.DataFrame:
    """What each row changes: one line per method, its factor and setting."""
    described = {**BBB_ROWS, **DETERMINISTIC_ROWS}
    return report.frame({get_method(m).label: dict(zip(("factor", "setting"), described[m]))
                         for m in methods}, index="model")


def table(summaries: dict[str, dict], criterion: str = "snr",
          details: bool = True) -> pd.DataFrame:
    """One row per method: seeds, unpruned accuracy, accuracy at :data:`AMOUNTS` removed by
    ``criterion`` (``"snr"``, ``"l1"`` or ``"own"``: SNR for BBB, magnitude for the
    deterministic nets) and, with ``details``, median SNR (dB), mean σ, training minutes.
    :func:`settings` says what each row changes."""
    body = {}
    for method, summary in summaries.items():
        sweep = own_sweep(summary) if criterion == "own" else summary[criterion]
        body[get_method(method).label] = {
            "seeds": ", ".join(map(str, summary["seeds"])),
            "unpruned": report.number(summary["unpruned"]),
            **{report.percent(a): report.number(sweep.get(a)) for a in AMOUNTS},
            **({"median SNR (dB)": report.number(summary["median_snr_db"], 1),
                "mean σ": report.number(summary["mean_sigma"], 3),
                "training (min)": report.number(summary["train_minutes"], 1)}
               if details else {}),
        }
    return report.frame(body, index="model")


def figure(summaries: dict[str, dict[str, dict]], datasets: Sequence[str]):
    """Accuracy against the fraction removed (SNR for BBB, magnitude for the deterministic
    nets), one panel per dataset, one colour per method (the registry's), with the targets
    marked."""
    from .plots import DATASET_LABELS, legend_below
    from .plots import figure as new_figure

    fig, axes = new_figure(1, len(datasets), height=4.6, sharey=True)
    for ax, dataset in zip(axes[0], datasets):
        for method, summary in summaries[dataset].items():
            spec = get_method(method)
            sweep = own_sweep(summary)
            ax.plot([a * 100 for a in AMOUNTS], [sweep[a] for a in AMOUNTS], color=spec.color,
                    marker=spec.marker, label=spec.label, lw=1.4, ms=5,
                    ls="-" if spec.bayesian else "--")
        targets = TARGETS[dataset]
        ax.plot([a * 100 for a in targets], list(targets.values()), marker="*", ms=13,
                color="#444444", ls="none", label="target")
        ax.set_title(DATASET_LABELS[dataset])
        ax.set_xlabel("weights removed (%)")
        ax.set_ylim(0, 1)
    axes[0][0].set_ylabel("test accuracy")
    legend_below(fig)
    return fig


def blundell_grid_table(grid: dict[str, dict], chosen: str,
                        pruning: bool = False) -> pd.DataFrame:
    """One row per stored grid point of the ``blundell`` preset (plain SGD, 600 epochs).

    Without ``pruning``: learning rate, accuracy on the 10 000 held-out validation images at
    the end of training (what chooses the grid point; ``chosen`` is marked), unpruned test
    accuracy, median SNR (dB), mean σ, training minutes.  With ``pruning``: unpruned test
    accuracy and test accuracy at :data:`AMOUNTS` removed by SNR (posterior mean).
    """
    body = {}
    for method, result in grid.items():
        summary = row({0: result})
        unpruned = {"unpruned": report.number(summary["unpruned"])}
        if pruning:
            columns = {**unpruned, **{report.percent(a): report.number(summary["snr"][a])
                                      for a in AMOUNTS}}
        else:
            columns = {"learning rate": lr_label(result["config"]["train"]["lr"]),
                       "validation": report.number(result["history"][-1]["validation_accuracy"]),
                       "chosen": "✓" if method == chosen else "", **unpruned,
                       "median SNR (dB)": report.number(summary["median_snr_db"], 1),
                       "mean σ": report.number(summary["mean_sigma"], 3),
                       "training (min)": report.number(summary["train_minutes"], 1)}
        body[get_method(method).label] = columns
    return report.frame(body, index="model")
