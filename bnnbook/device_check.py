"""Do the GPU and the CPU runs of the same protocol differ detectably?

The ``paper`` preset was trained twice: on this project's CPU (``results/paper``) and on a
GPU (``results/gpu/paper``, same configurations and hashes).  A GPU run of seed ``k`` is not
the CPU run of seed ``k`` redone: the noise and dropout masks come from the device's generator,
and the kernels sum in another order, so the two are different draws of the same training
procedure.  A difference of the two means over seeds is *detected* when it exceeds twice its
standard error, :math:`|\\bar a_G - \\bar a_C| > 2\\sqrt{s_G^2/n_G + s_C^2/n_C}`
(:func:`agreement`).  An undetected difference is not shown to be zero: with three seeds per
device the check cannot see a difference smaller than its margin (:func:`margins`), which at
90 % removed, where the seeds spread widely, is several points of accuracy.

Used by the chapter ``book/evaluation``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from bnntut import collect, experiment, store
from bnntut.presets import METHOD_LABELS

from . import comparison
from .report import accuracy_at, frame, number, percent
from .stats import difference_of_means
from .style import DATASET_LABELS

#: Folder under the results store that holds the GPU-executed runs (``results/gpu/paper/…``).
GPU_FOLDER = "gpu"

#: " ± " with no-break spaces, so that a cell's mean and spread stay on one line.
PLUS_MINUS = "\u00a0±\u00a0"

#: How many standard errors of the difference of the means a detected difference exceeds.
AGREEMENT_SE = 2.0


def gpu_results_dir(results: str | Path | None = None) -> Path:
    """The GPU runs' store: ``<results>/gpu`` (default: the project's ``results/gpu``)."""
    return experiment.results_dir(results) / GPU_FOLDER


def agreement(cpu: Sequence[float], gpu: Sequence[float]) -> dict:
    """Compare one quantity over the seeds of the two devices.

    Parameters
    ----------
    cpu, gpu : sequence of float
        The quantity (e.g. test accuracy) of each seed's run on each device; at least two each.

    Returns
    -------
    dict
        ``cpu_mean``, ``cpu_sd``, ``gpu_mean``, ``gpu_sd`` (sample standard deviations),
        ``difference`` (GPU − CPU), ``se`` (its standard error), ``margin``
        (``AGREEMENT_SE * se``: a difference up to it goes undetected) and
        ``detected`` (``|difference| > margin``).

    Raises
    ------
    ValueError
        Fewer than two runs on either device (no spread to compare with).
    """
    if len(cpu) < 2 or len(gpu) < 2:
        raise ValueError(f"agreement needs at least two seeds per device, got {len(cpu)} on "
                         f"the CPU and {len(gpu)} on the GPU; run more seeds "
                         "(reproduce --seeds 0 1 2)")
    both = difference_of_means(cpu, gpu)
    margin = AGREEMENT_SE * both["se"]
    return {"cpu_mean": both["first_mean"], "cpu_sd": both["first_sd"],
            "gpu_mean": both["second_mean"], "gpu_sd": both["second_sd"],
            "difference": both["difference"], "se": both["se"], "margin": margin,
            "detected": abs(both["difference"]) > margin}


def compare(cpu: Mapping[str, Mapping[str, Mapping[int, dict]]],
            gpu: Mapping[str, Mapping[str, Mapping[int, dict]]],
            amounts: Sequence[float] = (0.0, 0.9)) -> dict:
    """:func:`agreement` of test accuracy after removing each of ``amounts`` (each family's
    criterion: SNR for BBB, L1 otherwise), for every (dataset, method) stored on both devices
    with at least two seeds each.

    ``cpu`` and ``gpu`` are :func:`bnntut.collect.grid` dictionaries
    (``{dataset: {method: {seed: result}}}``); returns ``{(dataset, method): {amount:
    agreement}}``.
    """
    out = {}
    for dataset, methods in gpu.items():
        for method, runs in methods.items():
            theirs = cpu.get(dataset, {}).get(method, {})
            if len(runs) < 2 or len(theirs) < 2:
                continue
            out[dataset, method] = {
                a: agreement([accuracy_at(r, a) for r in theirs.values()],
                             [accuracy_at(r, a) for r in runs.values()])
                for a in amounts}
    return out


def table(compared: dict) -> pd.DataFrame:
    """The comparison as a table, one row per (dataset, model, pruned amount).

    Returns
    -------
    pandas.DataFrame
        Index ``(Dataset, Model, removed)`` (``removed``: ``"0 %"``, ``"90 %"``, …);
        columns ``CPU`` and ``GPU`` (mean ± standard deviation over seeds), ``GPU − CPU``,
        ``2 SE`` (the margin) and ``detected`` (``"yes"`` when the difference exceeds it).
    """
    rows = {}
    for (dataset, method), by_amount in compared.items():
        for amount, a in by_amount.items():
            rows[DATASET_LABELS[dataset], METHOD_LABELS[method], percent(amount)] = {
                "CPU": f"{a['cpu_mean']:.4f}{PLUS_MINUS}{a['cpu_sd']:.4f}",
                "GPU": f"{a['gpu_mean']:.4f}{PLUS_MINUS}{a['gpu_sd']:.4f}",
                "GPU − CPU": number(a["difference"], 4, sign=True),
                "2 SE": number(a["margin"], 4),
                "detected": "yes" if a["detected"] else "no"}
    return frame(rows, ["Dataset", "Model", "removed"])


def every_run(seed_results: Mapping[str, Mapping[str, Mapping[int, dict]]]) -> Iterator[dict]:
    """Every result of a :func:`bnntut.collect.grid` dictionary, flattened."""
    for methods in seed_results.values():
        for runs in methods.values():
            yield from runs.values()


def verdict(compared: dict) -> tuple[int, int]:
    """``(detected, total)``: how many of the compared quantities differ detectably between
    the devices (:func:`agreement`), out of how many."""
    flags = [a["detected"] for by_amount in compared.values() for a in by_amount.values()]
    return sum(flags), len(flags)


def detections(compared: dict) -> list[tuple[str, str, float]]:
    """The comparisons whose difference exceeds its margin, as ``(dataset, method, amount)``
    in the order of ``compared`` (:func:`compare`)."""
    return [(dataset, method, amount) for (dataset, method), by_amount in compared.items()
            for amount, a in by_amount.items() if a["detected"]]


def false_alarm_rate(n_cpu: int = 3, n_gpu: int = 3, draws: int = 200_000,
                     seed: int = 0) -> float:
    """How often :func:`agreement` detects a difference between two devices that train
    alike, with ``n_cpu`` and ``n_gpu`` seeds.

    Simulated: ``draws`` pairs of samples from one normal distribution (equal means and
    spreads), each judged by the rule of :func:`agreement`.  With few seeds the rule is more
    liberal than its "two standard errors" suggests, since the spread is itself estimated
    from a handful of runs.  Deterministic for a given ``seed``.

    Raises
    ------
    ValueError
        Fewer than two seeds on either device.
    """
    if n_cpu < 2 or n_gpu < 2:
        raise ValueError(f"a false-alarm rate needs at least two seeds per device, got "
                         f"{n_cpu} and {n_gpu}")
    rng = np.random.default_rng(seed)
    cpu = rng.standard_normal((draws, n_cpu))
    gpu = rng.standard_normal((draws, n_gpu))
    difference = gpu.mean(axis=1) - cpu.mean(axis=1)
    se = np.sqrt(cpu.var(axis=1, ddof=1) / n_cpu + gpu.var(axis=1, ddof=1) / n_gpu)
    return float(np.mean(np.abs(difference) > AGREEMENT_SE * se))


def chance_explains(detected: int, total: int, rate: float, level: float = 0.05) -> bool:
    """Whether ``detected`` flags among ``total`` comparisons are as many as chance gives.

    ``True`` when at least that many would occur with probability ``level`` or more if each
    comparison were flagged independently with probability ``rate``
    (:func:`false_alarm_rate`): the binomial upper tail.  The comparisons of one model at
    two fractions share its runs, so they are not quite independent.
    """
    if not 0 <= detected <= total:
        raise ValueError(f"detected must lie between 0 and total ({total}), got {detected}")
    tail = sum(math.comb(total, k) * rate ** k * (1 - rate) ** (total - k)
               for k in range(detected, total + 1))
    return tail >= level


def margins(compared: dict, amount: float) -> tuple[float, float]:
    """``(smallest, largest)`` margin (2 SE) of the comparisons at one pruned fraction: no
    difference smaller than its row's margin could have been detected.

    Raises
    ------
    ValueError
        No comparison at ``amount``.
    """
    values = [by_amount[amount]["margin"] for by_amount in compared.values()
              if amount in by_amount]
    if not values:
        raise ValueError(f"no comparison at {amount:.0%} removed")
    return min(values), max(values)


def epoch_seconds(results: str | Path | None = None) -> dict | None:
    """The GPU's seconds per epoch of the "SGD" net and BBB, eager and graphed, as measured by
    ``benchmarks/gpu_check.py`` and recorded in ``<results>/gpu/gpu-run.json`` (``None``:
    not recorded).

    Returns
    -------
    dict or None
        ``{"sgd-eager": {"median": …, …}, "sgd-graphed": …, "bbb-eager": …, "bbb-graphed": …,
        "device_name": …}``.
    """
    path = gpu_results_dir(results) / "gpu-run.json"
    if not path.is_file():
        return None
    check = store.read_json(path)["epoch_seconds"]
    return {**check["steps"]["epoch_seconds"], "device_name": check["metadata"]["device_name"]}


def load(preset: str, datasets: Sequence[str], methods: Sequence[str],
         results: str | Path | None = None) -> tuple[dict, dict]:
    """``(cpu, gpu)`` stored results of ``preset`` over :data:`bnnbook.comparison.SEEDS`
    (:func:`bnntut.collect.grid`; never trains anything)."""
    return tuple(collect.grid(preset, datasets, methods, comparison.SEEDS, results=where)
                 for where in (results, gpu_results_dir(results)))
