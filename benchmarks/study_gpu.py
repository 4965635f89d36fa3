"""The whole study in one device call: pack the data here, run everything there, timed.

A device call carries at most 64 MiB: the tracked tree without its committed seed-0 weights
(about 13 MB) plus both datasets as xz-compressed IDX files (about 37 MB) fit; the weights do
not, and the study does not need them (it trains every model from scratch).  So, here::

    python benchmarks/study_gpu.py pack            # data and blitz's wheel into .dev/
    python benchmarks/study_gpu.py stash           # the committed weights out of the tree

then one device call with ``carry=[".dev"]``::

    python benchmarks/study_gpu.py run --out "$OUT" --deadline 540

and afterwards, here: ``python benchmarks/study_gpu.py unstash`` (puts the weights back).
``.dev/`` and ``.dev-stash/`` are listed in ``.git/info/exclude`` by ``pack``/``stash``.

``run`` unpacks the data into ``/tmp/bnntut-data``, then runs
``python -m bnntut reproduce --preset paper --seeds 0 1 2 --device cuda`` into ``<out>/results``
(the models of one shape trained as one batch, each step a CUDA graph: the defaults on CUDA)
and writes ``<out>/reproduce-cuda-study.json``: the command, its wall time, the device,
torch's version, the commit and the command's own per-model log.  ``--device cpu --quick``
runs the same steps with the quick preset (seed 0) on a CPU: the smoke test CI runs.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bnntut.switches import env_value

ROOT = Path(__file__).resolve().parents[1]
DEV, STASH = ROOT / ".dev", ROOT / ".dev-stash"
DATASETS = {"MNIST": "mnist", "FashionMNIST": "fashion"}


def _exclude(*folders: str) -> None:
    """List ``folders`` in ``.git/info/exclude`` so they never travel as untracked files."""
    exclude = ROOT / ".git" / "info" / "exclude"
    if not exclude.parent.is_dir():
        return
    lines = exclude.read_text().splitlines() if exclude.exists() else []
    exclude.write_text("\n".join(lines + [f for f in folders if f not in lines]) + "\n")


def pack(data_root: Path) -> None:
    """xz-compress both datasets' IDX files into ``.dev/data`` and download blitz's wheel
    into ``.dev/whl`` (the device machine has no network)."""
    _exclude("/.dev/", "/.dev-stash/")
    for folder in DATASETS:
        raw = data_root / folder / "raw"
        names = sorted(p.name for p in raw.glob("*-ubyte"))
        if len(names) != 4:
            raise SystemExit(f"{raw} must hold the 4 IDX files; set BNNTUT_DATA")
        target = DEV / "data" / folder
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            out = target / f"{name}.xz"
            if not out.exists():
                out.write_bytes(lzma.compress((raw / name).read_bytes(), preset=9))
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                    "--only-binary=:all:", "-d", str(DEV / "whl"),
                    "blitz-bayesian-pytorch==0.2.8"], check=True)
    size = sum(p.stat().st_size for p in DEV.rglob("*") if p.is_file())
    print(f"packed {size / 2**20:.1f} MiB into {DEV}")


def stash(back: bool = False) -> None:
    """Move the tracked ``results/**/*.weights.pt`` into ``.dev-stash/`` (or back)."""
    _exclude("/.dev/", "/.dev-stash/")
    source, target = (STASH, ROOT) if back else (ROOT, STASH)
    files = (sorted(STASH.rglob("*.weights.pt")) if back else
             [ROOT / p for p in subprocess.run(
                 ["git", "ls-files", "results/**/*.weights.pt"], cwd=ROOT, check=True,
                 capture_output=True, text=True).stdout.split()])
    for path in files:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, destination)
    print(f"moved {len(files)} weight files {'back' if back else 'to ' + str(STASH)}")


def _unpack(target: Path) -> Path:
    for packed in sorted((DEV / "data").rglob("*.xz")):
        out = target / packed.parent.name / "raw" / packed.stem
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(lzma.decompress(packed.read_bytes()))
    return target


def run(out: Path, device: str, quick: bool, deadline: float) -> dict:
    """Unpack, run the study, time it and write ``<out>/reproduce-<device>-study.json``."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if (DEV / "data").is_dir():
        env["BNNTUT_DATA"] = str(_unpack(Path("/tmp/bnntut-data")))
    if (DEV / "whl").is_dir():
        site = Path("/tmp/bnntut-site")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
                        "--target", str(site), *map(str, (DEV / "whl").glob("*.whl"))],
                       check=False)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), str(site),
                                                          env.get("PYTHONPATH")]))
    preset = "quick" if quick else "paper"
    seeds = ["0"] if quick else ["0", "1", "2"]
    command = [sys.executable, "-m", "bnntut", "reproduce", "--preset", preset,
               "--seeds", *seeds, "--device", device, "--out", str(out / "results")]
    start = time.perf_counter()
    try:
        finished = subprocess.run(command, cwd=ROOT, env=env, timeout=deadline)
        returncode = finished.returncode
    except subprocess.TimeoutExpired:
        returncode = "timeout"
    seconds = time.perf_counter() - start
    import torch

    from bnntut import metadata, store

    log = out / "results" / preset / f"reproduce-{device}.json"
    record = {**metadata.collect(torch.device(device)), "command": " ".join(command[1:]),
              "returncode": returncode, "wall_seconds": seconds, "deadline": deadline,
              "models": 30 if not quick else None,
              "log": store.read_json(log) if log.exists() else None}
    path = out / f"reproduce-{device}-study.json"
    path.write_text(json.dumps(record, indent=1, default=str) + "\n")
    print(f"{preset} preset, seeds {', '.join(seeds)}, on {device}: {seconds:.1f} s (return code "
          f"{returncode}); record in {path}")
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    packer = commands.add_parser("pack", help="data and wheel into .dev/ (here)")
    packer.add_argument("--data", type=Path,
                        default=Path(env_value("BNNTUT_DATA", "../shared/data")))
    commands.add_parser("stash", help="move the committed weights out of the tree (here)")
    commands.add_parser("unstash", help="put them back (here)")
    runner = commands.add_parser("run", help="the study, timed (on the device)")
    runner.add_argument("--out", type=Path, required=True)
    runner.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    runner.add_argument("--quick", action="store_true", help="the quick preset (smoke test)")
    runner.add_argument("--deadline", type=float, default=540.0,
                        help="seconds before the study command is stopped (default 540)")
    args = parser.parse_args(argv)
    if args.command == "pack":
        pack(args.data)
    elif args.command in ("stash", "unstash"):
        stash(back=args.command == "unstash")
    else:
        record = run(args.out, args.device, args.quick, args.deadline)
        return 0 if record["returncode"] == 0 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
