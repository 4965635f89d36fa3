"""Accuracy, predictive probabilities, pruning sweeps and weight-distribution summaries."""

from __future__ import annotations

import torch

from . import bayes, prune
from .models import is_bayesian
from .noise import NoiseSource

#: The pruning grid of every sweep: 0, 0.05, …, 0.95, then 0.98 and 0.99.
SWEEP_AMOUNTS = tuple(round(0.05 * k, 2) for k in range(20)) + (0.98, 0.99)
#: The study's table columns (all on the sweep grid) and the extra ones we report.
TABLE_AMOUNTS = (0.0, 0.5, 0.75, 0.9, 0.95, 0.98)
EVAL_CHUNK = 2000  #: rows per forward pass in evaluation
#: Bin ranges of the stored weight histograms (the study's plots use ±0.3).
VALUE_RANGE = (-0.3, 0.3)
LOG10_SIGMA_RANGE = (-4.0, 0.0)
SNR_DB_RANGE = (-40.0, 40.0)


def _describe(t) -> str:
    """dtype and shape of a tensor, else the type's name, for error messages."""
    return (f"{t.dtype} of shape {tuple(t.shape)}" if isinstance(t, torch.Tensor)
            else type(t).__name__)


def check_inputs(x: torch.Tensor, y: torch.Tensor | None = None) -> None:
    """Raise ``ValueError`` unless ``x`` is a finite float ``(n, features)`` tensor and ``y`` (if
    given) integer labels ``(n,)``: ``(n, 1)`` labels or NaN pixels silently skew accuracies."""
    if not isinstance(x, torch.Tensor) or x.ndim != 2 or not x.is_floating_point():
        raise ValueError(f"x must be a float tensor of shape (n, features), got {_describe(x)}")
    if not torch.isfinite(x).all():
        raise ValueError(f"x holds {int((~torch.isfinite(x)).sum())} NaN or infinite values; "
                         "clean the inputs first")
    if y is not None:
        if not isinstance(y, torch.Tensor) or y.ndim != 1 or y.is_floating_point():
            raise ValueError(f"y must be an integer tensor of shape (n,), got {_describe(y)}; "
                             "flatten it with y.view(-1)")
        if len(y) != len(x):
            raise ValueError(f"x has {len(x)} rows but y has {len(y)} labels")


@torch.no_grad()
def predict_proba(model, x: torch.Tensor, samples: int = 0, seed: int = 0) -> torch.Tensor:
    """Predictive class probabilities ``(n, 10)`` for inputs ``x`` ``(n, 784)``: with
    ``samples`` = 0, one forward in eval mode (the posterior mean μ for BBB, no dropout); with
    S > 0, the softmax averaged over S stochastic forwards drawn from ``seed`` (S weight samples
    for BBB, the same for every input, or S dropout masks)."""
    if samples < 0:
        raise ValueError(f"samples must be >= 0, got {samples}")
    check_inputs(x)
    was_training, chunks = model.training, x.split(EVAL_CHUNK)
    if samples == 0:
        model.eval()
        out = torch.cat([torch.softmax(model(c), -1) for c in chunks])
    elif is_bayesian(model):
        source = NoiseSource(seed, x.device)
        weights, _ = bayes.sample_weights(model, bayes.draw_noise(model, samples, source))
        out = torch.cat([torch.softmax(bayes.forward_with(weights, c), -1).mean(0) for c in chunks])
    else:
        model.train()
        state = torch.get_rng_state()
        torch.manual_seed(seed)
        out = torch.cat([torch.stack([torch.softmax(model(c), -1) for _ in range(samples)]).mean(0)
                         for c in chunks])
        torch.set_rng_state(state)
    model.train(was_training)
    return out


def accuracy(model, x: torch.Tensor, y: torch.Tensor, samples: int = 0, seed: int = 0) -> float:
    """Fraction of correct argmax predictions for ``x`` ``(n, 784)`` and integer labels ``y``
    ``(n,)`` (``ValueError`` otherwise); ``samples`` as in :func:`predict_proba`."""
    check_inputs(x, y)
    return (predict_proba(model, x, samples, seed).argmax(-1) == y).float().mean().item()


def prune_sweep(model, criterion: str, x: torch.Tensor, y: torch.Tensor,
                amounts: tuple[float, ...] = SWEEP_AMOUNTS, mc_samples: int = 0,
                include_bias: bool = True) -> dict:
    """Accuracy on test inputs ``x`` ``(n, 784)``, labels ``y`` ``(n,)`` after pruning ``model``
    by ``criterion`` (see :mod:`bnntut.prune`) at every amount, without fine-tuning: ``amounts``,
    ``sparsity``, ``accuracy`` (eval mode) and, if ``mc_samples`` > 0, the MC ``accuracy_mc``."""
    prune_fn = prune.get_criterion(criterion)
    result = {"amounts": list(amounts), "sparsity": [], "accuracy": []}
    if mc_samples:
        result.update(accuracy_mc=[], mc_samples=mc_samples)
    for amount in amounts:
        pruned = prune_fn(model, amount, include_bias=include_bias)
        result["sparsity"].append(prune.sparsity(pruned, include_bias))
        result["accuracy"].append(accuracy(pruned, x, y))
        if mc_samples:
            result["accuracy_mc"].append(accuracy(pruned, x, y, samples=mc_samples))
    return result


def histogram(values: torch.Tensor, low: float, high: float, bins: int = 100) -> dict:
    """Counts of ``values`` in ``bins`` equal bins on [low, high], plus the outliers: a dict of
    ``edges`` (bins + 1), ``counts`` (bins), ``below``, ``above``, ``n``, ``mean``, ``std``."""
    v = values.detach().flatten().double().cpu()
    finite = v[torch.isfinite(v)]
    return {"edges": torch.linspace(low, high, bins + 1).tolist(),
            "counts": torch.histc(finite, bins, low, high).long().tolist(),
            "below": int((finite < low).sum()), "above": int((finite > high).sum()),
            "n": int(v.numel()), "mean": finite.mean().item(), "std": finite.std().item()}


@torch.no_grad()
def weight_summary(model, seed: int = 0) -> dict:
    """Histograms of all weights and biases, so plots need no checkpoint: ``values``
    (deterministic nets), or ``mu``, ``sample`` (one posterior draw, as the study plotted),
    ``log10_sigma`` and ``snr_db`` (10·log10 |μ|/σ, Blundell's Figure 4)."""
    if not is_bayesian(model):
        values = torch.cat([p.flatten() for p in model.parameters()])
        return {"values": histogram(values, *VALUE_RANGE)}
    mus, rhos = zip(*bayes.variational_pairs(model))
    mu = torch.cat([m.flatten() for m in mus])
    sd = bayes.sigma(torch.cat([r.flatten() for r in rhos]))
    noise = NoiseSource(seed, mu.device).normal(mu.numel())
    return {"mu": histogram(mu, *VALUE_RANGE),
            "sample": histogram(mu + sd * noise, *VALUE_RANGE),
            "log10_sigma": histogram(torch.log10(sd), *LOG10_SIGMA_RANGE),
            "snr_db": histogram(10 * torch.log10(mu.abs() / sd), *SNR_DB_RANGE),
            "n_parameters": int(mu.numel()), "mean_sigma": sd.mean().item()}
