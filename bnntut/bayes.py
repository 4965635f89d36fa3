"""Bayes by Backprop: the variational posterior, its samples and the study's objective.

The posterior of every weight is N(μ, σ²) with σ = log(1 + e^ρ); a sample is w = μ + σ ε with
ε ~ N(0, 1) (the reparameterisation trick).  The prior is the scale mixture
π N(0, σ1²) + (1 − π) N(0, σ2²).  The study's minibatch objective is

    F_i = Σ_batch −log p(y | x)  +  κ_i · mean_s [log q(w_s | θ) − log P(w_s)]

where log p is the mean over ``n_samples`` sampled log-softmax outputs and κ_i is the
minibatch weight of the complexity cost (:func:`kl_weight`).

blitz traps, all verified in ``tests/test_prune.py``: each ``BayesianLinear`` holds its
variational parameters twice — ``layer.weight_mu`` and ``layer.weight_sampler.mu`` are distinct
``nn.Parameter`` objects over one storage, and sampled forwards read the sampler's.  So this
module reads the sampler's tensors (:func:`variational_tensors`), which is also what a pruning
must change.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .fastmath import MixtureLogPrior, Reparameterise
from .noise import NoiseSource

#: Minibatch weightings of the complexity cost accepted by :func:`kl_weight`.
KL_WEIGHTINGS = ("paper", "blundell", "uniform")

#: A complexity weight at or below this value rounds to exactly 0 in float32 (it is half the
#: smallest subnormal, 2**-149, and ties round to even).  The objective multiplies the weight,
#: as a float32, by a finite complexity cost, so both the term and its gradient are exactly 0
#: and skipping its computation is bit-for-bit identical.  With the study's weighting 2^(1−i)
#: this skips minibatches i ≥ 151, three quarters of every epoch.
KL_WEIGHT_UNDERFLOW = 2.0**-150

LOG_2PI = math.log(2 * math.pi)
LOG_SQRT_2PI = 0.5 * LOG_2PI


def kl_weight(weighting: str, index: int, n_batches: int) -> float:
    """Weight κ_i of the complexity cost for minibatch ``index`` (0-based) of ``n_batches``.

    Parameters
    ----------
    weighting : {"paper", "blundell", "uniform"}
        ``"paper"``: the study's code, 2^(M−i) / 2^(M−1) = 2^(1−i) (2, 1, 0.5, …; sums to ≈ 4).
        ``"blundell"``: Blundell et al. eq. (9), 2^(M−i) / (2^M − 1) with i counted from 1 in
        the paper, i.e. 2^(M−1−index) / (2^M − 1) here (sums to 1).
        ``"uniform"``: 1 / M (sums to 1).
    index : int
        Minibatch index, ``0 <= index < n_batches``.
    n_batches : int
        Minibatches per epoch M.
    """
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


def variational_tensors(layer) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(weight_mu, weight_rho, bias_mu, bias_rho)`` that a blitz layer's sampled forward reads.

    Shapes ``(out, in)``, ``(out, in)``, ``(out,)``, ``(out,)``.
    """
    return (layer.weight_sampler.mu, layer.weight_sampler.rho,
            layer.bias_sampler.mu, layer.bias_sampler.rho)


def variational_pairs(model, include_bias: bool = True) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(mu, rho)`` of every variational tensor in sampling order: W1, b1, W2, b2, ...

    Biases are left out when ``include_bias`` is false.  These are the sampler's tensors
    (:func:`variational_tensors`), the ones forward reads.
    """
    pairs = []
    for layer in model.layers:
        w_mu, w_rho, b_mu, b_rho = variational_tensors(layer)
        pairs.append((w_mu, w_rho))
        if include_bias:
            pairs.append((b_mu, b_rho))
    return pairs


def sigma(rho: torch.Tensor) -> torch.Tensor:
    """σ = log(1 + e^ρ), written as blitz writes it (ρ = −∞ gives σ = 0 exactly)."""
    return torch.log1p(torch.exp(rho))


def variational_parameters(model) -> list[torch.nn.Parameter]:
    """The trainable parameters of a :class:`~bnntut.models.BayesianMLP`, each storage once.

    ``model.parameters()`` lists every blitz tensor twice (``weight_mu`` and
    ``weight_sampler.mu``); the optimiser must get the ones that receive gradients.
    """
    return [t for layer in model.layers for t in variational_tensors(layer)]


def log_gaussian(x: torch.Tensor, mu: torch.Tensor | float,
                 sd: torch.Tensor | float) -> torch.Tensor:
    """Elementwise log N(x; mu, sd²)."""
    sd = torch.as_tensor(sd, dtype=x.dtype, device=x.device)
    return -LOG_SQRT_2PI - torch.log(sd) - (x - mu) ** 2 / (2 * sd**2)


def log_mixture_prior(w: torch.Tensor, pi: float, sigma1: float, sigma2: float) -> torch.Tensor:
    """Elementwise log[π N(w; 0, σ1²) + (1 − π) N(w; 0, σ2²)], stable (log-sum-exp).

    Unlike blitz's ``PriorWeightDistribution.log_prior``, no 1e-6 is added to the density;
    this is the exact mixture the study's own layers used.
    """
    parts = []
    if pi > 0:
        parts.append(math.log(pi) + log_gaussian(w, 0.0, sigma1))
    if pi < 1:
        parts.append(math.log1p(-pi) + log_gaussian(w, 0.0, sigma2))
    return parts[0] if len(parts) == 1 else torch.logaddexp(parts[0], parts[1])


def prior_mass_within(radius: float, pi: float, sigma1: float, sigma2: float) -> float:
    """P(|w| < radius) under the scale-mixture prior."""
    def within(sd: float) -> float:
        return math.erf(radius / (sd * math.sqrt(2)))

    return pi * within(sigma1) + (1 - pi) * within(sigma2)


def log_prior(w: torch.Tensor, spec: dict) -> torch.Tensor:
    """Σ log P(w) under the spec's scale-mixture prior (fused kernel when 0 < π < 1)."""
    pi, s1, s2 = spec["prior_pi"], spec["prior_sigma1"], spec["prior_sigma2"]
    if 0 < pi < 1:
        return MixtureLogPrior.apply(w, pi, s1, s2)
    return log_mixture_prior(w, pi, s1, s2).sum()


def complexity_cost(model, weights: list[torch.Tensor], noises: list[torch.Tensor],
                    sigmas: list[torch.Tensor],
                    keep: list[torch.Tensor] | None = None) -> torch.Tensor:
    """Monte Carlo complexity cost mean_s Σ [log q(w_s | θ) − log P(w_s)].

    Parameters
    ----------
    model : BayesianMLP
        Supplies the prior (``model.spec``).
    weights, noises, sigmas : list of torch.Tensor
        Per variational tensor (weight and bias of every layer, in that order): the samples
        ``(S, *shape)``, their standard-normal noise ``(S, *shape)`` and σ ``shape``.
        Since w = μ + σ ε, (w − μ)/σ is ε exactly, so log q(w_s) = Σ [−log σ − ε²/2] − c.
    keep : list of torch.Tensor, optional
        Bool masks of the entries that are still random variables, one per tensor (shape
        ``shape``).  Pruned entries (μ = σ = 0, a point mass at 0: no longer weights of the
        model) are left out of both sums; their gradient is exactly 0.

    Returns
    -------
    torch.Tensor
        Scalar.
    """
    n_samples = weights[0].shape[0]
    total = 0.0
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
    """Standard-normal noise for ``n_samples`` forward passes, from one request to ``source``.

    Returns
    -------
    list of torch.Tensor
        One per variational tensor, shapes ``(S, out, in)`` and ``(S, out)`` alternating
        (views into one buffer).
    """
    shapes = tensor_shapes(model)
    sizes = [n_samples * math.prod(s) for s in shapes]
    flat = source.normal(sum(sizes), model.layers[0].weight_sampler.mu.dtype)
    return [chunk.view(n_samples, *s) for chunk, s in zip(flat.split(sizes), shapes)]


def sample_weights(model, noises: list[torch.Tensor]):
    """Weight samples w = μ + σ ε for the given noise.

    Parameters
    ----------
    model : BayesianMLP
    noises : list of torch.Tensor
        From :func:`draw_noise`, shapes ``(S, *shape)``.

    Returns
    -------
    weights : list of torch.Tensor
        Per variational tensor, shape ``(S, *shape)``; differentiable in μ and ρ.
    sigmas : list of torch.Tensor
        σ per variational tensor, shape ``shape``.
    """
    weights, sigmas = [], []
    for (mu, rho), eps in zip(variational_pairs(model), noises):
        w, sd = Reparameterise.apply(mu, rho, eps)
        weights.append(w)
        sigmas.append(sd)
    return weights, sigmas


def forward_with(weights: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Logits of the ReLU MLP for stacked weight samples.

    Parameters
    ----------
    weights : list of torch.Tensor
        ``[W1, b1, W2, b2, ...]`` with shapes ``(S, out, in)`` and ``(S, out)``.
    x : torch.Tensor
        Inputs ``(batch, in)``.

    Returns
    -------
    torch.Tensor
        Logits ``(S, batch, n_classes)``.
    """
    h = x
    n_layers = len(weights) // 2
    for k in range(n_layers):
        w, b = weights[2 * k], weights[2 * k + 1]
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
    """The study's BBB minibatch loss, optimised path.

    Parameters
    ----------
    model : BayesianMLP
    x : torch.Tensor
        ``(batch, 784)``.
    y : torch.Tensor
        ``(batch,)`` int64.
    noises : list of torch.Tensor
        ε for S weight samples, from :func:`draw_noise`.
    weight : float or torch.Tensor
        Complexity weight κ_i.  When a float that rounds to 0 in the model's dtype (in
        float32: at or below :data:`KL_WEIGHT_UNDERFLOW`), the complexity cost is not computed
        (exact).  A 0-d tensor on the model's device is always applied (a CUDA graph reads it
        from fixed memory).
    keep : list of torch.Tensor, optional
        Masks of the unpruned entries, for fine-tuning (see :func:`complexity_cost`).

    Returns
    -------
    loss, nll, weighted_complexity : torch.Tensor
        Scalars; ``loss = nll + weighted_complexity``, ``nll`` summed over the batch.
    """
    weights, sigmas = sample_weights(model, noises)
    log_probs = F.log_softmax(forward_with(weights, x), dim=-1).mean(0)   # (batch, classes)
    nll = F.nll_loss(log_probs, y, reduction="sum")
    if isinstance(weight, torch.Tensor):
        weighted = weight * complexity_cost(model, weights, noises, sigmas, keep)
        return nll + weighted, nll, weighted
    kappa = torch.tensor(weight, dtype=nll.dtype)   # on the CPU: testing it needs no sync
    if kappa.item() == 0:
        weighted = torch.zeros((), dtype=nll.dtype, device=nll.device)
    else:
        weighted = kappa.to(nll.device) * complexity_cost(model, weights, noises, sigmas, keep)
    return nll + weighted, nll, weighted


def study_objective_reference(model, x: torch.Tensor, y: torch.Tensor,
                              noises: list[torch.Tensor], weight: float
                              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The same objective written the straightforward way, for checking :func:`study_objective`.

    One ``F.linear`` per layer and sample (as blitz's ``BayesianLinear.forward`` does, with
    σ = log1p(exp(ρ)) and Gaussian log-densities as blitz writes them), plain autograd, and
    the complexity cost on every minibatch.
    """
    spec = model.spec
    outputs, costs = [], []
    pairs = variational_pairs(model)
    for s in range(noises[0].shape[0]):
        h, cost = x, 0.0
        for k in range(len(model.layers)):
            sampled = []
            for j, (mu, rho) in enumerate(pairs[2 * k:2 * k + 2]):
                sd = sigma(rho)
                w = mu + sd * noises[2 * k + j][s]
                cost = cost + log_gaussian(w, mu, sd).sum() - log_mixture_prior(
                    w, spec["prior_pi"], spec["prior_sigma1"], spec["prior_sigma2"]).sum()
                sampled.append(w)
            h = F.linear(h, *sampled)
            if k < len(model.layers) - 1:
                h = torch.relu(h)
        outputs.append(F.log_softmax(h, dim=-1))
        costs.append(cost)
    nll = F.nll_loss(torch.stack(outputs).mean(0), y, reduction="sum")
    weighted = torch.tensor(weight, dtype=nll.dtype, device=nll.device) * torch.stack(costs).mean()
    return nll + weighted, nll, weighted
