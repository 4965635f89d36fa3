import copy
import math

import pytest
import torch
from torch import nn

from bnntut import bayes, models


def test_mlp_follows_the_study_placement():
    net = models.mlp(dropout=0.9)
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Dropout", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert [(lin.in_features, lin.out_features) for lin in net.linears] == [
        (784, 500), (500, 500), (500, 10)]
    assert all(m.p == 0.9 for m in net if isinstance(m, nn.Dropout))
    assert type(models.mlp(input_dropout=False)[0]) is nn.Linear


def test_bad_hyperparameters_raise():
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        models.mlp(dropout=1.0)
    with pytest.raises(ValueError, match="prior_pi"):
        models.bayesian_mlp(prior_pi=1.5)
    with pytest.raises(ValueError, match="allowed: mlp, bayesian"):
        models.build({"kind": "cnn"})


def test_bayesian_init_and_prior_are_the_studys():
    torch.manual_seed(0)
    bnn = models.bayesian_mlp()
    for layer in bnn.layers:
        assert layer.prior_pi == 0.5 and layer.prior_sigma_1 == 1.0
        assert layer.prior_sigma_2 == pytest.approx(math.exp(-6))
        mu, rho, b_mu, b_rho = bayes.variational_tensors(layer)
        assert -0.2 <= mu.min() and mu.max() <= 0.2 and -0.2 <= b_mu.min() <= b_mu.max() <= 0.2
        assert -5 <= rho.min() and rho.max() <= -4 and -5 <= b_rho.min() <= b_rho.max() <= -4
        # blitz keeps two Parameter objects over one storage; our init keeps them tied
        assert layer.weight_mu is not layer.weight_sampler.mu
        assert layer.weight_mu.data_ptr() == layer.weight_sampler.mu.data_ptr()


def test_clone_is_independent_and_keeps_blitz_aliases_tied(bnn):
    copy_ = models.clone(bnn)
    for a, b in zip(bnn.layers, copy_.layers):
        assert torch.equal(a.weight_sampler.mu, b.weight_sampler.mu)
        assert b.weight_mu.data_ptr() == b.weight_sampler.mu.data_ptr()
        assert b.weight_mu.data_ptr() != a.weight_mu.data_ptr()
    with torch.no_grad():
        copy_.layers[0].weight_sampler.mu.zero_()
    assert bnn.layers[0].weight_sampler.mu.abs().sum() > 0


def test_blitz_trap_deepcopy_unties_and_fails_after_forward(bnn):
    """Why clone() exists: deepcopy decouples weight_mu from weight_sampler.mu."""
    dup = copy.deepcopy(bnn)
    layer = dup.layers[0]
    assert layer.weight_mu.data_ptr() != layer.weight_sampler.mu.data_ptr()
    bnn.train()(torch.rand(2, 784))
    with pytest.raises(RuntimeError):
        copy.deepcopy(bnn)


def test_blitz_internals_are_read_through_the_models_accessors(bnn, net):
    """``models.variational_tensors`` names the sampler's tensors (what a sampled forward reads
    and pruning changes), ``models.posterior_means`` what inference multiplies."""
    for layer, (w, b) in zip(bnn.layers, models.posterior_means(bnn)):
        mu, rho, b_mu, b_rho = models.variational_tensors(layer)
        assert (mu, rho) == (layer.weight_sampler.mu, layer.weight_sampler.rho)
        assert (b_mu, b_rho) == (layer.bias_sampler.mu, layer.bias_sampler.rho)
        assert w is mu and b is b_mu
    assert bayes.variational_tensors is models.variational_tensors
    x = torch.rand(3, 784)
    h = x
    for k, (w, b) in enumerate(models.posterior_means(bnn)):
        h = torch.nn.functional.linear(h, w, b)
        h = torch.relu(h) if k < len(bnn.layers) - 1 else h
    assert torch.equal(bnn.eval()(x), h)
    assert [w for w, _ in models.posterior_means(net)] == [m.weight for m in net.linears]


def test_compact_state_dict_round_trip(bnn):
    state = models.compact_state_dict(bnn)
    assert not any("_sampler." in k for k in state)
    assert sum(v.numel() for v in state.values()) == sum(
        t.numel() for t in bayes.variational_parameters(bnn))
    fresh = models.build(bnn.spec)
    models.load_compact_state_dict(fresh, state)
    x = torch.rand(5, 784)
    assert torch.equal(fresh.eval()(x), bnn.eval()(x))
    assert fresh.layers[0].weight_mu.data_ptr() == fresh.layers[0].weight_sampler.mu.data_ptr()


def test_accuracy_refuses_inputs_it_would_score_wrongly(net):
    from bnntut import evaluate

    x, y = torch.rand(20, 784), torch.randint(0, 10, (20,))
    with pytest.raises(ValueError, match=r"y must be an integer tensor of shape \(n,\)"):
        evaluate.accuracy(net, x, y[:, None])
    with pytest.raises(ValueError, match="y must be an integer"):
        evaluate.accuracy(net, x, y.float())
    with pytest.raises(ValueError, match="20 rows but y has 19"):
        evaluate.accuracy(net, x, y[:19])
    x[3, 5] = float("nan")
    with pytest.raises(ValueError, match="1 NaN or infinite"):
        evaluate.accuracy(net, x, y)
    with pytest.raises(ValueError, match=r"x must be a float tensor of shape \(n, features\)"):
        evaluate.predict_proba(net, torch.zeros(784))


def test_every_bbb_variant_is_bayesian_everywhere():
    from bnnbook import uncertainty_views
    from bnntut import methods, presets, uncertainty

    for name in presets.PAPER.all_methods:
        assert name in methods.REGISTRY
    for name in ("bbb", "bbb-kl-blundell", "bbb-kl-uniform"):
        assert uncertainty.config_for("mnist", name)["criterion"] == "snr"
        assert uncertainty_views.mode_label(name, "mc", 10) == "10-sample predictive"
        assert uncertainty.modes_for(name) == {"deterministic": 0, "mc": 10}
    assert uncertainty.modes_for("sgd") == {"deterministic": 0}
    # one colour per method; the grid points of an equal-budget family share the family's,
    # the points of Blundell et al.'s search space one colour of their own
    grid = {m for points in presets.BUDGET.selection["families"].values() for m in points}
    search = set(presets.BLUNDELL_GRID.methods)
    colors = [m.color for m in methods.REGISTRY.values() if m.name not in grid | search]
    colors += [color for _, color in methods.BUDGET_FAMILIES.values()]
    colors.append(methods.BLUNDELL_GRID_COLOR)
    assert len(set(colors)) == len(colors)
    assert {methods.get(m).color for m in search} == {methods.BLUNDELL_GRID_COLOR}
    for family, (_, color) in methods.BUDGET_FAMILIES.items():
        assert {methods.get(m).color for m in presets.BUDGET.selection["families"][family]} \
            == {color}
    with pytest.raises(ValueError, match="allowed: sgd, dropout50"):
        methods.get("svm")
