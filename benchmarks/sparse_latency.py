"""Forward-pass latency of the study's 784-500-500-10 MLP: dense against CSR sparse weights.

Random weights with exactly the requested fraction of zeros in every layer (no trained model
or data needed), timed with :func:`bnntut.compression.latency_sweep`: dense
``torch.nn.functional.linear`` against ``torch.addmm`` with ``W.to_sparse_csr()`` (int32
indices), at batch sizes 1 and 100 and sparsities 0 … 0.99, dense and sparse blocks
alternating, in rounds over all cases.  Prints one JSON object: machine, threads, torch
version, commit, date, seconds per forward (fastest block, and median), the ratios dense time
/ CSR time of the fastest blocks (> 1: sparse is faster), the sparsity from which sparse
stays faster, and the spread of the dense times (1 on a quiet machine).

Usage: ``python benchmarks/sparse_latency.py [--device cpu|cuda] [--min-time S] [--quick]``.
``--quick`` times each number for 0.01 s instead of 1 s: a few-second smoke run.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from bnntut import compression, devices, metadata


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=list(devices.DEVICES), default="cpu",
                        help="where to time the forward passes (default: cpu)")
    parser.add_argument("--min-time", type=float, default=1.0,
                        help="seconds of timing behind each number (default: 1.0)")
    parser.add_argument("--quick", action="store_true",
                        help="a few-second smoke run (--min-time 0.01)")
    args = parser.parse_args(argv)
    min_time = 0.01 if args.quick else args.min_time
    device = devices.resolve(args.device)
    start = time.perf_counter()
    sweep = compression.latency_sweep(compression.random_layers, compression.AMOUNTS,
                                      compression.BATCH_SIZES, device, min_time)
    report = {
        "machine": devices.describe(device), "threads": torch.get_num_threads(),
        "torch": torch.__version__, "commit": metadata.git_commit(), "date": metadata.now(),
        "min_time_s": min_time, "quick": args.quick, "widths": list(compression.WIDTHS),
        "amounts": sweep["amounts"],
        "ratios_dense_over_csr": {b: v["speedup"] for b, v in sweep["batches"].items()},
        "sparse_pays_from": sweep["sparse_pays_from"],
        "dense_spread": sweep["dense_spread"],
        "seconds_per_forward_best": {b: {"dense": v["dense_s"], "csr": v["sparse_s"]}
                                     for b, v in sweep["batches"].items()},
        "seconds_per_forward_median": {b: {"dense": v["dense_median_s"],
                                           "csr": v["sparse_median_s"]}
                                       for b, v in sweep["batches"].items()},
        "wall_seconds": time.perf_counter() - start,
    }
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
