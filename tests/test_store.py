"""The results store: one staleness rule, inputs recorded and verified, nothing committed
lost by the migration that added them."""

import hashlib
import importlib.util
import json
import os
from pathlib import Path

import pytest

from bnntut import experiment, presets, storage, store

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = sorted((ROOT / "results").glob("*/*.json")) + sorted(
    (ROOT / "results").glob("*/*/*.json"))
IDENTITY = {"inputs", "weights_sha256", "training"}


def _amount_names_migration():
    spec = importlib.util.spec_from_file_location(
        "migrate_amount_names", ROOT / "scripts" / "migrate_amount_names.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_committed_number_survives_the_migrations():
    """Digests of each committed file without its identity fields, taken before
    ``scripts/migrate_results_inputs.py`` ran: that migration added inputs, nothing else; and
    ``scripts/migrate_amount_names.py`` renamed keys, nothing else (undone here exactly)."""
    names = _amount_names_migration()
    before = json.loads((ROOT / "tests" / "data" / "committed_numbers.json").read_text())
    assert len(before) == 82
    for name, digest in before.items():       # results committed later are not listed
        stored = json.loads((ROOT / name).read_text())
        kind = names.kind_of(Path(name))
        if kind is not None:
            stored = names.unmigrate(stored, kind)
        body = {k: v for k, v in stored.items() if k not in IDENTITY}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        assert hashlib.sha256(text.encode()).hexdigest() == digest, name


def test_committed_results_record_their_inputs_and_are_current():
    for path in COMMITTED:
        stored = json.loads(path.read_text())
        if "config_hash" not in stored:            # reproduce-*.json: wall-time records
            continue
        assert "inputs" in stored and "training" not in stored, path
        if path.name.count(".") == 1 and path.parent.name in ("mnist", "fashion-mnist"):
            assert len(stored["inputs"]) == 4, path          # the four IDX files
            weights = path.with_name(path.stem + ".weights.pt")
            if weights.exists():                             # committed weights match
                assert store.file_sha256(weights) == stored["weights_sha256"], weights
    for path in (ROOT / "results" / "paper").glob("*/*.*.json"):
        derived = json.loads(path.read_text())
        training = json.loads(path.with_name(path.name.split(".")[0] + ".json").read_text())
        assert derived["inputs"]["weights_sha256"] == training["weights_sha256"], path
        assert derived["inputs"]["training"] == training["config_hash"], path


def test_committed_training_results_load_as_current_with_these_data_files():
    if not (Path(os.environ.get("BNNTUT_DATA", "~")) / "MNIST" / "raw").is_dir():
        pytest.skip("needs the IDX files ($BNNTUT_DATA)")
    for dataset in ("mnist", "fashion-mnist"):
        for method in presets.PAPER.methods:
            config = presets.method_config("paper", dataset, method)
            assert experiment.Run(config, ROOT / "results").load() is not None, \
                (dataset, method)


def test_why_stale_compares_only_what_both_sides_know():
    stored = {"config_hash": "k", "inputs": {"a": "1" * 64, "b": "2" * 64}}
    assert store.why_stale(stored, "k", {"a": "1" * 64}) is None
    assert store.why_stale(stored, "k", {"a": "1" * 64, "c": "3" * 64}) is None
    assert store.why_stale(stored, "k", {"a": None}) is None        # not readable here
    assert store.why_stale(stored, "other", {}) == "another configuration"
    assert store.why_stale(stored, "k", {"b": "4" * 64}).startswith("another file b")
    assert "other trained weights of mnist/bbb" in store.why_stale(
        {"config_hash": "k", "inputs": {"mnist/bbb/weights_sha256": "1" * 64}}, "k",
        {"mnist/bbb/weights_sha256": "2" * 64})


def test_file_digest_follows_the_file(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"one")
    first = store.file_sha256(path)
    assert first == hashlib.sha256(b"one").hexdigest()
    path.write_bytes(b"two!")
    assert store.file_sha256(path) == hashlib.sha256(b"two!").hexdigest()


def test_load_warns_once_and_names_the_file(tmp_path):
    path = tmp_path / "r.json"
    storage.write_json(path, {"config_hash": "k", "inputs": {"x": "1" * 64}})
    assert store.load(path, "k", {"x": "1" * 64})["config_hash"] == "k"
    with pytest.warns(store.StaleResultWarning, match=r"r.json was made from another file x"):
        assert store.load(path, "k", {"x": "2" * 64}) is None
    path.write_text("{")
    with pytest.warns(store.StaleResultWarning, match=r"r.json is not valid JSON"):
        assert store.load(path, "k", {}) is None
    assert store.load(tmp_path / "missing.json", "k", {}) is None


def test_one_name_for_the_removed_amount_in_every_committed_result():
    """No committed result still uses the names the amount-names migration replaced, and the
    migration is a no-op on them (it ran), and exactly inverse to its undo."""
    names = _amount_names_migration()
    old = {"fraction", "fractions", "by_fraction", "sparsities", "levels",
           "uncertainty_fractions"}

    def keys(x):
        if isinstance(x, dict):
            for k, v in x.items():
                yield k
                yield from keys(v)
        elif isinstance(x, list):
            for v in x:
                yield from keys(v)

    for path in (ROOT / "results").rglob("*.json"):
        stored = json.loads(path.read_text())
        assert not old & set(keys(stored)), path
        kind = names.kind_of(path)
        if kind is not None:
            assert names.migrate(stored, kind) == stored, path
            assert names.migrate(names.unmigrate(stored, kind), kind) == stored, path
