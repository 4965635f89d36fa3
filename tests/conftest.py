"""Shared fixtures: tiny synthetic data, tiny models and a tiny preset (seconds, no files)."""

from __future__ import annotations

import pytest
import torch

from bnntut import models, presets
from bnntut.data import Dataset


def make_dataset(n_train: int = 200, n_test: int = 100, seed: int = 0) -> Dataset:
    """Learnable synthetic data: the label is the argmax of 10 fixed pixel groups' means."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n_train + n_test, 784, generator=g)
    y = x[:, :780].view(-1, 10, 78).mean(-1).argmax(-1)
    return Dataset("mnist", x[:n_train], y[:n_train], x[n_train:], y[n_train:])


@pytest.fixture
def dataset() -> Dataset:
    return make_dataset()


@pytest.fixture
def bnn():
    torch.manual_seed(0)
    return models.bayesian_mlp(hidden=(32, 16))


@pytest.fixture
def net():
    torch.manual_seed(0)
    return models.mlp(hidden=(32, 16), dropout=0.5)


class TinyPreset:
    """The registered preset 'tiny' (read-only like every preset); :meth:`change` registers a
    changed copy under the same name, as a user editing a preset between runs would."""

    def __init__(self, monkeypatch):
        quick = presets.QUICK
        small = {name: {**presets.thaw(entry),
                        "model": {**presets.thaw(entry["model"]), "hidden": [32, 16]}}
                 for name, entry in {**quick.methods, **quick.ablations}.items()}
        tiny = quick.replace(
            name="tiny", methods={m: small[m] for m in quick.methods},
            ablations={m: small[m] for m in quick.ablations}, subset=None,
            evaluation={"amounts": [0.0, 0.5, 0.9], "mc_samples": 2},
            uncertainty={**quick.uncertainty, "amounts": [0.0, 0.5, 0.9]},
            compression={"min_time": 0.001})
        self._monkeypatch = monkeypatch
        monkeypatch.setitem(presets.PRESETS, "tiny", tiny)

    @property
    def spec(self) -> presets.Preset:
        return presets.PRESETS["tiny"]

    def change(self, **changes) -> None:
        self._monkeypatch.setitem(presets.PRESETS, "tiny", self.spec.replace(**changes))


@pytest.fixture
def tiny_preset(monkeypatch, dataset):
    """Registers preset 'tiny' (small nets, 2 epochs, short sweep) and serves synthetic data."""
    tiny = TinyPreset(monkeypatch)
    monkeypatch.setattr("bnntut.data.load", lambda name, **kw: dataset)
    return tiny


@pytest.fixture
def retrain_in_place():
    """A function that swaps a stored model's weights for others under the same training
    configuration and records them in its result (as a retraining does), for staleness tests
    of derived results."""
    from bnntut import experiment, store

    def replace(results, method, preset="tiny", dataset="mnist"):
        path = results / preset / dataset / f"{method}.weights.pt"
        model = experiment.load_weights(path)
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(0.5)
        experiment.save_weights(path, model)
        result_file = path.with_name(f"{method}.json")
        result = store.read_json(result_file)
        result["weights_sha256"] = store.file_sha256(path)
        store.write_json(result_file, result)

    return replace


@pytest.fixture
def book_style():
    """The book's matplotlib style for one test; every figure is closed afterwards."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bnnbook import plots

    with plt.rc_context():
        plots.use_style()
        yield
    plt.close("all")
