import math

import numpy as np
import pytest
import torch

from bnntut import bayes, fastmath, models
from bnntut.noise import NoiseSource


def test_kl_weightings():
    m = 600
    paper = [bayes.kl_weight("paper", i, m) for i in range(m)]
    assert paper[:3] == [2.0, 1.0, 0.5]
    assert sum(paper) == pytest.approx(4.0)
    blundell = [bayes.kl_weight("blundell", i, m) for i in range(m)]
    assert blundell[0] == pytest.approx(0.5) and sum(blundell) == pytest.approx(1.0)
    # Blundell's eq. (9), i counted from 1: 2^(M-i) / (2^M - 1)
    assert bayes.kl_weight("blundell", 4, 10) == pytest.approx(2 ** (10 - 5) / (2**10 - 1))
    assert bayes.kl_weight("uniform", 7, m) == 1 / m
    with pytest.raises(ValueError, match="paper, blundell, uniform"):
        bayes.kl_weight("linear", 0, m)
    with pytest.raises(ValueError, match="index"):
        bayes.kl_weight("paper", m, m)


def test_underflow_threshold_is_exact():
    assert np.float32(bayes.KL_WEIGHT_UNDERFLOW) == 0
    assert np.float32(2.0 ** -149) > 0
    first_skipped = next(i for i in range(600)
                         if bayes.kl_weight("paper", i, 600) <= bayes.KL_WEIGHT_UNDERFLOW)
    assert first_skipped == 151
    # the product is computed in float32 and is exactly 0, whatever the complexity's size
    big = torch.tensor(3.0e38)
    assert (torch.tensor(2.0**-150, dtype=torch.float32) * big).item() == 0.0


def test_noise_source_is_seeded_and_standard_normal():
    a, b = NoiseSource(3).normal(200_000), NoiseSource(3).normal(200_000)
    assert torch.equal(a, b)
    assert abs(a.mean().item()) < 0.01 and abs(a.std().item() - 1) < 0.01
    src = NoiseSource(3)
    src.normal(10)
    state = src.state_dict()
    nxt = src.normal(10)
    src.load_state_dict(state)
    assert torch.equal(src.normal(10), nxt)


@pytest.mark.parametrize("weight", [2.0, 1e-3, 2.0**-200])
@pytest.mark.parametrize("compile_", [False, True])
def test_optimised_objective_matches_reference(bnn, weight, compile_):
    """Same values and gradients, in float64 so that rounding does not hide a difference."""
    fastmath.set_compile(compile_)
    bnn.double()
    try:
        x, y = torch.rand(20, 784, dtype=torch.float64), torch.randint(0, 10, (20,))
        noises = bayes.draw_noise(bnn, 2, NoiseSource(0))
        fast = bayes.study_objective(bnn, x, y, noises, weight)
        fast_grads = torch.autograd.grad(fast[0], bayes.variational_parameters(bnn))
        ref = bayes.study_objective_reference(bnn, x, y, noises, weight)
        ref_grads = torch.autograd.grad(ref[0], bayes.variational_parameters(bnn))
    finally:
        fastmath.set_compile(None)
    for a, b in zip(fast, ref):
        assert a.item() == pytest.approx(b.item(), rel=1e-10, abs=1e-10)
    for a, b in zip(fast_grads, ref_grads):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-8)


def test_underflowing_weight_skips_the_complexity_cost_exactly(bnn, monkeypatch):
    x, y = torch.rand(20, 784), torch.randint(0, 10, (20,))
    noises = bayes.draw_noise(bnn, 2, NoiseSource(0))
    ref = bayes.study_objective_reference(bnn, x, y, noises, 2.0**-150)
    monkeypatch.setattr(bayes, "complexity_cost", lambda *a: pytest.fail("not skipped"))
    fast = bayes.study_objective(bnn, x, y, noises, 2.0**-150)
    assert ref[2].item() == 0.0 and fast[2].item() == 0.0
    assert fast[0].item() == pytest.approx(ref[0].item(), rel=1e-6)


def test_reference_objective_is_blitz_forward(bnn):
    """Our reference F.linear(x, μ + σ ε) is exactly what blitz's BayesianLinear computes."""
    layer = bnn.layers[0]
    x = torch.rand(4, 784)
    out = layer(x)
    w = layer.weight_sampler.mu + bayes.sigma(layer.weight_sampler.rho) * layer.weight_sampler.eps_w
    b = layer.bias_sampler.mu + bayes.sigma(layer.bias_sampler.rho) * layer.bias_sampler.eps_w
    torch.testing.assert_close(out, torch.nn.functional.linear(x, w, b), rtol=0, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_training_steps_match_reference_path(dtype):
    """Ten Adam steps (lr 1e-3) through each path from the same seed.

    float64: equal to 1e-9.  float32: the two paths round differently, and Adam divides each
    gradient by its own running scale, so a rounding difference in a near-zero gradient can
    move a parameter by a fraction of lr per step; the bound is lr / 10 over the ten steps.
    """
    x = torch.rand(400, 784, dtype=dtype)
    y = torch.randint(0, 10, (400,))
    finals, losses = [], []
    for objective in (bayes.study_objective, bayes.study_objective_reference):
        torch.manual_seed(0)
        model = models.bayesian_mlp(hidden=(32, 16)).to(dtype)
        opt = torch.optim.Adam(bayes.variational_parameters(model), lr=1e-3)
        source = NoiseSource(1)
        trace = []
        for i in range(10):
            idx = slice(40 * i, 40 * (i + 1))
            loss = objective(model, x[idx], y[idx], bayes.draw_noise(model, 2, source),
                             bayes.kl_weight("paper", i, 10))[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
            trace.append(loss.item())
        finals.append([t.detach().clone() for t in bayes.variational_parameters(model)])
        losses.append(trace)
    exact = dtype == torch.float64
    assert losses[0] == pytest.approx(losses[1], rel=1e-12 if exact else 1e-5)
    for a, b in zip(*finals):
        torch.testing.assert_close(a, b, rtol=1e-9 if exact else 1e-4,
                                   atol=1e-9 if exact else 1e-4)


def test_fused_softplus_and_prior_match_plain_autograd():
    rho = torch.cat([torch.linspace(-60, 30, 5001), torch.tensor([-math.inf])])
    torch.testing.assert_close(fastmath.softplus(rho), torch.log1p(torch.exp(rho)),
                               rtol=1e-6, atol=0)
    assert fastmath.softplus(torch.tensor(-math.inf)).item() == 0.0
    w = (torch.randn(3000, dtype=torch.float64) * 0.2).requires_grad_()
    value = fastmath.MixtureLogPrior.apply(w, 0.5, 1.0, math.exp(-6))
    (grad,) = torch.autograd.grad(value, w)
    w2 = w.detach().clone().requires_grad_()
    ref = bayes.log_mixture_prior(w2, 0.5, 1.0, math.exp(-6)).sum()
    (ref_grad,) = torch.autograd.grad(ref, w2)
    assert value.item() == pytest.approx(ref.item(), rel=1e-12)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("compile_", [False, True])
def test_the_training_paths_sampling_kernel_is_the_formula(compile_):
    """bayes.reparameterise (what train.fit and batched.fit_many sample with) against
    w = μ + softplus(ρ) ε written out, values and gradients, compiled and eager."""
    fastmath.set_compile(compile_)
    try:
        torch.manual_seed(0)
        mu = torch.randn(7, 5, dtype=torch.float64, requires_grad=True)
        rho = (torch.randn(7, 5, dtype=torch.float64) - 4).requires_grad_()
        eps = torch.randn(3, 7, 5, dtype=torch.float64)
        w, sd = bayes.reparameterise(mu, rho, eps)
        grads = torch.autograd.grad((w.sin().sum() + sd.square().sum()), (mu, rho))
        plain_sd = torch.nn.functional.softplus(rho)
        plain = mu + plain_sd * eps
        plain_grads = torch.autograd.grad((plain.sin().sum() + plain_sd.square().sum()),
                                          (mu, rho))
        torch.testing.assert_close(w, plain, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(sd, plain_sd, rtol=1e-12, atol=1e-12)
        for a, b in zip(grads, plain_grads):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
    finally:
        fastmath.set_compile(None)


def test_single_gaussian_prior_path(bnn):
    spec = dict(bnn.spec, prior_pi=1.0)
    w = torch.randn(10)
    assert bayes.log_prior(w, spec).item() == pytest.approx(
        bayes.log_gaussian(w, 0.0, 1.0).sum().item(), rel=1e-6)
