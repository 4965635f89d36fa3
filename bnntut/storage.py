"""Atomic file writes (to a temporary sibling, moved into place with ``os.replace``: an
interruption leaves the old file or the new one, never a torn one) and safe checkpoint loading."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import torch


def _atomic(path: Path, write) -> Path:
    """Write ``path`` atomically by calling ``write(handle)``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)   # mkstemp makes 0600 files; give the usual permissions
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path: str | os.PathLike, data) -> Path:
    """Write ``data`` as indented JSON, atomically."""
    text = json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n"
    return _atomic(Path(path), lambda handle: handle.write(text.encode()))


class CorruptFileError(ValueError):
    """A stored file cannot be read (truncated, edited or not what its name says)."""


def read_json(path: str | os.PathLike):
    """Read a JSON file; ``CorruptFileError`` names the file when it is not valid JSON."""
    try:
        return json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CorruptFileError(f"{path} is not valid JSON ({error}); delete it and rerun the "
                               "command that wrote it") from error


def save_checkpoint(path: str | os.PathLike, state: dict) -> Path:
    """``torch.save`` a state dictionary atomically."""
    return _atomic(Path(path), lambda handle: torch.save(state, handle))


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> dict:
    """Load with ``weights_only=True`` (unpickles no code); ``CorruptFileError`` if unreadable."""
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except FileNotFoundError:
        raise
    except (RuntimeError, OSError, EOFError, ValueError) as error:
        raise CorruptFileError(f"{path} cannot be read as a torch file ({error}); delete it "
                               "and rerun the command that wrote it") from error


def config_hash(config: dict) -> str:
    """Short SHA-256 of a configuration's canonical JSON (sorted keys)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
