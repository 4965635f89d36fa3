"""What the book shows of the equal-budget comparison (preset ``budget``).

Three families of the study's 784-500-500-10 network — BBB with the scale-mixture prior, MAP
under the same prior, MAP under a Laplace prior (L1) — each searched over the same 2 × 3 grid,
each family's setting chosen on held-out images (:func:`bnntut.selection.choose`), the chosen
setting then trained with more seeds.  This module reads what is stored (it never trains),
lays out the grid, summarises each family's chosen setting over its seeds and decides, with
the book's noise rule, whether one family is ahead of another.  A comparison whose runs are
not all stored is ``"open"``: the chapter says so instead of drawing a verdict from part of
the evidence.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

import pandas as pd

from bnntut import selection
from bnntut.collect import grid as load_grid
from bnntut.methods import BUDGET_FAMILIES
from bnntut.methods import get as get_method
from bnntut.presets import BUDGET, BUDGET_GRID

from . import claims, stats
from .report import accuracy_at
from .style import DATASET_TAGS

PRESET = BUDGET.name
#: The fraction removed at which each family's setting is chosen (validation accuracy).
AT_REMOVED = BUDGET.selection["at_removed"]
#: The seed of the grid, then the seeds the chosen setting is trained with.
SEEDS = (BUDGET.train["seed"], *BUDGET.selection["seeds"])
#: Fractions removed that the summary reports.
AMOUNTS = (0.9, 0.95, 0.98)
#: The verdict of a comparison whose runs are not all stored.
OPEN = "open"
#: Pairs the chapter compares: BBB against MAP under the same prior (the ablation of being
#: Bayesian) and against MAP under a Laplace prior (the L1 baseline).
PAIRS = (("bbb", "map-mixture"), ("bbb", "map-laplace"), ("map-mixture", "map-laplace"))


def collect(datasets: Sequence[str] | None = None, results=None) -> dict:
    """``{dataset: {method: {seed: result}}}`` of every stored, current ``budget`` run (grid
    points at seed 0 and the chosen settings' other seeds); missing runs are left out."""
    methods = [m for grid in BUDGET_GRID.values() for m in grid]
    return load_grid(PRESET, list(datasets or BUDGET.datasets), methods, SEEDS,
                     results=results)


def choice(collected: Mapping, dataset: str, family: str) -> str | None:
    """The grid point of ``family`` that the selection rule picks on ``dataset``, or ``None``
    while a grid point is missing."""
    grid = BUDGET_GRID[family]
    stored = {m: collected[dataset][m][SEEDS[0]] for m in grid
              if SEEDS[0] in collected[dataset].get(m, {})}
    if len(stored) < len(grid):
        return None
    return selection.choose(stored, BUDGET, family)


def progress(collected: Mapping, dataset: str) -> dict[str, int]:
    """``stored`` and ``needed`` runs of ``dataset``: every grid point, then the chosen
    setting's other seeds (counted as needed even before the choice is made)."""
    needed = sum(len(grid) + len(SEEDS) - 1 for grid in BUDGET_GRID.values())
    stored = 0
    for family, grid in BUDGET_GRID.items():
        runs = collected[dataset]
        stored += sum(SEEDS[0] in runs.get(m, {}) for m in grid)
        chosen = choice(collected, dataset, family)
        if chosen is not None:
            stored += sum(s in runs.get(chosen, {}) for s in SEEDS[1:])
    return {"stored": stored, "needed": needed}


def setting_text(method: str) -> str:
    """A grid point's setting as its label states it after the family's: ``"Adam 1e-3, λ =
    3e-5"``."""
    label = get_method(method).label
    for family_label, _ in BUDGET_FAMILIES.values():
        if label.startswith(family_label + ", "):
            return label[len(family_label) + 2:]
    raise ValueError(f"{method!r} is not a grid point of the budget comparison; "
                     f"allowed: {', '.join(m for g in BUDGET_GRID.values() for m in g)}")


def grid_table(collected: Mapping, dataset: str) -> pd.DataFrame:
    """One row per grid point of ``dataset`` (seed 0), indexed by family and setting:
    validation accuracy at :data:`AT_REMOVED` removed (what chooses), test accuracy there
    (what only reports), and ``chosen`` (✓ on each family's pick).  Points not yet stored
    show "—"."""
    rows = []
    for family, grid in BUDGET_GRID.items():
        picked = choice(collected, dataset, family)
        for method in grid:
            result = collected[dataset].get(method, {}).get(SEEDS[0])
            rows.append({
                "family": BUDGET_FAMILIES[family][0], "setting": setting_text(method),
                f"validation @ {AT_REMOVED:.0%}": (
                    f"{selection.validation_accuracy_at(result, AT_REMOVED):.4f}" if result
                    else "—"),
                f"test @ {AT_REMOVED:.0%}": (f"{accuracy_at(result, AT_REMOVED):.4f}"
                                             if result else "—"),
                "chosen": "✓" if method == picked else ""})
    return pd.DataFrame(rows).set_index(["family", "setting"])


def family_summary(collected: Mapping, dataset: str, family: str,
                   amounts: Sequence[float] = AMOUNTS) -> dict | None:
    """The chosen setting of ``family`` over its stored seeds, ``None`` before the choice.

    Returns
    -------
    dict or None
        ``method``, ``seeds`` (sorted), ``basis`` (``"seed 0"`` or ``"mean of k seeds"``),
        ``n`` (test images), ``unpruned`` (mean test accuracy), and per fraction of
        ``amounts``: ``mean`` and ``sd`` (sample standard deviation over the seeds; ``None``
        with one seed) of the test accuracy.
    """
    method = choice(collected, dataset, family)
    if method is None:
        return None
    by_seed = collected[dataset][method]
    seeds = sorted(by_seed)
    values = {a: [accuracy_at(by_seed[s], a) for s in seeds] for a in amounts}
    return {"method": method, "seeds": seeds, "basis": claims.basis(seeds),
            "n": claims.n_test_images(by_seed[seeds[0]]),
            "unpruned": statistics.fmean(accuracy_at(by_seed[s], 0.0) for s in seeds),
            "mean": {a: statistics.fmean(v) for a, v in values.items()},
            "sd": {a: statistics.stdev(v) if len(v) > 1 else None for a, v in values.items()},
            "values": values}


def compare_families(first: dict | None, second: dict | None, amount: float) -> dict:
    """Whether ``first``'s chosen setting keeps more test accuracy than ``second``'s at
    ``amount`` removed, by the book's rule and over the seeds.

    A verdict needs every seed of both (:data:`SEEDS`); otherwise it is :data:`OPEN`.  Then it
    is :func:`bnnbook.stats.compare_over_seeds`: the difference of the means must exceed two
    test-set standard errors and two standard errors of the difference over seeds.

    Returns
    -------
    dict
        ``verdict`` and, when both are summarised, ``difference``, ``test_margin`` and
        ``seed_margin``.
    """
    if first is None or second is None:
        return {"verdict": OPEN}
    found = stats.compare_over_seeds(first["values"][amount], second["values"][amount],
                                     first["n"], second["n"])
    out = {"difference": found["difference"], "test_margin": found["test_margin"]}
    if len(first["seeds"]) < len(SEEDS) or len(second["seeds"]) < len(SEEDS):
        return {**out, "verdict": OPEN}
    return {**out, "seed_margin": found["seed_margin"], "verdict": found["verdict"]}


def summary_table(collected: Mapping, dataset: str,
                  amounts: Sequence[float] = AMOUNTS) -> pd.DataFrame:
    """One row per family (the index): its chosen setting, the seeds stored, and the mean test
    accuracy (± the standard deviation over seeds) unpruned and at each of ``amounts``
    removed."""
    rows = []
    for family, (label, _) in BUDGET_FAMILIES.items():
        summary = family_summary(collected, dataset, family, amounts)
        row = {"family": label, "chosen setting": "— (grid incomplete)", "seeds": "—"}
        if summary is not None:
            row["chosen setting"] = setting_text(summary["method"])
            row["seeds"] = ", ".join(map(str, summary["seeds"]))
            row["unpruned"] = f"{summary['unpruned']:.4f}"
            for a in amounts:
                sd = summary["sd"][a]
                row[f"{a:.0%} removed"] = (f"{summary['mean'][a]:.4f}" + (
                    f" ± {sd:.4f}" if sd is not None else ""))
        rows.append(row)
    return pd.DataFrame(rows).fillna("—").set_index("family")


def comparisons(collected: Mapping, dataset: str, amount: float = AT_REMOVED) -> dict[str, dict]:
    """``{"bbb_vs_map-mixture": comparison, …}``: :func:`compare_families` for every pair of
    :data:`PAIRS` at ``amount``."""
    summaries = {f: family_summary(collected, dataset, f) for f in BUDGET_FAMILIES}
    return {f"{a}_vs_{b}": compare_families(summaries[a], summaries[b], amount)
            for a, b in PAIRS}


def verdicts(collected: Mapping, dataset: str, amount: float = AT_REMOVED) -> dict[str, str]:
    """``{"bbb_vs_map-mixture": verdict, …}`` for every pair of :data:`PAIRS` at ``amount``."""
    return {pair: found["verdict"]
            for pair, found in comparisons(collected, dataset, amount).items()}


#: Short names of the pairs of :data:`PAIRS` in glue keys.
PAIR_TAGS = {"bbb_vs_map-mixture": "bbb_vs_mixture", "bbb_vs_map-laplace": "bbb_vs_laplace",
             "map-mixture_vs_map-laplace": "mixture_vs_laplace"}


def chapter_values(collected: Mapping, dataset: str) -> dict[str, str]:
    """What the chapter glues for ``dataset``, as text: ``budget_stored_<tag>`` and
    ``budget_needed_<tag>`` (:func:`progress`); per pair of :data:`PAIRS` at
    :data:`AT_REMOVED`, ``budget_<pair>_<tag>`` (the verdict), ``budget_<pair>_diff_<tag>``
    (the difference of the means, signed) and ``budget_<pair>_margin_<tag>`` (the larger of
    the two margins it must clear), the last two "—" while the verdict is open."""
    tag = DATASET_TAGS[dataset]
    done = progress(collected, dataset)
    values = {f"budget_stored_{tag}": str(done["stored"]),
              f"budget_needed_{tag}": str(done["needed"])}
    for pair, found in comparisons(collected, dataset).items():
        name = f"budget_{PAIR_TAGS[pair]}"
        decided = found["verdict"] != OPEN
        values[f"{name}_{tag}"] = found["verdict"]
        values[f"{name}_diff_{tag}"] = (
            f"{found['difference']:+.4f}".replace("-", "−") if decided else "—")
        values[f"{name}_margin_{tag}"] = (
            f"{max(found['test_margin'], found['seed_margin']):.4f}" if decided else "—")
    return values
