"""Bayesian linear regression in closed form against other computations of the same thing,
and the mean-field fit against its known optimum (small random problems, float64)."""

import math

import pytest
import torch

from bnntut import exact

NOISE_SD, PRIOR_SD = 0.3, 1.5


def problem(n=40, d=5, seed=0, correlated=True):
    """Random features (neighbouring columns correlated if asked) and targets from a random w."""
    generator = torch.Generator().manual_seed(seed)
    phi = torch.randn(n, d, generator=generator, dtype=torch.float64)
    if correlated:
        phi[:, 1:] += 0.9 * phi[:, :-1]
    w = torch.randn(d, generator=generator, dtype=torch.float64)
    y = phi @ w + NOISE_SD * torch.randn(n, generator=generator, dtype=torch.float64)
    return phi, y


def test_posterior_matches_the_woodbury_form():
    # Function-space form: Σ = s²I − s²Φᵀ K⁻¹ Φ s², m = s²Φᵀ K⁻¹ y, K = s²ΦΦᵀ + σ²I.
    phi, y = problem(n=8, d=12)                       # more weights than points
    mean, cov = exact.posterior(phi, y, NOISE_SD, PRIOR_SD)
    gram = PRIOR_SD**2 * phi @ phi.T + NOISE_SD**2 * torch.eye(8, dtype=torch.float64)
    gain = PRIOR_SD**2 * torch.linalg.solve(gram, phi).T        # (d, n)
    assert torch.allclose(mean, gain @ y, atol=1e-10)
    assert torch.allclose(cov, PRIOR_SD**2 * (torch.eye(12, dtype=torch.float64) - gain @ phi),
                          atol=1e-10)
    assert torch.allclose(torch.linalg.inv(cov), exact.precision(phi, NOISE_SD, PRIOR_SD),
                          atol=1e-8)


def test_conjugate_updates_do_not_depend_on_the_order_of_the_data():
    phi, y = problem(n=30)
    whole = exact.posterior(phi, y, NOISE_SD, PRIOR_SD)
    prior = torch.zeros(5, dtype=torch.float64), PRIOR_SD**2 * torch.eye(5, dtype=torch.float64)
    for order in (torch.arange(30), torch.arange(29, -1, -1)):
        belief = prior
        for batch in order.split(7):
            belief = exact.conjugate_update(*belief, phi[batch], y[batch], NOISE_SD)
        assert all(torch.allclose(a, b, atol=1e-10) for a, b in zip(belief, whole))


def test_log_evidence_is_the_elbo_of_the_exact_posterior_and_bounds_every_other():
    phi, y = problem()
    evidence = exact.log_evidence(phi, y, NOISE_SD, PRIOR_SD)
    full = torch.distributions.MultivariateNormal(
        torch.zeros(40, dtype=torch.float64),
        PRIOR_SD**2 * phi @ phi.T + NOISE_SD**2 * torch.eye(40, dtype=torch.float64))
    assert math.isclose(evidence, float(full.log_prob(y)), rel_tol=1e-10)
    mean, cov = exact.posterior(phi, y, NOISE_SD, PRIOR_SD)
    assert math.isclose(exact.elbo(phi, y, NOISE_SD, PRIOR_SD, mean, cov), evidence,
                        rel_tol=1e-10)
    assert exact.elbo(phi, y, NOISE_SD, PRIOR_SD, mean + 0.1, cov) < evidence
    assert exact.elbo(phi, y, NOISE_SD, PRIOR_SD, mean, 2 * cov) < evidence


def test_predictive_of_the_posterior_matches_sampled_weights():
    phi, y = problem()
    mean, cov = exact.posterior(phi, y, NOISE_SD, PRIOR_SD)
    grid = torch.randn(6, 5, dtype=torch.float64)
    f_mean, sd = exact.predictive(grid, mean, cov, NOISE_SD)
    w = torch.distributions.MultivariateNormal(mean, cov).sample((200_000,))
    f = w @ grid.T
    assert torch.allclose(f_mean, f.mean(0), atol=0.01)
    assert torch.allclose(sd, torch.sqrt(f.var(0) + NOISE_SD**2), rtol=0.01)


@pytest.mark.parametrize("seed", range(5))
def test_mean_field_optimum_keeps_the_mean_and_shrinks_every_variance(seed):
    phi, y = problem(seed=seed)
    mean, cov = exact.posterior(phi, y, NOISE_SD, PRIOR_SD)
    mf_mean, mf_sd = exact.mean_field_optimum(phi, y, NOISE_SD, PRIOR_SD)
    assert torch.equal(mf_mean, mean)
    assert bool((mf_sd**2 <= torch.diagonal(cov) * (1 + 1e-12)).all())
    # It is the best factorised q: perturbing a mean or an sd lowers the ELBO, and its gap
    # to the evidence is the closed-form KL.
    best = exact.elbo(phi, y, NOISE_SD, PRIOR_SD, mf_mean, torch.diag(mf_sd**2))
    for j in range(5):
        step = torch.zeros(5, dtype=torch.float64)
        step[j] = 0.05
        for mu, sd in ((mf_mean + step, mf_sd), (mf_mean, mf_sd * (1 + step)),
                       (mf_mean, mf_sd * (1 - step))):
            assert exact.elbo(phi, y, NOISE_SD, PRIOR_SD, mu, torch.diag(sd**2)) < best
    evidence = exact.log_evidence(phi, y, NOISE_SD, PRIOR_SD)
    kl = exact.mean_field_kl(exact.precision(phi, NOISE_SD, PRIOR_SD))
    assert kl > 0 and math.isclose(evidence - best, kl, rel_tol=1e-8)


def test_mean_field_is_exact_when_the_weights_are_independent():
    phi = torch.zeros(6, 3, dtype=torch.float64)
    phi[:2, 0], phi[2:4, 1], phi[4:, 2] = 1.0, 2.0, 0.5    # orthogonal columns
    y = torch.arange(6, dtype=torch.float64)
    _, cov = exact.posterior(phi, y, NOISE_SD, PRIOR_SD)
    _, mf_sd = exact.mean_field_optimum(phi, y, NOISE_SD, PRIOR_SD)
    assert torch.allclose(mf_sd**2, torch.diagonal(cov))
    assert exact.mean_field_kl(exact.precision(phi, NOISE_SD, PRIOR_SD)) == pytest.approx(0)


def test_fit_mean_field_climbs_the_elbo_to_the_optimum_on_a_well_conditioned_problem():
    phi, y = problem(n=60, d=4, correlated=False)
    fit = exact.fit_mean_field(phi, y, NOISE_SD, PRIOR_SD, steps=800, lr=0.05, samples=8)
    assert fit.mean.shape == fit.sd.shape == (4,) and len(fit.elbo) == 800
    assert sum(fit.elbo[-100:]) / 100 > sum(fit.elbo[:100]) / 100       # the estimate rises
    start = exact.elbo(phi, y, NOISE_SD, PRIOR_SD, torch.zeros(4),
                       torch.diag(torch.nn.functional.softplus(torch.tensor(-3.0)) ** 2
                                  * torch.ones(4)))
    end = exact.elbo(phi, y, NOISE_SD, PRIOR_SD, fit.mean, torch.diag(fit.sd**2))
    mf_mean, mf_sd = exact.mean_field_optimum(phi, y, NOISE_SD, PRIOR_SD)
    best = exact.elbo(phi, y, NOISE_SD, PRIOR_SD, mf_mean, torch.diag(mf_sd**2))
    assert start < end <= best and best - end < 0.05
    assert torch.allclose(fit.mean, mf_mean, atol=0.01)
    assert torch.allclose(fit.sd, mf_sd, rtol=0.05)


def test_fit_mean_field_underestimates_the_marginal_variances_and_is_seeded():
    phi, y = problem(n=60, d=4)
    fit = exact.fit_mean_field(phi, y, NOISE_SD, PRIOR_SD, steps=800)
    _, cov = exact.posterior(phi, y, NOISE_SD, PRIOR_SD)
    assert bool((fit.sd**2 < torch.diagonal(cov)).all())
    again = exact.fit_mean_field(phi, y, NOISE_SD, PRIOR_SD, steps=800)
    assert torch.equal(fit.mean, again.mean) and torch.equal(fit.sd, again.sd)


def test_rbf_features_are_bumps_at_their_centres():
    phi = exact.rbf_features(torch.tensor([[0.0], [1.0]]), torch.tensor([0.0, 1.0, 3.0]), 0.5)
    assert phi.shape == (2, 3) and phi.dtype == torch.float64
    assert phi[0, 0] == phi[1, 1] == 1.0
    assert math.isclose(float(phi[0, 1]), math.exp(-2.0))
    assert torch.equal(phi, exact.rbf_features(torch.tensor([0.0, 1.0]),
                                               torch.tensor([0.0, 1.0, 3.0]), 0.5))


def test_bad_shapes_and_values_are_refused():
    phi, y = problem()
    mean, cov = exact.posterior(phi, y, NOISE_SD, PRIOR_SD)
    with pytest.raises(ValueError, match="phi must have shape"):
        exact.posterior(phi[0], y, NOISE_SD, PRIOR_SD)
    with pytest.raises(ValueError, match=r"y must have shape \(40,\)"):
        exact.posterior(phi, y[:-1], NOISE_SD, PRIOR_SD)
    with pytest.raises(ValueError, match=r"y must have shape"):
        exact.log_evidence(phi, y[:, None], NOISE_SD, PRIOR_SD)
    with pytest.raises(ValueError, match="noise_sd must be positive"):
        exact.precision(phi, 0.0, PRIOR_SD)
    with pytest.raises(ValueError, match="prior_sd must be positive"):
        exact.fit_mean_field(phi, y, NOISE_SD, -1.0)
    with pytest.raises(ValueError, match=r"cov must have shape \(5, 5\)"):
        exact.predictive(phi, mean, cov[:4, :4], NOISE_SD)
    with pytest.raises(ValueError, match="features but mean has"):
        exact.elbo(phi[:, :4], y, NOISE_SD, PRIOR_SD, mean, cov)
    with pytest.raises(ValueError, match="x must have shape"):
        exact.rbf_features(torch.zeros(3, 2), torch.zeros(4), 1.0)
    with pytest.raises(ValueError, match="width must be positive"):
        exact.rbf_features(torch.zeros(3), torch.zeros(4), 0.0)
    with pytest.raises(ValueError, match="must be square"):
        exact.mean_field_kl(cov[:, :4])
