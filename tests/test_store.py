"""The results store: one staleness rule, one cache, inputs recorded and verified, every
committed result current, nothing committed lost by the migrations."""

import hashlib
import importlib.util
import json
import multiprocessing
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from bnntut import compression, criteria, experiment, finetune, store, uncertainty

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = sorted((ROOT / "results").glob("*/*.json")) + sorted(
    (ROOT / "results").glob("*/*/*.json"))
IDENTITY = {"inputs", "weights_sha256", "training"}


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _amount_names_migration():
    return _script("migrate_amount_names")


def _canonical_sha256(doc) -> str:
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _old_reproduce_records(name: str) -> Iterator[dict]:
    """The records of the log that an old per-command timing file ``name`` (``results/<preset>/
    reproduce-<device>[_<tag>].json``) moved into with its tag, without the ``tag`` field."""
    match = _script("migrate_reproduce_logs").NAME.fullmatch(Path(name).name)
    log = experiment.reproduce_log(Path(name).parent.name, match["device"], ROOT / "results")
    for record in log:
        if record["tag"] == (match["tag"] or ""):
            yield {k: v for k, v in record.items() if k != "tag"}


def _retrained() -> dict[str, dict]:
    """Committed results replaced on purpose by a rerun of the same configuration
    (``tests/data/retrained_results.json`` says why): name -> config hash and finish time."""
    doc = json.loads((ROOT / "tests" / "data" / "retrained_results.json").read_text())
    return doc["files"]


def test_every_committed_number_survives_the_migrations():
    """Digests of each committed file without its identity fields, taken before
    ``scripts/migrate_results_inputs.py`` ran: that migration added inputs, nothing else; and
    ``scripts/migrate_amount_names.py`` renamed keys, nothing else (undone here exactly)."""
    names = _amount_names_migration()
    before = json.loads((ROOT / "tests" / "data" / "committed_numbers.json").read_text())
    assert len(before) == 82
    retrained = _retrained()
    assert set(retrained) <= set(before)
    for name, digest in before.items():       # results committed later are not listed
        if Path(name).name.startswith("reproduce-"):    # now a record in its folder's log
            assert digest in map(_canonical_sha256, _old_reproduce_records(name)), name
            continue
        stored = json.loads((ROOT / name).read_text())
        if name in retrained:                 # replaced on purpose, by the same configuration
            assert stored["config_hash"] == retrained[name]["config_hash"], name
            assert stored["metadata"]["finished"] == retrained[name]["finished"], name
            continue
        kind = names.kind_of(Path(name))
        if kind is not None:
            stored = names.unmigrate(stored, kind)
        body = {k: v for k, v in stored.items() if k not in IDENTITY}
        assert _canonical_sha256(body) == digest, name


def test_timing_logs_hold_every_old_per_command_record_unchanged():
    """``scripts/migrate_reproduce_logs.py`` moved each ``reproduce-<device>[_<tag>].json``
    into its folder's log: the log holds a record with the tag of the file's name whose other
    fields hash to the old file's content (digests taken before the migration)."""
    before = json.loads((ROOT / "tests" / "data" / "reproduce_records.json").read_text())
    assert len(before) == 35
    for name, digest in before.items():
        assert list(map(_canonical_sha256, _old_reproduce_records(name))).count(digest) == 1, \
            name
    for log in (ROOT / "results").glob("*/reproduce-*.json"):
        assert "_" not in log.name, log                 # no per-command file is left
        assert all("tag" in r and "runs" in r for r in store.read_log(log)), log


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


def _committed_json() -> list[Path]:
    """The JSON files under ``results/`` that git tracks (not the git-ignored ``quick`` runs),
    or all of them outside a git checkout."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--", "results"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return sorted((ROOT / "results").rglob("*.json"))
    return sorted(path for name in listed.split("\0") if name.endswith(".json")
                  and (path := ROOT / name).exists())


def _load_committed(path: Path, stored: dict) -> dict | None:
    """Load a committed result through its module's public loader, by its names (preset,
    dataset, method, seed), from the results folder that holds it."""
    if path.name.startswith("compression-"):
        device = path.stem.removeprefix("compression-")
        return compression.load(path.parent.name, device, path.parents[1])
    root, preset, dataset = path.parents[2], path.parents[1].name, path.parent.name
    kind = path.name.split(".")[1]
    config = stored["config"].get("training", stored["config"])
    if kind == "uncertainty":
        return uncertainty.load(dataset, config["method"], preset, root)
    seed = config["train"]["seed"]
    if kind == "json":
        run = experiment.Run.of(dataset, config["method"], preset, seed=seed,
                                epochs=config["train"]["epochs"], results=root)
        assert run.path() == path                           # its names lead to this file
        return run.load()
    if kind == "criteria":
        return criteria.load(dataset, config["method"], preset, seed=seed, results=root)
    schedule = next(name for name, (stored_as, _) in finetune.SCHEDULES.items()
                    if stored_as == kind)
    return finetune.load(dataset, config["method"], preset, seed=seed, results=root,
                         schedule=schedule)


def test_every_committed_result_loads_as_current_through_its_public_loader(monkeypatch):
    """Training results, uncertainty sweeps, byte and latency measurements, fine-tuning and
    criteria results, under every results folder: none is stale for the code as it is (with
    the IDX files in ``$BNNTUT_DATA`` their hashes are compared too)."""
    monkeypatch.setattr(experiment, "trained_model",
                        lambda *a, **k: pytest.fail("a derived result would be recomputed"))
    checked = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", store.StaleResultWarning)
        for path in _committed_json():
            stored = json.loads(path.read_text())
            if not isinstance(stored, dict) or "config_hash" not in stored:
                continue                    # timing logs, GPU check reports
            assert _load_committed(path, stored) == stored, path
            checked += 1
    assert checked >= 100


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
    store.write_json(path, {"config_hash": "k", "inputs": {"x": "1" * 64}})
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


def test_cached_loads_when_current_else_computes_writes_and_returns_what_loads(tmp_path):
    path, calls = tmp_path / "r.json", []

    def compute():
        calls.append(1)
        return {"config": {"a": 1}, "numbers": (0.5, 0.25)}

    def inputs():
        return {"x": "1" * 64}

    first = store.cached(path, "k", inputs, compute)
    assert first == {"config": {"a": 1}, "numbers": [0.5, 0.25], "config_hash": "k",
                     "inputs": {"x": "1" * 64}}
    assert store.read_json(path) == first and calls == [1]
    assert store.cached(path, "k", inputs, compute) == first and calls == [1]   # reused
    assert store.cached(path, "k", inputs, compute, recompute=True) == first
    assert calls == [1, 1]
    with pytest.warns(store.StaleResultWarning, match="another configuration"):
        assert store.cached(path, "k2", inputs, compute)["config_hash"] == "k2"
    assert calls == [1, 1, 1]
    with pytest.raises(ValueError):                         # NaN is refused, nothing written
        store.cached(tmp_path / "nan.json", "k", inputs, lambda: {"x": float("nan")})
    assert not (tmp_path / "nan.json").exists() and not list(tmp_path.glob(".*.tmp"))


def test_cached_records_the_inputs_known_after_computing(tmp_path):
    """A derived result trains its model inside ``compute``: the weights' digest it records is
    the one known afterwards."""
    digest = {"weights_sha256": None}

    def compute():
        digest["weights_sha256"] = "2" * 64                 # the model trained just now
        return {}

    result = store.cached(tmp_path / "d.json", "k", lambda: dict(digest), compute)
    assert result["inputs"] == {"weights_sha256": "2" * 64}


def _append_many(path, who, n):
    for i in range(n):
        store.append_log(path, {"who": who, "i": i})


def test_concurrent_appends_to_a_log_lose_no_record(tmp_path):
    path = tmp_path / "log.json"
    workers = [multiprocessing.get_context("spawn").Process(target=_append_many,
                                                            args=(path, w, 20))
               for w in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    records = store.read_log(path)
    assert sorted((r["who"], r["i"]) for r in records) == [(w, i) for w in range(2)
                                                          for i in range(20)]
    assert not list(tmp_path.glob(".*.tmp"))


def test_read_log_names_a_file_that_is_not_a_log(tmp_path):
    path = tmp_path / "log.json"
    assert store.read_log(path) == []
    path.write_text('{"runs": []}')
    with pytest.raises(store.CorruptFileError, match=r"log.json holds one record.*migrate"):
        store.read_log(path)
    path.write_text('["x"]')
    with pytest.raises(store.CorruptFileError, match=r"log.json is not a log"):
        store.read_log(path)
