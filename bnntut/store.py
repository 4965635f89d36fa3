"""The results store: files written whole, what every stored result depends on, and one rule
for when it is stale.

Files: every write goes to a temporary sibling moved into place with ``os.replace`` (an
interruption leaves the old file or the new one, never a torn one); reads name the file when it
is unreadable (:class:`CorruptFileError`); checkpoints load with ``weights_only=True``.

Results: every result is a JSON file with its ``config_hash`` and the SHA-256 ``inputs`` it was
computed from: a trained model's dataset IDX files; a derived result's training result and
weights file (so it goes stale once its model is retrained to other weights).  :func:`load`
returns it only when both match, else warns (:class:`StaleResultWarning`) and returns ``None``;
:func:`cached` is the one way a result is reused or computed and stored.  Inputs unreadable
here are not compared (the book's readers need not have the raw data).

Logs: :func:`append_log` adds a record to a JSON list of records (the timing log of the
``reproduce`` command), under a lock, so that concurrent writers lose nothing."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

try:
    import fcntl
except ImportError:             # Windows: no advisory locks; logs are then written unlocked
    fcntl = None


# Files ---------------------------------------------------------------------------------------

class CorruptFileError(ValueError):
    """A stored file cannot be read (truncated, edited or not what its name says)."""


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


def _json_text(data) -> str:
    """The text :func:`write_json` writes: indented JSON with sorted keys, no NaN."""
    return json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n"


def write_json(path: str | os.PathLike, data) -> Path:
    """Write ``data`` as indented JSON, atomically."""
    text = _json_text(data)
    return _atomic(Path(path), lambda handle: handle.write(text.encode()))


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` unchanged, atomically (a file made elsewhere, e.g. by a Ray worker)."""
    return _atomic(Path(path), lambda handle: handle.write(data))


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


# Results -------------------------------------------------------------------------------------

class StaleResultWarning(UserWarning):
    """A stored result no longer matches its configuration or inputs and is recomputed."""


class WeightsMismatchError(CorruptFileError):
    """A weights file is not the one its result was computed with."""


_DIGESTS: dict[tuple, str] = {}


def bytes_sha256(data: bytes) -> str:
    """SHA-256 (hex) of ``data``: what :func:`file_sha256` gives for a file of these bytes."""
    return hashlib.sha256(data).hexdigest()


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
        stored = read_json(path)
        why = why_stale(stored, key, inputs)
        problem = f"{path} was made from {why}" if why else None
    except CorruptFileError as error:
        problem = str(error)
    if problem is None:
        return stored
    warnings.warn(f"{problem}; it will be recomputed", StaleResultWarning, stacklevel=3)
    return None


def cached(path: str | os.PathLike, key: str, inputs: Callable[[], dict],
           compute: Callable[[], dict], *, recompute: bool = False) -> dict:
    """The result at ``path``: loaded when current, else computed, written atomically, returned.

    Parameters
    ----------
    path : path-like
        The result's JSON file.
    key : str
        Its configuration hash (:func:`config_hash`), stored as ``config_hash``.
    inputs : callable
        Returns the flat ``{name: SHA-256}`` of what the result is computed from; called before
        :func:`load` (to compare) and after ``compute`` (to record as ``inputs``: a model that
        ``compute`` trained first is then known).
    compute : callable
        Returns the result's body (``config``, numbers, ``metadata``), without ``config_hash``
        and ``inputs``, which are added here.
    recompute : bool
        Compute even when a current result is stored.

    Returns
    -------
    dict
        Exactly what a later call loads (the JSON written, read back: lists, not tuples).
    """
    if not recompute:
        stored = load(path, key, inputs())
        if stored is not None:
            return stored
    body = compute()
    text = _json_text({**body, "config_hash": key, "inputs": inputs()})
    _atomic(Path(path), lambda handle: handle.write(text.encode()))
    return json.loads(text)


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


# Logs ----------------------------------------------------------------------------------------

def read_log(path: str | os.PathLike) -> list[dict]:
    """The records of the log at ``path`` (``[]`` when it does not exist).

    Raises
    ------
    CorruptFileError
        The file is not valid JSON, or not a list of records (JSON objects); the message names
        the file.
    """
    path = Path(path)
    if not path.exists():
        return []
    records = read_json(path)
    if isinstance(records, dict):
        raise CorruptFileError(
            f"{path} holds one record, not a log (a JSON list of records): a file written "
            "before the logs? scripts/migrate_reproduce_logs.py moves such files into the log")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise CorruptFileError(f"{path} is not a log (a JSON list of records); repair it or "
                               "move it aside, and rerun the command that wrote it")
    return records


@contextlib.contextmanager
def _folder_lock(folder: Path):
    """Hold an exclusive advisory lock on ``folder`` (nothing where ``fcntl`` is missing)."""
    if fcntl is None:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)                # closing releases the lock


def append_log(path: str | os.PathLike, record: dict) -> Path:
    """Append ``record`` to the log at ``path`` (created when missing), atomically and under a
    lock on its folder, so that two processes appending at once both keep their record.
    ``CorruptFileError`` (:func:`read_log`) leaves an unreadable log untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _folder_lock(path.parent):
        return write_json(path, [*read_log(path), record])
