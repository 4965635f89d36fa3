"""The equal-budget comparison: each family's grid at seed 0, its setting chosen on held-out
images, then that setting trained with more seeds.

The preset ``budget`` (:data:`bnntut.presets.BUDGET`) holds the grid of every family and the
rule: the highest validation accuracy after removing ``at_removed`` of the weights by the
family's criterion (:attr:`bnntut.methods.Method.criterion`).  The test images only report.
"""

from __future__ import annotations

import os
import time

from . import experiment, selection
from .presets import Preset, resolve

PRESET = "budget"

def run(datasets: list[str] | None = None, families: list[str] | None = None, *,
        device="auto", results: str | os.PathLike | None = None, progress: bool = True,
        on_result=None, preset: Preset | str = PRESET) -> dict:
    """Train what the comparison needs and return its choices.

    For each dataset and family: every grid point at the preset's seed, the choice
    (:func:`bnntut.selection.choose`), then the chosen setting with each of the rule's
    ``seeds``.  Stored results are reused and interrupted runs resume
    (:func:`bnntut.experiment.run`).

    Parameters
    ----------
    datasets, families : list of str, optional
        Default: all of the preset.
    device, results, progress
        As for :func:`bnntut.experiment.run`.
    on_result : callable, optional
        Called as ``on_result(result, seconds)`` after each run.
    preset : Preset or str
        The comparison's preset (default ``budget``).

    Returns
    -------
    dict
        ``{dataset: {family: chosen method}}``.
    """
    preset = resolve(preset)
    rule = preset.selection
    families = families or list(rule["families"])
    unknown = [f for f in families if f not in rule["families"]]
    if unknown:
        raise ValueError(f"unknown family {unknown[0]!r}; allowed: "
                         f"{', '.join(rule['families'])}")

    def one(dataset, method, seed=None):
        start = time.perf_counter()
        result = experiment.run(dataset, method, preset, seed=seed, device=device,
                                results=results, progress=progress)
        if on_result is not None:
            on_result(result, time.perf_counter() - start)
        return result

    chosen = {}
    for dataset in datasets or preset.datasets:
        for family in families:
            grid = {m: one(dataset, m) for m in rule["families"][family]}
            best = selection.choose(grid, preset, family)
            for seed in rule["seeds"]:
                one(dataset, best, seed)
            chosen.setdefault(dataset, {})[family] = best
    return chosen
