"""What makes a Bayes-by-Backprop network prunable: the study's protocol with one factor
changed at a time (chapter *What makes a network prunable*).

Every row is an ablation method of the ``paper`` preset (:data:`bnntut.presets.PAPER`), so
any row is one command to regenerate — ``python -m bnntut reproduce --preset paper --methods
<row> --seeds 0 1`` — and its numbers are read from the stored training results: the pruning
sweeps by signal-to-noise ratio (``snr``) and by magnitude (``l1``, i.e. |μ| for BBB), the
weight summaries (SNR histogram, mean σ) and the training wall time (median epoch × epochs).

It also holds the decisions the research-note chapters state (*What makes a network
prunable*, *A fair comparison*, *Blundell et al.'s protocol*): each ``*_claims`` function
returns, per sentence of the prose, whether the stored results bear it out, by the book's
rule for a difference between test accuracies (:func:`verdict`, from
:func:`bnnbook.claims.compare`); the chapters assert them and ``tests/`` pins them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

import numpy as np
import pandas as pd

from bnntut.evaluate import TABLE_AMOUNTS
from bnntut.methods import get as get_method
from bnntut.models import is_bayesian
from bnntut.presets import Preset, lr_label, resolve

from . import report
from .book import PRUNABILITY_SCOPES
from .claims import AHEAD, BEHIND, WITHIN_NOISE, compare
from .comparison import (
    MISSING,
    SEEDS,
    accuracy_at,
    blundell_choice,
    blundell_pruning_cost,
    label,
)
from .stats import (
    compare_over_seeds,
    histogram_share,
    n_test_images,
    near_zero,
    standard_error,
)

#: BBB rows, in the table's order; the first is the study's protocol.  Each row's factor and
#: setting are in its registry entry (:attr:`bnntut.methods.Method.factor`, ``setting``).
BBB_ROWS = ["bbb", "bbb-kl-blundell", "bbb-kl-uniform", "bbb-lr1e-3", "bbb-opt-sgd",
            "bbb-rho-fixed", "bbb-prior-wide", "bbb-150ep", "bbb-samples1", "bbb-samples5",
            "bbb-kl-uniform-lr1e-3", "bbb-opt-sgd-sigma1-e-2",
            "bbb-opt-sgd-kl-uniform-sigma1-e-2"]

#: The BBB rows that change exactly one factor of the study's protocol.
SINGLE_FACTOR_ROWS = [m for m in BBB_ROWS
                      if get_method(m).factor not in ("the study's protocol", "combination")]

#: Deterministic rows, pruned by their best criterion (global magnitude), same budget.
DETERMINISTIC_ROWS = ["sgd", "sgd-lr1e-3", "dropout50", "dropout50-lr1e-3",
                      "sgd-l1-1e-5-lr1e-3", "sgd-l1-1e-4-lr1e-3"]

#: Fractions removed that the table reports: the book's table grid without 0.
AMOUNTS = TABLE_AMOUNTS[1:]

#: The BBB row with both changes that section 1's argument calls for (the complexity cost in
#: every minibatch, Adam at ten times the study's learning rate): named by that argument, not
#: picked by its test accuracy, so the test images only report on it.
COMBINED = "bbb-kl-uniform-lr1e-3"

#: The deterministic rows with an L1 penalty (MAP under a Laplace prior), both shown: which
#: strength suits is not chosen on the test images.
PENALTY_ROWS = ("sgd-l1-1e-5-lr1e-3", "sgd-l1-1e-4-lr1e-3")

#: Fractions removed at which :data:`COMBINED` and the :data:`PENALTY_ROWS` are compared.
PENALTY_AMOUNTS = (0.9, 0.95, 0.98)

#: Fraction removed at which the chapter reads the AUROC of out-of-distribution detection.
AUROC_AMOUNT = 0.95

#: Dataset names as the tables spell them.
DATASET_NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}

def median_snr_db(result: dict) -> float:
    """Median signal-to-noise ratio |μ|/σ in dB (10·log10, as :mod:`bnntut.evaluate` stores
    it) of a BBB result's weights and biases, interpolated within the stored histogram's bins
    (0.8 dB wide)."""
    hist = result["weights"]["snr_db"]
    counts, edges = hist["counts"], hist["edges"]
    half = (hist["below"] + sum(counts) + hist["above"]) / 2
    seen = hist["below"]
    for count, low, high in zip(counts, edges[:-1], edges[1:]):
        if count and seen + count >= half:
            return low + (high - low) * (half - seen) / count
        seen += count
    raise ValueError("the median lies outside the histogram's range")


def scope(preset: Preset | str) -> tuple[list[str], list[str], list[int]]:
    """``(datasets, methods, seeds)`` of the prunability rows for ``preset``: every row, all
    of the preset's datasets and seeds 0–2, unless narrowed by its
    :data:`bnnbook.book.PRUNABILITY_SCOPES` entry (``quick`` has one, to keep CI fast)."""
    spec = resolve(preset)
    narrowed = PRUNABILITY_SCOPES.get(spec.name, {})
    return (list(narrowed.get("datasets", spec.datasets)),
            list(narrowed.get("methods", [*BBB_ROWS, *DETERMINISTIC_ROWS])),
            list(narrowed.get("seeds", [0, 1, 2])))


def row(by_seed: dict[int, dict]) -> dict:
    """Means over seeds of one method's stored results.

    Returns
    -------
    dict
        ``seeds`` (list), ``bayesian`` (:func:`bnntut.models.is_bayesian` of its model),
        ``unpruned``, ``snr`` and ``l1`` (``{amount: accuracy}``; ``snr``
        empty for deterministic nets), ``median_snr_db`` and ``mean_sigma`` (``None`` for
        deterministic nets), ``train_minutes`` (mean over seeds of the median epoch's wall time
        times the number of epochs: robust to epochs slowed by other work on the machine).
    """
    if not by_seed:
        raise ValueError("no stored result for this method")
    results = [by_seed[s] for s in sorted(by_seed)]
    bayesian = is_bayesian(results[0]["config"]["model"])
    mean, accuracy = statistics.fmean, report.accuracy_at
    return {"seeds": sorted(by_seed), "bayesian": bayesian,
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
    return summary["snr"] if summary["bayesian"] else summary["l1"]


#: Columns of :func:`table` per dataset: ``(title, criterion, fraction removed)``; ``"own"``
#: is SNR for BBB and magnitude for the deterministic nets, ``"l1"`` |μ| for BBB.
TABLE_COLUMNS = {"mnist": (("unpruned", "own", 0.0), ("90 %", "own", 0.9), ("95 %", "own", 0.95),
                           ("95 %, |μ|", "l1", 0.95)),
                 "fashion-mnist": (("unpruned", "own", 0.0), ("90 %", "own", 0.9),
                                   ("95 %", "own", 0.95))}


def _cell(summary: dict | None, criterion: str, amount: float) -> float | None:
    """A row's accuracy with ``amount`` removed by ``criterion`` (``None`` where not stored;
    ``"l1"`` for BBB rows only)."""
    if summary is None or (criterion == "l1" and not summary["bayesian"]):
        return None
    if amount == 0:
        return summary["unpruned"]
    return (own_sweep(summary) if criterion == "own" else summary[criterion]).get(amount)


def table(summaries: dict[str, dict[str, dict]], datasets: Sequence[str]) -> pd.DataFrame:
    """Every row of the one-factor-at-a-time study in one table.

    Parameters
    ----------
    summaries : dict
        ``{dataset: {method: row}}`` (:func:`rows`); the methods of ``datasets[0]`` give the
        rows.
    datasets : sequence of str

    Returns
    -------
    pandas.DataFrame
        Index ``model``; columns ``("", "seeds")`` (``"0, 1 / 0"`` where the datasets differ),
        per dataset the :data:`TABLE_COLUMNS` (test accuracy, mean over the seeds) and, for the
        first dataset, ``"mean σ"`` (``"95 %, |μ|"`` and ``"mean σ"`` blank for deterministic
        nets).
    """
    body = {}
    for method in summaries[datasets[0]]:
        found = [summaries[d][method] for d in datasets if method in summaries[d]]
        seeds = dict.fromkeys(", ".join(map(str, s["seeds"])) for s in found)
        cells = {("", "seeds"): " / ".join(seeds)}
        for dataset in datasets:
            summary = summaries[dataset].get(method)
            name = DATASET_NAMES[dataset]
            for title, criterion, amount in TABLE_COLUMNS[dataset]:
                cells[(name, title)] = report.number(_cell(summary, criterion, amount))
            if dataset == datasets[0]:
                cells[(name, "mean σ")] = report.number(summary["mean_sigma"], 3)
        body[label(method)] = cells
    return report.frame(body, index="model")


def figure(summaries: dict[str, dict[str, dict]], datasets: Sequence[str]):
    """Accuracy against the fraction removed (SNR for BBB, magnitude for the deterministic
    nets), one panel per dataset, one colour per method (the registry's)."""
    from .plots import DATASET_LABELS, legend_below
    from .plots import figure as new_figure

    fig, axes = new_figure(1, len(datasets), height=4.6, sharey=True)
    for ax, dataset in zip(axes[0], datasets):
        for method, summary in summaries[dataset].items():
            spec = get_method(method)
            sweep = own_sweep(summary)
            ax.plot([a * 100 for a in AMOUNTS], [sweep[a] for a in AMOUNTS], color=spec.color,
                    marker=spec.marker, label=label(method), lw=1.4, ms=5,
                    ls="-" if spec.bayesian else "--")
        ax.set_title(DATASET_LABELS[dataset])
        ax.set_xlabel("weights removed (%)")
        ax.set_ylim(0, 1)
    axes[0][0].set_ylabel("test accuracy")
    legend_below(fig)
    return fig


def blundell_grid_table(grid: dict[str, dict], chosen: str) -> pd.DataFrame:
    """One row per stored grid point of the ``blundell`` preset (plain SGD, 600 epochs): the
    learning rate, the accuracy on the 10 000 held-out validation images at the end of
    training (what chooses the grid point; ``chosen`` is marked), the test accuracy unpruned
    and with half of the weights removed by SNR (posterior mean), the mean SNR (dB) and the
    mean σ of the weights."""
    body = {}
    for method, result in grid.items():
        summary = row({0: result})
        body[label(method)] = {
            "learning rate": lr_label(result["config"]["train"]["lr"]),
            "validation": report.number(result["history"][-1]["validation_accuracy"]),
            "chosen": "✓" if method == chosen else "",
            "unpruned": report.number(summary["unpruned"]),
            "50 % removed": report.number(summary["snr"][0.5]),
            "mean SNR (dB)": report.number(result["weights"]["snr_db"]["mean"], 1),
            "mean σ": report.number(summary["mean_sigma"], 3)}
    return report.frame(body, index="model")


# ------------------------------------------------------------------ stored histograms


def share_in_band(result: dict, rho_init: Sequence[float] = (-5.0, -4.0)) -> float:
    """Share of a BBB result's σ still inside the band σ = log(1 + e^ρ) spans for ρ in
    ``rho_init``, estimated from the stored histogram of log10 σ (bins 0.04 wide)."""
    low, high = np.log10(np.log1p(np.exp(np.asarray(rho_init, dtype=float))))
    return histogram_share(result["weights"]["log10_sigma"], low, high)


def sigma_split(result: dict) -> dict[str, float]:
    """How a BBB result's σ split between the prior's two components.

    Returns
    -------
    dict
        ``narrow`` (share with σ < 0.005, within a factor two of the prior's narrow
        component e⁻⁶ ≈ 0.0025), ``mode`` (the σ of the fullest histogram bin below 0.03, at
        its centre), ``broad`` (share with σ ≥ 0.1) and ``near_zero`` (:func:`near_zero` of
        μ).
    """
    hist = result["weights"]["log10_sigma"]
    edges, counts = np.asarray(hist["edges"]), np.asarray(hist["counts"])
    low = edges[1:] <= math.log10(0.03)
    centres = (edges[:-1] + edges[1:]) / 2
    return {"narrow": histogram_share(hist, high=math.log10(0.005)),
            "mode": float(10 ** centres[low][np.argmax(counts[low])]),
            "broad": histogram_share(hist, low=-1.0),
            "near_zero": near_zero(result)}


def sigma_figure(by_method: dict[str, dict[int, dict]], methods: Sequence[str], dataset: str,
                 rho_init: Sequence[float] = (-5.0, -4.0)):
    """Histograms of σ after training (seed 0), one line per method, over the shaded initial
    band σ = log(1 + e^ρ), ρ in ``rho_init``."""
    from .plots import DATASET_LABELS, legend_below, occupied_range
    from .plots import figure as new_figure

    fig, axes = new_figure(1, 1, height=3.4)
    ax = axes[0][0]
    ax.axvspan(*np.log1p(np.exp(np.asarray(rho_init))), color="#dddddd", label="initial σ")
    shown = [m for m in methods if 0 in by_method.get(m, {})]
    for method in shown:
        s = by_method[method][0]["weights"]["log10_sigma"]
        counts = np.asarray(s["counts"], dtype=float)
        ax.stairs(counts / counts.sum(), 10.0 ** np.asarray(s["edges"]), lw=1.8,
                  color=get_method(method).color, label=label(method))
    spans = [occupied_range(by_method[m][0]["weights"]["log10_sigma"]) for m in shown]
    ax.set_xscale("log")
    ax.set_xlim(10.0 ** min(lo for lo, _ in spans), 10.0 ** max(hi for _, hi in spans))
    ax.set_xlabel(f"σ of a weight ({DATASET_LABELS[dataset]}, seed 0)")
    ax.set_ylabel("share of weights")
    legend_below(fig)
    return fig


# ----------------------------------------------------------------------- decisions


def verdict(first: float, second: float, reference: bool = False) -> str:
    """The book's rule (:func:`bnnbook.claims.compare`) on two test accuracies measured on the
    10 000 test images: ``"ahead"``, ``"behind"`` or ``"within noise"`` for ``first``
    against ``second``; ``reference`` when ``second`` is a fixed number (a published one, a
    threshold), which carries no standard error of ours."""
    return compare(first, second, n_second=None if reference else 10_000)["verdict"]


def seed_leader(by_name: dict[str, Sequence[float]]) -> str | None:
    """The name whose *worst* seed is :func:`verdict` ahead of every other name's *best*
    seed, or ``None`` when the seed ranges are closer than that."""
    best = max(by_name, key=lambda k: statistics.fmean(by_name[k]))
    rivals = [max(v) for k, v in by_name.items() if k != best]
    return best if all(verdict(min(by_name[best]), r) == AHEAD for r in rivals) else None


def _own_by_seed(by_seed: dict[int, dict], amount: float) -> list[float]:
    """Test accuracy of each seed with ``amount`` removed by the row's own criterion."""
    return [report.accuracy_at(r, amount) for _, r in sorted(by_seed.items())]


def stored_penalty_verdicts(preset: Preset | str, dataset: str) -> dict[str, dict[float, str]]:
    """The verdicts of :func:`versus_penalties` on the stored results of ``preset`` (the seeds
    of :data:`bnnbook.comparison.SEEDS`): ``{penalty row: {amount: verdict}}``, nothing
    computed."""
    from bnntut import collect

    found = collect.grid(preset, [dataset], [COMBINED, *PENALTY_ROWS], SEEDS)[dataset]
    return {row_: {a: c["verdict"] for a, c in by_amount.items()}
            for row_, by_amount in versus_penalties(found).items()}


def versus_penalties(by_method: dict[str, dict[int, dict]],
                     amounts: Sequence[float] = PENALTY_AMOUNTS) -> dict[str, dict[float, dict]]:
    """Each :data:`PENALTY_ROWS` row (magnitude) against :data:`COMBINED` (SNR), per fraction.

    Parameters
    ----------
    by_method : dict
        ``{method: {seed: result}}`` of one dataset; rows not stored are left out.
    amounts : sequence of float

    Returns
    -------
    dict
        ``{penalty row: {amount: comparison}}``, the comparison of
        :func:`bnnbook.stats.compare_over_seeds` (penalty row first): its ``verdict`` is
        "ahead" where the penalised net keeps more beyond both margins.  Empty when
        :data:`COMBINED` is not stored.
    """
    if not by_method.get(COMBINED):
        return {}
    combined = by_method[COMBINED]
    n = n_test_images(next(iter(combined.values())))
    return {row_: {a: compare_over_seeds(_own_by_seed(by_method[row_], a),
                                         _own_by_seed(combined, a), n, n)
                   for a in amounts}
            for row_ in PENALTY_ROWS if by_method.get(row_)}


def _short_label(method: str) -> str:
    """``"BBB, both changes"`` for :data:`COMBINED`, ``"L1 1e-5"`` for a penalty row."""
    return "BBB, both changes" if method == COMBINED else label(method).rsplit(", ", 1)[-1]


def _with_seeds(method: str, by_seed: dict[int, dict]) -> str:
    """``"L1 1e-5 (2 seeds)"``: a row's short label and how many seeds its means hold."""
    return f"{_short_label(method)} ({len(by_seed)} seed{'s' if len(by_seed) > 1 else ''})"


def _with_error(accuracy: float, n: int) -> str:
    """``"0.9801 ± 0.0014"``: an accuracy and its test-set standard error."""
    return f"{report.number(accuracy)} ± {report.number(standard_error(accuracy, n))}"


def penalty_table(by_method: dict[str, dict[int, dict]],
                  amounts: Sequence[float] = PENALTY_AMOUNTS) -> pd.DataFrame:
    """:data:`COMBINED` (SNR) and each :data:`PENALTY_ROWS` row (magnitude) at ``amounts``
    removed: mean test accuracy over the stored seeds ± the test set's standard error, and
    each penalised row's :func:`versus_penalties` verdict against the BBB row.

    Returns
    -------
    pandas.DataFrame
        Index ``removed``; two-level columns: ``("BBB, both changes (3 seeds)", "SNR")`` and
        per penalty row ``("L1 1e-5 (2 seeds)", "magnitude")`` and ``(…, "against BBB")``.
    """
    found = versus_penalties(by_method, amounts)
    combined = by_method[COMBINED]
    n = n_test_images(next(iter(combined.values())))
    body = {}
    for amount in amounts:
        bbb = statistics.fmean(_own_by_seed(combined, amount))
        cells = {(_with_seeds(COMBINED, combined), "SNR"): _with_error(bbb, n)}
        for row_, by_amount in found.items():
            name = _with_seeds(row_, by_method[row_])
            mean = statistics.fmean(_own_by_seed(by_method[row_], amount))
            cells[(name, "magnitude")] = _with_error(mean, n)
            cells[(name, "against BBB")] = by_amount[amount]["verdict"]
        body[report.percent(amount)] = cells
    return report.frame(body, index="removed")


# ------------------------------------------------------------------- the chapter's text

#: Training images of MNIST and Fashion-MNIST (the study trains on all of them).
TRAIN_IMAGES = 60_000


def _accuracy(rows: dict[str, dict], method: str | None, criterion: str, amount: float):
    row = rows.get(method) if method else None
    return row[criterion][amount] if row and row[criterion] else None


def _text(value, digits: int = 4) -> str:
    return MISSING if value is None else report.number(value, digits)


def _share(value) -> str:
    return MISSING if value is None else report.percent(value)


def chapter_values(summaries: dict[str, dict[str, dict]],
                   collected: dict[str, dict[str, dict[int, dict]]]) -> dict[str, str]:
    """Every value the chapter's prose glues, as text: accuracies with four decimals, shares
    as percent labels; :data:`MISSING` where the row is not part of this run (quick mode's
    slice).

    Parameters
    ----------
    summaries : dict
        ``{dataset: {method: row}}`` (:func:`rows`).
    collected : dict
        ``{dataset: {method: {seed: result}}}``, the results the rows summarise.
    """
    from bnntut.presets import PAPER

    mnist = summaries.get("mnist", {})
    runs = collected.get("mnist", {})
    steps = TRAIN_IMAGES // PAPER.train["batch_size"] * PAPER.train["epochs"]
    rho_init = PAPER.model_spec("bbb")["rho_init"]
    combined = COMBINED if COMBINED in mnist else None
    values = {
        "rho_budget_1e4": f"{1e-4 * steps:.0f}", "rho_budget_1e3": f"{1e-3 * steps:.0f}",
        "rho_budget_150ep": f"{1e-4 * steps * 3:.0f}",
        "combined_mnist_nseeds": str(len(mnist[combined]["seeds"])) if combined else MISSING,
        "combined_mnist_95": _text(_accuracy(mnist, combined, "snr", 0.95)),
        "combined_mnist_95_mu": _text(_accuracy(mnist, combined, "l1", 0.95)),
        "study_mnist_95": _text(_accuracy(mnist, "bbb", "snr", 0.95)),
        "ep150_90_snr": _text(_accuracy(mnist, "bbb-150ep", "snr", 0.9)),
        "ep150_90_mu": _text(_accuracy(mnist, "bbb-150ep", "l1", 0.9)),
        "ep150_inside": _share(share_in_band(runs["bbb-150ep"][0], rho_init)
                               if 0 in runs.get("bbb-150ep", {}) else None),
        "n_bbb_rows": str(len(BBB_ROWS)),
        "n_det_rows": str(sum(m.startswith("sgd") for m in DETERMINISTIC_ROWS)),
    }
    for key, method in (("split", COMBINED), ("study", "bbb")):
        split = sigma_split(runs[method][0]) if 0 in runs.get(method, {}) else {}
        values |= {f"{key}_{k}": _share(split.get(k)) for k in ("narrow", "broad")}
        values[f"{key}_zero"] = _share(split.get("near_zero"))
    return values


def chapter_claims(summaries: dict[str, dict[str, dict]],
           collected: dict[str, dict[str, dict[int, dict]]]) -> dict[str, bool]:
    """The decisions the chapter's prose states, each ``True`` when the stored results bear
    it out; differences within two standard errors of a test accuracy decide nothing
    (:func:`verdict`).  Needs the full rows of both datasets and the
    results they summarise (as for :func:`chapter_values`)."""
    from bnntut.presets import BLUNDELL_TABLE2_ERROR

    m, f = summaries["mnist"], summaries["fashion-mnist"]
    combo = m[COMBINED]
    against = {d: versus_penalties(collected[d]) for d in ("mnist", "fashion-mnist")}
    strong, weak = PENALTY_ROWS[1], PENALTY_ROWS[0]
    return {
        "no BBB row keeps more than the combined row at 95 % (MNIST)": all(
            verdict(m[r]["snr"][0.95], combo["snr"][0.95]) != AHEAD
            for r in m if m[r]["bayesian"]),
        "Fashion-MNIST: plain SGD with the even split keeps more at 95 %": verdict(
            f["bbb-opt-sgd-kl-uniform-sigma1-e-2"]["snr"][0.95], f[COMBINED]["snr"][0.95]) == AHEAD,
        "either change alone moves σ on average": all(
            m[r]["mean_sigma"] > m["bbb"]["mean_sigma"] for r in ("bbb-lr1e-3", "bbb-kl-uniform")),
        "either change alone keeps less": all(
            verdict(combo["snr"][0.95], m[r]["snr"][0.95]) == AHEAD
            for r in ("bbb-lr1e-3", "bbb-kl-uniform")),
        "σ learned: SNR keeps more than |μ|":
            verdict(combo["snr"][0.95], combo["l1"][0.95]) == AHEAD,
        "σ stuck: |μ| keeps more than SNR":
            verdict(m["bbb"]["l1"][0.9], m["bbb"]["snr"][0.9]) == AHEAD,
        "the study's σ stay between the prior's two components": all(
            share < 0.01 for key, share in sigma_split(collected["mnist"]["bbb"][0]).items()
            if key in ("narrow", "broad")),
        "150 epochs: |μ| at least as good as SNR":
            verdict(m["bbb-150ep"]["l1"][0.9], m["bbb-150ep"]["snr"][0.9]) != BEHIND,
        "the combined row is short of Table 2": all(
            verdict(combo["snr"][a], 1 - BLUNDELL_TABLE2_ERROR[a] / 100, True) == BEHIND
            for a in (0.95, 0.98)),
        "the stronger penalty is never behind the combined row": all(
            c["verdict"] != BEHIND for d in against for c in against[d][strong].values()),
        "the stronger penalty is ahead at 98 % on both datasets": all(
            against[d][strong][0.98]["verdict"] == AHEAD for d in against),
        "the weaker penalty is behind at 98 % on Fashion-MNIST, within noise on MNIST": (
            against["fashion-mnist"][weak][0.98]["verdict"] == BEHIND
            and against["mnist"][weak][0.98]["verdict"] == WITHIN_NOISE),
        "MNIST: unpruned cost within noise":
            verdict(combo["unpruned"], m["bbb"]["unpruned"]) == WITHIN_NOISE,
        "Fashion-MNIST: unpruned cost beyond noise":
            verdict(f[COMBINED]["unpruned"], f["bbb"]["unpruned"]) == BEHIND,
    }


def uncertainty_results(dataset: str, preset: str, methods: Sequence[str],
                        compute: bool = False) -> dict[str, dict]:
    """Uncertainty results (:mod:`bnntut.uncertainty`, seed 0) of :data:`COMBINED` and the
    :data:`PENALTY_ROWS`, those of them among ``methods`` (the chapter's rows): stored ones,
    or computed with ``compute`` (quick mode); rows without a stored result are left out."""
    from bnntut import uncertainty

    wanted = [m for m in (COMBINED, *PENALTY_ROWS) if m in methods]
    found = {m: (uncertainty.run(dataset, m, preset, progress=False) if compute
                 else uncertainty.load(dataset, m, preset)) for m in wanted}
    return {m: r for m, r in found.items() if r is not None}


def auroc_table(measured: dict[str, dict[str, dict]],
                amount: float = AUROC_AMOUNT) -> pd.DataFrame | None:
    """AUROC of out-of-distribution detection (predictive entropy; posterior mean for BBB)
    with ``amount`` removed, seed 0: one row per dataset of ``measured`` (``{dataset:
    {method: uncertainty result}}``, :func:`uncertainty_results`), one column for
    :data:`COMBINED` and each :data:`PENALTY_ROWS` row; ``None`` when none was measured
    there."""
    from bnntut import uncertainty

    body = {}
    for dataset, by_method in measured.items():
        cells = {_short_label(m): report.number(
                     uncertainty.record_at(by_method[m], amount)["auroc"], 3)
                 for m in (COMBINED, *PENALTY_ROWS)
                 if m in by_method and amount in by_method[m]["config"]["amounts"]}
        if cells:
            body[DATASET_NAMES[dataset]] = cells
    columns = [_short_label(m) for m in (COMBINED, *PENALTY_ROWS)]
    return report.frame(body, index="data set", columns=columns) if body else None


def auroc_order(measured: dict[str, dict[str, dict]],
                amount: float = AUROC_AMOUNT) -> dict[str, list[str]]:
    """Per dataset, :data:`COMBINED` and the :data:`PENALTY_ROWS` measured there, highest
    AUROC (seed 0, ``amount`` removed) first.

    AUROCs closer than 0.01 give ``ValueError``: at AUROC ≈ 0.9 on 10 000 in- and 10 000
    out-of-distribution images the Hanley–McNeil standard error is about 0.0023, so 0.01 is
    about three standard errors of a difference of two."""
    from bnntut import uncertainty

    order = {}
    for dataset, by_method in measured.items():
        found = {m: uncertainty.record_at(by_method[m], amount)["auroc"]
                 for m in (COMBINED, *PENALTY_ROWS)
                 if m in by_method and amount in by_method[m]["config"]["amounts"]}
        ranked = sorted(found, key=found.get, reverse=True)
        if any(found[a] - found[b] < 0.01 for a, b in zip(ranked, ranked[1:])):
            raise ValueError(f"{dataset}: AUROCs within 0.01 of each other cannot be ordered: "
                             f"{found}")
        order[dataset] = ranked
    return order


# ------------------------------------------------- plain SGD at the study's scale (probe)

#: Plain SGD at 1e-3 on the study's network: as is, with σ1 = e⁻², and with the even split
#: 1/M of the complexity cost as well (chapter *Blundell et al.'s protocol*, section 5).
PROBE_ROWS = ("bbb-opt-sgd", "bbb-opt-sgd-sigma1-e-2", "bbb-opt-sgd-kl-uniform-sigma1-e-2")


def probe_table(summaries: dict[str, dict[str, dict]],
                collected: dict[str, dict[str, dict[int, dict]]]) -> pd.DataFrame | None:
    """The :data:`PROBE_ROWS` side by side on every dataset where all three are stored:
    seeds, unpruned accuracy, accuracy with 90 % and 95 % removed by SNR and with 95 % by
    |μ|, mean σ and the share of μ within 0.006 of zero (:func:`near_zero`, mean over
    seeds); ``None`` when none is complete."""
    body = {}
    for dataset, rows_here in summaries.items():
        if not all(rows_here.get(m) for m in PROBE_ROWS):
            continue
        for method in PROBE_ROWS:
            row_ = rows_here[method]
            zero = statistics.fmean(near_zero(r) for r in collected[dataset][method].values())
            body[f"{DATASET_NAMES[dataset]}, {label(method)}"] = {
                "seeds": ", ".join(map(str, row_["seeds"])),
                "unpruned": report.number(row_["unpruned"]),
                **{f"{report.percent(a)} by SNR": report.number(row_["snr"][a])
                   for a in (0.9, 0.95)},
                "95 % by |μ|": report.number(row_["l1"][0.95]),
                "mean σ": report.number(row_["mean_sigma"]),
                "μ within 0.006 of 0": report.percent(zero)}
    return report.frame(body, index="model") if body else None


def probe_values(summaries: dict[str, dict[str, dict]],
                 collected: dict[str, dict[str, dict[int, dict]]]) -> dict[str, str]:
    """The MNIST values of :data:`PROBE_ROWS` that chapter *Blundell et al.'s protocol*
    glues, as text (:data:`MISSING` where a row is not stored)."""
    rows_here, runs = summaries.get("mnist", {}), collected.get("mnist", {})
    sgd, narrow, spread = (rows_here.get(m) for m in PROBE_ROWS)

    def zero(method):
        found = runs.get(method, {})
        return statistics.fmean(near_zero(r) for r in found.values()) if found else None

    return {"probe_sgd_90": _text(sgd["snr"][0.9] if sgd else None),
            "probe_narrow_90": _text(narrow["snr"][0.9] if narrow else None),
            "probe_zero": _share(zero(PROBE_ROWS[2])),
            "probe_95": _text(spread["snr"][0.95] if spread else None),
            "probe_95_mu": _text(spread["l1"][0.95] if spread else None),
            "probe_sigma": _text(spread["mean_sigma"] if spread else None),
            "probe_seeds": ", ".join(map(str, spread["seeds"])) if spread else MISSING}


def probe_claims(summaries: dict[str, dict[str, dict]]) -> dict[str, bool]:
    """The decisions section 5 of chapter *Blundell et al.'s protocol* states about the
    :data:`PROBE_ROWS` on MNIST, each ``True`` when the stored rows bear it out."""
    sgd, narrow, spread = (summaries["mnist"][m] for m in PROBE_ROWS)
    return {"σ1 = e⁻² under the study's weighting keeps less at 90 %":
            verdict(narrow["snr"][0.9], sgd["snr"][0.9]) == BEHIND,
            "the even split keeps more at 95 % than plain SGD":
            verdict(spread["snr"][0.95], sgd["snr"][0.95]) == AHEAD,
            "|μ| ranks the even-split network as well as SNR":
            verdict(spread["l1"][0.95], spread["snr"][0.95]) != BEHIND,
            "its σ stay where they started (mean within the initial band)":
            math.log1p(math.exp(-5.0)) < spread["mean_sigma"] < math.log1p(math.exp(-4.0))}


# ------------------------------------------------------ unneeded weights under plain SGD


def unneeded_weights(grid: Sequence[tuple[float, float, float]], *, weighting: str = "blundell",
                     n_batches: int = 391, epochs: int = 600, sd: float = 0.012,
                     start: float = 0.1, n: int = 64, seed: int = 0) -> np.ndarray:
    """|μ| of weights that no likelihood holds, after plain SGD on the complexity cost alone
    (chapter *Blundell et al.'s protocol*, section 4).

    Every weight starts at ``start`` with σ held at ``sd``.  Each epoch takes one step per
    minibatch whose weight κ_i (:func:`bnntut.bayes.kl_weight`) exceeds 1e-12 (the others
    move nothing), on a one-sample estimate of −κ_i log P(w) under the scale-mixture prior
    with π = 1/2.

    Parameters
    ----------
    grid : sequence of (float, float, float)
        ``(learning rate, σ1, σ2)``, one per column of the result.
    weighting : str
        ``"paper"``, ``"blundell"`` or ``"uniform"``.
    n_batches, epochs : int
        Minibatches per epoch and epochs.
    sd, start : float
        The fixed σ and the initial μ.
    n, seed : int
        Weights per column and the seed of the noise.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, len(grid))``: the final |μ|.
    """
    import torch

    from bnntut import bayes

    gen = torch.Generator().manual_seed(seed)
    lr, s1, s2 = (torch.tensor(c, dtype=torch.float64) for c in zip(*grid))
    kappas = [k for k in (bayes.kl_weight(weighting, i, n_batches) for i in range(n_batches))
              if k > 1e-12]
    mu = torch.full((n, len(grid)), start, dtype=torch.float64, requires_grad=True)
    for _ in range(epochs):
        for kappa in kappas:
            noise = torch.randn(mu.shape, generator=gen, dtype=torch.float64)
            prior = bayes.log_mixture_prior(mu + sd * noise, 0.5, s1, s2)
            grad, = torch.autograd.grad(-(kappa * prior).sum(), mu)
            with torch.no_grad():
                mu -= lr * grad                                     # plain SGD
    return mu.detach().abs().numpy()


def prior_grid_toy(lrs: Sequence[float], log_sigma1s: Sequence[float],
                   log_sigma2s: Sequence[float], **kwargs) -> pd.DataFrame:
    """Median final |μ| of :func:`unneeded_weights` over a grid of learning rates and prior
    scales (``kwargs`` go to it).

    Returns
    -------
    pandas.DataFrame
        Index ``"η = …, σ1 = e…"`` (learning rate, then σ1, in the order given), columns
        ``"σ2 = e…"``, name ``median |μ| at the end``; cells floats.
    """
    grid = [(lr, math.exp(a), math.exp(b)) for lr in lrs for a in log_sigma1s
            for b in log_sigma2s]
    median = np.median(unneeded_weights(grid, **kwargs), axis=0).reshape(
        len(lrs) * len(log_sigma1s), len(log_sigma2s))
    index = pd.Index([f"η = {lr:g}, σ1 = {report.e_to(a)}" for lr in lrs for a in log_sigma1s],
                     name="median |μ| at the end")
    return pd.DataFrame(median, index=index,
                        columns=[f"σ2 = {report.e_to(b)}" for b in log_sigma2s])


# ------------------------------------------- the decisions of the other research notes


def blundell_claims(grid: dict[str, dict], prediction: dict) -> dict[str, bool]:
    """The decisions chapter *Blundell et al.'s protocol* states, each ``True`` when the
    stored runs bear it out (:func:`verdict`; Blundell et al.'s numbers are fixed
    references)."""
    from bnntut.presets import BLUNDELL_TABLE2_ERROR

    from .comparison import BLUNDELL_TABLE1_ERROR

    chosen = grid[blundell_choice(grid)]
    train = chosen["config"]["train"]
    ceiling = math.log1p(math.exp(-4.0)) * math.exp(train["lr"] * train["epochs"])
    table2 = {a: 1 - e / 100 for a, e in BLUNDELL_TABLE2_ERROR.items()}
    table1 = {k: 1 - e / 100 for k, e in BLUNDELL_TABLE1_ERROR.items()}
    runs = [*grid.values(), prediction]

    def unpruned(result):
        return accuracy_at(result, 0.0, "snr")

    return {
        "the chosen grid point errs more than Table 2 at 95 % removed":
            verdict(accuracy_at(chosen, 0.95, "snr"), table2[0.95], True) == BEHIND,
        "ranked by |μ| it is no better at 75 % removed": verdict(
            accuracy_at(chosen, 0.75, "l1"), accuracy_at(chosen, 0.75, "snr")) != AHEAD,
        "all but a sliver of its σ stay under the ceiling": histogram_share(
            chosen["weights"]["log10_sigma"], low=math.log10(ceiling)) < 0.01,
        "every grid point ends with a positive mean SNR":
            all(r["weights"]["snr_db"]["mean"] > 0 for r in grid.values()),
        "the even split prunes as Table 2 does": blundell_pruning_cost(prediction)[2],
        "the even split errs more than Table 2 unpruned":
            verdict(unpruned(prediction), table2[0.0], True) == BEHIND,
        "validation would not choose the even split":
            prediction["history"][-1]["validation_accuracy"]
            < chosen["history"][-1]["validation_accuracy"],
        "no BBB run at their scale beats their plain SGD":
            all(verdict(unpruned(r), table1["plain SGD"], True) != AHEAD for r in runs),
        "the chosen grid point errs more than their plain SGD":
            verdict(unpruned(chosen), table1["plain SGD"], True) == BEHIND,
        "every BBB run at their scale errs more than their BBB": all(
            verdict(unpruned(r), table1["BBB, scale-mixture prior"], True) == BEHIND
            for r in runs),
    }


def fair_claims(seeds: dict, crit: dict, ft: dict, kl: dict) -> dict[str, bool]:
    """The decisions chapter *A fair comparison* states, each ``True`` when the stored
    results bear it out (:func:`verdict`).  The arguments are those of
    :func:`bnnbook.comparison.fair_values`; needs both datasets."""
    from .comparison import best_criterion_accuracy, finetune_accuracy

    def leads(dataset, amount):
        return {verdict(accuracy_at(seeds[dataset]["bbb"][s], amount),
                        accuracy_at(seeds[dataset]["sgd"][s], amount))
                for s in set(seeds[dataset]["bbb"]) & set(seeds[dataset]["sgd"])}

    def tuned(dataset, amount):
        return verdict(*(finetune_accuracy(ft[dataset][m], amount) for m in ("bbb", "sgd")))

    def criterion(dataset, name):
        return best_criterion_accuracy(crit[dataset]["bbb"], name, 0.9)

    def kl_leader(dataset):
        return seed_leader({w: [accuracy_at(r, 0.9) for r in by_seed.values()]
                            for w, by_seed in kl[dataset].items()})

    both = ("mnist", "fashion-mnist")
    return {
        "90 %, MNIST: BBB ahead on every seed": leads("mnist", 0.9) == {AHEAD},
        "90 %, Fashion-MNIST: \"SGD\" ahead on every seed":
            leads("fashion-mnist", 0.9) == {BEHIND},
        "75 %, MNIST: BBB never behind, ahead on some seeds only":
            leads("mnist", 0.75) == {WITHIN_NOISE, AHEAD},
        "75 %, Fashion-MNIST: the verdict changes with the seed":
            len(leads("fashion-mnist", 0.75)) > 1,
        "BBB at 90 %: |μ| keeps more than SNR on both":
            all(verdict(criterion(d, "l1"), criterion(d, "snr")) == AHEAD for d in both),
        "fine-tuned, 90 %: within noise on both":
            all(tuned(d, 0.9) == WITHIN_NOISE for d in both),
        "fine-tuned, 95 % and 98 %: BBB ahead on both":
            all(tuned(d, a) == AHEAD for d in both for a in (0.95, 0.98)),
        "KL, MNIST: the uniform weighting ahead on every seed": kl_leader("mnist") == "uniform",
        "KL, Fashion-MNIST: no weighting ahead on every seed":
            kl_leader("fashion-mnist") is None,
    }
