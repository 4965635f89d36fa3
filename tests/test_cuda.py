"""GPU checks: CUDA-graph training equals eager training (one model, and K models as one
batch), resume on CUDA, masks on CUDA.

Skipped without a GPU (CI has none); run on a GPU machine with ``pytest tests/test_cuda.py``.
"""

import pytest
import torch
from conftest import make_dataset
from test_train import Interrupt, _params

from bnntut import batched, finetune, models, prune, train
from bnntut.cudagraphs import CUDA_GRAPHS_ENV

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

# 600 training examples in minibatches of 50: 12 steps per epoch; with the paper weighting
# steps 0-11 all carry the complexity cost, so both graph variants are exercised by using
# the "blundell" weighting too (it underflows from step ~149 only), and a short last batch
# (n_train 610) exercises the eager fallback.
N_TRAIN = 610


def _build(kind):
    torch.manual_seed(0)
    if kind == "net":
        return models.mlp(hidden=(64, 32), dropout=0.5)
    return models.bayesian_mlp(hidden=(64, 32))


def _train(kind, graphs, monkeypatch, epochs=3, **kw):
    monkeypatch.setenv(CUDA_GRAPHS_ENV, "1" if graphs else "0")
    data = make_dataset(N_TRAIN, 200).to("cuda")
    model = _build(kind)
    history = train.fit(model, data, epochs=epochs, batch_size=50, lr=1e-3, progress=False,
                        **kw)
    return model, history


@pytest.mark.parametrize("kind", ["net", "bnn"])
def test_graphed_training_matches_eager(kind, monkeypatch):
    eager, eager_history = _train(kind, False, monkeypatch)
    graphed, graphed_history = _train(kind, True, monkeypatch)
    for a, b in zip(_params(eager), _params(graphed)):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    for a, b in zip(eager_history, graphed_history):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-4)
        assert a["test_accuracy"] == pytest.approx(b["test_accuracy"], abs=1e-3)


@pytest.mark.parametrize("weighting", ["blundell", "uniform"])
def test_graphed_plain_sgd_matches_eager(weighting, monkeypatch):
    """The blundell preset's step: plain SGD (stateless, so nothing but the update is
    captured), a short last minibatch, and a complexity weight that changes every minibatch
    (``blundell``, the preset's grid) or the same in every step (``uniform``, its ablation
    ``bbb-sgd-lr1e-3-kl-uniform-sigma1-e-2``)."""
    kw = {"optimizer": "sgd", "kl_weighting": weighting}
    eager, eager_history = _train("bnn", False, monkeypatch, **kw)
    graphed, graphed_history = _train("bnn", True, monkeypatch, **kw)
    for a, b in zip(_params(eager), _params(graphed)):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    for a, b in zip(eager_history, graphed_history):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-4)


def test_graphed_training_draws_fresh_noise_every_step(monkeypatch):
    """A replayed graph must not reuse one noise draw: the losses of two epochs differ and
    the BBB weights keep moving."""
    model, history = _train("bnn", True, monkeypatch, epochs=2)
    assert history[0]["loss"] != history[1]["loss"]


@pytest.mark.parametrize("kind", ["net", "bnn"])
def test_resume_on_cuda(kind, monkeypatch, tmp_path):
    straight, expected = _train(kind, True, monkeypatch, epochs=2)
    ckpt = tmp_path / "run.pt"

    def stop(record):
        raise Interrupt

    with pytest.raises(Interrupt):
        _train(kind, True, monkeypatch, epochs=2, checkpoint_path=ckpt, checkpoint_key="k",
               on_epoch_end=stop)
    resumed, history = _train(kind, True, monkeypatch, epochs=2, checkpoint_path=ckpt,
                              checkpoint_key="k")
    assert [h["loss"] for h in history] == pytest.approx([h["loss"] for h in expected],
                                                         rel=1e-5)


@pytest.mark.parametrize("kind", ["net", "bnn"])
def test_fine_tuning_on_cuda_keeps_the_mask(kind, monkeypatch):
    monkeypatch.setenv(CUDA_GRAPHS_ENV, "1")
    data = make_dataset(N_TRAIN, 200).to("cuda")
    model = _build(kind).to("cuda")
    criterion = "snr" if kind == "bnn" else "l1"
    pruned = prune.get_criterion(criterion)(model, 0.8)
    tuned, _ = finetune.fine_tune(pruned, data, epochs=2, lr=1e-3, batch_size=50,
                                  progress=False)
    assert torch.equal(prune.removed_mask(tuned), prune.removed_mask(pruned))
    removed = prune.removed_mask(tuned)
    assert int(removed.sum()) == round(0.8 * removed.numel())


#: Three members of one batch with their own settings (learning rate, prior, weighting,
#: dropout rate, penalty).  BBB trains in minibatches of 4 (153 per epoch, the last of 2), so
#: that the "blundell" weighting underflows from minibatch 149 and the "paper" one from 151:
#: three graph variants (which models pay their complexity cost) are captured and replayed.
_MEMBERS = {"net": [({"dropout": 0.0}, {"lr": 1e-3, "seed": 0}),
                    ({"dropout": 0.5}, {"lr": 3e-4, "seed": 1, "l1_penalty": 1e-4}),
                    ({"dropout": 0.1}, {"lr": 1e-3, "seed": 2})],
            "bnn": [({}, {"lr": 1e-3, "seed": 0, "kl_weighting": "paper"}),
                    ({"prior_sigma1": 0.135}, {"lr": 3e-4, "seed": 4,
                                               "kl_weighting": "uniform"}),
                    ({"prior_pi": 0.25}, {"lr": 1e-3, "seed": 7, "kl_weighting": "blundell",
                                          "loss_reduction": "mean"})]}


def _train_batch(kind, graphs, monkeypatch, optimizer="adam"):
    monkeypatch.setenv(CUDA_GRAPHS_ENV, "1" if graphs else "0")
    data = make_dataset(N_TRAIN, 200).to("cuda")
    members = []
    for spec, fit_args in _MEMBERS[kind]:
        torch.manual_seed(fit_args["seed"])
        model = (models.mlp(hidden=(64, 32), **spec) if kind == "net"
                 else models.bayesian_mlp(hidden=(64, 32), **spec)).to("cuda")
        members.append(batched.Member(model, **fit_args))
    histories = batched.fit_many(members, data, epochs=3, batch_size=50 if kind == "net" else 4,
                                 optimizer=optimizer, progress=False)
    return [m.model for m in members], histories


@pytest.mark.parametrize(("kind", "optimizer"), [("net", "adam"), ("bnn", "adam"),
                                                 ("bnn", "sgd")])
def test_graphed_batched_training_matches_eager_batched(kind, optimizer, monkeypatch):
    """K = 3 models as one batch: the step replayed as CUDA graphs (full minibatches; the
    short last one eager) ends where the eager batched step ends."""
    eager, eager_histories = _train_batch(kind, False, monkeypatch, optimizer)
    graphed, graphed_histories = _train_batch(kind, True, monkeypatch, optimizer)
    for model_eager, model_graphed in zip(eager, graphed):
        for a, b in zip(_params(model_eager), _params(model_graphed)):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    for history_eager, history_graphed in zip(eager_histories, graphed_histories):
        for a, b in zip(history_eager, history_graphed):
            assert a["loss"] == pytest.approx(b["loss"], rel=1e-4)
            assert a["test_accuracy"] == pytest.approx(b["test_accuracy"], abs=1e-3)
