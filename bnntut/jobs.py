"""Running independent experiments side by side, in worker processes.

Each task runs in a fresh process (``spawn``: safe with CUDA), writes its own result files
atomically, and gets an equal share of the CPU cores as PyTorch threads (one thread per core in
every worker would oversubscribe the cores and slow every epoch).  Their sums run in
another order, so results are not bit-identical to a one-process run (each result's
``device_name`` records its thread count).  An interrupted set can simply be started again:
finished results are reused.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed


def threads_per_worker(jobs: int, cores: int | None = None) -> int:
    """PyTorch threads for each of ``jobs`` workers: an equal share of ``cores`` (default: the
    machine's), at least 1."""
    return max(1, (cores or os.cpu_count() or 1) // jobs)


def _set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def run_tasks(function: Callable, tasks: Iterable[dict], jobs: int = 1) -> Iterator[tuple]:
    """Call ``function(**task)`` for every task and yield ``(task, result)`` as each finishes.

    ``function`` must be module-level (it is pickled to the workers).  ``jobs`` worker
    processes run the tasks, each with :func:`threads_per_worker` PyTorch threads; 1 runs them
    one after another in this process, in order; less than 1 raises ValueError.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    tasks = list(tasks)
    if jobs == 1:
        for task in tasks:
            yield task, function(**task)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_set_threads,
                             initargs=(threads_per_worker(jobs),)) as pool:
        futures = {pool.submit(function, **task): task for task in tasks}
        for future in as_completed(futures):
            yield futures[future], future.result()
