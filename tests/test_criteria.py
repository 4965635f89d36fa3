import pytest
import torch

from bnntut import criteria, prune


@pytest.mark.parametrize("amount", [0.0, 0.3, 0.9])
@pytest.mark.parametrize("include_bias", [True, False])
def test_random_prunes_the_exact_fraction(bnn, net, amount, include_bias):
    for model in (bnn, net):
        removed = prune.removed_mask(prune.random(model, amount, include_bias=include_bias),
                                     include_bias)
        assert int(removed.sum()) == round(amount * removed.numel())


def test_random_is_seeded_and_nested(net, bnn):
    for model in (net, bnn):
        torch.manual_seed(123)
        a = prune.removed_mask(prune.random(model, 0.5, seed=1))
        assert torch.equal(a, prune.removed_mask(prune.random(model, 0.5, seed=1)))
        assert not torch.equal(a, prune.removed_mask(prune.random(model, 0.5, seed=2)))
        b = prune.removed_mask(prune.random(model, 0.8, seed=1))
        assert (b[a]).all()     # the 50 % set is inside the 80 % set


def test_l1_per_layer_prunes_each_tensor_by_the_same_fraction(net):
    pruned = prune.l1_per_layer(net, 0.6)
    for linear in pruned.linears:
        for t in (linear.weight, linear.bias):
            assert (t == 0).sum().item() == round(0.6 * t.numel())
    weights_only = prune.l1_per_layer(net, 0.6, include_bias=False)
    assert all((lin.bias != 0).all() for lin in weights_only.linears)


def test_l1_per_layer_differs_from_global(net):
    assert not torch.equal(prune.removed_mask(prune.l1_per_layer(net, 0.7)),
                           prune.removed_mask(prune.l1(net, 0.7)))


def test_l1_per_layer_rejects_bayesian(bnn):
    with pytest.raises(ValueError, match="deterministic"):
        prune.l1_per_layer(bnn, 0.5)


def test_weights_only_ranking_keeps_every_bias(bnn):
    for name in ("snr", "l1", "random"):
        pruned = prune.get_criterion(name)(bnn, 0.9, include_bias=False)
        for layer in pruned.layers:
            assert (layer.bias_sampler.mu != 0).all()


def test_compare_covers_each_family(bnn, net, dataset):
    amounts = (0.0, 0.5, 0.9)
    for model, family in ((bnn, "bayesian"), (net, "deterministic")):
        result = criteria.compare(model, dataset.x_test, dataset.y_test, amounts, mc_samples=2)
        assert result["family"] == family
        assert set(result["sweeps"]) == set(criteria.BIAS_MODES)
        for sweeps in result["sweeps"].values():
            assert tuple(sweeps) == criteria.FAMILY_CRITERIA[family]
            for sweep in sweeps.values():
                assert sweep["amounts"] == list(amounts)
                assert ("accuracy_mc" in sweep) == (family == "bayesian")
                assert sweep["sparsity"][1] == pytest.approx(0.5, abs=0.01)
        # Same accuracy for every criterion when nothing is removed.
        first = [s["accuracy"][0] for s in result["sweeps"]["with_bias"].values()]
        assert len(set(first)) == 1


def test_run_writes_a_derived_result(tiny_preset, tmp_path):
    result = criteria.run("mnist", "bbb", "tiny", device="cpu", results=tmp_path)
    assert (tmp_path / "tiny" / "mnist" / "bbb.criteria.json").exists()
    assert result["config"]["training"]["method"] == "bbb"
    assert criteria.run("mnist", "bbb", "tiny", device="cpu", results=tmp_path) == result
