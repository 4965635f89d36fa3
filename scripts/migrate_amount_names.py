"""One-off migration: one name, ``amount``, for the share of parameters removed.

The API and the stored results had called it amount (pruning sweeps, fine-tuning settings),
fraction (uncertainty), sparsity (compression's latency sweep) and level (fine-tuning
records).  It is now ``amount`` everywhere, as in ``torch.nn.utils.prune``; ``sparsity`` is
kept for what is *measured* (the share of zeros of a pruned model).  This renames, without
touching any number:

* ``*.uncertainty.json``: ``config.fractions`` -> ``config.amounts`` and every record's
  ``fraction`` -> ``amount``;
* ``compression-*.json``: ``config.fractions`` and ``config.latency.sparsities`` ->
  ``amounts``, ``bytes[dataset][method].by_fraction`` -> ``by_amount``,
  ``latency.sparsities`` -> ``latency.amounts``;
* ``*.finetune.json``: ``levels`` -> ``by_amount``;

and recomputes ``config_hash`` where the configuration's keys changed (the hash covers the
configuration's canonical JSON).  :func:`migrate` and :func:`unmigrate` are inverse;
``tests/test_store.py`` undoes the migration and checks every committed file against digests
taken before any migration, so no number can have changed.

Usage: ``python scripts/migrate_amount_names.py [results]`` (default ``results``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bnntut import store


def _renamed(mapping: dict, old: str, new: str) -> dict:
    """``mapping`` with key ``old`` renamed to ``new``, in place of it (order kept)."""
    if old not in mapping:
        return mapping
    return {(new if k == old else k): v for k, v in mapping.items()}


def kind_of(path: Path) -> str | None:
    """``"uncertainty"``, ``"compression"``, ``"finetune"`` or ``None`` (nothing to rename)."""
    if path.name.endswith(".uncertainty.json"):
        return "uncertainty"
    if path.name.startswith("compression-") and path.suffix == ".json":
        return "compression"
    if path.name.endswith(".finetune.json"):
        return "finetune"
    return None


def _apply(doc: dict, kind: str, forward: bool) -> dict:
    def ren(mapping, old, new):
        return _renamed(mapping, old, new) if forward else _renamed(mapping, new, old)

    doc = dict(doc)
    if kind == "finetune":
        return ren(doc, "levels", "by_amount")
    config = ren(doc["config"], "fractions", "amounts")
    if kind == "uncertainty":
        doc["modes"] = {mode: [ren(r, "fraction", "amount") for r in records]
                        for mode, records in doc["modes"].items()}
    else:
        config["latency"] = ren(config["latency"], "sparsities", "amounts")
        doc["bytes"] = {d: {m: ren(entry, "by_fraction", "by_amount")
                            for m, entry in by_method.items()}
                        for d, by_method in doc["bytes"].items()}
        doc["latency"] = ren(doc["latency"], "sparsities", "amounts")
    doc["config"] = config
    doc["config_hash"] = store.config_hash(config)
    return doc


def migrate(doc: dict, kind: str) -> dict:
    """The document with the new names (a no-op on one already migrated)."""
    return _apply(doc, kind, forward=True)


def unmigrate(doc: dict, kind: str) -> dict:
    """The document with the old names, as it was committed before this migration."""
    return _apply(doc, kind, forward=False)


def main(root: Path) -> list[Path]:
    changed = []
    for path in sorted(root.rglob("*.json")):
        kind = kind_of(path)
        if kind is None:
            continue
        stored = store.read_json(path)
        new = migrate(stored, kind)
        if new != stored:
            store.write_json(path, new)
            changed.append(path)
    return changed


if __name__ == "__main__":
    for path in main(Path(sys.argv[1] if len(sys.argv) > 1 else "results")):
        print("migrated", path)
