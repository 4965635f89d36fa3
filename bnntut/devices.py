"""Device selection and a description of the machine, for results metadata."""

from __future__ import annotations

import contextlib
import platform

import torch

DEVICES = ("auto", "cpu", "cuda")


def resolve(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` gives CUDA when available, else the CPU; ``ValueError`` for a name other than
    ``auto``, ``cpu``, ``cuda`` or ``cuda:N``, or for CUDA without a GPU."""
    name = str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name != "cpu" and not name.startswith("cuda"):
        raise ValueError(f"unknown device {name!r}; allowed: {', '.join(DEVICES)} or cuda:N")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} requested but CUDA is not available")
    return torch.device(name)


def describe(device: torch.device) -> str:
    """Human-readable name of ``device``, e.g. ``"NVIDIA H100 80GB HBM3"`` or the CPU model."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as handle:
        cpu = next((line.split(":", 1)[1].strip() for line in handle
                    if line.startswith("model name")), cpu)
    threads = torch.get_num_threads()
    return f"{cpu} ({threads} thread{'s' if threads > 1 else ''})"


@contextlib.contextmanager
def single_thread():
    """Run PyTorch on one intra-op thread inside the block, then restore the setting: for
    work on tensors of a few thousand entries, where a second thread only adds
    synchronisation."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
