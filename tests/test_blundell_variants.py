"""Blundell et al.'s protocol read again: the averaged minibatch objective and the
deterministic calibration runs at their scale."""

from __future__ import annotations

import pytest
import torch

from bnntut import bayes, methods, models, presets, train
from bnntut.noise import NoiseSource


def _one_step(bnn, reduction: str, data):
    """Parameters after one plain-SGD step on the first 20 examples, and the step's record."""
    bnn = models.clone(bnn)
    optimizer = torch.optim.SGD(bayes.variational_parameters(bnn), lr=1e-2)
    record = train.step(bnn, optimizer, data.x_train[:20], data.y_train[:20], 0.5,
                        noise=NoiseSource(3), loss_reduction=reduction)
    return [p.detach().clone() for p in bayes.variational_parameters(bnn)], record


def test_mean_reduction_divides_the_objective_and_its_gradient_by_the_batch(bnn, dataset):
    before = [p.detach().clone() for p in bayes.variational_parameters(bnn)]
    summed, sum_record = _one_step(bnn, "sum", dataset)
    averaged, mean_record = _one_step(bnn, "mean", dataset)
    assert torch.allclose(mean_record[0] * 20, sum_record[0], rtol=1e-5)
    assert torch.allclose(mean_record[2] * 20, sum_record[2], rtol=1e-5)
    for b, s, m in zip(before, summed, averaged):
        assert torch.allclose((s - b), 20 * (m - b), rtol=1e-4, atol=1e-5)


def test_mean_reduction_is_refused_where_it_means_nothing(net, dataset):
    with pytest.raises(ValueError, match="already the minibatch mean"):
        train.fit(net, dataset, epochs=1, progress=False, loss_reduction="mean")
    with pytest.raises(ValueError, match="allowed: sum, mean"):
        train.fit(models.bayesian_mlp(hidden=(8,)), dataset, epochs=1, progress=False,
                  loss_reduction="average")


def test_blundell_preset_names_the_averaged_grid_and_the_calibration_runs():
    spec = presets.BLUNDELL
    for lr in presets.BLUNDELL_LEARNING_RATES:
        name = f"{presets.blundell_method(lr)}-mean"
        config = presets.method_config("blundell", "mnist", name)
        assert config["train"]["loss_reduction"] == "mean"
        assert config["train"]["kl_weighting"] == "blundell"
        assert config["model"]["hidden"] == [1200, 1200] and methods.get(name).bayesian
    for name in ("plain", "dropout50"):
        for lr in presets.CALIBRATION_LEARNING_RATES:
            method = f"{name}-sgd-lr{presets.lr_label(lr)}"
            config = presets.method_config("blundell", "mnist", method)
            assert config["model"]["hidden"] == [1200, 1200]
            assert config["model"]["dropout"] == (0.5 if name == "dropout50" else 0.0)
            assert config["train"]["optimizer"] == "sgd" and config["train"]["epochs"] == 600
            assert not methods.get(method).bayesian
    # the committed grid's hashes are untouched: their methods are unchanged
    assert "loss_reduction" not in presets.method_config(
        "blundell", "mnist", presets.blundell_method(1e-3))["train"]
    assert set(spec.selection["families"]["bbb"]) == {presets.blundell_method(lr)
                                                      for lr in presets.BLUNDELL_LEARNING_RATES}
