import dataclasses
import json
import subprocess
import sys

import pytest
import torch

from bnntut import cli, experiment, presets, store, train


@pytest.fixture
def results(tmp_path, tiny_preset):
    return tmp_path / "results"


def test_run_writes_a_complete_result(results):
    result = experiment.run("mnist", "bbb", "tiny", results=results, progress=False)
    path = results / "tiny" / "mnist" / "bbb.json"
    assert path.exists() and (results / "tiny" / "mnist" / "bbb.weights.pt").exists()
    stored = json.loads(path.read_text())
    assert stored["config_hash"] == store.config_hash(stored["config"])
    assert set(stored["prune"]) == {"l1", "snr"}
    assert stored["prune"]["snr"]["amounts"] == [0.0, 0.5, 0.9]
    assert len(stored["prune"]["snr"]["accuracy_mc"]) == 3
    assert {"mu", "sample", "log10_sigma", "snr_db"} <= set(stored["weights"])
    meta = stored["metadata"]
    assert {"git_commit", "torch_version", "device_name", "started", "seconds"} <= set(meta)
    assert meta["seconds"]["train_epochs"] > 0
    assert len(stored["history"]) == 2
    assert result["config"] == stored["config"]
    # the saved weights give back the trained model
    model = experiment.load_weights(results / "tiny" / "mnist" / "bbb.weights.pt")
    assert model.spec == stored["config"]["model"]


def test_baselines_get_l1_only(results):
    result = experiment.run("mnist", "dropout50", "tiny", results=results, progress=False)
    assert set(result["prune"]) == {"l1"}
    assert "accuracy_mc" not in result["prune"]["l1"]


def test_current_result_is_reused_without_training(results, monkeypatch):
    first = experiment.run("mnist", "sgd", "tiny", results=results, progress=False)
    monkeypatch.setattr(experiment, "fit", lambda *a, **k: pytest.fail("retrained"))
    again = experiment.run("mnist", "sgd", "tiny", results=results, progress=False)
    assert again == first


def test_stale_result_is_recomputed_with_a_warning(results, monkeypatch, tiny_preset):
    experiment.run("mnist", "sgd", "tiny", results=results, progress=False)
    tiny_preset.change(train={**tiny_preset.spec.train, "lr": 5e-4})   # configuration changes
    calls = []
    real_fit = train.fit
    monkeypatch.setattr(experiment, "fit", lambda *a, **k: calls.append(1) or real_fit(*a, **k))
    with pytest.warns(experiment.StaleResultWarning):
        result = experiment.run("mnist", "sgd", "tiny", results=results, progress=False)
    assert calls and result["config"]["train"]["lr"] == 5e-4


def test_seed_override_gets_its_own_file(results):
    experiment.run("mnist", "sgd", "tiny", seed=3, results=results, progress=False)
    assert (results / "tiny" / "mnist" / "sgd-seed3.json").exists()


def test_bad_names_raise(results):
    with pytest.raises(ValueError, match="allowed: paper, quick"):
        experiment.run("mnist", "sgd", "huge", results=results)
    with pytest.raises(ValueError, match="sgd, dropout50, dropout75, dropout90, bbb"):
        experiment.run("mnist", "adam", "tiny", results=results)
    with pytest.raises(ValueError, match="allowed: mnist, fashion-mnist"):
        experiment.run("kmnist", "sgd", "tiny", results=results)


def test_paper_preset_is_the_studys_protocol():
    paper = presets.get_preset("paper")
    assert paper.train == {"epochs": 50, "batch_size": 100, "lr": 1e-4, "seed": 0}
    dropouts = {m: paper.model_spec(m)["dropout"] for m in paper.methods if m != "bbb"}
    assert dropouts == {"sgd": 0.01, "dropout50": 0.5, "dropout75": 0.75, "dropout90": 0.9}
    bbb = paper.entry("bbb")
    assert bbb["n_samples"] == 2 and bbb["kl_weighting"] == "paper"
    assert bbb["model"]["prior_pi"] == 0.5 and bbb["model"]["rho_init"] == [-5.0, -4.0]
    quick = presets.get_preset("quick")
    assert quick.train["epochs"] <= 2 and quick.subset and "QUICK" in quick.description


def test_presets_are_read_only_and_resolved_once():
    paper = presets.get_preset("paper")
    assert presets.get_preset("paper") is paper            # no copy per call
    assert all(spec.name == name for name, spec in presets.PRESETS.items())
    with pytest.raises(dataclasses.FrozenInstanceError):
        paper.datasets = ("mnist",)
    with pytest.raises(TypeError):
        paper.train["lr"] = 1.0                             # nested mappings are read-only
    spec = paper.model_spec("bbb")                          # a plain copy to build from
    spec["hidden"] = [1]
    assert paper.model_spec("bbb")["hidden"] == [500, 500]
    with pytest.raises(ValueError, match="unknown method 'bbx'; allowed: sgd, "):
        paper.entry("bbx")
    changed = paper.replace(train={**paper.train, "lr": 1e-3})
    assert changed.train["lr"] == 1e-3 and paper.train["lr"] == 1e-4


def test_a_run_is_resolved_once_and_names_its_files(tmp_path, monkeypatch):
    monkeypatch.delenv(experiment.CHECKPOINTS_ENV, raising=False)
    run = experiment.Run.of("mnist", "bbb", "paper", seed=2, epochs=7, results=tmp_path / "r")
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.results = tmp_path
    assert run.config == presets.method_config("paper", "mnist", "bbb", seed=2, epochs=7)
    assert run.key == store.config_hash(run.config)
    assert run.path() == tmp_path / "r" / "paper" / "mnist" / "bbb-seed2-epochs7.json"
    assert run.path(".weights.pt").name == "bbb-seed2-epochs7.weights.pt"
    default = experiment.Run.of("mnist", "bbb", "paper", results=tmp_path / "r")
    assert default.path().name == "bbb.json" and default.key != run.key
    assert run.checkpoint == (tmp_path / "checkpoints" / "paper" / "mnist"
                              / f"bbb-{run.key}.pt")
    monkeypatch.setenv(experiment.CHECKPOINTS_ENV, str(tmp_path / "elsewhere"))
    assert run.checkpoint.parent == tmp_path / "elsewhere" / "paper" / "mnist"
    assert run.command == ("python -m bnntut train --preset paper --dataset mnist "
                           "--method bbb --seed 2 --epochs 7 --retrain")
    assert default.command.endswith("--method bbb --seed 0 --retrain")
    assert run.load() is None                                 # nothing stored yet
    assert run.model_inputs() == {"training": run.key, "weights_sha256": None}
    with pytest.raises(ValueError, match="allowed: mnist, fashion-mnist"):
        experiment.Run.of("kmnist", "bbb", "paper")


def test_atomic_json_write_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "a.json"
    store.write_json(path, {"x": 1})
    with pytest.raises(ValueError):
        store.write_json(path, {"x": float("nan")})
    assert json.loads(path.read_text()) == {"x": 1}
    assert list(tmp_path.iterdir()) == [path]


class StaleMarker:
    pass


def test_checkpoints_load_weights_only(tmp_path):
    store.save_checkpoint(tmp_path / "c.pt", {"t": torch.ones(2)})
    assert torch.equal(store.load_checkpoint(tmp_path / "c.pt")["t"], torch.ones(2))
    torch.save({"obj": StaleMarker()}, tmp_path / "evil.pt")   # an arbitrary object
    with pytest.raises(Exception, match="[Ww]eights only"):
        store.load_checkpoint(tmp_path / "evil.pt")


def test_cli_train_and_reproduce(results, capsys):
    assert cli.main(["train", "--dataset", "mnist", "--method", "sgd", "--preset", "tiny",
                     "--out", str(results)]) == 0
    assert "mnist sgd" in capsys.readouterr().out
    assert cli.main(["reproduce", "--preset", "tiny", "--datasets", "mnist", "--methods",
                     "sgd", "bbb", "--out", str(results)]) == 0
    out = capsys.readouterr().out
    assert "bbb" in out and "total wall time" in out


def test_cli_help_explains_options():
    out = subprocess.run([sys.executable, "-m", "bnntut", "reproduce", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for option in ("--preset", "--datasets", "--methods", "--device", "--out"):
        assert option in out
    bad = subprocess.run([sys.executable, "-m", "bnntut", "reproduce", "--preset", "x"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "paper" in bad.stderr


def test_arms_beyond_the_study_leave_the_studys_configurations_alone():
    """Adding ablations, fine-tuning settings and presets must not change the hash of any
    committed result (they would all turn stale)."""
    from pathlib import Path

    committed = Path(__file__).resolve().parents[1] / "results" / "paper"
    for path in committed.glob("*/*.json"):
        if path.name.count(".") > 1:        # derived results: <method>.<kind>.json
            continue
        stored = json.loads(path.read_text())
        config = presets.method_config("paper", stored["config"]["dataset"],
                                       stored["config"]["method"],
                                       seed=stored["config"]["train"]["seed"])
        assert store.config_hash(config) == stored["config_hash"], path


def test_ablations_and_blundell_preset():
    kl = presets.method_config("paper", "mnist", "bbb-kl-uniform")
    assert kl["train"]["kl_weighting"] == "uniform"
    assert kl["model"] == presets.method_config("paper", "mnist", "bbb")["model"]
    assert "preprocessing" not in kl
    blundell = presets.method_config("blundell", "mnist", "bbb")
    assert blundell["model"]["hidden"] == [1200, 1200]
    assert blundell["train"]["epochs"] == 600 and blundell["train"]["batch_size"] == 128
    assert blundell["preprocessing"] == {"pixel_divisor": 126.0}
    assert blundell["subset"] == [50000, 10000]
    with pytest.raises(ValueError, match="bbb-kl-blundell"):
        presets.method_config("paper", "mnist", "bbb-kl-nothing")
    with pytest.raises(ValueError, match="allowed: mnist"):
        presets.method_config("blundell", "fashion-mnist", "bbb")


def test_blundell_preset_is_the_papers_sgd_grid():
    spec = presets.get_preset("blundell")
    grid = spec.selection["families"]["bbb"]
    assert list(grid) == ["bbb-sgd-lr1e-3", "bbb-sgd-lr1e-4", "bbb-sgd-lr1e-5"]
    for method, lr in zip(grid, (1e-3, 1e-4, 1e-5)):
        config = presets.method_config("blundell", "mnist", method)
        assert config["train"]["optimizer"] == "sgd" and config["train"]["lr"] == lr
        assert config["train"]["kl_weighting"] == "blundell" and config["validation"] is True
        assert config["model"]["hidden"] == [1200, 1200]
    assert "validation" not in presets.method_config("blundell-cpu", "mnist", "bbb")


def test_blundell_cpu_preset_is_blundell_on_a_shorter_schedule():
    full = presets.method_config("blundell", "mnist", "bbb")
    short = presets.method_config("blundell-cpu", "mnist", "bbb")
    assert short["train"]["epochs"] == presets.BLUNDELL_CPU_EPOCHS < full["train"]["epochs"]
    for key in ("model", "subset", "preprocessing", "evaluation"):
        assert short[key] == full[key], key
    assert {k: v for k, v in short["train"].items() if k != "epochs"} == \
        {k: v for k, v in full["train"].items() if k != "epochs"}
    assert presets.get_preset("blundell-cpu").description.startswith("SHORTER CPU SCHEDULE")


def test_cli_seeds_and_runner(results, capsys):
    assert cli.main(["reproduce", "--preset", "tiny", "--datasets", "mnist", "--methods",
                     "sgd", "--seeds", "0", "3", "--out", str(results)]) == 0
    folder = results / "tiny" / "mnist"
    assert (folder / "sgd.json").exists() and (folder / "sgd-seed3.json").exists()
    (record,) = experiment.reproduce_log("tiny", "cpu", results)
    assert record["tag"] == "seeds-0-3_mnist_sgd"
    assert [r["seed"] for r in record["runs"]] == [0, 3] and record["runner"] == "in-process"
    assert cli.main(["criteria", "--preset", "tiny", "--datasets", "mnist", "--methods",
                     "sgd", "--seeds", "3", "--out", str(results)]) == 0
    assert (folder / "sgd-seed3.criteria.json").exists()
    with pytest.raises(SystemExit):
        cli.main(["reproduce", "--preset", "tiny", "--jobs", "2", "--out", str(results)])


def test_checkpoint_every(tmp_path, dataset):
    torch.manual_seed(0)
    from bnntut import models

    net = models.mlp(hidden=(32, 16))
    saved = []
    ckpt = tmp_path / "c.pt"

    def watch(record):
        saved.append(ckpt.exists() and torch.load(ckpt, weights_only=True)["history"][-1]["epoch"])

    train.fit(net, dataset, epochs=5, batch_size=50, checkpoint_path=ckpt, checkpoint_every=2,
              on_epoch_end=watch, progress=False)
    assert saved == [False, 2, 2, 4, 5]
    with pytest.raises(ValueError, match="checkpoint_every"):
        train.fit(net, dataset, epochs=1, checkpoint_every=0, progress=False)


def test_commit_outside_a_checkout(monkeypatch, tmp_path):
    from bnntut import metadata

    monkeypatch.setenv(metadata.COMMIT_ENV, "abc123")
    assert metadata.git_commit.__wrapped__(tmp_path) == "abc123"
    monkeypatch.delenv(metadata.COMMIT_ENV)
    assert metadata.git_commit.__wrapped__(tmp_path) == "unknown"


def test_commit_named_in_the_environment_wins_over_a_checkouts_head(monkeypatch):
    """A copy of the tree on the device machine carried a .git whose HEAD was an older
    commit; the commit named by the caller is the one recorded."""
    from pathlib import Path

    from bnntut import metadata

    here = Path(metadata.__file__).parent
    monkeypatch.setenv(metadata.COMMIT_ENV, "f" * 40)
    assert metadata.git_commit.__wrapped__(here) == "f" * 40


def test_derived_result_turns_stale_with_its_model(results, tiny_preset, retrain_in_place):
    from bnntut import criteria

    first = criteria.run("mnist", "sgd", "tiny", device="cpu", results=results)
    tiny_preset.change(train={**tiny_preset.spec.train, "epochs": 1})   # another configuration
    with pytest.warns(experiment.StaleResultWarning):
        second = criteria.run("mnist", "sgd", "tiny", device="cpu", results=results)
    assert second["config_hash"] != first["config_hash"]


@pytest.mark.parametrize("bad", ["-1", "x", "1.5"])
def test_cli_refuses_a_bad_seed_in_one_line(bad, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", "--preset", "quick", "--dataset", "mnist", "--method", "sgd",
                  "--seed", bad])
    assert exit_.value.code == 2
    assert "a seed is an integer >= 0" in capsys.readouterr().err


def test_other_epochs_never_replace_the_presets_result(results, capsys):
    preset_result = experiment.run("mnist", "sgd", "tiny", results=results, progress=False)
    default = results / "tiny" / "mnist" / "sgd.json"
    before = default.read_bytes()
    assert cli.main(["train", "--preset", "tiny", "--dataset", "mnist", "--method", "sgd",
                     "--epochs", "1", "--out", str(results)]) == 0
    assert default.read_bytes() == before
    short = store.read_json(results / "tiny" / "mnist" / "sgd-epochs1.json")
    assert short["config"]["train"]["epochs"] == 1 != preset_result["config"]["train"]["epochs"]
    assert (results / "tiny" / "mnist" / "sgd-epochs1.weights.pt").exists()


def test_cli_runtime_error_is_one_line_unless_debug(results, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("MNIST files not found in /nowhere\nset BNNTUT_DATA to their folder")

    monkeypatch.setattr(experiment, "run", broken)
    argv = ["train", "--preset", "tiny", "--dataset", "mnist", "--method", "sgd",
            "--out", str(results)]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "set BNNTUT_DATA to their folder" in err
    assert "Traceback" not in err
    with pytest.raises(OSError, match="MNIST files not found"):
        cli.main(["--debug", *argv])


@pytest.mark.parametrize("command", ["reproduce", "finetune", "criteria"])
def test_jobs_is_gone_and_a_usage_error(command, capsys):
    """Side-by-side runs are ``--ray`` or ``--batched``; ``--jobs`` is argparse's error."""
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--preset", "quick", "--jobs", "2"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "unrecognized arguments: --jobs 2" in err


def test_reproduce_records_append_to_one_log_per_preset_and_device(tmp_path):
    def record(tag, seconds):
        return experiment.record_reproduce_run("tiny", [{"seconds": seconds}], seconds,
                                               device="cpu", results=tmp_path, tag=tag)

    path = record("", 1.0)
    assert path == tmp_path / "tiny" / "reproduce-cpu.json"
    assert record("seeds-1", 2.0) == path
    log = experiment.reproduce_log("tiny", "cpu", tmp_path)
    assert [(r["tag"], r["total_seconds"], r["runs"]) for r in log] == [
        ("", 1.0, [{"seconds": 1.0}]), ("seeds-1", 2.0, [{"seconds": 2.0}])]
    assert {"git_commit", "device_name", "finished", "runner", "preset"} <= set(log[0])
    assert log[0]["runner"] == "in-process"
    with pytest.raises(ValueError, match="unknown runner 'pool'; allowed: in-process, batched"):
        experiment.record_reproduce_run("tiny", [], 0.0, device="cpu", results=tmp_path,
                                        runner="pool")
    assert sorted(p.name for p in (tmp_path / "tiny").iterdir()) == ["reproduce-cpu.json"]
    assert experiment.reproduce_log("other", "cpu", tmp_path) == []


def test_a_corrupt_timing_log_is_named_and_stops_reproduce_before_training(results,
                                                                            monkeypatch, capsys):
    log = results / "tiny" / "reproduce-cpu.json"
    log.parent.mkdir(parents=True)
    monkeypatch.setattr(experiment, "run", lambda **k: pytest.fail("trained"))
    for text, says in (("[{", "is not valid JSON"), ('{"runs": []}', "holds one record"),
                       ("[1, 2]", "is not a log")):
        log.write_text(text)
        with pytest.raises(store.CorruptFileError, match=says):
            experiment.record_reproduce_run("tiny", [], 0.0, device="cpu", results=results)
        assert log.read_text() == text                      # left as it was
        assert cli.main(["reproduce", "--preset", "tiny", "--device", "cpu",
                         "--out", str(results)]) == 1
        assert "reproduce-cpu.json" in capsys.readouterr().err
