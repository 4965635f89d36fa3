"""Unstructured pruning that provably changes what forward computes; each criterion returns a
pruned copy: :func:`l1` (global magnitude: the study's ``torch.nn.utils.prune`` call for
deterministic nets, |μ| for Bayesian ones), :func:`snr` (|μ|/σ, Blundell et al. 2015, section
5.1), :func:`l1_per_layer` (the same fraction of every tensor) and :func:`random` (seeded, the
floor any criterion must beat).

A pruned Bayesian weight gets μ = 0 **and** σ = 0 (ρ = −∞), written in place into the tensors
blitz's sampler reads, so every sampled weight and the posterior mean are exactly 0.
``torch.nn.utils.prune`` on ``weight_mu`` would change nothing: it re-parametrises
``weight_mu`` through a forward pre-hook, but sampled forwards read ``weight_sampler.mu``,
another Parameter over the same storage (see :mod:`bnntut.bayes`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import torch
from torch.nn.utils import prune as torch_prune

from .bayes import sigma, variational_pairs
from .models import clone, is_bayesian


def check_amount(amount: float) -> float:
    """``amount`` as a float if a real in [0, 1] (Python, NumPy, 0-d tensor), else ValueError."""
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
    """A copy of ``model`` with μ and σ zeroed for the ``round(amount · n)`` ranked entries
    (biases too when ``include_bias``) of lowest ``score(mu, rho)`` (same shape as ``mu``)."""
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


def _tensor_names(include_bias: bool) -> tuple[str, ...]:
    """The ranked parameters of an ``nn.Linear``."""
    return ("weight", "bias") if include_bias else ("weight",)


def _torch_global(model, amount: float, include_bias: bool, method, seed: int | None = None):
    """A deterministic net's copy pruned by ``torch_prune.global_unstructured``, made permanent;
    with ``seed``, under a forked, seeded global generator (the caller's state is kept)."""
    pruned = clone(model)
    targets = [(linear, name) for name in _tensor_names(include_bias) for linear in pruned.linears]
    with torch.random.fork_rng(devices=[], enabled=seed is not None):
        if seed is not None:
            torch.manual_seed(seed)
        torch_prune.global_unstructured(targets, pruning_method=method, amount=amount)
    for module, name in targets:
        torch_prune.remove(module, name)
    return pruned


def l1(model, amount: float, include_bias: bool = True):
    """A copy of ``model`` (MLP or BayesianMLP) with the ``amount`` (in [0, 1]) of its ranked
    weights (and biases, as the study does) of smallest magnitude set exactly to zero."""
    amount = check_amount(amount)
    if is_bayesian(model):
        return prune_bayesian(model, amount, lambda mu, rho: mu.abs(), include_bias)
    return _torch_global(model, amount, include_bias, torch_prune.L1Unstructured)


def snr(model, amount: float, include_bias: bool = True):
    """A copy of a Bayesian ``model`` pruned globally by signal-to-noise ratio |μ|/σ."""
    amount = check_amount(amount)
    if not is_bayesian(model):
        raise ValueError("snr pruning needs a Bayesian model (one with σ); use l1 for "
                         "deterministic models")
    return prune_bayesian(model, amount, snr_score, include_bias)


def l1_per_layer(model, amount: float, include_bias: bool = True):
    """A copy of a deterministic ``model`` whose every weight matrix (and bias vector) loses
    ``round(amount · n)`` of its smallest-magnitude entries; the overall fraction can differ
    from ``amount`` by rounding (see :func:`sparsity`)."""
    amount = check_amount(amount)
    if is_bayesian(model):
        raise ValueError("l1-layer is defined for deterministic nets; use l1, snr or random "
                         "for Bayesian nets")
    pruned = clone(model)
    for linear in pruned.linears:
        for name in _tensor_names(include_bias):
            torch_prune.l1_unstructured(linear, name, amount=amount)
            torch_prune.remove(linear, name)
    return pruned


def random(model, amount: float, include_bias: bool = True, seed: int = 0):
    """A copy of ``model`` without a seeded random ``round(amount · n)`` of its ranked entries;
    one seed gives nested masks across amounts (one random ranking)."""
    amount = check_amount(amount)
    if is_bayesian(model):
        generator = torch.Generator().manual_seed(seed)
        return prune_bayesian(
            model, amount, lambda mu, rho: torch.rand(mu.shape, generator=generator)
            .to(mu.device), include_bias)
    return _torch_global(model, amount, include_bias, torch_prune.RandomUnstructured, seed)


#: Pruning criteria by name, for sweeps and the CLI.
CRITERIA = {"l1": l1, "snr": snr, "l1-layer": l1_per_layer, "random": random}


def criterion_for(x) -> str:
    """The study's pruning criterion of a model, a model spec or a model kind
    (:func:`bnntut.models.is_bayesian`): ``"snr"`` (|μ|/σ) for a Bayesian one, ``"l1"``
    (global magnitude) else."""
    return "snr" if is_bayesian(x) else "l1"


def swept_criteria(x) -> list[str]:
    """The criteria a trained model's sweeps rank by: global magnitude (``"l1"``, |μ| for
    BBB), then the family's own criterion where it differs (:func:`criterion_for`)."""
    return list(dict.fromkeys(("l1", criterion_for(x))))


def get_criterion(name: str):
    """The pruning function called ``name``; ``ValueError`` lists the allowed names."""
    if name not in CRITERIA:
        raise ValueError(f"unknown pruning criterion {name!r}; allowed: {', '.join(CRITERIA)}")
    return CRITERIA[name]


@torch.no_grad()
def removed_mask(model, include_bias: bool = True) -> torch.Tensor:
    """Flat bool mask ``(n_parameters,)`` of the parameters forward always sees as exactly 0:
    the zeros among all weights, then all biases (deterministic nets), or the entries with
    μ = σ = 0 in sampling order W1, b1, W2, b2, ... (Bayesian nets)."""
    if is_bayesian(model):
        flags = [(mu == 0) & (sigma(rho) == 0)
                 for mu, rho in variational_pairs(model, include_bias)]
    else:
        flags = [getattr(linear, name) == 0
                 for name in _tensor_names(include_bias) for linear in model.linears]
    return torch.cat([f.flatten() for f in flags])


def sparsity(model, include_bias: bool = True) -> float:
    """Fraction of parameters that forward always sees as exactly 0 (see :func:`removed_mask`)."""
    mask = removed_mask(model, include_bias)
    return int(mask.sum()) / mask.numel()


def kept_overlap(a, b, include_bias: bool = True) -> float:
    """Fraction of the parameters kept by pruned model ``a`` that pruned model ``b`` keeps too."""
    kept_a, kept_b = ~removed_mask(a, include_bias), ~removed_mask(b, include_bias)
    return int((kept_a & kept_b).sum()) / max(int(kept_a.sum()), 1)
