"""The equal-budget comparison: each family's grid at seed 0, its setting chosen on held-out
images, then that setting trained with more seeds.

The preset ``budget`` (:data:`bnntut.presets.BUDGET`) holds the grid of every family and the
rule: the highest validation accuracy after removing ``at_removed`` of the weights by the
family's criterion (:attr:`bnntut.methods.Method.criterion`).  The test images only report.
"""

from __future__ import annotations

import os
import time

from . import experiment
from .methods import get as get_method
from .presets import get_preset

PRESET = "budget"


def validation_accuracy_at(result: dict, amount: float) -> float:
    """Validation accuracy of a stored ``budget`` result after removing ``amount`` of its
    weights by its family's criterion (posterior mean / eval mode)."""
    if "prune_validation" not in result:
        raise ValueError(f"result {result['config']['method']!r} has no validation sweep; "
                         "it was not trained with held-out images")
    criterion = get_method(result["config"]["method"]).criterion
    sweep = result["prune_validation"][criterion]
    amounts = [round(a, 6) for a in sweep["amounts"]]
    if round(amount, 6) not in amounts:
        raise ValueError(f"removed fraction {amount} is not on the sweep grid; "
                         f"allowed: {', '.join(map(str, sweep['amounts']))}")
    return sweep["accuracy"][amounts.index(round(amount, 6))]


def choose(results: dict[str, dict], family: str) -> str:
    """The grid point of ``family`` that the rule picks among ``results`` (method → its
    seed-0 result): the highest validation accuracy at the preset's ``at_removed``, the first
    in grid order on a tie.  ``ValueError`` names the grid points still missing."""
    rule = get_preset(PRESET).selection
    grid = list(rule["families"][family])
    missing = [m for m in grid if m not in results]
    if missing:
        raise ValueError(f"family {family!r} is missing the grid points {', '.join(missing)}; "
                         f"train them first: python -m bnntut budget --families {family}")
    scores = [validation_accuracy_at(results[m], rule["at_removed"]) for m in grid]
    return grid[scores.index(max(scores))]


def run(datasets: list[str] | None = None, families: list[str] | None = None, *,
        device="auto", results: str | os.PathLike | None = None, progress: bool = True,
        on_result=None) -> dict:
    """Train what the comparison needs and return its choices.

    For each dataset and family: every grid point at the preset's seed, the choice
    (:func:`choose`), then the chosen setting with each of the rule's ``seeds``.  Stored
    results are reused and interrupted runs resume (:func:`bnntut.experiment.run`).

    Parameters
    ----------
    datasets, families : list of str, optional
        Default: all of the preset.
    device, results, progress
        As for :func:`bnntut.experiment.run`.
    on_result : callable, optional
        Called as ``on_result(result, seconds)`` after each run.

    Returns
    -------
    dict
        ``{dataset: {family: chosen method}}``.
    """
    preset = get_preset(PRESET)
    rule = preset.selection
    families = families or list(rule["families"])
    unknown = [f for f in families if f not in rule["families"]]
    if unknown:
        raise ValueError(f"unknown family {unknown[0]!r}; allowed: "
                         f"{', '.join(rule['families'])}")

    def one(dataset, method, seed=None):
        start = time.perf_counter()
        result = experiment.run(dataset, method, PRESET, seed=seed, device=device,
                                results=results, progress=progress)
        if on_result is not None:
            on_result(result, time.perf_counter() - start)
        return result

    chosen = {}
    for dataset in datasets or preset.datasets:
        for family in families:
            grid = {m: one(dataset, m) for m in rule["families"][family]}
            best = choose(grid, family)
            for seed in rule["seeds"]:
                one(dataset, best, seed)
            chosen.setdefault(dataset, {})[family] = best
    return chosen
