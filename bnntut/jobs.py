"""Running independent experiments side by side, in worker processes.

On two CPU cores one process at a time is fastest (PyTorch already uses both cores).  On a
GPU a small network leaves the device mostly idle, so several processes training different
models at once finish the set sooner.  Each task runs in a fresh process (``spawn``: safe with
CUDA), writes its own result files atomically, and is independent of the others, so an
interrupted set can simply be started again: finished results are reused.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed


def run_tasks(function: Callable, tasks: Iterable[dict], jobs: int = 1) -> Iterator[tuple]:
    """Call ``function(**task)`` for every task and yield ``(task, result)`` as each finishes.

    Parameters
    ----------
    function : callable
        A module-level function (it is pickled to the workers).
    tasks : iterable of dict
        Keyword arguments of each call.
    jobs : int
        Worker processes; 1 runs the tasks one after another in this process, in order.

    Raises
    ------
    ValueError
        When ``jobs < 1``.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    tasks = list(tasks)
    if jobs == 1:
        for task in tasks:
            yield task, function(**task)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {pool.submit(function, **task): task for task in tasks}
        for future in as_completed(futures):
            yield futures[future], future.result()
