"""The grid on Ray (local, 2 CPUs): the same stored results as in-process, and a worker
killed mid-run leaves one whole result."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from bnntut import cluster, experiment, store  # noqa: E402

TASKS = [{"dataset": "mnist", "method": "sgd", "seed": 0},
         {"dataset": "mnist", "method": "bbb", "seed": 0}]


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module (starting one takes seconds)."""
    import sys

    from ray import cloudpickle  # the test's worker functions travel by value

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False,
             runtime_env={"env_vars": {k: os.environ[k] for k in cluster.FORWARDED_ENV
                                       if k in os.environ}})
    yield
    ray.shutdown()


def _needs_data():
    from bnntut import data

    folder = data.data_root() / data.DATASETS["mnist"] / "raw"
    if not all((folder / name).exists() for name in data.RAW_FILES):
        pytest.skip("needs MNIST's IDX files: set BNNTUT_DATA")


def _comparable(result: dict) -> dict:
    """A stored result without what differs between two honest runs (times, dates, host, and
    the weights' digest, which float rounding changes)."""
    return {k: v for k, v in result.items() if k not in ("metadata", "weights_sha256")} | {
        "history": [{k: v for k, v in h.items() if k != "seconds"} for h in result["history"]]}


def _flat(value, prefix="") -> dict:
    """A nested result as ``{path: leaf}``, numbers kept as numbers."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items()
                for k, v in _flat(item, f"{prefix}/{key}").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value)
                for k, v in _flat(item, f"{prefix}/{i}").items()}
    return {prefix: value}


def test_quick_preset_through_ray_equals_in_process(local_ray, tmp_path):
    _needs_data()
    import torch

    through_ray = cluster.run_grid(TASKS, preset="quick", device="cpu",
                                   results=tmp_path / "ray", progress=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # a task runs with cpus_per_task = 1 thread
    try:
        alone = [experiment.run(t["dataset"], t["method"], "quick", seed=t["seed"],
                                device="cpu", results=tmp_path / "local", progress=False)
                 for t in TASKS]
    finally:
        torch.set_num_threads(threads)
    for a, b in zip(through_ray, alone):
        # equal up to float rounding: this process may run the fused kernels otherwise
        # compiled than a fresh worker does, after the other tests
        x, y = _flat(_comparable(a)), _flat(_comparable(b))
        assert x.keys() == y.keys()
        differ = {k: (x[k], y[k]) for k in x
                  if (x[k] != pytest.approx(y[k], rel=1e-4, abs=1e-6)
                      if isinstance(x[k], float) else x[k] != y[k])}
        assert not differ, differ
    for task in TASKS:   # the weights too, to float rounding
        paths = [experiment.Run.of(task["dataset"], task["method"], "quick", seed=0,
                                   results=tmp_path / where).path(".weights.pt")
                 for where in ("ray", "local")]
        first, second = (experiment.load_weights(p).state_dict() for p in paths)
        assert all(torch.allclose(first[k], second[k], rtol=1e-4, atol=1e-6)
                   for k in first if first[k].is_floating_point() and "_sampler." not in k)
    # stored in the driver's folder, weights included, and reused on a second call
    for task in TASKS:
        run_ = experiment.Run.of(task["dataset"], task["method"], "quick",
                                 seed=task["seed"], results=tmp_path / "ray")
        assert run_.load() is not None
        store.verify_weights(run_.path(".weights.pt"), run_.load(), run_.command)
    again = cluster.run_grid(TASKS, preset="quick", device="cpu", results=tmp_path / "ray",
                             progress=False, worker=_must_not_run)
    assert again == through_ray


def _must_not_run(*args):
    raise AssertionError("a current result was trained again")


def _dies_once(config, checkpoints, threads, device):
    """The real worker, whose process is killed mid-training on its first attempt."""
    marker = Path(checkpoints) / "killed-once"
    if not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("1")
        threading.Timer(1.5, lambda: os._exit(1)).start()
    return cluster.train_in_worker(config, checkpoints, threads, device)


def test_a_killed_worker_is_retried_and_leaves_one_whole_result(local_ray, tmp_path,
                                                               monkeypatch):
    _needs_data()
    monkeypatch.setenv(experiment.CHECKPOINTS_ENV, str(tmp_path / "checkpoints"))
    (tmp_path / "checkpoints").mkdir()
    task = [TASKS[1]]
    (result,) = cluster.run_grid(task, preset="quick", device="cpu",
                                 results=tmp_path / "results", progress=False,
                                 worker=_dies_once, retries=2)
    assert (tmp_path / "checkpoints" / "killed-once").exists()   # it did die once
    folder = tmp_path / "results" / "quick" / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == ["bbb.json", "bbb.weights.pt"]
    run_ = experiment.Run.of("mnist", "bbb", "quick", seed=0, results=tmp_path / "results")
    assert run_.load() == result
    store.verify_weights(run_.path(".weights.pt"), result, run_.command)


def test_bad_settings_and_missing_ray_are_one_clear_line(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="cpus_per_task must be >= 1"):
        cluster.run_grid(TASKS, preset="quick", cpus_per_task=0, results=tmp_path)
    monkeypatch.setitem(__import__("sys").modules, "ray", None)
    with pytest.raises(RuntimeError, match=r"pip install '\.\[cluster\]'"):
        cluster._ray()


def test_weights_that_do_not_match_the_result_are_refused(tmp_path):
    run_ = experiment.Run.of("mnist", "sgd", "quick", results=tmp_path)
    with pytest.raises(store.WeightsMismatchError, match="do not match"):
        cluster.store_result(run_, {"weights_sha256": "0" * 64}, b"not these")
    assert not run_.path().exists() and not run_.path(".weights.pt").exists()
