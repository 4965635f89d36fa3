"""Fault injection: truncated or tampered files give a clear error or a correct recovery."""

import warnings

import pytest
import torch

from bnntut import experiment, storage, train


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
    assert storage.read_json(path)["config_hash"] == first["config_hash"]


def test_read_json_names_the_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"a": 1')
    with pytest.raises(storage.CorruptFileError, match=r"x.json is not valid JSON.*delete it"):
        storage.read_json(path)


def test_truncated_weights_error_names_the_regenerating_command(results):
    experiment.run("mnist", "sgd", "tiny", results=results, progress=False)
    _truncate(results / "tiny" / "mnist" / "sgd.weights.pt")
    with pytest.raises(storage.CorruptFileError,
                       match=r"sgd.weights.pt cannot be read.*--method sgd --retrain"):
        experiment.trained_model("mnist", "sgd", "tiny", results=results)


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
    storage.load_checkpoint(ckpt)                           # rewritten whole


def test_retrain_ignores_a_finished_checkpoint(results, tmp_path):
    first = experiment.run("mnist", "sgd", "tiny", results=results, progress=False)
    (ckpt,) = (tmp_path / "checkpoints").rglob("sgd-*.pt")
    state = storage.load_checkpoint(ckpt)
    for value in state["model"].values():
        value.mul_(0.0)                                     # a stale, tampered checkpoint
    storage.save_checkpoint(ckpt, state)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                      # nothing is resumed or warned
        again = experiment.run("mnist", "sgd", "tiny", results=results, retrain=True,
                               progress=False)
    assert again["prune"] == first["prune"]
