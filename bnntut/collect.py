"""A preset's grid of results, datasets × methods (× seeds): the one loader that every chapter
and module reads results through.

:func:`grid` loads the stored, current results of one kind — the training runs
(:mod:`bnntut.experiment`) or a result derived from each trained model (:mod:`bnntut.criteria`,
:mod:`bnntut.finetune` under either of its schedules, :mod:`bnntut.uncertainty`) — and leaves
the missing ones out; with ``compute=True`` it runs what is missing instead (training first
where a model is missing), through each kind's own "load if current, else compute"
(:func:`bnntut.store.cached`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence

from . import criteria, experiment, finetune, store, uncertainty
from .presets import Preset, resolve

#: The kinds of result :func:`grid` loads: training runs, then the derived ones
#: (``finetune``, ``retrain`` and ``retrain-long``: the fine-tuning schedules of the study,
#: of the literature, and the latter run longer).
KINDS = ("training", "criteria", "finetune", "retrain", "retrain-long", "uncertainty")

#: The derived kinds stored per seed: the module that computes them and the keywords that
#: choose the kind among its results (a fine-tuning schedule).
_PER_SEED = {"criteria": (criteria, {}),
             **{kind: (finetune, {"schedule": schedule})
                for schedule, (kind, _) in finetune.SCHEDULES.items()}}


def grid(preset: Preset | str, datasets: Sequence[str] | None = None,
         methods: Sequence[str] | None = None, seeds: Sequence[int] | None = None, *,
         kind: str = "training", compute: bool = False,
         results: str | os.PathLike | None = None, device: str | None = None,
         progress: bool = False) -> dict:
    """The results of ``kind`` for every (dataset, method[, seed]) of a preset.

    Parameters
    ----------
    preset : Preset or str
        A :class:`~bnntut.presets.Preset` or its name.
    datasets, methods : sequence of str, optional
        Default: the preset's datasets and methods (not its ablations).
    seeds : sequence of int, optional
        ``None``: the preset's own seed, and no seed level in the answer; else these seeds
        (``uncertainty`` results exist for the preset's seed only).
    kind : {"training", "criteria", "finetune", "retrain", "retrain-long", "uncertainty"}
        ``finetune``: the study's fine-tuning schedule, ``retrain``: the literature's,
        ``retrain-long``: the literature's run longer (:data:`bnntut.finetune.SCHEDULES`).
    compute : bool
        ``False``: only stored, current results (a stale one is left out without a warning; a
        derived result also needs its training result current).  ``True``: whatever is missing
        is computed and stored.
    results : path-like, optional
        Results folder (:func:`bnntut.experiment.results_dir`).
    device : str, optional
        Where ``compute`` runs (default: each kind's own).
    progress : bool
        Progress bars while computing.

    Returns
    -------
    dict
        ``{dataset: {method: result}}`` without ``seeds`` (missing methods left out), else
        ``{dataset: {method: {seed: result}}}`` (every method, missing seeds left out).

    Raises
    ------
    ValueError
        An unknown kind, preset, dataset or method, or seeds for ``uncertainty``.
    """
    spec = resolve(preset)
    if kind not in KINDS:
        raise ValueError(f"unknown kind of result {kind!r}; allowed: {', '.join(KINDS)}")
    if kind == "uncertainty" and seeds is not None:
        raise ValueError("uncertainty results exist for the preset's own seed only; "
                         "allowed: seeds=None")
    one = _computer(kind, spec, results, device, progress) if compute else \
        _loader(kind, spec, results)
    out: dict = {}
    for dataset in spec.datasets if datasets is None else datasets:
        by_method = out.setdefault(dataset, {})
        for method in spec.methods if methods is None else methods:
            if seeds is None:
                found = one(dataset, method, None)
                if found is not None:
                    by_method[method] = found
                continue
            by_seed = {seed: one(dataset, method, seed) for seed in seeds}
            by_method[method] = {s: r for s, r in by_seed.items() if r is not None}
    return out


def _quietly(load: Callable[[], dict | None]) -> dict | None:
    """``load()`` with stale results read as missing, silently."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", store.StaleResultWarning)
        return load()


def _loader(kind: str, spec: Preset, results) -> Callable[[str, str, int | None], dict | None]:
    """``(dataset, method, seed) -> stored current result or None`` for ``kind``."""
    def training(dataset, method, seed):
        run_ = experiment.Run.of(dataset, method, spec, seed=seed, results=results)
        return _quietly(run_.load)

    def derived(dataset, method, seed):
        if training(dataset, method, seed) is None:
            return None
        if kind == "uncertainty":
            return _quietly(lambda: uncertainty.load(dataset, method, spec, results))
        module, choice = _PER_SEED[kind]
        return _quietly(lambda: module.load(dataset, method, spec, seed=seed, results=results,
                                            **choice))

    return training if kind == "training" else derived


def _computer(kind: str, spec: Preset, results, device: str | None,
              progress: bool) -> Callable[[str, str, int | None], dict]:
    """``(dataset, method, seed) -> result``, computed and stored when not current."""
    where = {} if device is None else {"device": device}
    loaded: dict = {}                       # datasets of the uncertainty sweeps, loaded once

    def one(dataset, method, seed):
        if kind == "training":
            return experiment.run(dataset, method, spec, seed=seed, results=results,
                                  progress=progress, **where)
        if kind == "uncertainty":
            return uncertainty.run(dataset, method, spec, results=results, datasets=loaded,
                                   progress=progress, **where)
        module, choice = _PER_SEED[kind]
        extra = {"progress": progress} if module is finetune else {}
        return module.run(dataset, method, spec, seed=seed, results=results, **where,
                          **choice, **extra)

    return one
