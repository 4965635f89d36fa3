"""Command line: ``python -m bnntut reproduce …`` and ``python -m bnntut train …``."""

from __future__ import annotations

import argparse
import time

from . import experiment, metadata
from .data import DATASETS
from .devices import DEVICES
from .presets import PRESETS, get_preset


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bnntut",
        description="Reproduce and check 'Model compression using Bayesian Deep Learning'.")
    commands = parser.add_subparsers(dest="command", required=True)
    methods = list(get_preset("paper")["methods"])

    rep = commands.add_parser(
        "reproduce", help="train, prune and evaluate every (dataset, method) of a preset",
        description="Runs every model of a preset; a current result in --out is reused, a "
                    "missing or stale one is (re)computed, resuming from checkpoints.")
    rep.add_argument("--preset", choices=list(PRESETS), default="quick",
                     help="'paper': the study's full protocol (50 epochs); 'quick': a "
                          "2000/1000 subset for 2 epochs, for smoke tests (default: quick)")
    rep.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=None,
                     help="datasets to run (default: all of the preset)")
    rep.add_argument("--methods", nargs="+", choices=methods, default=None,
                     help="methods to run (default: all of the preset)")
    rep.add_argument("--seed", type=int, default=None, help="override the preset's seed")
    rep.add_argument("--device", choices=list(DEVICES), default="auto",
                     help="'auto' picks CUDA when available (default: auto)")
    rep.add_argument("--out", default=None,
                     help="results folder (default: $BNNTUT_RESULTS or the project's results/)")
    rep.add_argument("--retrain", action="store_true",
                     help="recompute even when a current result exists")

    tr = commands.add_parser("train", help="train (or load) one model and print its summary",
                             description="Trains one (dataset, method) of a preset.")
    tr.add_argument("--dataset", choices=list(DATASETS), required=True, help="which dataset")
    tr.add_argument("--method", choices=methods, required=True, help="which method")
    tr.add_argument("--preset", choices=list(PRESETS), default="paper",
                    help="protocol to follow (default: paper)")
    tr.add_argument("--epochs", type=int, default=None, help="override the preset's epochs")
    tr.add_argument("--seed", type=int, default=None, help="override the preset's seed")
    tr.add_argument("--device", choices=list(DEVICES), default="auto",
                    help="'auto' picks CUDA when available (default: auto)")
    tr.add_argument("--out", default=None, help="results folder (as for reproduce)")
    tr.add_argument("--retrain", action="store_true", help="recompute even when cached")
    return parser


def _summary(result: dict) -> str:
    config, meta = result["config"], result["metadata"]
    final = result["history"][-1]
    sweep = result["prune"].get("snr", result["prune"]["l1"])
    at = dict(zip(sweep["amounts"], sweep["accuracy"]))
    pruned = "  ".join(f"{int(a * 100)}%:{at[a]:.4f}" for a in (0.5, 0.75, 0.9) if a in at)
    return (f"{config['dataset']:>13} {config['method']:<10} epochs={final['epoch']:<3} "
            f"test acc={final['test_accuracy']:.4f}  pruned {pruned}  "
            f"train {meta['seconds']['train_epochs']:.1f}s on {meta['device_name']}")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    metadata.git_commit()   # describe the code as imported, before anything can edit it
    if args.command == "train":
        result = experiment.run(args.dataset, args.method, args.preset, seed=args.seed,
                                epochs=args.epochs, device=args.device, results=args.out,
                                retrain=args.retrain)
        print(_summary(result))
        return 0
    preset = get_preset(args.preset)
    if args.preset == "quick":
        print("QUICK MODE: a 2000/1000 subset for 2 epochs — a smoke test, not a result.")
    start = time.perf_counter()
    runs = []
    for dataset in args.datasets or preset["datasets"]:
        for method in args.methods or list(preset["methods"]):
            t0 = time.perf_counter()
            result = experiment.run(dataset, method, args.preset, seed=args.seed,
                                    device=args.device, results=args.out, retrain=args.retrain)
            seconds = time.perf_counter() - t0
            runs.append({"dataset": dataset, "method": method, "seconds": seconds,
                         "config_hash": result["config_hash"]})
            print(f"{_summary(result)}  [{seconds:.1f}s this call]", flush=True)
    total = time.perf_counter() - start
    print(f"total wall time {total:.1f}s")
    experiment.record_reproduce_run(args.preset, runs, total, device=args.device,
                                    results=args.out)
    return 0
