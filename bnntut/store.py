"""The results store: what every stored result depends on, and one rule for when it is stale.

Every result is a JSON file with its ``config_hash`` and the SHA-256 ``inputs`` it was computed
from: a trained model's dataset IDX files; a derived result's training result and weights file
(so it goes stale once its model is retrained to other weights).  :func:`load` returns it only
when both match, else warns (:class:`StaleResultWarning`) and returns ``None`` for recomputing.
Inputs unreadable here are not compared (the book's readers need not have the raw data)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import warnings
from pathlib import Path

from . import storage


class StaleResultWarning(UserWarning):
    """A stored result no longer matches its configuration or inputs and is recomputed."""


class WeightsMismatchError(storage.CorruptFileError):
    """A weights file is not the one its result was computed with."""


_DIGESTS: dict[tuple, str] = {}


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes; cached per (path, size, modification time)."""
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def data_inputs(dataset: str, root: str | os.PathLike | None = None) -> dict[str, str]:
    """``{"<Class>/raw/<file>": sha256}`` of the dataset's IDX files that exist here."""
    from .data import DATASETS, RAW_FILES, data_root

    folder = data_root(root) / DATASETS[dataset] / "raw"
    return {f"{DATASETS[dataset]}/raw/{name}": file_sha256(folder / name)
            for name in RAW_FILES if (folder / name).is_file()}


def why_stale(stored: dict, key: str, inputs: dict) -> str | None:
    """Why ``stored`` is not current for ``key`` and the flat ``{name: hash}`` ``inputs``
    (``None``: it is current).  An input missing on either side is not compared."""
    if stored.get("config_hash") != key:
        return "another configuration"
    recorded = stored.get("inputs", {})
    for name, value in inputs.items():
        if value is not None and recorded.get(name) not in (None, value):
            return f"{_describe(name)} ({recorded[name][:12]}…, now {value[:12]}…)"
    return None


def _describe(name: str) -> str:
    """What a differing input ``name`` means, for :func:`why_stale`."""
    model, _, kind = name.rpartition("/") if "/raw/" not in name else ("", "", name)
    what = {"weights_sha256": "other trained weights",
            "training": "another training configuration"}.get(kind, f"another file {kind}")
    return f"{what} of {model}" if model else what


def load(path: str | os.PathLike, key: str, inputs: dict) -> dict | None:
    """The result stored at ``path`` if it is current, else ``None`` (with a warning unless the
    file is missing: unreadable, or made with another configuration or from other inputs)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        stored = storage.read_json(path)
        why = why_stale(stored, key, inputs)
        problem = f"{path} was made from {why}" if why else None
    except storage.CorruptFileError as error:
        problem = str(error)
    if problem is None:
        return stored
    warnings.warn(f"{problem}; it will be recomputed", StaleResultWarning, stacklevel=3)
    return None


def verify_weights(path: str | os.PathLike, result: dict, command: str) -> None:
    """Raise :class:`WeightsMismatchError` when the SHA-256 of the weights file at ``path``
    differs from ``result["weights_sha256"]`` (if recorded), naming the ``command`` that
    regenerates both."""
    expected = result.get("weights_sha256")
    if expected and file_sha256(path) != expected:
        raise WeightsMismatchError(
            f"{path} is not the weights file its result {Path(path).name.split('.')[0]}.json "
            f"was computed with (SHA-256 differs); regenerate both: {command}")


def clean_orphans(folder: str | os.PathLike, older_than: float = 3600.0) -> list[Path]:
    """Delete and return the temporary files of interrupted atomic writes (``.<name>.*.tmp``)
    under ``folder`` older than ``older_than`` seconds (a running write is younger)."""
    folder, now, removed = Path(folder), time.time(), []
    for tmp in folder.rglob(".*.tmp") if folder.is_dir() else []:
        with contextlib.suppress(FileNotFoundError):    # another process finished or cleaned it
            if now - tmp.stat().st_mtime > older_than:
                tmp.unlink()
                removed.append(tmp)
    return removed
