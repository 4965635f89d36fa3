import math

import pytest
import torch

from bnntut import bayes, evaluate, models, train
from bnntut.data import Dataset
from bnntut.train import NonFiniteLossError

KEYS = {"epoch", "loss", "train_nll", "complexity", "test_accuracy", "seconds"}


def _fit(model, dataset, **kw):
    kw.setdefault("epochs", 2)
    kw.setdefault("batch_size", 50)
    kw.setdefault("lr", 1e-3)
    return train.fit(model, dataset, progress=False, **kw)


def _params(model):
    if models.is_bayesian(model):
        return [t.detach().clone() for t in bayes.variational_parameters(model)]
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("kind", ["net", "bnn"])
def test_history_and_learning(kind, dataset, request):
    model = request.getfixturevalue(kind)
    history = _fit(model, dataset, epochs=4)
    assert [h["epoch"] for h in history] == [1, 2, 3, 4]
    assert all(set(h) == KEYS for h in history)
    assert history[-1]["train_nll"] < history[0]["train_nll"]
    if kind == "bnn":
        assert history[0]["complexity"] > 0     # the KL weighting 2^(1-i) acts early
    else:
        assert history[0]["complexity"] == 0
    assert not model.training


@pytest.mark.parametrize("kind", ["net", "bnn"])
def test_deterministic_on_cpu(kind, dataset):
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = models.mlp(hidden=(32, 16), dropout=0.5) if kind == "net" else \
            models.bayesian_mlp(hidden=(32, 16))
        history = _fit(model, dataset)
        runs.append((_params(model), [h["loss"] for h in history]))
    assert runs[0][1] == runs[1][1]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][0], runs[1][0]))


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("kind", ["net", "bnn"])
def test_resume_after_interruption_is_bit_identical(kind, dataset, tmp_path):
    def build():
        torch.manual_seed(0)
        return models.mlp(hidden=(32, 16), dropout=0.5) if kind == "net" else \
            models.bayesian_mlp(hidden=(32, 16))

    straight = build()
    expected = _fit(straight, dataset, epochs=3)

    ckpt = tmp_path / "run.pt"

    def stop_after_first(record):
        if record["epoch"] == 1:
            raise Interrupt

    interrupted = build()
    with pytest.raises(Interrupt):
        _fit(interrupted, dataset, epochs=3, checkpoint_path=ckpt, checkpoint_key="k",
             on_epoch_end=stop_after_first)
    assert ckpt.exists()
    torch.randn(100)   # disturb the global RNG: the checkpoint must restore it
    resumed = build()
    history = _fit(resumed, dataset, epochs=3, checkpoint_path=ckpt, checkpoint_key="k")
    assert [h["loss"] for h in history] == [h["loss"] for h in expected]
    assert all(torch.equal(a, b) for a, b in zip(_params(resumed), _params(straight)))


def test_checkpoint_with_other_key_is_not_resumed(net, dataset, tmp_path):
    ckpt = tmp_path / "run.pt"
    _fit(net, dataset, epochs=1, checkpoint_path=ckpt, checkpoint_key="a")
    torch.manual_seed(0)
    fresh = models.mlp(hidden=(32, 16), dropout=0.5)
    history = _fit(fresh, dataset, epochs=1, checkpoint_path=ckpt, checkpoint_key="b")
    assert len(history) == 1 and history[0]["epoch"] == 1


def test_non_finite_loss_raises(net, dataset):
    with torch.no_grad():
        net.linears[0].weight.fill_(math.nan)
    with pytest.raises(NonFiniteLossError, match="epoch 1"):
        _fit(net, dataset, epochs=1)


def test_bad_arguments(net, dataset):
    with pytest.raises(ValueError):
        _fit(net, dataset, epochs=0)
    with pytest.raises(ValueError, match="paper, blundell, uniform"):
        _fit(net, dataset, kl_weighting="sometimes")


@pytest.mark.parametrize("weighting", ["paper", "blundell", "uniform"])
def test_kl_weightings_train(bnn, dataset, weighting):
    history = _fit(bnn, dataset, epochs=1, kl_weighting=weighting)
    assert math.isfinite(history[0]["loss"]) and history[0]["complexity"] > 0


def test_validation_accuracy_is_recorded_when_the_data_hold_a_validation_set(net):
    from conftest import make_dataset

    base = make_dataset(300, 100)
    held = make_dataset(100, 1, seed=1)
    with_val = Dataset(base.name, base.x_train, base.y_train, base.x_test, base.y_test,
                       held.x_train, held.y_train)
    history = train.fit(net, with_val, epochs=1, progress=False)
    assert history[0]["validation_accuracy"] == evaluate.accuracy(net, held.x_train,
                                                                    held.y_train)
    assert "validation_accuracy" not in train.fit(net, base, epochs=1, progress=False)[0]


def test_l1_penalty_shrinks_a_deterministic_net_and_is_refused_for_bbb(bnn):
    from conftest import make_dataset

    data = make_dataset(300, 100)
    norms = {}
    for penalty in (0.0, 1e-3):
        torch.manual_seed(0)
        net = models.mlp(hidden=(32, 16), dropout=0.0)
        history = train.fit(net, data, epochs=2, lr=1e-3, progress=False, l1_penalty=penalty)
        norms[penalty] = float(train.weight_l1(net).detach())
        # the recorded complexity is the penalty: 0 without one
        assert (history[-1]["complexity"] > 0) == (penalty > 0)
    assert norms[1e-3] < norms[0.0]
    with pytest.raises(ValueError, match="deterministic"):
        train.fit(bnn, data, epochs=1, progress=False, l1_penalty=1e-4)
    with pytest.raises(ValueError, match=">= 0"):
        train.fit(models.mlp(hidden=(8,)), data, epochs=1, progress=False, l1_penalty=-1.0)


def test_weight_l1_counts_weights_not_biases():
    net = models.mlp(hidden=(4,), dropout=0.0)
    for layer in (m for m in net.modules() if isinstance(m, torch.nn.Linear)):
        torch.nn.init.constant_(layer.weight, -0.5)
        torch.nn.init.constant_(layer.bias, 7.0)
    assert float(train.weight_l1(net).detach()) == 0.5 * (784 * 4 + 4 * 10)


def test_describe_names_the_cpu_and_its_threads(monkeypatch):
    import torch

    from bnntut import devices

    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    assert devices.describe(torch.device("cpu")).endswith("(1 thread)")
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    assert devices.describe(torch.device("cpu")).endswith("(2 threads)")
