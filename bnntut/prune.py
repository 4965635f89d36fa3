"""Unstructured global pruning that provably changes what forward computes.

* :func:`l1` — global magnitude pruning.  Deterministic nets: the study's own call,
  ``torch.nn.utils.prune.global_unstructured(..., L1Unstructured)``, made permanent with
  ``prune.remove``.  Bayesian nets: ranked by |μ|.
* :func:`snr` — Bayesian nets only: ranked by the signal-to-noise ratio |μ|/σ
  (Blundell et al. 2015, section 5.1).
* :func:`l1_per_layer` — deterministic nets: the same fraction of every tensor by magnitude
  (``torch.nn.utils.prune.l1_unstructured`` per tensor).
* :func:`random` — a seeded random choice of entries (global), the floor any criterion must
  beat (``RandomUnstructured`` for deterministic nets).

A pruned Bayesian weight gets μ = 0 **and** σ = 0 (ρ = −∞), written in place into the tensors
that blitz's sampler reads, so every sampled weight is exactly 0 and the posterior mean too.
(``torch.nn.utils.prune`` cannot do this: it re-parametrises ``weight_mu`` through a forward
pre-hook of the layer, but sampled forwards read ``weight_sampler.mu``, a different Parameter
object, so the mask never reaches them.)

All functions return a pruned copy and leave their input untouched.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import torch
from torch.nn.utils import prune as torch_prune

from .bayes import sigma, variational_pairs
from .models import clone, is_bayesian


def check_amount(amount: float) -> float:
    """Return ``amount`` as a float if it is a real number in [0, 1] (Python, NumPy or a
    0-d tensor), else raise ``ValueError``."""
    if isinstance(amount, torch.Tensor) and amount.ndim == 0 and not amount.is_complex():
        amount = amount.item()
    if (isinstance(amount, bool) or not isinstance(amount, numbers.Real)
            or not 0.0 <= float(amount) <= 1.0):            # NaN fails the comparison too
        raise ValueError(f"amount must be a fraction in [0, 1] (the share of parameters to "
                         f"remove), got {amount!r}")
    return float(amount)


def n_to_prune(amount: float, total: int) -> int:
    """Entries removed for ``amount`` of ``total``: ``round(amount * total)``, as torch does."""
    return round(check_amount(amount) * total)


Score = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@torch.no_grad()
def prune_bayesian(model, amount: float, score: Score, include_bias: bool = True):
    """Zero μ and σ of the ``round(amount · n)`` entries with the lowest ``score(μ, ρ)``.

    Parameters
    ----------
    model : BayesianMLP
    amount : float
        Fraction in [0, 1] of the ranked entries to remove (exact count).
    score : callable
        ``score(mu, rho) -> tensor`` of the same shape; lower is pruned first.
    include_bias : bool
        Rank and prune biases together with weights.

    Returns
    -------
    BayesianMLP
        A pruned copy.
    """
    pruned = clone(model)
    pairs = variational_pairs(pruned, include_bias)
    scores = torch.cat([score(mu, rho).flatten() for mu, rho in pairs])
    k = n_to_prune(amount, scores.numel())
    if k == 0:
        return pruned
    mask = torch.zeros_like(scores, dtype=torch.bool)
    mask[torch.topk(scores, k, largest=False, sorted=False).indices] = True
    for (mu, rho), part in zip(pairs, mask.split([mu.numel() for mu, _ in pairs])):
        part = part.view_as(mu)
        mu.masked_fill_(part, 0.0)              # in place: the sampler reads these tensors
        rho.masked_fill_(part, float("-inf"))   # σ = log1p(exp(−∞)) = 0 exactly
    return pruned


def snr_score(mu: torch.Tensor, rho: torch.Tensor) -> torch.Tensor:
    """|μ| / σ with σ = log(1 + e^ρ); already-pruned entries (σ = 0) score 0."""
    sd = sigma(rho)
    return torch.where(sd > 0, mu.abs() / sd.clamp_min(torch.finfo(sd.dtype).tiny), 0.0)


def magnitude_score(mu: torch.Tensor, rho: torch.Tensor) -> torch.Tensor:
    """|μ|."""
    return mu.abs()


def l1(model, amount: float, include_bias: bool = True):
    """Global unstructured magnitude pruning (no fine-tuning).

    Parameters
    ----------
    model : MLP or BayesianMLP
        Left untouched.
    amount : float
        Fraction in [0, 1] of all ranked weights (and biases) to remove.
    include_bias : bool
        Rank biases together with weights, as the study does.

    Returns
    -------
    torch.nn.Module
        A pruned copy with the pruned entries exactly zero.
    """
    amount = check_amount(amount)
    if is_bayesian(model):
        return prune_bayesian(model, amount, magnitude_score, include_bias)
    pruned = clone(model)
    targets = [(linear, "weight") for linear in pruned.linears]
    if include_bias:
        targets += [(linear, "bias") for linear in pruned.linears]
    torch_prune.global_unstructured(targets, pruning_method=torch_prune.L1Unstructured,
                                    amount=amount)
    for module, name in targets:
        torch_prune.remove(module, name)
    return pruned


def snr(model, amount: float, include_bias: bool = True):
    """Global pruning of a Bayesian net by signal-to-noise ratio |μ|/σ.

    Parameters
    ----------
    model : BayesianMLP
        Left untouched.
    amount : float
        Fraction in [0, 1] to remove.
    include_bias : bool
        Rank biases together with weights.

    Raises
    ------
    ValueError
        For a deterministic model (it has no σ) or a bad amount.
    """
    amount = check_amount(amount)
    if not is_bayesian(model):
        raise ValueError("snr pruning needs a Bayesian model (one with σ); use l1 for "
                         "deterministic models")
    return prune_bayesian(model, amount, snr_score, include_bias)


def l1_per_layer(model, amount: float, include_bias: bool = True):
    """Magnitude pruning of the same fraction of every tensor (deterministic nets).

    Each weight matrix (and, with ``include_bias``, each bias vector) loses
    ``round(amount · n_tensor)`` of its smallest-magnitude entries, so the overall fraction
    can differ from ``amount`` by rounding (measure it with :func:`sparsity`).

    Raises
    ------
    ValueError
        For a Bayesian model or a bad amount.
    """
    amount = check_amount(amount)
    if is_bayesian(model):
        raise ValueError("l1-layer is defined for deterministic nets; use l1, snr or random "
                         "for Bayesian nets")
    pruned = clone(model)
    names = ("weight", "bias") if include_bias else ("weight",)
    for linear in pruned.linears:
        for name in names:
            torch_prune.l1_unstructured(linear, name, amount=amount)
            torch_prune.remove(linear, name)
    return pruned


def random(model, amount: float, include_bias: bool = True, seed: int = 0):
    """Remove a seeded random ``round(amount · n)`` of all ranked entries.

    The same seed gives nested masks across amounts (one random ranking).  Deterministic nets:
    ``torch.nn.utils.prune.global_unstructured(..., RandomUnstructured)`` under a forked,
    seeded global generator (the caller's random state is untouched).  Bayesian nets: μ and σ
    of the chosen entries set to 0 as in :func:`prune_bayesian`.
    """
    amount = check_amount(amount)
    if is_bayesian(model):
        generator = torch.Generator().manual_seed(seed)
        return prune_bayesian(
            model, amount, lambda mu, rho: torch.rand(mu.shape, generator=generator)
            .to(mu.device), include_bias)
    pruned = clone(model)
    targets = [(linear, "weight") for linear in pruned.linears]
    if include_bias:
        targets += [(linear, "bias") for linear in pruned.linears]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch_prune.global_unstructured(targets, pruning_method=torch_prune.RandomUnstructured,
                                        amount=amount)
    for module, name in targets:
        torch_prune.remove(module, name)
    return pruned


#: Pruning criteria by name, for sweeps and the CLI.
CRITERIA = {"l1": l1, "snr": snr, "l1-layer": l1_per_layer, "random": random}


def get_criterion(name: str):
    """The pruning function called ``name``; ``ValueError`` lists the allowed names."""
    if name not in CRITERIA:
        raise ValueError(f"unknown pruning criterion {name!r}; allowed: {', '.join(CRITERIA)}")
    return CRITERIA[name]


@torch.no_grad()
def removed_mask(model, include_bias: bool = True) -> torch.Tensor:
    """Flat boolean mask of the parameters that forward always sees as exactly 0.

    Deterministic nets: zeros among the weights (and biases), layer by layer, weights before
    biases.  Bayesian nets: entries with μ = 0 and σ = 0 — zero in every sampled forward and in
    the posterior mean — in sampling order (W1, b1, W2, b2, ...; biases only when
    ``include_bias``).

    Returns
    -------
    torch.Tensor
        Shape ``(n_parameters,)``, bool.
    """
    if is_bayesian(model):
        flags = [(mu == 0) & (sigma(rho) == 0)
                 for mu, rho in variational_pairs(model, include_bias)]
    else:
        tensors = [linear.weight for linear in model.linears]
        if include_bias:
            tensors += [linear.bias for linear in model.linears]
        flags = [t == 0 for t in tensors]
    return torch.cat([f.flatten() for f in flags])


def sparsity(model, include_bias: bool = True) -> float:
    """Fraction of parameters that forward always sees as exactly 0 (see :func:`removed_mask`)."""
    mask = removed_mask(model, include_bias)
    return int(mask.sum()) / mask.numel()


def kept_overlap(a, b, include_bias: bool = True) -> float:
    """Fraction of the parameters kept by pruned model ``a`` that pruned model ``b`` keeps too."""
    kept_a, kept_b = ~removed_mask(a, include_bias), ~removed_mask(b, include_bias)
    return int((kept_a & kept_b).sum()) / max(int(kept_a.sum()), 1)
