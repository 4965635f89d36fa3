"""Is the batched path at least as fast as training the models one after another?

Times one epoch of K models of the study's shape (784-500-500-10), trained alone with
:func:`bnntut.train.fit` one after another and together with :func:`bnntut.batched.fit_many`,
on the first ``--images`` MNIST training images, alternating the two (alone, together,
alone, together, …) so that a slower moment of the machine hits both, with ``--threads``
PyTorch threads (default 1: on a shared machine more threads measure the other work), after
one untimed round of each on 200 images (the fused kernels compile there).  Each run records
its wall time and the process's CPU time: with one thread and other work on the machine, the
CPU time measures the path's own work, the wall time also the other work's.  Run::

    BNNTUT_DATA=../shared/data python benchmarks/batched_cpu.py            # ≈ 5 min
    BNNTUT_DATA=../shared/data python benchmarks/batched_cpu.py --quick    # smoke test

It prints one JSON record: per family the median seconds of each path (``wall``, ``cpu``)
and the ratio together / alone of each.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch

from bnntut import batched, data, metadata, models, train


def _members(kind: str, k: int) -> list[batched.Member]:
    members = []
    for seed in range(k):
        torch.manual_seed(seed)
        model = (models.bayesian_mlp() if kind == "bbb"
                 else models.mlp(dropout=0.0, input_dropout=False))
        members.append(batched.Member(model, lr=1e-3 * (1 + seed), seed=seed,
                                      kl_weighting="uniform"))
    return members


def _timed(function) -> dict:
    """``{"wall", "cpu"}`` seconds of one call of ``function()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def _alone(kind, k, subset) -> dict:
    def run():
        for member in _members(kind, k):
            extra = {"kl_weighting": "uniform"} if models.is_bayesian(member.model) else {}
            train.fit(member.model, subset, epochs=1, lr=member.lr, seed=member.seed,
                      progress=False, **extra)
    return _timed(run)


def _together(kind, k, subset) -> dict:
    return _timed(lambda: batched.fit_many(_members(kind, k), subset, epochs=1,
                                           progress=False))


def _first(subset: data.Dataset, n: int) -> data.Dataset:
    return data.Dataset("mnist", subset.x_train[:n], subset.y_train[:n], subset.x_test[:n],
                        subset.y_test[:n])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=3)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="PyTorch threads (default 1)")
    parser.add_argument("--quick", action="store_true", help="500 images, 1 repeat")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be >= 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    images, repeats = (500, 1) if args.quick else (args.images, args.repeats)
    full = data.load("mnist")
    subset = data.Dataset("mnist", full.x_train[:images], full.y_train[:images],
                          full.x_test[:2000], full.y_test[:2000])
    record = {**metadata.collect(torch.device("cpu")), "models": args.models,
              "images": images, "repeats": repeats, "threads": args.threads, "families": {}}
    for kind in ("mlp", "bbb"):
        _alone(kind, args.models, _first(subset, 200))        # warm-up, untimed
        _together(kind, args.models, _first(subset, 200))
        times = {"alone": [], "together": []}
        for _ in range(repeats):
            times["alone"].append(_alone(kind, args.models, subset))
            times["together"].append(_together(kind, args.models, subset))
        medians = {path: {clock: statistics.median(t[clock] for t in runs)
                          for clock in ("wall", "cpu")} for path, runs in times.items()}
        record["families"][kind] = {
            **medians, "runs": times,
            "together_over_alone": {clock: medians["together"][clock]
                                    / medians["alone"][clock] for clock in ("wall", "cpu")}}
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
