"""The device-call supervisor of ``benchmarks/blundell_gpu.py``: progress parsing, the
deadline rule, packing into parts (no GPU and no training: fake processes)."""

import importlib.util
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "blundell_gpu.py"


@pytest.fixture(scope="module")
def driver():
    spec = importlib.util.spec_from_file_location("blundell_gpu", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeProcess:
    """A training process that is running until told otherwise."""

    def __init__(self):
        self.returncode = None
        self.terminated = False

    def poll(self):
        return self.returncode

    def terminate(self):
        self.terminated, self.returncode = True, -15

    def wait(self, timeout=None):
        return self.returncode

    def kill(self):
        self.terminate()


def fake_run(driver, method, log: Path, samples, total=1000):
    run = driver.Run.__new__(driver.Run)
    run.method, run.graphs, run.log = method, True, log
    run.process, run.samples, run.total = FakeProcess(), list(samples), total
    run.stopped_because, run.started = "", time.monotonic()
    return run


def test_progress_is_read_from_the_last_tqdm_line(driver, tmp_path):
    log = tmp_path / "run.log"
    log.write_bytes(b"mnist/bbb:  1%| | 120/234600 [00:01<...]\rmnist/bbb:  2%| | 4000/234600 [")
    run = fake_run(driver, "bbb-sgd-lr1e-3", log, [])
    run.poll_progress()
    assert run.done() == 4000 and run.total == 234600
    run.samples = [(0.0, 0), (30.0, 3000), (60.0, 9000)]
    assert run.rate(window=60.0) == pytest.approx(150.0)
    assert run.rate(window=61.0) is None                 # not yet a full window
    # The first epoch (compilation) does not count: only samples past `skip` minibatches.
    run.samples = [(0.0, 0), (50.0, 100), (60.0, 400), (120.0, 6400)]
    assert run.rate(window=60.0, skip=200) == pytest.approx(100.0)
    assert run.rate(window=60.0, skip=500) is None


def test_the_last_run_is_stopped_when_the_runs_cannot_all_finish(driver, tmp_path, monkeypatch):
    now = time.monotonic()
    runs = [fake_run(driver, m, tmp_path / f"{m}.log", [(now - 60, 10), (now, 610)])
            for m in ("bbb-sgd-lr1e-3", "bbb-sgd-lr1e-4", "bbb-sgd-lr1e-5")]
    for run in runs:
        run.log.write_bytes(b"610/1000 [")
    args = SimpleNamespace(poll=0.0, window=60.0, finish_margin=5.0, device="cuda", work=tmp_path,
                           epochs=None)
    report = {"t0": now, "projections": [], "restarted_eager": []}
    # 3 x 390 minibatches left at 30 per second together: 39 s, past a deadline 20 s away.

    def others_finish_once_one_is_stopped(_):
        if runs[2].process.terminated:
            for run in runs[:2]:
                run.process.returncode = 0

    monkeypatch.setattr(driver.time, "sleep", others_finish_once_one_is_stopped)
    driver.supervise(runs, args, deadline=now + 20, report=report)
    assert runs[2].process.terminated and "past the deadline" in runs[2].stopped_because
    assert not runs[0].process.terminated and not runs[0].stopped_because
    assert report["projections"][0]["training"] == [r.method for r in runs]


def test_runs_within_the_deadline_are_left_alone(driver, tmp_path, monkeypatch):
    now = time.monotonic()
    runs = [fake_run(driver, m, tmp_path / f"{m}.log", [(now - 60, 10), (now, 610)])
            for m in ("bbb-sgd-lr1e-3", "bbb-sgd-lr1e-4")]
    for run in runs:
        run.log.write_bytes(b"610/1000 [")
    args = SimpleNamespace(poll=0.0, window=60.0, finish_margin=5.0, device="cuda", work=tmp_path,
                           epochs=None)
    report = {"t0": now, "projections": [], "restarted_eager": []}
    calls = []

    def finish_after_one_poll(_):
        if calls:
            for run in runs:
                run.process.returncode = 0
        calls.append(1)

    monkeypatch.setattr(driver.time, "sleep", finish_after_one_poll)
    driver.supervise(runs, args, deadline=now + 500, report=report)
    assert not any(r.process.terminated for r in runs)


def test_pack_splits_into_parts_that_rejoin(driver, tmp_path, monkeypatch):
    work, out = tmp_path / "work", tmp_path / "out"
    (work / "results").mkdir(parents=True)
    out.mkdir()
    payload = bytes(range(256)) * 4000                     # ~1 MB
    (work / "results" / "w.bin").write_bytes(payload)
    monkeypatch.setattr(driver, "PART_BYTES", 300_000)
    parts = driver.pack(work, out)
    assert len(parts) == 4 and all((out / p).stat().st_size <= 300_000 for p in parts)
    joined = b"".join((out / p).read_bytes() for p in sorted(parts))
    assert joined == (work / "results.tar").read_bytes()


def test_a_stopped_runs_history_is_read_from_where_training_checkpoints(driver, tmp_path):
    from bnntut import experiment, presets, store

    assert driver.checkpoint_history(tmp_path, "bbb-sgd-lr1e-5", None) == []
    config = presets.method_config("blundell", "mnist", "bbb-sgd-lr1e-5")
    path = experiment.Run(config, tmp_path / "results").checkpoint
    store.save_checkpoint(path, {"history": [{"epoch": 1, "validation_accuracy": 0.5}]})
    assert driver.checkpoint_history(tmp_path, "bbb-sgd-lr1e-5", None) == [
        {"epoch": 1, "validation_accuracy": 0.5}]
