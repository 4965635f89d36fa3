"""Provenance recorded with every result: code version, machine, software, timing."""

from __future__ import annotations

import datetime
import functools
import platform
import subprocess
from pathlib import Path

import torch

from . import devices
from .switches import env_value

#: Names the commit of a copy of the code that is not a git checkout.
COMMIT_ENV = "BNNTUT_GIT_COMMIT"


@functools.cache
def git_commit(cwd: str | Path | None = None) -> str:
    """``HEAD`` commit of the repository around ``cwd``, suffixed ``-dirty`` when ``bnntut/``
    differs from it; ``"unknown"`` outside a git checkout.  Cached, so it describes the code the
    process imported.  ``$BNNTUT_GIT_COMMIT`` wins: a copy of the tree on another machine may
    carry a ``.git`` whose ``HEAD`` is not the commit whose code it holds."""
    if env_value(COMMIT_ENV):
        return env_value(COMMIT_ENV)
    package = Path(__file__).parent
    run = functools.partial(subprocess.run, cwd=Path(cwd or package), capture_output=True,
                            text=True, check=True)
    try:
        commit = run(["git", "rev-parse", "HEAD"]).stdout.strip()
        dirty = run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                     str(package)]).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def now() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def collect(device: torch.device) -> dict:
    """Metadata of a run on ``device``."""
    from . import __version__

    return {"bnntut_version": __version__, "git_commit": git_commit(),
            "torch_version": torch.__version__, "python_version": platform.python_version(),
            "device": str(device), "device_name": devices.describe(device),
            "platform": platform.platform(), "started": now()}
