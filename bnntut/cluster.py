"""A grid of training runs on Ray: one task per model, on this machine or a cluster.

Each (dataset, method, seed) of a preset becomes one Ray task.  The task trains in a scratch
folder of its worker and returns the result and the weights' bytes; the driver writes both
into the results store atomically, so no shared file system is needed and a result is whole
or absent.  Results already current are not sent; a task whose worker dies is retried
(``retries``) and, when the workers see the driver's checkpoint folder (this machine, or a
shared ``$BNNTUT_CHECKPOINTS``), resumes from its last epoch.

Ray is an optional extra (``pip install ".[cluster]"``); this module imports it only when a
grid runs.  ``address`` (else ``$RAY_ADDRESS``) names a running cluster; without one a local
Ray starts with this machine's cores and stops at the end.  :func:`search_tasks` turns a
slice of a preset's search space (:data:`bnntut.presets.SEARCH_SPACES`, e.g. Blundell et
al.'s 324 settings) into such tasks, stored under the grid's own preset.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from tqdm.auto import tqdm

from . import experiment, presets, store
from .switches import env_value

ADDRESS_ENV = "RAY_ADDRESS"
#: Variables a worker needs from the driver's environment (data folder, kernels switch).
FORWARDED_ENV = ("BNNTUT_DATA", "BNNTUT_COMPILE", "BNNTUT_CUDA_GRAPHS")


def _ray():
    try:
        import ray
    except ImportError:
        raise RuntimeError("running a grid on Ray needs the 'cluster' extra: "
                           "pip install '.[cluster]' (or pip install ray)") from None
    return ray


def train_in_worker(config: dict, checkpoints: str | None, threads: int,
                    device: str) -> tuple[dict, bytes]:
    """Train one run in a scratch folder and return ``(result, weights bytes)``.

    ``checkpoints`` is the driver's checkpoint folder: used when this worker can reach it
    (so that a retried task resumes), else the run checkpoints in its scratch folder."""
    import torch

    torch.set_num_threads(threads)
    if checkpoints and Path(checkpoints).is_dir():
        os.environ[experiment.CHECKPOINTS_ENV] = checkpoints
    with tempfile.TemporaryDirectory(prefix="bnntut-ray-") as scratch:
        run_ = experiment.Run(config, scratch)
        result = experiment.train_and_evaluate(run_, device=device, progress=False)
        weights = run_.path(".weights.pt").read_bytes()
    return result, weights


def store_result(run_: experiment.Run, result: dict, weights: bytes) -> dict:
    """Write a worker's ``result`` and ``weights`` into ``run_``'s files atomically (weights
    first), after checking the weights are the ones the result names."""
    digest = store.bytes_sha256(weights)
    if digest != result.get("weights_sha256"):
        raise store.WeightsMismatchError(
            f"weights returned for {run_.path().name} do not match the result's SHA-256")
    store.write_bytes(run_.path(".weights.pt"), weights)
    store.write_json(run_.path(), result)
    return result


def run_grid(tasks: Sequence[dict], *, preset: str, device="auto", results=None,
             address: str | None = None, cpus_per_task: int = 1,
             gpus_per_task: float | None = None, retries: int = 3, progress: bool = True,
             worker: Callable = train_in_worker) -> list[dict]:
    """Train every task of ``preset`` on Ray and return the results in task order.

    Parameters
    ----------
    tasks : sequence of dict
        ``{"dataset", "method", "seed"}`` each (``seed`` None: the preset's), optionally
        ``"epochs"`` (other than the preset's: stored as ``<method>-epochs<n>``).
    preset, device, results
        As for :func:`bnntut.experiment.run`; ``device`` is resolved on each worker.
    address : str, optional
        A running Ray cluster (else ``$RAY_ADDRESS``; else a local Ray).
    cpus_per_task, gpus_per_task : int, float
        Resources of one task (its PyTorch threads = ``cpus_per_task``); ``gpus_per_task``
        defaults to 0.25 when ``device`` is ``"cuda"``, else 0.
    retries : int
        How often a task whose worker died is started again.
    worker : callable
        The task's function, ``worker(config, checkpoints, threads, device)`` (tests replace
        it).

    Returns
    -------
    list of dict
        Each task's stored result.
    """
    if cpus_per_task < 1 or retries < 0:
        raise ValueError("cpus_per_task must be >= 1 and retries >= 0")
    runs = [experiment.Run.of(t["dataset"], t["method"], preset, seed=t.get("seed"),
                              epochs=t.get("epochs"), results=results) for t in tasks]
    todo = [r for r in runs if r.load() is None]
    if todo:
        with tqdm(total=len(runs), initial=len(runs) - len(todo), unit="model",
                  disable=not progress, desc="grid on Ray") as bar:
            _dispatch(todo, device, address, cpus_per_task, gpus_per_task, retries, bar,
                      worker)
    return [r.load() for r in runs]


def _dispatch(todo, device, address, cpus_per_task, gpus_per_task, retries, bar, worker):
    ray = _ray()
    address = address or env_value(ADDRESS_ENV)
    started_here = not ray.is_initialized()
    if started_here:
        env = {k: env_value(k) for k in FORWARDED_ENV if env_value(k)}
        ray.init(address=address, runtime_env={"env_vars": env}, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    try:
        if gpus_per_task is None:
            gpus_per_task = 0.25 if str(device) == "cuda" else 0.0
        task = ray.remote(worker).options(num_cpus=cpus_per_task, num_gpus=gpus_per_task,
                                          max_retries=retries, retry_exceptions=False)
        pending = {task.remote(r.config, str(r.checkpoint.parent.parent.parent),
                               cpus_per_task, str(device)): r for r in todo}
        while pending:
            (ready,), _ = ray.wait(list(pending), num_returns=1)
            run_ = pending.pop(ready)
            store_result(run_, *ray.get(ready))
            bar.update()
    finally:
        if started_here:
            ray.shutdown()



def search_tasks(preset: str, *, only: Mapping[str, Sequence] | None = None,
                 limit: int | None = None, seeds: Sequence[int] | None = None,
                 epochs: int | None = None) -> tuple[str, list[dict]]:
    """The tasks of a slice of ``preset``'s search space, for :func:`run_grid`.

    Parameters
    ----------
    preset : str
        A preset with a search space (:data:`bnntut.presets.SEARCH_SPACES`: ``"blundell"``).
    only : mapping, optional
        ``{factor: values}``: keep only these values of a factor (e.g. ``{"lr": [1e-3]}``).
    limit : int, optional
        Keep the first ``limit`` settings (``>= 1``; grid order, first factor slowest).
    seeds : sequence of int, optional
        Train every setting once per seed (default: the preset's seed).
    epochs : int, optional
        Train for this many epochs instead of the preset's (stored under its own name).

    Returns
    -------
    (str, list of dict)
        The grid's preset (where its results are stored) and its tasks, setting by setting,
        each ``{"dataset", "method", "seed", "epochs"}``.

    Raises
    ------
    ValueError
        A preset without a search space, an unknown factor or value, or ``limit < 1``; the
        message names what is allowed.
    """
    if preset not in presets.SEARCH_SPACES:
        raise ValueError(f"preset {preset!r} has no search space; allowed: "
                         f"{', '.join(presets.SEARCH_SPACES)}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be >= 1 (settings to run), got {limit}")
    search = presets.SEARCH_SPACES[preset]
    points = presets.search_points(search["space"], **(only or {}))[:limit]
    grid = presets.get_preset(search["grid"])
    return grid.name, [{"dataset": dataset, "method": search["method"](point), "seed": seed,
                        "epochs": epochs}
                       for point in points for seed in (seeds or [None])
                       for dataset in grid.datasets]
