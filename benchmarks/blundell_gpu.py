"""Blundell et al.'s Table 2 at full length: the ``blundell`` preset's grid in one device call.

Run on the device machine (the repository root is the working directory)::

    python benchmarks/blundell_gpu.py --out "$OUT" --deadline 540

or, for the reading of Table 2 that chapter *What makes a network prunable* predicts (an
ablation of the preset)::

    python benchmarks/blundell_gpu.py --out "$OUT" --deadline 540 \
        --methods bbb-sgd-lr1e-3-kl-uniform-sigma1-e-2

It starts one ``python -m bnntut train --preset blundell --method <grid point> --device cuda``
per learning rate of the grid, side by side on the one GPU with CUDA graphs on
(``$BNNTUT_CUDA_GRAPHS=1``), and ``pytest tests/test_cuda.py`` beside them (graphed against
eager training, plain SGD included).  Every ``--poll`` seconds it reads each run's progress
bar.  When the runs still going cannot all finish before the deadline at the combined rate
measured over the last minute (after each run's first epoch, which compiles), it stops the
last of them in ``--methods`` order, so that the
others finish; a stopped run's history up to its last checkpoint is recorded, never passed
off as a result.  A run whose process fails is started once more without CUDA graphs.

At the end it writes ``<out>/blundell_gpu.json`` (what ran, for how long, what was stopped
and why, the CUDA tests' summary) and packs the results folder (JSON and weights) and the
logs into ``results.tar``, split into parts of at most 15 MiB (``results.tar.part00``, …;
the device tool returns files of at most 16 MiB).  Rejoin them with
``cat results.tar.part* > results.tar``.

``--device cpu --epochs 1`` is the dry run on a CPU (a results name of its own, ``-epochs1``),
so the script is known to work before device time is spent on it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import torch

from bnntut import experiment, store
from bnntut.cudagraphs import CUDA_GRAPHS_ENV
from bnntut.presets import get_preset, method_config

ROOT = Path(__file__).resolve().parents[1]
#: tqdm's "done/total [" on a progress line.
PROGRESS = re.compile(rb"(\d+)/(\d+) \[")
PART_BYTES = 15 * 2**20


class Run:
    """One grid point's training process and what was seen of its progress."""

    def __init__(self, method: str, args, folder: Path, graphs: bool):
        self.method, self.graphs = method, graphs
        self.log = folder / "logs" / f"{method}{'' if graphs else '-eager'}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "bnntut", "train", "--preset", "blundell",
                   "--dataset", "mnist", "--method", method, "--device", args.device,
                   "--out", str(folder / "results")]
        if args.epochs:
            command += ["--epochs", str(args.epochs)]
        env = {**os.environ, CUDA_GRAPHS_ENV: "1" if graphs else "0",
               "BNNTUT_CHECKPOINTS": str(folder / "checkpoints")}
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log.open("wb"),
                                        stderr=subprocess.STDOUT)
        self.samples: list[tuple[float, int]] = []
        self.total = 0
        self.stopped_because = ""

    def poll_progress(self) -> None:
        found = PROGRESS.findall(self.log.read_bytes()[-4000:])
        if found:
            done, self.total = int(found[-1][0]), int(found[-1][1])
            self.samples.append((time.monotonic(), done))

    def done(self) -> int:
        return self.samples[-1][1] if self.samples else 0

    def rate(self, window: float, skip: int = 0) -> float | None:
        """Minibatches per second over the last ``window`` seconds, counting only samples
        past the first ``skip`` minibatches (the first epoch compiles kernels and captures
        graphs, and its pace says nothing about the rest); ``None``: too early."""
        samples = [s for s in self.samples if s[1] >= skip]
        if len(samples) < 2:
            return None
        now, last = samples[-1]
        old = [s for s in samples if now - s[0] >= window]
        if not old:
            return None
        then, first = old[-1]
        return (last - first) / (now - then)


def stop(run: Run, why: str) -> None:
    run.process.terminate()
    try:
        run.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        run.process.kill()
        run.process.wait()
    run.stopped_because = why


def checkpoint_history(folder: Path, method: str, epochs: int | None) -> list[dict]:
    """The history in a stopped run's last checkpoint (``[]`` when none was written)."""
    config = method_config("blundell", "mnist", method, epochs=epochs)
    path = experiment.Run(config, folder / "results").checkpoint
    if not path.exists():
        return []
    return list(store.load_checkpoint(path)["history"])


def pack(folder: Path, out: Path) -> list[str]:
    """``results`` and ``logs`` of ``folder`` as ``results.tar`` parts in ``out``."""
    tar_path = folder / "results.tar"
    with tarfile.open(tar_path, "w") as tar:
        for name in ("results", "logs"):
            if (folder / name).exists():
                tar.add(folder / name, arcname=name)
    data, parts = tar_path.read_bytes(), []
    for i in range(0, len(data), PART_BYTES):
        part = out / f"results.tar.part{i // PART_BYTES:02d}"
        part.write_bytes(data[i:i + PART_BYTES])
        parts.append(part.name)
    return parts


def epochs(args) -> int:
    """Epochs of every run: ``--epochs`` (dry runs), else the preset's."""
    return args.epochs or get_preset("blundell").train["epochs"]


def supervise(runs: list[Run], args, deadline: float, report: dict) -> None:
    """Poll until every run has ended; stop runs that cannot finish before the deadline."""
    while any(r.process.poll() is None for r in runs):
        time.sleep(args.poll)
        live = [r for r in runs if r.process.poll() is None]
        for run in live:
            run.poll_progress()
        # A failed process (not one we stopped) is started once more, without graphs.
        for i, run in enumerate(runs):
            if (run.process.poll() not in (None, 0) and not run.stopped_because
                    and run.graphs and args.device == "cuda"):
                report["restarted_eager"].append(run.method)
                runs[i] = Run(run.method, args, Path(args.work), graphs=False)
        now = time.monotonic()
        # Runs past their last minibatch are sweeping and writing.
        training = [r for r in live if not r.total or r.done() < r.total]
        if now > deadline - 10:
            for run in live:
                stop(run, "deadline reached")
            break
        if now > deadline - args.finish_margin:
            for run in training:
                stop(run, "deadline reached before the last epoch")
            continue
        # Skip each run's first epoch (compilation, capture): 1/epochs of its minibatches.
        rates = [r.rate(args.window, skip=r.total // epochs(args)) for r in training]
        if len(training) < 2 or any(rate is None for rate in rates) or sum(rates) <= 0:
            continue
        remaining = sum(r.total - r.done() for r in training)
        eta = remaining / sum(rates)
        report["projections"].append({"t": round(now - report["t0"], 1), "eta_s": round(eta, 1),
                                      "training": [r.method for r in training],
                                      "rates": [round(x, 1) for x in rates]})
        if now + eta > deadline - args.finish_margin:
            stop(training[-1], f"projected to end {eta:.0f} s from t = "
                               f"{now - report['t0']:.0f} s with {len(training)} runs sharing "
                               f"the GPU, past the deadline")
            for run in training[:-1]:   # the others speed up: measure them afresh
                run.samples = run.samples[-1:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    preset = get_preset("blundell")
    grid = list(preset.selection["families"]["bbb"])
    parser.add_argument("--out", type=Path, required=True, help="folder for what comes back")
    parser.add_argument("--work", default="/tmp/blundell-gpu", help="scratch folder")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--methods", nargs="+", choices=grid + list(preset.ablations),
                        default=grid,
                        help="grid points or ablations of the preset, highest priority "
                             "first (default: the whole grid)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="override the 600 epochs (dry runs only)")
    parser.add_argument("--deadline", type=float, default=540.0,
                        help="seconds from the start by which everything must be written")
    parser.add_argument("--finish-margin", type=float, default=45.0,
                        help="seconds kept for the pruning sweeps, writing and packing")
    parser.add_argument("--poll", type=float, default=10.0)
    parser.add_argument("--window", type=float, default=60.0,
                        help="seconds over which a run's speed is measured")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    deadline = t0 + args.deadline
    report = {"device": args.device, "methods": args.methods, "epochs": epochs(args),
              "torch": torch.__version__, "t0": t0, "projections": [], "restarted_eager": [],
              "gpu": torch.cuda.get_device_name() if args.device == "cuda" else "cpu"}
    tests = None
    if args.device == "cuda":
        tests = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "tests/test_cuda.py"],
                                 cwd=ROOT, stdout=(args.out / "test_cuda.log").open("wb"),
                                 stderr=subprocess.STDOUT)
    runs = [Run(m, args, work, graphs=args.device == "cuda") for m in args.methods]
    try:
        supervise(runs, args, deadline, report)
    finally:
        for run in runs:
            if run.process.poll() is None:
                stop(run, "supervisor ended")
    report["runs"] = {}
    for run in runs:
        entry = {"returncode": run.process.returncode, "graphs": run.graphs,
                 "seconds": round(time.monotonic() - run.started, 1),
                 "stopped_because": run.stopped_because, "minibatches_done": run.done(),
                 "minibatches_total": run.total}
        if run.stopped_because:
            entry["history_at_last_checkpoint"] = checkpoint_history(work, run.method,
                                                                     args.epochs)
        report["runs"][run.method] = entry
    if tests is not None:
        try:
            tests.wait(timeout=max(1.0, deadline - time.monotonic() - 15))
        except subprocess.TimeoutExpired:
            tests.kill()
        tail = (args.out / "test_cuda.log").read_text(errors="replace").strip().splitlines()
        report["cuda_tests"] = {"returncode": tests.returncode, "summary": tail[-1:]}
    report["seconds"] = round(time.monotonic() - t0, 1)
    del report["t0"]
    report["parts"] = pack(work, args.out)
    (args.out / "blundell_gpu.json").write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "projections"}, indent=1)[:6000])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
