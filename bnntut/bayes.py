"""Bayes by Backprop: the variational posterior, its samples and the study's objective.

Each weight's posterior is N(μ, σ²), σ = log(1 + e^ρ), sampled as w = μ + σ ε, ε ~ N(0, 1);
the prior is π N(0, σ1²) + (1 − π) N(0, σ2²).  With log p the mean of the sampled log-softmax
outputs and κ_i from :func:`kl_weight`, the minibatch objective is

    F_i = Σ_batch −log p(y | x)  +  κ_i · mean_s [log q(w_s | θ) − log P(w_s)]

blitz traps (``tests/test_prune.py``, ``tests/test_models.py``): ``layer.weight_mu`` and
``layer.weight_sampler.mu`` are distinct ``nn.Parameter`` objects over one storage, sampled
forwards read the sampler's (so ``torch.nn.utils.prune`` on ``weight_mu`` changes nothing), and
``copy.deepcopy`` unties them (use :func:`bnntut.models.clone`).  So this module reads, and
pruning changes, the sampler's tensors (:func:`bnntut.models.variational_tensors`, where all
knowledge of blitz's internals lives)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .fastmath import MixtureLogPrior, Reparameterise
from .models import variational_tensors
from .noise import NoiseSource

KL_WEIGHTINGS = ("paper", "blundell", "uniform")  #: complexity-cost weightings of :func:`kl_weight`
LOG_2PI = math.log(2 * math.pi)
#: A complexity weight at or below this rounds to 0 in float32 (half the smallest subnormal
#: 2**-149; ties round to even), so skipping the weighted cost is bit-for-bit identical.  With
#: the study's weighting 2^(1−i) this skips minibatches i ≥ 151, three quarters of every epoch.
KL_WEIGHT_UNDERFLOW = 2.0**-150


def kl_weight(weighting: str, index: int, n_batches: int) -> float:
    """Weight κ_i of the complexity cost for minibatch ``index`` (0-based) of ``n_batches`` (M):
    ``"paper"``, the study's code, 2^(M−i) / 2^(M−1) = 2^(1−i) (2, 1, 0.5, …; sums to ≈ 4);
    ``"blundell"``, the scheme Blundell et al. propose after their eq. (9) (the general
    weighting π_i), 2^(M−i) / (2^M − 1) with i counted from 1, i.e.
    2^(M−1−index) / (2^M − 1) here (sums to 1); ``"uniform"``, 1 / M."""
    if weighting not in KL_WEIGHTINGS:
        raise ValueError(f"unknown KL weighting {weighting!r}; allowed: {', '.join(KL_WEIGHTINGS)}")
    if not 0 <= index < n_batches:
        raise ValueError(f"minibatch index must be in [0, {n_batches}), got {index}")
    if weighting == "paper":
        return 2.0 ** (1 - index)
    if weighting == "blundell":
        # 2^(M-1-i) / (2^M - 1) = 2^(-1-i) / (1 - 2^-M), which never overflows.
        return 2.0 ** (-1 - index) / (1.0 - 2.0 ** (-n_batches))
    return 1.0 / n_batches


def variational_pairs(model, include_bias: bool = True) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The sampler's ``(mu, rho)`` in sampling order: W1, b1, W2, b2, ... (biases optional)."""
    n = 4 if include_bias else 2   # of (weight_mu, weight_rho, bias_mu, bias_rho)
    tensors = [t for layer in model.layers for t in variational_tensors(layer)[:n]]
    return list(zip(tensors[0::2], tensors[1::2]))


def sigma(rho: torch.Tensor) -> torch.Tensor:
    """σ = log(1 + e^ρ), written as blitz writes it (ρ = −∞ gives σ = 0 exactly)."""
    return torch.log1p(torch.exp(rho))


def variational_parameters(model) -> list[torch.nn.Parameter]:
    """The trainable parameters of a :class:`~bnntut.models.BayesianMLP`, each storage once:
    ``model.parameters()`` lists both blitz aliases, but only the sampler's get gradients."""
    return [t for layer in model.layers for t in variational_tensors(layer)]


def log_gaussian(x: torch.Tensor, mu: torch.Tensor | float,
                 sd: torch.Tensor | float) -> torch.Tensor:
    """Elementwise log N(x; mu, sd²)."""
    sd = torch.as_tensor(sd, dtype=x.dtype, device=x.device)
    return -0.5 * LOG_2PI - torch.log(sd) - (x - mu) ** 2 / (2 * sd**2)


def log_mixture_prior(w: torch.Tensor, pi: float, sigma1: float, sigma2: float) -> torch.Tensor:
    """Elementwise log[π N(w; 0, σ1²) + (1 − π) N(w; 0, σ2²)] by log-sum-exp, exactly as the
    study's own layers had it (blitz's ``log_prior`` adds 1e-6 to the density)."""
    parts = [math.log(pi) + log_gaussian(w, 0.0, sigma1)] if pi > 0 else []
    parts += [math.log1p(-pi) + log_gaussian(w, 0.0, sigma2)] if pi < 1 else []
    return parts[0] if len(parts) == 1 else torch.logaddexp(*parts)


def prior_mass_within(radius: float, pi: float, sigma1: float, sigma2: float) -> float:
    """P(|w| < radius) under the scale-mixture prior."""
    return (pi * math.erf(radius / (sigma1 * math.sqrt(2)))
            + (1 - pi) * math.erf(radius / (sigma2 * math.sqrt(2))))


def log_prior(w: torch.Tensor, spec: dict) -> torch.Tensor:
    """Σ log P(w) under the spec's scale-mixture prior (fused kernel when 0 < π < 1)."""
    pi, s1, s2 = spec["prior_pi"], spec["prior_sigma1"], spec["prior_sigma2"]
    if 0 < pi < 1:
        return MixtureLogPrior.apply(w, pi, s1, s2)
    return log_mixture_prior(w, pi, s1, s2).sum()


def complexity_cost(model, weights: list[torch.Tensor], noises: list[torch.Tensor],
                    sigmas: list[torch.Tensor],
                    keep: list[torch.Tensor] | None = None) -> torch.Tensor:
    """Scalar Monte Carlo complexity cost mean_s Σ [log q(w_s | θ) − log P(w_s)]: ``weights``,
    ``noises`` ``(S, *shape)`` and ``sigmas`` ``shape`` per variational tensor (:func:`draw_noise`,
    :func:`sample_weights`).  As (w − μ)/σ is ε exactly, log q(w_s) = Σ [−log σ − ε²/2] − c.
    Entries outside the optional bool masks ``keep`` (pruned: μ = σ = 0) are left out of both
    sums, with gradient exactly 0."""
    n_samples, total = weights[0].shape[0], 0.0
    if keep is None:
        for w, eps, sd in zip(weights, noises, sigmas):
            log_q = -torch.log(sd).sum() - (0.5 * LOG_2PI + 0.5 * eps.square().mean(0)).sum()
            total = total + log_q - log_prior(w, model.spec) / n_samples
        return total
    pi, s1, s2 = model.spec["prior_pi"], model.spec["prior_sigma1"], model.spec["prior_sigma2"]
    for w, eps, sd, k in zip(weights, noises, sigmas, keep):
        # log of 1 where pruned, so that no 0 · ∞ reaches the gradient.
        log_q = (-torch.log(torch.where(k, sd, 1.0))
                 - k * (0.5 * LOG_2PI + 0.5 * eps.square().mean(0))).sum()
        log_p = (k * log_mixture_prior(w, pi, s1, s2)).sum()
        total = total + log_q - log_p / n_samples
    return total


def tensor_shapes(model) -> list[torch.Size]:
    """Shapes of the variational tensors in sampling order: W1, b1, W2, b2, ..."""
    return [mu.shape for mu, _ in variational_pairs(model)]


def draw_noise(model, n_samples: int, source: NoiseSource) -> list[torch.Tensor]:
    """Standard-normal noise for ``n_samples`` forwards, from one request to ``source``: one
    view into that buffer per variational tensor, shapes ``(S, out, in)`` and ``(S, out)``."""
    shapes = tensor_shapes(model)
    sizes = [n_samples * math.prod(s) for s in shapes]
    flat = source.normal(sum(sizes), variational_tensors(model.layers[0])[0].dtype)
    return [chunk.view(n_samples, *s) for chunk, s in zip(flat.split(sizes), shapes)]


def reparameterise(mu: torch.Tensor, rho: torch.Tensor,
                   eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(w, σ) = (μ + softplus(ρ) ε, softplus(ρ))``: μ, ρ ``shape``, ε and w ``(S, *shape)``.

    The one place the training paths take their sampling kernel from: the fused
    :class:`bnntut.fastmath.Reparameterise` (tested equal to this formula written out, as in
    :func:`study_objective_reference`)."""
    return Reparameterise.apply(mu, rho, eps)


def sample_weights(model, noises: list[torch.Tensor]):
    """Samples w = μ + σ ε for ``noises`` from :func:`draw_noise`: per variational tensor,
    ``weights`` ``(S, *shape)`` (differentiable in μ and ρ) and ``sigmas`` ``shape``."""
    pairs = [reparameterise(mu, rho, eps)
             for (mu, rho), eps in zip(variational_pairs(model), noises)]
    return [w for w, _ in pairs], [sd for _, sd in pairs]


def forward_with(weights: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Logits ``(S, batch, n_classes)`` of the ReLU MLP for inputs ``x`` ``(batch, in)`` and
    stacked samples ``weights`` = ``[W1, b1, W2, b2, ...]``, ``(S, out, in)`` and ``(S, out)``."""
    h, n_layers = x, len(weights) // 2
    for k, (w, b) in enumerate(zip(weights[0::2], weights[1::2])):
        h = torch.baddbmm(b.unsqueeze(1), h.expand(w.shape[0], *h.shape[-2:]), w.transpose(1, 2))
        if k < n_layers - 1:
            h = torch.relu(h)
    return h


def sampled_logits(model, x: torch.Tensor, n_samples: int, source: NoiseSource) -> torch.Tensor:
    """Logits of ``n_samples`` posterior samples, shape ``(S, batch, n_classes)``."""
    weights, _ = sample_weights(model, draw_noise(model, n_samples, source))
    return forward_with(weights, x)


def study_objective(model, x: torch.Tensor, y: torch.Tensor, noises: list[torch.Tensor],
                    weight: float | torch.Tensor, keep: list[torch.Tensor] | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The study's BBB minibatch loss for the S weight samples of ``noises`` (from
    :func:`draw_noise`), optimised path: scalars ``(loss, nll, weighted)``.

    Parameters
    ----------
    x, y : torch.Tensor
        Inputs ``(batch, 784)`` and int64 labels ``(batch,)``; ``nll`` is summed over them.
    weight : float or torch.Tensor
        Complexity weight κ_i.  A float that rounds to 0 in the model's dtype (in float32: at
        or below :data:`KL_WEIGHT_UNDERFLOW`) skips the complexity cost (exact).  A 0-d tensor
        on the model's device is always applied (a CUDA graph reads it from fixed memory).
    keep : list of torch.Tensor, optional
        Masks of the unpruned entries, for fine-tuning (see :func:`complexity_cost`).
    """
    weights, sigmas = sample_weights(model, noises)
    log_probs = F.log_softmax(forward_with(weights, x), dim=-1).mean(0)   # (batch, classes)
    nll = F.nll_loss(log_probs, y, reduction="sum")
    if not isinstance(weight, torch.Tensor):
        weight = torch.tensor(weight, dtype=nll.dtype)   # on the CPU: testing it needs no sync
        weight = None if weight.item() == 0 else weight.to(nll.device)
    weighted = (torch.zeros((), dtype=nll.dtype, device=nll.device) if weight is None
                else weight * complexity_cost(model, weights, noises, sigmas, keep))
    return nll + weighted, nll, weighted


def study_objective_reference(model, x: torch.Tensor, y: torch.Tensor, noises: list[torch.Tensor],
                              weight: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The same objective written the straightforward way, for checking :func:`study_objective`:
    one ``F.linear`` per layer and sample with σ and log-densities as blitz writes them, plain
    autograd, and the complexity cost on every minibatch."""
    prior = [model.spec[k] for k in ("prior_pi", "prior_sigma1", "prior_sigma2")]
    pairs, outputs, costs = variational_pairs(model), [], []
    for s in range(noises[0].shape[0]):
        h, cost = x, 0.0
        for k in range(len(model.layers)):
            sampled = []
            for (mu, rho), eps in zip(pairs[2 * k:2 * k + 2], noises[2 * k:2 * k + 2]):
                sd = sigma(rho)
                w = mu + sd * eps[s]
                cost = cost + log_gaussian(w, mu, sd).sum() - log_mixture_prior(w, *prior).sum()
                sampled.append(w)
            h = F.linear(h, *sampled)
            if k < len(model.layers) - 1:
                h = torch.relu(h)
        outputs.append(F.log_softmax(h, dim=-1))
        costs.append(cost)
    nll = F.nll_loss(torch.stack(outputs).mean(0), y, reduction="sum")
    weighted = torch.tensor(weight, dtype=nll.dtype, device=nll.device) * torch.stack(costs).mean()
    return nll + weighted, nll, weighted
