from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.nn.utils import prune as torch_prune

from bnntut import bayes, evaluate, models, prune, study
from bnntut.noise import NoiseSource


@pytest.mark.parametrize("amount", [0.0, 0.3, 0.5, 0.9, 0.99, 1.0])
@pytest.mark.parametrize("include_bias", [True, False])
def test_l1_prunes_the_exact_fraction(net, amount, include_bias):
    pruned = prune.l1(net, amount, include_bias=include_bias)
    tensors = [lin.weight for lin in pruned.linears]
    if include_bias:
        tensors += [lin.bias for lin in pruned.linears]
    total = sum(t.numel() for t in tensors)
    zeros = sum(int((t == 0).sum()) for t in tensors)
    assert zeros == round(amount * total)
    assert prune.sparsity(pruned, include_bias) == zeros / total
    # permanent: plain parameters, no masks or hooks left behind
    assert all(not torch_prune.is_pruned(lin) for lin in pruned.linears)


def test_l1_removes_the_smallest_magnitudes(net):
    pruned = prune.l1(net, 0.5)
    before = torch.cat([p.flatten() for p in net.parameters()]).abs()
    after = torch.cat([p.flatten() for p in pruned.parameters()])
    kept = before[after != 0]
    removed = before[after == 0]
    assert removed.max() <= kept.min()


@pytest.mark.parametrize("criterion", ["snr", "l1"])
@pytest.mark.parametrize("amount", [0.0, 0.25, 0.5, 0.9, 1.0])
def test_bayesian_pruning_exact_fraction_and_zero_sigma(bnn, criterion, amount):
    pruned = prune.get_criterion(criterion)(bnn, amount)
    pairs = [(mu, rho) for layer in pruned.layers
             for mu, rho in (bayes.variational_tensors(layer)[:2],
                             bayes.variational_tensors(layer)[2:])]
    total = sum(mu.numel() for mu, _ in pairs)
    removed = sum(int(((mu == 0) & (bayes.sigma(rho) == 0)).sum()) for mu, rho in pairs)
    assert removed == round(amount * total)
    assert prune.sparsity(pruned) == removed / total


def test_snr_ranks_by_mu_over_sigma(bnn):
    pruned = prune.snr(bnn, 0.4)
    score = torch.cat([prune.snr_score(mu, rho).flatten() for layer in bnn.layers
                       for mu, rho in (bayes.variational_tensors(layer)[:2],
                                       bayes.variational_tensors(layer)[2:])])
    gone = torch.cat([(mu == 0).flatten() for layer in pruned.layers
                      for mu in bayes.variational_tensors(layer)[0::2]])
    assert score[gone].max() <= score[~gone].min()


def test_pruning_leaves_the_input_untouched(bnn, net):
    before_b = [t.clone() for t in bayes.variational_parameters(bnn)]
    before_n = [p.clone() for p in net.parameters()]
    prune.snr(bnn, 0.9)
    prune.l1(bnn, 0.9)
    prune.l1(net, 0.9)
    assert all(torch.equal(a, b) for a, b in zip(before_b, bayes.variational_parameters(bnn)))
    assert all(torch.equal(a, b) for a, b in zip(before_n, net.parameters()))
    assert not any(torch_prune.is_pruned(lin) for lin in net.linears)


def _record_linear(monkeypatch):
    seen = []
    original = F.linear

    def recording(x, w, b=None):
        seen.append((w.detach().clone(), None if b is None else b.detach().clone()))
        return original(x, w, b)

    monkeypatch.setattr(F, "linear", recording)
    return seen


def test_pruned_weights_are_zero_in_every_blitz_sampled_forward(bnn, monkeypatch):
    pruned = prune.snr(bnn, 0.7).train()
    masks = [(layer.weight_sampler.mu == 0, layer.bias_sampler.mu == 0) for layer in pruned.layers]
    seen = _record_linear(monkeypatch)
    for _ in range(5):
        pruned(torch.rand(3, 784))
    assert len(seen) == 15
    for k, (w, b) in enumerate(seen):
        w_mask, b_mask = masks[k % 3]
        assert w_mask.any() and (w[w_mask] == 0).all() and (w[~w_mask] != 0).all()
        assert (b[b_mask] == 0).all()


def test_pruned_weights_are_zero_in_fast_sampled_forwards(bnn):
    pruned = prune.snr(bnn, 0.7)
    weights, _ = bayes.sample_weights(pruned, bayes.draw_noise(pruned, 4, NoiseSource(0)))
    for (mu, _rho), w in zip([p for layer in pruned.layers
                              for p in (bayes.variational_tensors(layer)[:2],
                                        bayes.variational_tensors(layer)[2:])], weights):
        mask = mu == 0
        assert (w[:, mask] == 0).all()
        assert (w[:, ~mask] != 0).all()


def test_posterior_mean_forward_sees_pruning(bnn, monkeypatch):
    pruned = prune.snr(bnn, 0.5).eval()
    seen = _record_linear(monkeypatch)
    pruned(torch.rand(2, 784))
    for (w, _b), layer in zip(seen, pruned.layers):
        assert torch.equal(w == 0, layer.weight_sampler.mu == 0)


def test_pruning_changes_what_forward_computes(bnn):
    x = torch.rand(50, 784)
    for pruned in (prune.snr(bnn, 0.9), prune.l1(bnn, 0.9)):
        assert not torch.allclose(pruned.eval()(x), bnn.eval()(x))
        assert not torch.allclose(bayes.sampled_logits(pruned, x, 2, NoiseSource(0)),
                                  bayes.sampled_logits(bnn, x, 2, NoiseSource(0)))


def test_blitz_trap_torch_prune_on_weight_mu_changes_nothing(bnn):
    """torch.nn.utils.prune masks weight_mu, but sampled forwards read weight_sampler.mu."""
    pruned = models.clone(bnn).train()
    for layer in pruned.layers:
        torch_prune.l1_unstructured(layer, "weight_mu", amount=0.9)
    x = torch.rand(8, 784)
    torch.manual_seed(0)
    out_pruned = pruned(x)
    reference = models.clone(bnn).train()
    torch.manual_seed(0)
    assert torch.equal(out_pruned, reference(x))


def test_study_rebind_changes_nothing(bnn):
    """The study's pruning assigns new Parameters; forward reads the old ones."""
    pruned = study.rebind_prune(bnn, 0.9)
    assert (pruned.layers[0].weight_mu == 0).float().mean() > 0.8   # looks pruned ...
    x = torch.rand(30, 784)
    assert torch.equal(pruned.eval()(x), bnn.eval()(x))           # ... computes the same
    assert torch.equal(bayes.sampled_logits(pruned, x, 2, NoiseSource(0)),
                       bayes.sampled_logits(bnn, x, 2, NoiseSource(0)))
    assert prune.sparsity(pruned) == 0.0


def test_study_score_uses_rho_and_reverses_the_order(bnn):
    pruned = study.rho_ranked_prune(bnn, 0.5)
    layer, original = pruned.layers[0], bnn.layers[0]
    gone = layer.weight_sampler.mu == 0
    snr = prune.snr_score(original.weight_sampler.mu, original.weight_sampler.rho)
    assert snr[gone].mean() > snr[~gone].mean()   # it removes the high-SNR weights


@pytest.mark.parametrize("amount", [-0.1, 1.5, "half", None])
def test_bad_amount_raises(bnn, net, amount):
    for fn, model in ((prune.l1, net), (prune.snr, bnn), (prune.l1, bnn)):
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            fn(model, amount)


def test_snr_needs_a_bayesian_model(net):
    with pytest.raises(ValueError, match="Bayesian"):
        prune.snr(net, 0.5)
    with pytest.raises(ValueError, match="l1, snr, l1-layer, random"):
        prune.get_criterion("lottery")


def test_prune_sweep(bnn, dataset):
    sweep = evaluate.prune_sweep(bnn, "snr", dataset.x_test, dataset.y_test, (0.0, 0.5, 1.0),
                                 mc_samples=3)
    assert sweep["sparsity"] == pytest.approx([0.0, 0.5, 1.0], abs=1e-4)
    assert len(sweep["accuracy"]) == len(sweep["accuracy_mc"]) == 3
    # everything pruned: all logits 0 -> argmax is class 0
    assert sweep["accuracy"][-1] == pytest.approx((dataset.y_test == 0).float().mean().item())
    assert evaluate.SWEEP_AMOUNTS[:3] == (0.0, 0.05, 0.1)
    assert {0.5, 0.75, 0.9, 0.95, 0.98, 0.99} <= set(evaluate.SWEEP_AMOUNTS)


def test_study_pruning_if_it_had_worked_means_noise_not_zeros(bnn):
    pruned = study.rebind_prune_if_it_worked(bnn, 0.5)
    mu = pruned.layers[0].weight_sampler.mu
    sd = bayes.sigma(pruned.layers[0].weight_sampler.rho)
    selected = mu == 0
    assert 0.3 < selected.float().mean() < 0.7
    torch.testing.assert_close(sd[selected], torch.full_like(sd[selected], 0.6931), atol=1e-4,
                               rtol=0)
    assert prune.sparsity(pruned) == 0.0    # nothing is zero in a sampled forward


def test_removed_mask_and_overlap(bnn, net):
    a, b = prune.snr(bnn, 0.5), prune.l1(bnn, 0.5)
    assert prune.removed_mask(a).sum() == round(0.5 * prune.removed_mask(a).numel())
    assert prune.kept_overlap(a, a) == 1.0
    assert 0.0 <= prune.kept_overlap(a, b) <= 1.0
    pruned = prune.l1(net, 0.75, include_bias=False)
    assert prune.removed_mask(pruned, include_bias=False).float().mean().item() == \
        pytest.approx(0.75, abs=1e-4)


@pytest.mark.parametrize("amount", [np.float32(0.5), np.float64(0.5), torch.tensor(0.5),
                                    Fraction(1, 2), 0.5])
def test_amount_accepts_any_real_number_type(net, amount):
    assert prune.sparsity(prune.l1(net, amount)) == pytest.approx(0.5, abs=1e-4)


@pytest.mark.parametrize("amount", [-0.1, 1.5, float("nan"), "0.5", True, None,
                                    torch.tensor([0.5])])
def test_amount_outside_the_unit_interval_is_refused(net, amount):
    with pytest.raises(ValueError, match=r"fraction in \[0, 1\]"):
        prune.l1(net, amount)
