"""The study's BBB pruning, reproduced with its defects, for demonstration and comparison.

Read from the study's published notebooks (``../shared/seed/NOTES.md``):

1. It ranked weights by |μ|/ρ (biases by μ/ρ) — ρ, not σ = log(1 + e^ρ).  ρ is negative, so
   every score is ≤ 0 and the order is reversed: the "lowest SNR" removed first are the
   weights with the *largest* |μ|/|ρ|.
2. It set μ and ρ of the selected entries to 0 by assigning **new** ``nn.Parameter`` objects
   to the layer.  The layer's sampler keeps the old tensors and forward reads the sampler, so
   the "pruned" network computes exactly what the unpruned one did.  (Even had it worked,
   ρ = 0 means σ = log 2 ≈ 0.69: large noise, not a removed weight.)

:func:`rebind_prune` repeats (1) + (2) on a copy; :func:`rho_ranked_prune` applies ranking (1)
with a pruning that works, so the two defects can be told apart.
"""

from __future__ import annotations

import torch
from torch import nn

from .bayes import variational_tensors
from .models import clone
from .prune import check_amount, prune_bayesian


def study_score(mu: torch.Tensor, rho: torch.Tensor) -> torch.Tensor:
    """The study's "SNR": |μ|/ρ for weight matrices, μ/ρ for bias vectors."""
    return (mu.abs() if mu.dim() > 1 else mu) / rho


@torch.no_grad()
def rebind_prune(model, amount: float):
    """The study's procedure, defects included: threshold |μ|/ρ, rebind new Parameters.

    Parameters
    ----------
    model : BayesianMLP
        Left untouched.
    amount : float
        The quantile of the study's score below which entries are "pruned".

    Returns
    -------
    BayesianMLP
        A copy whose ``weight_mu``/``weight_rho``/``bias_mu``/``bias_rho`` attributes are new
        Parameters with zeros at the selected entries — and whose forward is unchanged.
    """
    check_amount(amount)
    pruned = clone(model)
    scores = [study_score(mu, rho) for layer in pruned.layers
              for mu, rho in (variational_tensors(layer)[:2], variational_tensors(layer)[2:])]
    threshold = torch.quantile(torch.cat([s.flatten() for s in scores]).double(), amount)
    for k, layer in enumerate(pruned.layers):
        for j, (mu_name, rho_name) in enumerate((("weight_mu", "weight_rho"),
                                                 ("bias_mu", "bias_rho"))):
            below = scores[2 * k + j] < threshold
            setattr(layer, mu_name, nn.Parameter(getattr(layer, mu_name).masked_fill(below, 0)))
            setattr(layer, rho_name, nn.Parameter(getattr(layer, rho_name).masked_fill(below, 0)))
    return pruned


def rho_ranked_prune(model, amount: float, include_bias: bool = True):
    """Ranking by the study's |μ|/ρ, but pruning that works (μ = σ = 0 where forward reads)."""
    return prune_bayesian(model, amount, study_score, include_bias)
