"""The results store: what every stored result depends on, and one rule for when it is stale.

Every artefact — a trained model's result, its uncertainty sweep, pruning criteria,
fine-tuning arm, the compression measurements — is a JSON file with

* ``config_hash``: the hash of its own configuration, and
* ``inputs``: the content hashes (SHA-256) of what it was computed from — the dataset's IDX
  files for a trained model; the training result's hash and the SHA-256 of its weights file
  for a result derived from a trained model.

:func:`load` returns a stored result only when both match what the code would use now;
otherwise it warns once (:class:`StaleResultWarning`, naming the file and why) and returns
``None``, and the caller recomputes.  A derived result therefore goes stale as soon as its
model is trained again to other weights.  A trained model's result also records
``weights_sha256``; :func:`verify_weights` refuses a weights file that does not match it
(:class:`WeightsMismatchError`, naming the file and the command that regenerates it).

Inputs that cannot be read here are not compared (a reader of the book without the raw data
files can still use the committed results); inputs that can be read and differ make a result
stale.
"""

from __future__ import annotations

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
    """Why ``stored`` is not current for ``key`` and ``inputs`` (``None``: it is current).

    ``inputs`` is flat: ``{name: hash}``.  An input missing on either side is not compared;
    see the module docstring.
    """
    if stored.get("config_hash") != key:
        return "another configuration"
    recorded = stored.get("inputs", {})
    for name, value in inputs.items():
        if value is not None and recorded.get(name) not in (None, value):
            return f"{_describe(name)} ({recorded[name][:12]}…, now {value[:12]}…)"
    return None


def _describe(name: str) -> str:
    model, _, kind = name.rpartition("/") if "/raw/" not in name else ("", "", name)
    what = {"weights_sha256": "other trained weights",
            "training": "another training configuration"}.get(kind, f"another file {kind}")
    return f"{what} of {model}" if model else what


def load(path: str | os.PathLike, key: str, inputs: dict) -> dict | None:
    """The result stored at ``path`` if it is current, else ``None``.

    Missing: ``None``.  Unreadable (torn, edited): a warning, ``None``.  Made with another
    configuration or from other inputs (:func:`why_stale`): a warning, ``None``.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        stored = storage.read_json(path)
    except storage.CorruptFileError as error:
        warnings.warn(f"{error}; it will be recomputed", StaleResultWarning, stacklevel=3)
        return None
    why = why_stale(stored, key, inputs)
    if why:
        warnings.warn(f"{path} was made from {why}; it will be recomputed",
                      StaleResultWarning, stacklevel=3)
        return None
    return stored


def verify_weights(path: str | os.PathLike, result: dict, command: str) -> None:
    """Check that the weights file at ``path`` is the one ``result`` records.

    Raises
    ------
    WeightsMismatchError
        When the file's SHA-256 differs from ``result["weights_sha256"]`` (not checked for
        results that predate the record).
    """
    expected = result.get("weights_sha256")
    if expected and file_sha256(path) != expected:
        raise WeightsMismatchError(
            f"{path} is not the weights file its result {Path(path).name.split('.')[0]}.json "
            f"was computed with (SHA-256 differs); regenerate both: {command}")


def clean_orphans(folder: str | os.PathLike, older_than: float = 3600.0) -> list[Path]:
    """Delete temporary files left by interrupted atomic writes (``.<name>.*.tmp``) under
    ``folder`` that are older than ``older_than`` seconds (a running write is younger);
    returns what was deleted."""
    folder, now, removed = Path(folder), time.time(), []
    if not folder.is_dir():
        return removed
    for tmp in folder.rglob(".*.tmp"):
        try:
            if now - tmp.stat().st_mtime > older_than:
                tmp.unlink()
                removed.append(tmp)
        except FileNotFoundError:    # another process finished or cleaned it meanwhile
            pass
    return removed
