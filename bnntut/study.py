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
with a pruning that works, so the two defects can be told apart."""

from __future__ import annotations

import torch
from torch import nn

from .bayes import variational_pairs
from .models import clone
from .prune import check_amount, prune_bayesian


def study_score(mu: torch.Tensor, rho: torch.Tensor) -> torch.Tensor:
    """The study's "SNR": |μ|/ρ for weight matrices, μ/ρ for bias vectors."""
    return (mu.abs() if mu.dim() > 1 else mu) / rho


def _study_selection(model, amount: float):
    """A copy of ``model`` and, per tensor of :func:`variational_pairs` (W1, b1, W2, ...), the
    entries the study selects: score below the ``amount`` quantile of all scores."""
    check_amount(amount)
    pruned = clone(model)
    scores = [study_score(mu, rho) for mu, rho in variational_pairs(pruned)]
    threshold = torch.quantile(torch.cat([s.flatten() for s in scores]).double(), amount)
    return pruned, [score < threshold for score in scores]


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
    pruned, selected = _study_selection(model, amount)
    layer_kinds = [(layer, kind) for layer in pruned.layers for kind in ("weight", "bias")]
    for (layer, kind), below in zip(layer_kinds, selected):     # W1, b1, W2, b2, ...
        for name in (f"{kind}_mu", f"{kind}_rho"):
            setattr(layer, name, nn.Parameter(getattr(layer, name).masked_fill(below, 0)))
    return pruned


@torch.no_grad()
def rebind_prune_if_it_worked(model, amount: float):
    """The study's selection and values (μ = 0, ρ = 0), written where forward reads.

    What the study's pruning would have computed had the assignment reached the sampler:
    the selected weights get posterior N(0, log(2)²) — noise of σ ≈ 0.69, not zeros."""
    pruned, selected = _study_selection(model, amount)
    for (mu, rho), below in zip(variational_pairs(pruned), selected):
        mu.masked_fill_(below, 0.0)
        rho.masked_fill_(below, 0.0)
    return pruned


def rho_ranked_prune(model, amount: float, include_bias: bool = True):
    """Ranking by the study's |μ|/ρ, but pruning that works (μ = σ = 0 where forward reads)."""
    return prune_bayesian(model, amount, study_score, include_bias)


#: The study's published test accuracies (its Tables 1 and 2), transcribed from the report for
#: side-by-side comparison; columns are the pruned fractions in :data:`STUDY_AMOUNTS`.
#: ``tests/test_study.py`` checks them against the report's text when it is available.
STUDY_AMOUNTS = (0.0, 0.5, 0.75, 0.9)
STUDY_TABLES = {
    "mnist": {"sgd": (0.9783, 0.9753, 0.9586, 0.6943),
              "dropout50": (0.9827, 0.9763, 0.9108, 0.2216),
              "dropout75": (0.9576, 0.9290, 0.6097, 0.1287),
              "dropout90": (0.8663, 0.7493, 0.2537, 0.1960),
              "bbb": (0.9820, 0.9819, 0.9823, 0.9822)},
    "fashion-mnist": {"sgd": (0.8967, 0.8877, 0.8003, 0.4890),
                      "dropout50": (0.8756, 0.8765, 0.7595, 0.3436),
                      "dropout75": (0.8277, 0.8256, 0.5790, 0.2150),
                      "dropout90": (0.7198, 0.6552, 0.3479, 0.1539),
                      "bbb": (0.8925, 0.8941, 0.8934, 0.8962)}}

#: The study's reported training wall time for 50 epochs on an RTX 3080, in minutes
#: (section 4: "about 50 minutes" for BBB, "about 5 minutes" for SGD and dropout nets).
STUDY_TRAINING_MINUTES = {"bbb": 50.0, "baseline": 5.0}
