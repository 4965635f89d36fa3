"""Migration: one timing log per preset and device type instead of a file per command.

``reproduce`` used to write one record per command to ``<preset>/reproduce-<device type>.json``
(all of the preset) or ``<preset>/reproduce-<device type>_<tag>.json`` (a part of it, named by
``tag``).  :func:`bnntut.experiment.record_reproduce_run` now appends each record to the log
``<preset>/reproduce-<device type>.json``, a JSON list.  This moves every old record into its
folder's log, adding only its ``tag`` (``""`` for the untagged file), oldest first by its
``finished`` time and after any records the log already holds; checks that the written log
holds every old record unchanged; and only then deletes the old files.  Running it again moves
old-style files written since (by code older than the log) and leaves the rest alone.

Usage: ``python scripts/migrate_reproduce_logs.py [results]`` (default ``results``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from bnntut import store

#: ``reproduce-<device type>[_<tag>].json``.
NAME = re.compile(r"reproduce-(?P<device>[a-z]+)(?:_(?P<tag>.+))?\.json")


def old_records(folder: Path) -> dict[str, list[tuple[Path, dict]]]:
    """``{device type: [(path, record with its tag)]}`` of the old per-command files in
    ``folder`` (a log, a JSON list, is not one of them)."""
    found: dict[str, list[tuple[Path, dict]]] = {}
    for path in sorted(folder.glob("reproduce-*.json")):
        match = NAME.fullmatch(path.name)
        if match is None:
            continue
        stored = store.read_json(path)
        if isinstance(stored, list):
            continue
        if not isinstance(stored, dict) or "runs" not in stored or "tag" in stored:
            raise store.CorruptFileError(f"{path} is not a record of a reproduce command")
        found.setdefault(match["device"], []).append(
            (path, {**stored, "tag": match["tag"] or ""}))
    return found


def migrate_folder(folder: Path) -> list[Path]:
    """Move the old records of one preset folder into its logs; return the files deleted."""
    deleted = []
    for device, pairs in old_records(folder).items():
        log = folder / f"reproduce-{device}.json"
        kept = [] if any(path == log for path, _ in pairs) else store.read_log(log)
        moved = sorted((record for _, record in pairs), key=lambda r: r.get("finished", ""))
        store.write_json(log, kept + moved)
        written = store.read_log(log)
        for path, record in pairs:
            if record not in written:
                raise AssertionError(f"{log} lacks the record of {path}; old file kept")
        for path, _ in pairs:
            if path != log:
                path.unlink()
                deleted.append(path)
        print(f"{log}: {len(moved)} records moved in, {len(written)} in all")
    return deleted


def main(root: Path) -> list[Path]:
    return [path for folder in sorted(p for p in root.iterdir() if p.is_dir())
            for path in migrate_folder(folder)]


if __name__ == "__main__":
    for path in main(Path(sys.argv[1] if len(sys.argv) > 1 else "results")):
        print("moved into the log and deleted", path)
