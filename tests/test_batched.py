"""Many models as one computation: each model ends where it would have ended alone."""

from __future__ import annotations

import math

import pytest
import torch

from bnntut import batched, bayes, experiment, models, train


def _pairs(model):
    """The trainable tensors (blitz's sampler buffers hold scratch noise, not state)."""
    tensors = (bayes.variational_parameters(model) if models.is_bayesian(model)
               else model.parameters())
    return [p.detach().clone() for p in tensors]


def _build(kind: str, seed: int, **spec):
    torch.manual_seed(seed)
    if kind == "mlp":
        return models.mlp(hidden=(32, 16), **spec)
    return models.bayesian_mlp(hidden=(32, 16), **spec)


def _alone_and_together(kind, settings, data, optimizer="adam", epochs=2):
    alone, members = [], []
    for spec, fit_args in settings:
        model = _build(kind, fit_args.get("seed", 0), **spec)
        train.fit(model, data, epochs=epochs, optimizer=optimizer, progress=False, **fit_args)
        alone.append(model)
        twin = _build(kind, fit_args.get("seed", 0), **spec)
        members.append(batched.Member(twin, **fit_args))
    histories = batched.fit_many(members, data, epochs=epochs, optimizer=optimizer,
                                 progress=False)
    return alone, [m.model for m in members], histories


def _assert_same(alone, together, atol):
    for a, b in zip(alone, together):
        for x, y in zip(_pairs(a), _pairs(b)):
            assert torch.allclose(x, y, atol=atol, rtol=1e-4), (x - y).abs().max()


def test_three_deterministic_nets_with_their_own_settings(dataset):
    prior = {"prior_pi": 0.5, "prior_sigma1": math.exp(-1), "prior_sigma2": math.exp(-6)}
    settings = [({"dropout": 0.0}, {"lr": 1e-3, "seed": 0}),
                ({"dropout": 0.5}, {"lr": 3e-4, "seed": 1, "l1_penalty": 1e-4}),
                ({"dropout": 0.1}, {"lr": 1e-3, "seed": 2, "map_prior": prior})]
    alone, together, histories = _alone_and_together("mlp", settings, dataset)
    _assert_same(alone, together, atol=1e-6)
    for model, history in zip(alone, histories):
        assert len(history) == 2
        assert history[-1]["test_accuracy"] == pytest.approx(
            train.evaluate.accuracy(model, dataset.x_test, dataset.y_test), abs=0.02)


def test_three_bayesian_nets_with_their_own_prior_weighting_and_rate(dataset):
    settings = [({}, {"lr": 1e-3, "seed": 0, "kl_weighting": "paper"}),
                ({"prior_sigma1": math.exp(-2)}, {"lr": 3e-4, "seed": 4,
                                                  "kl_weighting": "uniform"}),
                ({"prior_pi": 0.25}, {"lr": 1e-3, "seed": 7, "kl_weighting": "blundell",
                                      "loss_reduction": "mean"})]
    alone, together, _ = _alone_and_together("bayesian", settings, dataset)
    _assert_same(alone, together, atol=1e-6)


def test_plain_sgd_batch(dataset):
    settings = [({}, {"lr": 1e-3, "seed": 0}), ({}, {"lr": 1e-4, "seed": 1})]
    alone, together, _ = _alone_and_together("bayesian", settings, dataset, optimizer="sgd",
                                             epochs=1)
    _assert_same(alone, together, atol=1e-6)


def test_a_batch_resumes_from_its_checkpoint(dataset, tmp_path):
    def members():
        return [batched.Member(_build("mlp", s, dropout=0.3), lr=1e-3, seed=s) for s in (0, 1)]

    whole = members()
    batched.fit_many(whole, dataset, epochs=3, progress=False)
    parts = members()
    path = tmp_path / "batch.pt"
    batched.fit_many(parts, dataset, epochs=1, progress=False, checkpoint_path=path,
                     checkpoint_key="k")
    resumed = members()
    histories = batched.fit_many(resumed, dataset, epochs=3, progress=False,
                                 checkpoint_path=path, checkpoint_key="k")
    assert [h["epoch"] for h in histories[0]] == [1, 2, 3]
    _assert_same([m.model for m in whole], [m.model for m in resumed], atol=0)


def test_models_of_different_shapes_are_refused(dataset):
    torch.manual_seed(0)
    members = [batched.Member(models.mlp(hidden=(8,)), lr=1e-3),
               batched.Member(models.mlp(hidden=(9,)), lr=1e-3)]
    with pytest.raises(ValueError, match="share kind and layer shapes"):
        batched.fit_many(members, dataset, epochs=1, progress=False)
    with pytest.raises(ValueError, match="at least one"):
        batched.fit_many([], dataset, epochs=1, progress=False)


def _body(result: dict) -> dict:
    """What two honest runs of one configuration share (not times, dates or batch size)."""
    return {"config_hash": result["config_hash"], "config": result["config"],
            "history": [{k: v for k, v in h.items() if k != "seconds"}
                        for h in result["history"]],
            "prune": result["prune"]}


def test_run_many_stores_each_batched_model_as_if_it_trained_alone(tiny_preset, tmp_path):
    tasks = [{"dataset": "mnist", "method": m, "seed": s}
             for m, s in (("sgd", 0), ("dropout50", 0), ("dropout75", 1))]
    together = experiment.run_many(tasks, "tiny", device="cpu", results=tmp_path / "b",
                                   batched_training=True, progress=False)
    alone = experiment.run_many(tasks, "tiny", device="cpu", results=tmp_path / "a",
                                batched_training=False, progress=False)
    for t, a in zip(together, alone):
        assert _body(t) == _body(a)
        assert t["metadata"]["batched_with"] == 3 and "batched_with" not in a["metadata"]
    names = sorted(p.name for p in (tmp_path / "b" / "tiny" / "mnist").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "a" / "tiny" / "mnist").iterdir())
    # the batch's checkpoint is gone once its results are stored
    assert not list((tmp_path / "checkpoints").rglob("batch-*.pt"))


def test_runs_of_different_shapes_are_not_one_batch(tiny_preset, tmp_path):
    runs = [experiment.Run.of("mnist", m, "tiny", results=tmp_path) for m in ("sgd", "bbb")]
    with pytest.raises(ValueError, match="must share"):
        experiment.train_and_evaluate_batch(runs, device="cpu", progress=False)


_MIXED = {"mlp": [({"dropout": 0.0}, {"lr": 1e-3, "seed": 0}),
                  ({"dropout": 0.5}, {"lr": 3e-4, "seed": 1, "l1_penalty": 1e-4}),
                  ({"dropout": 0.1}, {"lr": 1e-3, "seed": 2, "map_prior": {
                      "prior_pi": 0.5, "prior_sigma1": math.exp(-1),
                      "prior_sigma2": math.exp(-6)}})],
          "bayesian": [({}, {"lr": 1e-3, "seed": 0, "kl_weighting": "paper"}),
                       ({"prior_sigma1": math.exp(-2)}, {"lr": 3e-4, "seed": 4,
                                                         "kl_weighting": "uniform"}),
                       ({"prior_pi": 0.25}, {"lr": 1e-3, "seed": 7, "kl_weighting": "blundell",
                                             "loss_reduction": "mean"})]}


@pytest.mark.parametrize("kind", ["mlp", "bayesian"])
def test_on_the_cpu_each_model_takes_its_own_steps_bit_for_bit(kind, dataset):
    """On the CPU the batched step runs each model's products on its slices with its own
    fused optimiser: the arithmetic of ``train.fit``, so the parameters are equal exactly."""
    alone, together, _ = _alone_and_together(kind, _MIXED[kind], dataset)
    for a, b in zip(alone, together):
        assert all(torch.equal(x, y) for x, y in zip(_pairs(a), _pairs(b)))


@pytest.mark.parametrize(("kind", "optimizer"), [("mlp", "adam"), ("bayesian", "adam"),
                                                 ("bayesian", "sgd")])
def test_batched_products_match_the_per_model_path(kind, optimizer, dataset, monkeypatch):
    """The CUDA formulation (one batched product per layer), run on the CPU."""
    monkeypatch.setattr(batched, "stacked_products", lambda device: True)
    epochs = 1 if optimizer == "sgd" else 2
    alone, together, _ = _alone_and_together(kind, _MIXED[kind], dataset, optimizer=optimizer,
                                             epochs=epochs)
    _assert_same(alone, together, atol=1e-6)


class _EagerGraph:
    """Stands in for :class:`bnntut.cudagraphs.GraphedStep` on the CPU: runs the step and
    records the variants it was asked to replay."""

    calls: list = []

    def __init__(self, step, generators=(), warmup=2):
        self.step = step

    def __call__(self, variant):
        _EagerGraph.calls.append(variant)
        self.step(variant)


@pytest.mark.parametrize("kind", ["mlp", "bayesian"])
def test_the_graphed_steps_read_their_inputs_from_fixed_memory(kind, dataset, monkeypatch):
    """The graph path's inputs logic, on the CPU: every full minibatch runs from the fixed
    buffers (with the right variant: which models pay their complexity cost), a short last
    one runs on its own tensors, and the models end exactly where the eager path ends."""
    from bnntut import cudagraphs

    def fit(graphed):
        monkeypatch.setattr(batched, "graphs_wanted", lambda device: graphed)
        members = [batched.Member(_build(kind, fit_args["seed"], **spec), **fit_args)
                   for spec, fit_args in _MIXED[kind]]
        histories = batched.fit_many(members, dataset, epochs=2, batch_size=64,
                                     progress=False)
        return [m.model for m in members], histories

    monkeypatch.setattr(cudagraphs, "GraphedStep", _EagerGraph)
    _EagerGraph.calls = []
    eager, eager_histories = fit(False)
    graphed, graphed_histories = fit(True)
    # 200 images in minibatches of 64: three full ones per epoch, then one of 8 (eager)
    assert len(_EagerGraph.calls) == 2 * 3
    if kind == "bayesian":   # the paper weighting 2^(1-i) never underflows in 4 minibatches
        assert set(_EagerGraph.calls) == {(True, True, True)}
    for a, b in zip(eager, graphed):
        assert all(torch.equal(x, y) for x, y in zip(_pairs(a), _pairs(b)))
    assert [[h["loss"] for h in hs] for hs in eager_histories] == \
        [[h["loss"] for h in hs] for hs in graphed_histories]
