"""The prepared device check: everything a lent GPU should measure, in one command.

Run on the device machine (the repository root is the working directory)::

    python benchmarks/gpu_check.py --out "$OUT"            # full check, about 6 min on an H100
    python benchmarks/gpu_check.py --out "$OUT" --quick    # first pass, about 1 min

It writes ``<out>/gpu_check.json`` (every timing and test outcome, with the device, torch
version and commit) and, for the end-to-end run, ``<out>/reproduce-<preset>/`` (the results
``reproduce`` wrote, to be compared with the committed CPU results and committed if they are
to be used).  Steps, each recorded even when a later one fails or runs out of time:

1. the CUDA tests (``tests/test_cuda.py``: graphed against eager training, resume, masks);
2. seconds per epoch of the "SGD" net and BBB, eager and with CUDA graphs
   (``BNNTUT_CUDA_GRAPHS``), on the real training set: the median of the timed epochs after
   one warm-up epoch (graph capture and kernel compilation happen there);
3. ``python -m bnntut reproduce --preset paper`` end to end on the device, with graphs on,
   into a scratch folder, timed (``--quick``: the quick preset).

``--device cpu`` runs the same steps on the CPU (without graphs): the smoke test that CI
runs, so the script is known to work before device time is spent on it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from bnntut import devices, experiment, metadata, models, store
from bnntut.cudagraphs import CUDA_GRAPHS_ENV
from bnntut.presets import method_config
from bnntut.train import fit

ROOT = Path(__file__).resolve().parents[1]
#: The steps ``--skip`` can leave out.
STEPS = ("tests", "epochs", "reproduce")


def _record(report: dict, out: Path) -> None:
    store.write_json(out / "gpu_check.json", report)


def cuda_tests(device: str) -> dict:
    """Run ``tests/test_cuda.py`` (skipped entirely on a CPU: the tests need CUDA)."""
    if device != "cuda":
        return {"skipped": "no CUDA device"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests/test_cuda.py"],
                          cwd=ROOT, capture_output=True, text=True)
    return {"returncode": proc.returncode, "seconds": time.perf_counter() - start,
            "summary": (proc.stdout.strip().splitlines() or [""])[-1]}


def epoch_seconds(method: str, device: torch.device, graphs: bool, epochs: int,
                  subset: list[int] | None) -> dict:
    """Seconds per epoch of one model of the paper preset: warm-up epoch, then ``epochs``."""
    os.environ[CUDA_GRAPHS_ENV] = "1" if graphs else "0"
    config = method_config("paper", "mnist", method)
    config["subset"] = subset
    dataset = experiment.Run(config, experiment.results_dir()).load_data(device)
    torch.manual_seed(0)
    model = models.build(config["model"]).to(device)
    train = config["train"]
    history = fit(model, dataset, epochs=1 + epochs, batch_size=train["batch_size"],
                  lr=train["lr"], n_samples=train["n_samples"],
                  kl_weighting=train["kl_weighting"], progress=False)
    timed = [h["seconds"] for h in history[1:]]
    return {"warmup": history[0]["seconds"], "epochs": timed,
            "median": statistics.median(timed), "test_accuracy": history[-1]["test_accuracy"]}


def reproduce(preset: str, device: str, out: Path, timeout: float, batched: str = "auto",
              seeds: list[int] | None = None) -> dict:
    """``python -m bnntut reproduce`` end to end into ``out`` (graphs on where CUDA), with
    ``--batched batched`` (``auto``: the models of one shape as one stacked batch on CUDA) and,
    where given, every model once per seed in ``seeds``."""
    env = {**os.environ, CUDA_GRAPHS_ENV: "1" if device == "cuda" else "0",
           "BNNTUT_CHECKPOINTS": str(out / "checkpoints")}
    start = time.perf_counter()
    try:
        command = [sys.executable, "-m", "bnntut", "reproduce", "--preset", preset,
                   "--device", device, "--out", str(out), "--batched", batched]
        if seeds:
            command += ["--seeds", *map(str, seeds)]
        proc = subprocess.run(command,
                              cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timed_out_after": timeout}
    return {"returncode": proc.returncode, "seconds": time.perf_counter() - start,
            "tail": proc.stdout.strip().splitlines()[-12:],
            "error": proc.stderr.strip().splitlines()[-3:] if proc.returncode else []}


def epoch_timings(steps: dict, device: torch.device, args, record) -> None:
    """Step 2: seconds per epoch of the "SGD" net and BBB, eager and (on CUDA) graphed;
    ``record()`` after each, so a later failure keeps what was measured."""
    subset, epochs = ([10000, 1000], 2) if args.quick else (None, 3)
    timings = steps["epoch_seconds"] = {"subset": subset}
    for method in ("sgd", "bbb"):
        for graphs in ((False, True) if args.device == "cuda" else (False,)):
            key = f"{method}-{'graphed' if graphs else 'eager'}"
            timings[key] = epoch_seconds(method, device, graphs, epochs, subset)
            record()
    if "bbb-eager" in timings and "sgd-eager" in timings:
        timings["bbb_over_sgd_eager"] = (timings["bbb-eager"]["median"]
                                         / timings["sgd-eager"]["median"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the report")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--quick", action="store_true",
                        help="first pass: 2 timed epochs on a 10 000-image subset, the quick "
                             "preset end to end")
    parser.add_argument("--reproduce-timeout", type=float, default=360.0,
                        help="seconds allowed for the end-to-end run (default 360)")
    parser.add_argument("--batched", choices=["auto", "on", "off"], default="auto",
                        help="reproduce's --batched in the end-to-end run (default auto: the "
                             "models of one shape as one batch on CUDA)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="seeds of the end-to-end run (default: the preset's one seed)")
    parser.add_argument("--skip", nargs="+", choices=STEPS, default=[],
                        help="steps not to run, e.g. the CUDA tests when they ran beside "
                             "another job of the same device call")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    device = devices.resolve(args.device)
    report = {"metadata": metadata.collect(device), "quick": args.quick, "steps": {}}
    steps = report["steps"]

    if "tests" not in args.skip:
        steps["cuda_tests"] = cuda_tests(args.device)
        _record(report, args.out)
    if "epochs" not in args.skip:
        epoch_timings(steps, device, args, lambda: _record(report, args.out))
        _record(report, args.out)
    if "reproduce" not in args.skip:
        preset = "quick" if args.quick else "paper"
        steps["reproduce"] = {"preset": preset, "batched": args.batched, "seeds": args.seeds,
                              **reproduce(preset, args.device,
                                          args.out / f"reproduce-{preset}",
                                          args.reproduce_timeout, args.batched,
                                          args.seeds)}
        _record(report, args.out)
    print(json.dumps(steps, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
