"""Fault injection: truncated or tampered files give a clear error or a correct recovery."""

import os
import warnings
from pathlib import Path

import pytest
import torch

from bnntut import experiment, store, train


@pytest.fixture
def results(tmp_path, tiny_preset, monkeypatch):
    monkeypatch.setenv(experiment.CHECKPOINTS_ENV, str(tmp_path / "checkpoints"))
    return tmp_path / "results"


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def test_truncated_result_json_is_recomputed_with_a_warning(results):
    first = experiment.run("mnist", "sgd", "tiny", results=results, progress=False)
    path = results / "tiny" / "mnist" / "sgd.json"
    _truncate(path)
    with pytest.warns(experiment.StaleResultWarning, match="sgd.json is not valid JSON"):
        again = experiment.run("mnist", "sgd", "tiny", results=results, progress=False)
    assert again["prune"] == first["prune"]             # the same deterministic training
    assert store.read_json(path)["config_hash"] == first["config_hash"]


def test_read_json_names_the_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"a": 1')
    with pytest.raises(store.CorruptFileError, match=r"x.json is not valid JSON.*delete it"):
        store.read_json(path)


def test_truncated_weights_error_names_the_regenerating_command(results):
    experiment.run("mnist", "sgd", "tiny", results=results, progress=False)
    _truncate(results / "tiny" / "mnist" / "sgd.weights.pt")
    with pytest.raises(store.CorruptFileError,
                       match=r"sgd.weights.pt is not the weights file its result sgd.json was "
                             r"computed with.*--method sgd --seed 0 --retrain"):
        experiment.trained_model("mnist", "sgd", "tiny", results=results)


def test_unreadable_weights_of_a_legacy_result_name_the_regenerating_command(results):
    """A result without a recorded weights SHA-256 (written before the store recorded it):
    the torn file is caught when it is read."""
    experiment.run("mnist", "sgd", "tiny", results=results, progress=False)
    result_file = results / "tiny" / "mnist" / "sgd.json"
    legacy = store.read_json(result_file)
    del legacy["weights_sha256"]
    store.write_json(result_file, legacy)
    _truncate(results / "tiny" / "mnist" / "sgd.weights.pt")
    with pytest.raises(store.CorruptFileError,
                       match=r"sgd.weights.pt cannot be read.*--method sgd --seed 0 --retrain"):
        experiment.trained_model("mnist", "sgd", "tiny", results=results)


def test_altered_weights_are_refused_not_used(results):
    """Weights edited after their result was written (same size, other values) are an error
    naming the file and the command, not a silently wrong model."""
    experiment.run("mnist", "sgd", "tiny", results=results, progress=False)
    path = results / "tiny" / "mnist" / "sgd.weights.pt"
    model = experiment.load_weights(path)
    with torch.no_grad():
        next(model.parameters()).add_(1.0)
    experiment.save_weights(path, model)
    with pytest.raises(store.WeightsMismatchError, match=r"sgd.weights.pt.*--retrain"):
        experiment.trained_model("mnist", "sgd", "tiny", results=results)
    # the command it names repairs it
    experiment.run("mnist", "sgd", "tiny", results=results, retrain=True, progress=False)
    experiment.trained_model("mnist", "sgd", "tiny", results=results)


def test_result_goes_stale_when_its_data_files_change(results, tmp_path, monkeypatch):
    """A result records the SHA-256 of the IDX files; other files make it stale (recomputed),
    and a derived result of the retrained model goes stale in turn."""
    import shutil

    from bnntut import criteria

    source = Path(os.environ.get("BNNTUT_DATA", ""))
    if not (source / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").exists():
        pytest.skip("needs the MNIST IDX files ($BNNTUT_DATA)")
    data = tmp_path / "data"
    shutil.copytree(source / "MNIST", data / "MNIST")
    monkeypatch.setenv("BNNTUT_DATA", str(data))
    first = experiment.run("mnist", "bbb", "tiny", results=results, progress=False)
    assert first["inputs"] == store.data_inputs("mnist") and len(first["inputs"]) == 4
    derived = criteria.run("mnist", "bbb", "tiny", results=results)
    labels = data / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    raw = bytearray(labels.read_bytes())
    labels.chmod(0o644)
    raw[-1] = (raw[-1] + 1) % 10                     # one test label changed
    labels.write_bytes(bytes(raw))
    with pytest.warns(store.StaleResultWarning, match="another file MNIST/raw/t10k-labels"):
        second = experiment.run("mnist", "bbb", "tiny", results=results, progress=False)
    assert second["inputs"] != first["inputs"]
    if second["weights_sha256"] != first["weights_sha256"]:
        with pytest.warns(store.StaleResultWarning, match="other trained weights"):
            criteria.run("mnist", "bbb", "tiny", results=results)
    else:   # the synthetic tiny data do not depend on the files: same weights, still current
        assert criteria.run("mnist", "bbb", "tiny", results=results) == derived


def test_orphaned_temporary_files_are_cleaned(tmp_path):
    folder = tmp_path / "paper" / "mnist"
    folder.mkdir(parents=True)
    old, fresh = folder / ".bbb.json.abc.tmp", folder / ".sgd.json.def.tmp"
    old.write_text("{")
    fresh.write_text("{")
    os.utime(old, (0, 0))
    assert store.clean_orphans(tmp_path) == [old]
    assert fresh.exists() and not old.exists()


def test_truncated_checkpoint_restarts_training(tmp_path, dataset, net):
    ckpt = tmp_path / "run.pt"
    reference = train.fit(net, dataset, epochs=2, batch_size=50, checkpoint_path=ckpt,
                          checkpoint_key="k", progress=False)
    _truncate(ckpt)
    torch.manual_seed(0)
    from bnntut import models

    fresh = models.mlp(hidden=(32, 16), dropout=0.5)
    with pytest.warns(UserWarning, match="run.pt cannot be read.*training starts from scratch"):
        history = train.fit(fresh, dataset, epochs=2, batch_size=50, checkpoint_path=ckpt,
                            checkpoint_key="k", progress=False)
    assert [h["train_nll"] for h in history] == [h["train_nll"] for h in reference]
    store.load_checkpoint(ckpt)                           # rewritten whole


def test_retrain_ignores_a_finished_checkpoint(results, tmp_path):
    first = experiment.run("mnist", "sgd", "tiny", results=results, progress=False)
    (ckpt,) = (tmp_path / "checkpoints").rglob("sgd-*.pt")
    state = store.load_checkpoint(ckpt)
    for value in state["model"].values():
        value.mul_(0.0)                                     # a stale, tampered checkpoint
    store.save_checkpoint(ckpt, state)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                      # nothing is resumed or warned
        again = experiment.run("mnist", "sgd", "tiny", results=results, retrain=True,
                               progress=False)
    assert again["prune"] == first["prune"]


def test_two_concurrent_runs_leave_one_whole_result(tmp_path):
    """Two processes training the same configuration at once: both succeed, the result and
    its weights are whole and agree, and no temporary file is left behind."""
    import subprocess
    import sys

    if not (Path(os.environ.get("BNNTUT_DATA", "~")) / "MNIST" / "raw").is_dir():
        pytest.skip("needs the IDX files ($BNNTUT_DATA)")
    env = {**os.environ, experiment.CHECKPOINTS_ENV: str(tmp_path / "checkpoints")}
    command = [sys.executable, "-m", "bnntut", "train", "--preset", "quick", "--dataset",
               "mnist", "--method", "sgd", "--out", str(tmp_path / "results"), "--device", "cpu"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    folder = tmp_path / "results" / "quick" / "mnist"
    result = store.read_json(folder / "sgd.json")
    assert store.file_sha256(folder / "sgd.weights.pt") == result["weights_sha256"]
    assert not list(tmp_path.rglob("*.tmp"))
    experiment.load_weights(folder / "sgd.weights.pt")


def test_cuda_graphs_are_on_by_default_on_cuda_and_the_switch_rejects_other_values(monkeypatch):
    from bnntut.cudagraphs import CUDA_GRAPHS_ENV, graphs_wanted

    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    monkeypatch.delenv(CUDA_GRAPHS_ENV, raising=False)
    assert graphs_wanted(cuda) and not graphs_wanted(cpu)  # on a GPU unless switched off
    monkeypatch.setenv(CUDA_GRAPHS_ENV, "0")
    assert not graphs_wanted(cuda)                        # the plain eager loop
    monkeypatch.setenv(CUDA_GRAPHS_ENV, "1")
    assert graphs_wanted(cuda) and not graphs_wanted(cpu)  # never on a CPU
    monkeypatch.setenv(CUDA_GRAPHS_ENV, "yes")
    with pytest.raises(ValueError, match="must be 0 .* or 1"):
        graphs_wanted(cuda)
