"""A preset's search space as a grid of Ray tasks: Blundell et al.'s 324 settings as data,
slices of it chosen by factor and limit, stored under their own preset and skipped once
current (local Ray, 2 CPUs, a tiny version of the grid)."""

from __future__ import annotations

import json
import os

import pytest

from bnntut import cli, experiment, presets, store

SPACE = presets.BLUNDELL_SEARCH_SPACE


def test_blundells_search_space_is_324_named_settings():
    points = presets.search_points(SPACE)
    assert len(points) == 3 * 3 * 3 * 3 * 4 == 324
    assert points[0] == {"lr": 1e-3, "prior_pi": 0.25, "neg_log_sigma1": 0,
                         "neg_log_sigma2": 6, "n_samples": 1}      # the first factor slowest
    names = [presets.blundell_grid_method(p) for p in points]
    assert len(set(names)) == 324 and list(presets.BLUNDELL_GRID.methods) == names
    assert names[1] == "bbb-sgd-lr1e-3-pi0.25-sigma1-e0-sigma2-e-6-samples2"
    assert len(presets.search_points(SPACE, lr=[1e-4], n_samples=[2, 10])) == 3 * 3 * 3 * 2


def test_a_grid_point_is_blundells_net_with_its_factors_and_is_stored_apart():
    """The point of the grid that is the ``blundell`` preset's lr-1e-3 run differs from it
    only in the preset's name, so it never overwrites that result."""
    point = {"lr": 1e-3, "prior_pi": 0.5, "neg_log_sigma1": 0, "neg_log_sigma2": 6,
             "n_samples": 2}
    grid = presets.method_config("blundell-grid", "mnist", presets.blundell_grid_method(point))
    own = presets.method_config("blundell", "mnist", presets.blundell_method(1e-3))
    assert {**grid, "preset": "blundell", "method": own["method"]} == own
    assert store.config_hash(grid) != store.config_hash(own)
    other = presets.method_config("blundell-grid", "mnist", presets.blundell_grid_method(
        {**point, "lr": 1e-5, "prior_pi": 0.75, "neg_log_sigma2": 8, "n_samples": 10}))
    assert other["train"]["lr"] == 1e-5 and other["train"]["n_samples"] == 10
    assert other["model"]["prior_pi"] == 0.75
    assert other["model"]["prior_sigma2"] == pytest.approx(2.718281828459045 ** -8)


def test_slices_seeds_and_bad_input():
    from bnntut import cluster

    grid, tasks = cluster.search_tasks("blundell", only={"prior_pi": [0.75]}, limit=2,
                                       seeds=[0, 3], epochs=5)
    assert grid == "blundell-grid" and len(tasks) == 4
    assert [t["seed"] for t in tasks] == [0, 3, 0, 3] and {t["epochs"] for t in tasks} == {5}
    assert all("-pi0.75-" in t["method"] for t in tasks)
    with pytest.raises(ValueError, match=r"prior_pi 0.3 is not in the search space; "
                                         r"allowed: 0.25, 0.5, 0.75"):
        cluster.search_tasks("blundell", only={"prior_pi": [0.3]})
    with pytest.raises(ValueError, match="unknown factor 'momentum'; allowed: lr, prior_pi"):
        cluster.search_tasks("blundell", only={"momentum": [0.9]})
    with pytest.raises(ValueError, match="limit must be >= 1"):
        cluster.search_tasks("blundell", limit=0)
    with pytest.raises(ValueError, match="'paper' has no search space; allowed: blundell"):
        cluster.search_tasks("paper")


@pytest.mark.parametrize(("argv", "message"), [
    (["--prior-pi", "0.3"], "invalid choice: 0.3 (choose from 0.25, 0.5, 0.75)"),
    (["--n-samples", "3"], "invalid choice: 3 (choose from 1, 2, 5, 10)"),
    (["--limit", "0"], "argument --limit: must be an integer >= 1, got '0'")])
def test_bad_grid_arguments_are_one_clear_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["grid", *argv])
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert exit_.value.code == 2 and message in error


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module; workers run the fused kernels eagerly (compiling them
    costs more than a few minibatches)."""
    ray = pytest.importorskip("ray")
    from bnntut import cluster

    env = {k: os.environ[k] for k in cluster.FORWARDED_ENV if k in os.environ}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False, runtime_env={"env_vars": {**env, "BNNTUT_COMPILE": "0"}})
    yield
    ray.shutdown()


@pytest.fixture
def tiny_grid(monkeypatch):
    """``blundell-grid`` with 16 hidden units, 300 training and 100 test images and a short
    sweep (the driver's configurations; the workers train what these name)."""
    from bnntut import data

    folder = data.data_root() / data.DATASETS["mnist"] / "raw"
    if not all((folder / name).exists() for name in data.RAW_FILES):
        pytest.skip("needs MNIST's IDX files: set BNNTUT_DATA")
    grid = presets.BLUNDELL_GRID
    small = {name: {**presets.thaw(entry), "model": {**presets.thaw(entry["model"]),
                                                     "hidden": [16]}}
             for name, entry in grid.methods.items()}
    monkeypatch.setitem(presets.PRESETS, grid.name, grid.replace(
        methods=small, subset=(300, 100),
        evaluation={"amounts": [0.0, 0.5, 0.9], "mc_samples": 2}))


def _must_not_run(*args):
    raise AssertionError("a current result was trained again")


def test_a_two_setting_slice_trains_on_ray_and_is_skipped_the_second_time(
        local_ray, tiny_grid, tmp_path, monkeypatch, capsys):
    from bnntut import cluster

    monkeypatch.setenv(experiment.CHECKPOINTS_ENV, str(tmp_path / "checkpoints"))
    argv = ["grid", "--preset", "blundell", "--limit", "2", "--epochs", "1", "--device", "cpu",
            "--out", str(tmp_path)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "blundell-grid: 2 of 324 settings x 1 seed(s) on Ray" in out
    folder = tmp_path / "blundell-grid" / "mnist"
    stems = [f"bbb-sgd-lr1e-3-pi0.25-sigma1-e0-sigma2-e-6-samples{n}-epochs1" for n in (1, 2)]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{stem}{suffix}" for stem in stems for suffix in (".json", ".weights.pt"))
    stored = [json.loads((folder / f"{stem}.json").read_text()) for stem in stems]
    assert [r["config"]["train"]["n_samples"] for r in stored] == [1, 2]
    assert all(len(r["history"]) == 1 and "validation_accuracy" in r["history"][0]
               for r in stored)
    (record,) = experiment.reproduce_log("blundell-grid", "cpu", tmp_path)
    assert record["runner"] == "ray" and record["tag"] == "grid_limit-2_epochs-1"
    assert len(record["runs"]) == 2
    # a second call trains nothing: the results are current
    grid, tasks = cluster.search_tasks("blundell", limit=2, epochs=1)
    again = cluster.run_grid(tasks, preset=grid, device="cpu", results=tmp_path,
                             progress=False, worker=_must_not_run)
    assert [r["config_hash"] for r in again] == [r["config_hash"] for r in stored]
    assert cli.main(argv) == 0
    assert [json.loads((folder / f"{stem}.json").read_text()) for stem in stems] == stored
    assert len(experiment.reproduce_log("blundell-grid", "cpu", tmp_path)) == 2
