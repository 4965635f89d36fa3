"""Bayesian linear regression in closed form, and the factorised Gaussian that Bayes by
Backprop fits to the same model: what a mean-field posterior gets right and what it loses.

The model is y = Φ w + ε with features Φ = φ(x) of shape ``(n, d)``, known noise
ε ~ N(0, σ_y² I) and prior w ~ N(0, s_w² I).  Its posterior is Gaussian,

    Λ = Φᵀ Φ / σ_y² + I / s_w²,    Σ = Λ⁻¹,    m = Σ Φᵀ y / σ_y²    (:func:`posterior`),

and so is its predictive, N(φ(x)ᵀ m, φ(x)ᵀ Σ φ(x) + σ_y²) (:func:`predictive`).  A factorised
(mean-field) Gaussian q(w) = Π_j N(μ_j, s_j²) is fitted by the reparameterised ELBO, as Bayes
by Backprop fits a network (:func:`fit_mean_field`).  Its best member is known in closed form
(:func:`mean_field_optimum`): μ = m and s_j² = 1 / Λ_jj, the variance of w_j given all the
other weights, never larger than the marginal Σ_jj.  The ELBO falls short of the log evidence
by KL(q ‖ p(w | y)) (:func:`elbo`, :func:`log_evidence`); at the optimum this is
½ (Σ_j log Λ_jj − log det Λ) (:func:`mean_field_kl`).

Everything is computed in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .devices import single_thread

LOG_2PI = math.log(2 * math.pi)


def _vector(name: str, value: torch.Tensor, length: int | None = None) -> torch.Tensor:
    value = torch.as_tensor(value, dtype=torch.float64)
    if value.ndim != 1 or (length is not None and len(value) != length):
        want = "(n,)" if length is None else f"({length},)"
        raise ValueError(f"{name} must have shape {want}, got {tuple(value.shape)}")
    return value


def _features(phi: torch.Tensor) -> torch.Tensor:
    phi = torch.as_tensor(phi, dtype=torch.float64)
    if phi.ndim != 2:
        raise ValueError(f"phi must have shape (n, d), got {tuple(phi.shape)}")
    return phi


def _positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be positive, got {value}")


def _gaussian(mean: torch.Tensor, cov: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mean = _vector("mean", mean)
    cov = torch.as_tensor(cov, dtype=torch.float64)
    if cov.shape != (len(mean), len(mean)):
        raise ValueError(f"cov must have shape ({len(mean)}, {len(mean)}) to match mean, "
                         f"got {tuple(cov.shape)}")
    return mean, cov


def rbf_features(x: torch.Tensor, centres: torch.Tensor, width: float) -> torch.Tensor:
    """Gaussian bumps φ_j(x) = exp(−(x − c_j)² / (2 width²)).

    Parameters
    ----------
    x : torch.Tensor
        Inputs, shape ``(n,)`` or ``(n, 1)``.
    centres : torch.Tensor
        Centres c_j, shape ``(d,)``.
    width : float
        Width of every bump, positive.

    Returns
    -------
    torch.Tensor
        ``(n, d)``, float64.
    """
    x = torch.as_tensor(x, dtype=torch.float64)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    x = _vector("x", x)
    centres = _vector("centres", centres)
    _positive(width=width)
    return torch.exp(-0.5 * ((x[:, None] - centres) / width) ** 2)


def precision(phi: torch.Tensor, noise_sd: float, prior_sd: float) -> torch.Tensor:
    """Posterior precision Λ = Φᵀ Φ / σ_y² + I / s_w², shape ``(d, d)``.

    Parameters
    ----------
    phi : torch.Tensor
        Features of the training inputs, ``(n, d)``.
    noise_sd, prior_sd : float
        σ_y and s_w, positive.
    """
    phi = _features(phi)
    _positive(noise_sd=noise_sd, prior_sd=prior_sd)
    eye = torch.eye(phi.shape[1], dtype=torch.float64)
    return phi.T @ phi / noise_sd**2 + eye / prior_sd**2


def conjugate_update(mean: torch.Tensor, cov: torch.Tensor, phi: torch.Tensor,
                     y: torch.Tensor, noise_sd: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Posterior of w under the prior N(mean, cov) after observing y = Φ w + ε.

    Precision form: Λ = cov⁻¹ + Φᵀ Φ / σ_y², m = Λ⁻¹ (cov⁻¹ mean + Φᵀ y / σ_y²).  A posterior
    is the prior of the next update, so data can arrive in batches, in any order.

    Parameters
    ----------
    mean, cov : torch.Tensor
        Prior mean ``(d,)`` and covariance ``(d, d)``, positive definite.
    phi : torch.Tensor
        Features ``(n, d)``.
    y : torch.Tensor
        Targets ``(n,)``.
    noise_sd : float
        σ_y, positive.

    Returns
    -------
    mean, cov : torch.Tensor
        ``(d,)`` and ``(d, d)``.
    """
    mean, cov = _gaussian(mean, cov)
    phi = _features(phi)
    if phi.shape[1] != len(mean):
        raise ValueError(f"phi has {phi.shape[1]} features but the prior has {len(mean)}")
    y = _vector("y", y, phi.shape[0])
    _positive(noise_sd=noise_sd)
    prior_precision = torch.cholesky_inverse(torch.linalg.cholesky(cov))
    new_precision = prior_precision + phi.T @ phi / noise_sd**2
    chol = torch.linalg.cholesky(new_precision)
    new_cov = torch.cholesky_inverse(chol)
    rhs = prior_precision @ mean + phi.T @ y / noise_sd**2
    new_mean = torch.cholesky_solve(rhs[:, None], chol)[:, 0]
    return new_mean, (new_cov + new_cov.T) / 2


def posterior(phi: torch.Tensor, y: torch.Tensor, noise_sd: float,
              prior_sd: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact posterior N(m, Σ) of the weights under the prior N(0, s_w² I).

    Parameters
    ----------
    phi : torch.Tensor
        Features of the training inputs, ``(n, d)``.
    y : torch.Tensor
        Targets ``(n,)``.
    noise_sd, prior_sd : float
        σ_y and s_w, positive.

    Returns
    -------
    mean, cov : torch.Tensor
        m ``(d,)`` and Σ ``(d, d)``.
    """
    phi = _features(phi)
    _positive(prior_sd=prior_sd)
    d = phi.shape[1]
    return conjugate_update(torch.zeros(d, dtype=torch.float64),
                            prior_sd**2 * torch.eye(d, dtype=torch.float64), phi, y, noise_sd)


def predictive(phi: torch.Tensor, mean: torch.Tensor, cov: torch.Tensor,
               noise_sd: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation of p(y | x) = N(φᵀ m, φᵀ Σ φ + σ_y²) under w ~ N(m, Σ).

    For a factorised q pass ``cov = torch.diag(sd**2)``.

    Parameters
    ----------
    phi : torch.Tensor
        Features of the inputs to predict at, ``(k, d)``.
    mean, cov : torch.Tensor
        ``(d,)`` and ``(d, d)``.
    noise_sd : float
        σ_y, positive.

    Returns
    -------
    mean, sd : torch.Tensor
        ``(k,)`` each.
    """
    mean, cov = _gaussian(mean, cov)
    phi = _features(phi)
    if phi.shape[1] != len(mean):
        raise ValueError(f"phi has {phi.shape[1]} features but mean has {len(mean)}")
    _positive(noise_sd=noise_sd)
    variance = ((phi @ cov) * phi).sum(1) + noise_sd**2
    return phi @ mean, torch.sqrt(variance)


def log_evidence(phi: torch.Tensor, y: torch.Tensor, noise_sd: float, prior_sd: float) -> float:
    """log p(y) = log N(y | 0, s_w² Φ Φᵀ + σ_y² I), the marginal likelihood of the data.

    Parameters
    ----------
    phi : torch.Tensor
        ``(n, d)``.
    y : torch.Tensor
        ``(n,)``.
    noise_sd, prior_sd : float
        σ_y and s_w, positive.
    """
    phi = _features(phi)
    y = _vector("y", y, phi.shape[0])
    _positive(noise_sd=noise_sd, prior_sd=prior_sd)
    gram = prior_sd**2 * phi @ phi.T + noise_sd**2 * torch.eye(len(y), dtype=torch.float64)
    chol = torch.linalg.cholesky(gram)
    white = torch.linalg.solve_triangular(chol, y[:, None], upper=False)[:, 0]
    return float(-0.5 * (white @ white) - torch.log(torch.diagonal(chol)).sum()
                 - 0.5 * len(y) * LOG_2PI)


def elbo(phi: torch.Tensor, y: torch.Tensor, noise_sd: float, prior_sd: float,
         mean: torch.Tensor, cov: torch.Tensor) -> float:
    """ELBO of a Gaussian q(w) = N(mean, cov), in closed form.

    E_q[log p(y | w)] − KL(q ‖ prior), with
    E_q[‖y − Φ w‖²] = ‖y − Φ mean‖² + tr(Φ cov Φᵀ).  It equals :func:`log_evidence` minus
    KL(q ‖ p(w | y)), so it reaches the evidence at the exact posterior only.

    Parameters
    ----------
    phi : torch.Tensor
        ``(n, d)``.
    y : torch.Tensor
        ``(n,)``.
    noise_sd, prior_sd : float
        σ_y and s_w, positive.
    mean, cov : torch.Tensor
        ``(d,)`` and ``(d, d)``, positive definite; for a factorised q, ``torch.diag(sd**2)``.
    """
    mean, cov = _gaussian(mean, cov)
    phi = _features(phi)
    y = _vector("y", y, phi.shape[0])
    if phi.shape[1] != len(mean):
        raise ValueError(f"phi has {phi.shape[1]} features but mean has {len(mean)}")
    _positive(noise_sd=noise_sd, prior_sd=prior_sd)
    n, d = phi.shape
    squared = ((y - phi @ mean) ** 2).sum() + ((phi @ cov) * phi).sum()
    expected_loglik = -0.5 * squared / noise_sd**2 - n * math.log(noise_sd) - 0.5 * n * LOG_2PI
    logdet = 2 * torch.log(torch.diagonal(torch.linalg.cholesky(cov))).sum()
    kl = 0.5 * ((torch.trace(cov) + mean @ mean) / prior_sd**2 - d
                + 2 * d * math.log(prior_sd) - logdet)
    return float(expected_loglik - kl)


def mean_field_optimum(phi: torch.Tensor, y: torch.Tensor, noise_sd: float,
                       prior_sd: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The factorised Gaussian with the highest ELBO, in closed form: μ = m, s_j = Λ_jj^(−1/2).

    Setting the ELBO's gradient to zero gives 1 / s_j² = Λ_jj and Λ (μ − m) = 0.

    Returns
    -------
    mean, sd : torch.Tensor
        ``(d,)`` each.
    """
    mean, _ = posterior(phi, y, noise_sd, prior_sd)
    return mean, torch.diagonal(precision(phi, noise_sd, prior_sd)).rsqrt()


def mean_field_kl(precision_matrix: torch.Tensor) -> float:
    """KL(q* ‖ p(w | y)) of the optimal factorised q*, ½ (Σ_j log Λ_jj − log det Λ), in nats.

    Zero when Λ is diagonal (the weights are independent a posteriori), positive otherwise.

    Parameters
    ----------
    precision_matrix : torch.Tensor
        Λ, ``(d, d)``, positive definite.
    """
    lam = torch.as_tensor(precision_matrix, dtype=torch.float64)
    if lam.ndim != 2 or lam.shape[0] != lam.shape[1]:
        raise ValueError(f"precision_matrix must be square, got {tuple(lam.shape)}")
    logdet = 2 * torch.log(torch.diagonal(torch.linalg.cholesky(lam))).sum()
    return float(0.5 * (torch.log(torch.diagonal(lam)).sum() - logdet))


@dataclass(frozen=True)
class MeanFieldFit:
    """A factorised Gaussian q(w) = Π_j N(mean_j, sd_j²) fitted by :func:`fit_mean_field`.

    Attributes
    ----------
    mean, sd : torch.Tensor
        ``(d,)`` each.
    elbo : list of float
        The Monte Carlo ELBO estimate that each step climbed, one per step.
    """

    mean: torch.Tensor
    sd: torch.Tensor
    elbo: list[float]


def fit_mean_field(phi: torch.Tensor, y: torch.Tensor, noise_sd: float, prior_sd: float,
                   steps: int = 3000, lr: float = 0.05, samples: int = 8, rho_init: float = -3.0,
                   seed: int = 0) -> MeanFieldFit:
    """Bayes by Backprop on the linear model: Adam on the reparameterised ELBO.

    Each step draws w_s = μ + σ ⊙ ε_s, ε_s ~ N(0, I), σ = log(1 + e^ρ), for S = ``samples``
    draws and climbs the Monte Carlo estimate
    (1/S) Σ_s [log p(y | w_s) + log p(w_s) − log q(w_s)].  μ starts at 0 and ρ at
    ``rho_init``; the learning rate decays to 0 on a cosine.  Seeded; the global random state
    is untouched.

    Parameters
    ----------
    phi : torch.Tensor
        Features of the training inputs, ``(n, d)``.
    y : torch.Tensor
        Targets ``(n,)``.
    noise_sd, prior_sd : float
        σ_y and s_w, positive.
    steps, samples : int
        Adam steps and weight draws per step, positive.
    lr : float
        Initial learning rate.

    Returns
    -------
    MeanFieldFit
    """
    phi = _features(phi)
    y = _vector("y", y, phi.shape[0])
    _positive(noise_sd=noise_sd, prior_sd=prior_sd, steps=steps, samples=samples, lr=lr)
    d = phi.shape[1]
    mu = torch.zeros(d, dtype=torch.float64, requires_grad=True)
    rho = torch.full((d,), float(rho_init), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([mu, rho], lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    generator = torch.Generator().manual_seed(seed)
    history = []
    with single_thread():
        for _ in range(steps):
            history.append(_step(mu, rho, phi, y, noise_sd, prior_sd, samples, generator,
                                 optimizer))
            schedule.step()
    return MeanFieldFit(mu.detach().clone(), F.softplus(rho.detach()), history)


def _step(mu, rho, phi, y, noise_sd, prior_sd, samples, generator, optimizer) -> float:
    """One Adam step on the Monte Carlo ELBO; returns the estimate."""
    n, d = phi.shape
    sigma = F.softplus(rho)
    eps = torch.randn(samples, d, generator=generator, dtype=torch.float64)
    w = mu + sigma * eps                                                  # (S, d)
    loglik = ((-0.5 * ((y - w @ phi.T) / noise_sd) ** 2).sum(1)
              - n * (math.log(noise_sd) + 0.5 * LOG_2PI))                 # (S,)
    logprior = (-0.5 * (w / prior_sd) ** 2).sum(1) - d * (math.log(prior_sd) + 0.5 * LOG_2PI)
    logq = (-0.5 * eps**2).sum(1) - torch.log(sigma).sum() - 0.5 * d * LOG_2PI
    estimate = (loglik + logprior - logq).mean()
    optimizer.zero_grad(set_to_none=True)
    (-estimate).backward()
    optimizer.step()
    return estimate.item()
