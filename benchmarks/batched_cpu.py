"""Is the batched path at least as fast as training the models one after another?

Times one epoch of K models of the study's shape (784-500-500-10), trained alone with
:func:`bnntut.train.fit` one after another and together with :func:`bnntut.batched.fit_many`,
on the first ``--images`` MNIST training images, alternating the two (alone, together,
alone, together, …) so that a slower moment of the machine hits both.  Run::

    BNNTUT_DATA=../shared/data python benchmarks/batched_cpu.py            # ≈ 5 min
    BNNTUT_DATA=../shared/data python benchmarks/batched_cpu.py --quick    # smoke test

It prints one JSON record: the median seconds of each path per family and their ratio.
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


def _alone(kind, k, subset) -> float:
    start = time.perf_counter()
    for member in _members(kind, k):
        extra = {"kl_weighting": "uniform"} if kind == "bbb" else {}
        train.fit(member.model, subset, epochs=1, lr=member.lr, seed=member.seed,
                  progress=False, **extra)
    return time.perf_counter() - start


def _together(kind, k, subset) -> float:
    start = time.perf_counter()
    batched.fit_many(_members(kind, k), subset, epochs=1, progress=False)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=3)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="500 images, 1 repeat")
    args = parser.parse_args(argv)
    images, repeats = (500, 1) if args.quick else (args.images, args.repeats)
    full = data.load("mnist")
    subset = data.Dataset("mnist", full.x_train[:images], full.y_train[:images],
                          full.x_test[:2000], full.y_test[:2000])
    record = {**metadata.collect(torch.device("cpu")), "models": args.models,
              "images": images, "repeats": repeats, "families": {}}
    for kind in ("mlp", "bbb"):
        times = {"alone": [], "together": []}
        for _ in range(repeats):
            times["alone"].append(_alone(kind, args.models, subset))
            times["together"].append(_together(kind, args.models, subset))
        medians = {k: statistics.median(v) for k, v in times.items()}
        record["families"][kind] = {**medians, "runs": times,
                                    "together_over_alone": medians["together"]
                                    / medians["alone"]}
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
