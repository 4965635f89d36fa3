"""The equal-budget comparison: the MAP penalty under BBB's prior, the grid, the choice on
validation images and the protocol end to end on tiny data."""

from __future__ import annotations

import math

import pytest
import torch

from bnntut import bayes, budget, experiment, methods, models, presets, selection, train


def test_every_family_searches_the_same_number_of_settings():
    grid = presets.BUDGET.selection["families"]
    sizes = {family: len(points) for family, points in grid.items()}
    assert set(sizes) == {"bbb", "map-mixture", "map-laplace"}
    assert len(set(sizes.values())) == 1 and sizes["bbb"] >= 6
    assert sorted(presets.BUDGET.methods) == sorted(m for pts in grid.values() for m in pts)


def test_grid_points_differ_in_one_family_and_share_the_protocol():
    spec = presets.BUDGET
    for family, points in spec.selection["families"].items():
        for name in points:
            config = presets.method_config("budget", "mnist", name)
            assert config["validation"] is True and config["subset"] == [50000, 10000]
            assert config["evaluation"]["include_bias"] is False
            assert config["train"]["epochs"] == 50 and config["train"]["batch_size"] == 100
            assert methods.get(name).bayesian == (family == "bbb")
            if family == "bbb":
                assert config["train"]["kl_weighting"] == "uniform"
            elif family == "map-mixture":
                assert config["train"]["map_prior"]["prior_pi"] == 0.5
            else:
                assert config["train"]["l1_penalty"] in methods.BUDGET_L1
    # the two MAP families use the same network; BBB and MAP-mixture the same priors
    mixture = {presets.method_config("budget", "mnist", m)["train"]["map_prior"]["prior_sigma1"]
               for m in spec.selection["families"]["map-mixture"]}
    bbb = {presets.method_config("budget", "mnist", m)["model"]["prior_sigma1"]
           for m in spec.selection["families"]["bbb"]}
    assert mixture == bbb == set(methods.BUDGET_SIGMA1.values())


def test_map_penalty_is_the_negative_log_prior_of_the_weights_over_n():
    torch.manual_seed(0)
    net = models.mlp(hidden=(6,), dropout=0.0, input_dropout=False)
    prior = {"prior_pi": 0.5, "prior_sigma1": 1.0, "prior_sigma2": math.exp(-6)}
    expected = -sum(bayes.log_mixture_prior(m.weight, 0.5, 1.0, math.exp(-6)).sum()
                    for m in net.modules() if isinstance(m, torch.nn.Linear))
    assert torch.allclose(train.weight_neg_log_prior(net, prior), expected, rtol=1e-5)
    # biases are left out: changing them leaves the penalty as it was
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.Linear):
                m.bias.fill_(3.0)
    assert torch.allclose(train.weight_neg_log_prior(net, prior), expected, rtol=1e-5)


def test_map_prior_pulls_weights_to_zero_and_bad_priors_are_refused(bnn):
    from conftest import make_dataset

    data = make_dataset(300, 100)
    prior = {"prior_pi": 0.5, "prior_sigma1": math.exp(-2), "prior_sigma2": math.exp(-6)}
    small = {}
    for with_prior in (False, True):
        torch.manual_seed(0)
        net = models.mlp(hidden=(32, 16), dropout=0.0)
        history = train.fit(net, data, epochs=3, lr=1e-3, progress=False,
                            map_prior=prior if with_prior else None)
        weights = torch.cat([m.weight.flatten() for m in net.modules()
                             if isinstance(m, torch.nn.Linear)])
        small[with_prior] = float((weights.abs() < 1e-2).float().mean())
        assert (history[-1]["complexity"] != 0) == with_prior
    assert small[True] > small[False]
    with pytest.raises(ValueError, match="deterministic"):
        train.fit(bnn, data, epochs=1, progress=False, map_prior=prior)
    with pytest.raises(ValueError, match="not both"):
        train.fit(models.mlp(hidden=(8,)), data, epochs=1, progress=False, map_prior=prior,
                  l1_penalty=1e-4)
    with pytest.raises(ValueError, match="exactly the keys"):
        train.fit(models.mlp(hidden=(8,)), data, epochs=1, progress=False,
                  map_prior={"prior_pi": 0.5})


def _fake_result(method: str, accuracies: list[float]) -> dict:
    amounts = list(presets.BUDGET.evaluation["amounts"])
    criterion = methods.get(method).criterion
    acc = [0.9] * len(amounts)
    acc[amounts.index(0.95)] = accuracies[0]
    return {"config": {"method": method},
            "prune_validation": {criterion: {"amounts": amounts, "accuracy": acc}}}


def test_choice_reads_validation_at_95_percent_and_breaks_ties_by_grid_order():
    grid = presets.BUDGET.selection["families"]["map-laplace"]
    scores = [0.5, 0.8, 0.8, 0.1, 0.2, 0.3]
    results = {m: _fake_result(m, [s]) for m, s in zip(grid, scores)}
    assert selection.choose(results, "budget", "map-laplace") == grid[1]
    # a better test accuracy elsewhere does not matter: there is none in the result
    del results[grid[0]]
    with pytest.raises(ValueError, match="missing the grid points"):
        selection.choose(results, "budget", "map-laplace")
    with pytest.raises(ValueError, match="no validation sweep"):
        selection.validation_accuracy_at({"config": {"method": grid[0]}}, 0.95)
    with pytest.raises(ValueError, match="not on the sweep grid"):
        selection.validation_accuracy_at(_fake_result(grid[0], [0.5]), 0.93)


def test_budget_protocol_end_to_end_on_tiny_data(tmp_path, monkeypatch):
    """Grid, choice, extra seeds: the chosen setting is the validation argmax and the seeds'
    results are stored under their own names; nothing is trained twice."""
    from conftest import make_dataset

    data = make_dataset(300, 100)
    held = make_dataset(100, 10, seed=1)
    data = type(data)("mnist", data.x_train, data.y_train, data.x_test, data.y_test,
                      held.x_train, held.y_train)
    family = "map-laplace"
    grid = list(presets.BUDGET.selection["families"][family])
    small = {m: {**presets.thaw(presets.BUDGET.methods[m]),
                 "model": {**presets.thaw(presets.BUDGET.methods[m]["model"]),
                           "hidden": [16]},
                 "train": {**presets.thaw(presets.BUDGET.methods[m]["train"]), "epochs": 1}}
             for m in grid}
    # An unregistered preset, passed as the object: nothing may look it up by its name.
    tiny = presets.BUDGET.replace(name="budget-tiny", methods=small, subset=None,
                                  evaluation={"amounts": [0.0, 0.5, 0.95], "mc_samples": 0,
                                              "include_bias": False})
    monkeypatch.setattr(experiment.Run, "load_data", lambda self, device="cpu": data)
    calls = []
    chosen = budget.run(["mnist"], [family], device="cpu", results=tmp_path, progress=False,
                        on_result=lambda r, s: calls.append((r["config"]["method"],
                                                             r["config"]["train"]["seed"])),
                        preset=tiny)
    stored = {m: experiment.run("mnist", m, tiny, results=tmp_path, progress=False)
              for m in grid}
    best = chosen["mnist"][family]
    assert best == selection.choose(stored, tiny, family)
    assert calls == [(m, 0) for m in grid] + [(best, 1), (best, 2)]
    for seed in (1, 2):
        assert (tmp_path / tiny.name / "mnist" / f"{best}-seed{seed}.json").exists()
    assert all(set(r["prune_validation"]) == {"l1"} for r in stored.values())
    # a second call reuses everything: no training at all
    monkeypatch.setattr(experiment, "fit", lambda *a, **k: pytest.fail("retrained"))
    assert budget.run(["mnist"], [family], device="cpu", results=tmp_path,
                      progress=False, preset=tiny) == chosen
    with pytest.raises(ValueError, match="unknown family"):
        budget.run(["mnist"], ["dropout"], results=tmp_path, preset=tiny)
