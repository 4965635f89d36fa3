"""GPU checks: CUDA-graph training equals eager training, resume on CUDA, masks on CUDA.

Skipped without a GPU (CI has none); run on a GPU machine with ``pytest tests/test_cuda.py``.
"""

import pytest
import torch
from conftest import make_dataset
from test_train import Interrupt, _params

from bnntut import finetune, models, prune, train
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
