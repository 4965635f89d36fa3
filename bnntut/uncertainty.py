"""Calibration and out-of-distribution detection of pruned networks.

For a trained (dataset, method) model, at every pruned fraction of its preset's
``uncertainty["amounts"]`` (BBB by SNR, the baselines by global L1, no fine-tuning) and in
every mode (:func:`modes_for`):

* calibration: the expected calibration error (ECE) over 15 equal-width bins (i/15, (i+1)/15]
  of the confidence, the largest class probability, and their reliability diagram (Guo et al.
  2017);
* OOD detection: predictive entropy as the score of the other dataset's test images (MNIST ↔
  Fashion-MNIST), the AUROC with in-distribution as negatives (Hendrycks & Gimpel 2017).

:func:`run` stores ``<results>/<preset>/<dataset>/<method>.uncertainty.json``, reused while
its configuration and the trained model are current.
"""

from __future__ import annotations

import math
import os
import time

import torch

from . import data as data_module
from . import devices, experiment, metadata, prune, store
from .evaluate import predict_proba
from .methods import get as get_method
from .models import N_CLASSES
from .presets import Preset, method_config, resolve, thaw

#: Equal-width confidence bins (i/15, (i+1)/15] of the ECE and the reliability diagram.
ECE_BINS = 15
#: Fixed bins of the entropy histograms, on [0, log 10] nats.
ENTROPY_BINS = 30
#: The out-of-distribution test set of each training set.
OOD_DATASETS = {"mnist": "fashion-mnist", "fashion-mnist": "mnist"}
#: Prediction modes: name -> description.
MODES = {
    "deterministic": "one deterministic forward in eval mode (BBB: posterior mean μ)",
    "mc": "Monte Carlo predictive, the preset's uncertainty[\"mc_samples\"] stochastic "
          "forwards (BBB: weight samples; dropout nets: MC dropout)",
}

#: Kept as a name for callers; every store warning is :class:`bnntut.store.StaleResultWarning`.
StaleUncertaintyWarning = store.StaleResultWarning


def _check_probs(probs: torch.Tensor, name: str = "probs") -> torch.Tensor:
    """``probs`` as float64 on the CPU, after checking it is a stochastic ``(n, classes)``."""
    if not isinstance(probs, torch.Tensor) or probs.dim() != 2 or probs.shape[0] == 0:
        shape = tuple(probs.shape) if isinstance(probs, torch.Tensor) else type(probs).__name__
        raise ValueError(f"{name} must be a non-empty tensor of shape (n, classes), got {shape}")
    p = probs.detach().double().cpu()
    if not torch.isfinite(p).all() or (p < 0).any():
        raise ValueError(f"{name} must be finite and non-negative")
    if not torch.allclose(p.sum(-1), torch.ones(len(p), dtype=p.dtype), atol=1e-4):
        raise ValueError(f"every row of {name} must sum to 1")
    return p


def _check_bins(bins: int) -> int:
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    return bins


def reliability(probs: torch.Tensor, labels: torch.Tensor, bins: int = ECE_BINS) -> dict:
    """Reliability diagram of probabilities ``(n, classes)`` against true classes ``(n,)``.

    Bin ``i`` (0-based) of the ``bins`` equal-width bins holds the confidences (largest class
    probabilities) in (i/bins, (i+1)/bins]; a confidence of exactly 0 goes to bin 0.
    Returns ``edges`` (bins + 1) and per bin ``confidence`` (mean confidence) and
    ``accuracy`` (fraction correct), both ``None`` for an empty bin, and ``count``.
    """
    p, bins = _check_probs(probs), _check_bins(bins)
    y = labels.detach().cpu() if isinstance(labels, torch.Tensor) else None
    if y is None or y.shape != (len(p),) or y.is_floating_point() or y.is_complex():
        raise ValueError(f"labels must be an integer tensor of shape ({len(p)},)")
    if (y < 0).any() or (y >= p.shape[1]).any():
        raise ValueError(f"labels must be class indices in [0, {p.shape[1]})")
    confidence, predicted = p.max(-1)
    index = (torch.ceil(confidence * bins).long() - 1).clamp(0, bins - 1)
    count = torch.bincount(index, minlength=bins)

    def mean(values):
        means = torch.bincount(index, weights=values, minlength=bins) / count.clamp_min(1)
        return [m if c else None for m, c in zip(means.tolist(), count.tolist())]

    return {"edges": [k / bins for k in range(bins + 1)], "confidence": mean(confidence),
            "accuracy": mean((predicted == y).double()), "count": count.tolist()}


def ece_of(diagram: dict) -> float:
    """ECE of a :func:`reliability` diagram: Σ_bins (count / n) · |accuracy − confidence|."""
    n = sum(diagram["count"])
    return sum(c / n * abs(a - m) for c, a, m in
               zip(diagram["count"], diagram["accuracy"], diagram["confidence"]) if c)


def confidence_gap(diagram: dict) -> float:
    """Mean confidence minus accuracy of a :func:`reliability` diagram: > 0 over-confident,
    < 0 under-confident."""
    n = sum(diagram["count"])
    return sum(c / n * (m - a) for c, a, m in
               zip(diagram["count"], diagram["accuracy"], diagram["confidence"]) if c)


def expected_calibration_error(probs: torch.Tensor, labels: torch.Tensor,
                               bins: int = ECE_BINS) -> float:
    """ECE = Σ_b (n_b / n) · |acc_b − conf_b| over the bins of :func:`reliability` (arguments
    as there; Guo et al. 2017): in [0, 1], 0 for a perfectly calibrated model."""
    return ece_of(reliability(probs, labels, bins))


def entropy(probs: torch.Tensor) -> torch.Tensor:
    """Predictive entropy −Σ_k p_k log p_k in nats (0 · log 0 = 0) of each row of ``probs``
    ``(n, classes)``: float64 ``(n,)``, rounding error clipped into [0, log classes]."""
    p = _check_probs(probs)
    return (-torch.xlogy(p, p).sum(-1)).clamp(0.0, math.log(p.shape[1]))


def auroc(negatives: torch.Tensor, positives: torch.Tensor) -> float:
    """Exact area under the ROC curve, P(s⁺ > s⁻) + ½ P(s⁺ = s⁻), of two 1-D score tensors
    (here in-distribution test images the negatives, OOD ones the positives), from ranks with
    ties sharing their average rank (the Mann–Whitney U statistic): 1 when every positive
    scores above every negative, 0.5 for identical scores."""
    for name, t in (("negatives", negatives), ("positives", positives)):
        if not isinstance(t, torch.Tensor) or t.dim() != 1 or t.numel() == 0:
            raise ValueError(f"{name} must be a non-empty 1-D tensor of scores")
        if not torch.isfinite(t).all():
            raise ValueError(f"{name} must be finite")
    neg, pos = negatives.detach().double().cpu(), positives.detach().double().cpu()
    _, inverse, counts = torch.unique(torch.cat([neg, pos]), sorted=True, return_inverse=True,
                                      return_counts=True)
    counts = counts.double()
    mid_rank = torch.cumsum(counts, 0) - (counts - 1) / 2      # 1-based, averaged over ties
    n_pos, n_neg = len(pos), len(neg)
    u = mid_rank[inverse[n_neg:]].sum().item() - n_pos * (n_pos + 1) / 2
    return u / (n_pos * n_neg)


def entropy_histogram(values: torch.Tensor, bins: int = ENTROPY_BINS,
                      n_classes: int = N_CLASSES) -> dict:
    """``edges`` (bins + 1) and ``counts`` of entropies in ``bins`` equal bins on
    [0, log n_classes], the top bin closed."""
    bins = _check_bins(bins)
    high = math.log(n_classes)
    v = values.detach().double().cpu().clamp(0.0, high)
    index = torch.floor(v / high * bins).long().clamp(0, bins - 1)
    return {"edges": [high * k / bins for k in range(bins + 1)],
            "counts": torch.bincount(index, minlength=bins).tolist()}


def analyse(probs_in: torch.Tensor, labels_in: torch.Tensor, probs_ood: torch.Tensor,
            ece_bins: int = ECE_BINS, entropy_bins: int = ENTROPY_BINS) -> dict:
    """Calibration and OOD detection from predicted probabilities.

    Parameters
    ----------
    probs_in, labels_in : torch.Tensor
        In-distribution test probabilities ``(n_in, classes)`` and labels ``(n_in,)``.
    probs_ood : torch.Tensor
        Out-of-distribution test probabilities ``(n_ood, classes)``.
    ece_bins, entropy_bins : int
        Bins of the reliability diagram and of the entropy histograms.

    Returns
    -------
    dict
        ``accuracy``, ``nll`` (mean negative log-likelihood, nats), ``ece``, ``reliability``
        (:func:`reliability`), ``auroc`` (entropy as the OOD score) and ``entropy``:
        ``edges``, ``in`` and ``ood`` (histogram counts), ``mean_in``, ``mean_ood``.
    """
    p_in, p_ood = _check_probs(probs_in, "probs_in"), _check_probs(probs_ood, "probs_ood")
    diagram = reliability(p_in, labels_in, ece_bins)
    y = labels_in.detach().cpu()
    h_in, h_ood = entropy(p_in), entropy(p_ood)
    n_classes = p_in.shape[1]
    hist_in = entropy_histogram(h_in, entropy_bins, n_classes)
    picked = p_in.gather(1, y.view(-1, 1)).squeeze(1)
    return {
        "accuracy": (p_in.argmax(-1) == y).double().mean().item(),
        "nll": -torch.log(picked.clamp_min(1e-300)).mean().item(),
        "ece": ece_of(diagram), "reliability": diagram, "auroc": auroc(h_in, h_ood),
        "entropy": {"edges": hist_in["edges"], "in": hist_in["counts"],
                    "ood": entropy_histogram(h_ood, entropy_bins, n_classes)["counts"],
                    "mean_in": h_in.mean().item(), "mean_ood": h_ood.mean().item()},
    }


def diagnose(model, x_in: torch.Tensor, y_in: torch.Tensor, x_ood: torch.Tensor,
             samples: int = 0, seed: int = 0, ece_bins: int = ECE_BINS,
             entropy_bins: int = ENTROPY_BINS) -> dict:
    """:func:`analyse` the predictions of ``model`` (see :func:`bnntut.evaluate.predict_proba`)
    on in-distribution inputs ``x_in`` ``(n_in, 784)`` with labels ``y_in`` ``(n_in,)`` and on
    OOD inputs ``x_ood`` ``(n_ood, 784)``.  ``samples`` 0: deterministic (eval mode, BBB
    posterior mean); S > 0: the S-sample Monte Carlo predictive (BBB weight samples, MC
    dropout), drawn from ``seed`` for both sets.
    """
    return analyse(predict_proba(model, x_in, samples, seed), y_in,
                   predict_proba(model, x_ood, samples, seed), ece_bins, entropy_bins)


def modes_for(method: str, preset: Preset | str = "paper") -> dict[str, int]:
    """``{mode: Monte Carlo samples}`` of a method: ``deterministic`` (0) for every method,
    ``mc`` (the preset's ``uncertainty["mc_samples"]``) where the registry has one (BBB,
    dropout nets; not "SGD")."""
    samples = resolve(preset).uncertainty["mc_samples"]
    return {"deterministic": 0, **({"mc": samples} if get_method(method).mc else {})}


def config_for(dataset: str, method: str, preset: Preset | str = "paper") -> dict:
    """The configuration of one uncertainty sweep (what its hash covers) of a
    :class:`~bnntut.presets.Preset` or its name; ValueError for an unknown preset, dataset
    or method."""
    spec = resolve(preset)
    method_config(spec, dataset, method)              # checks the names
    if dataset not in OOD_DATASETS:
        raise ValueError(f"no out-of-distribution set for {dataset!r}; allowed: "
                         f"{', '.join(OOD_DATASETS)}")
    return {
        "preset": spec.name, "dataset": dataset, "method": method,
        "ood_dataset": OOD_DATASETS[dataset], "subset": thaw(spec.subset),
        "criterion": get_method(method).criterion, "include_bias": True,
        "amounts": list(spec.uncertainty["amounts"]),
        "modes": modes_for(method, spec), "seed": spec.uncertainty["seed"],
        "ece_bins": ECE_BINS, "ece_binning": "equal-width confidence bins (i/M, (i+1)/M]",
        "entropy_bins": ENTROPY_BINS, "entropy_range": [0.0, math.log(N_CLASSES)],
        "ood_score": "predictive entropy", "ood_positives": "out-of-distribution test set",
    }


def result_path(dataset: str, method: str, preset: Preset | str = "paper",
                results: str | os.PathLike | None = None):
    """``<results>/<preset>/<dataset>/<method>.uncertainty.json``."""
    return experiment.Run.of(dataset, method, preset, results=results).path(".uncertainty.json")


def inputs_of(dataset: str, method: str, preset: Preset | str = "paper",
              results: str | os.PathLike | None = None) -> dict:
    """What a sweep is computed from: the trained model (:meth:`bnntut.experiment.Run.
    model_inputs`) and the IDX files of both datasets (:func:`bnntut.store.data_inputs`)."""
    return {**experiment.Run.of(dataset, method, preset, results=results).model_inputs(),
            **store.data_inputs(dataset), **store.data_inputs(OOD_DATASETS[dataset])}


def compute(dataset: str, method: str, preset: Preset | str = "paper", *, device="cpu",
            results: str | os.PathLike | None = None, datasets: dict | None = None,
            progress: bool = True) -> dict:
    """Sweep one trained model over its amounts and write the result, without looking for a
    stored one; arguments as :func:`run`."""
    return run(dataset, method, preset, device=device, results=results, recompute=True,
               datasets=datasets, progress=progress)


def _sweep(dataset: str, method: str, preset: Preset | str, device, results, datasets: dict | None,
           progress: bool) -> dict:
    """The body of a result (:func:`run`): trains the model first if missing."""
    from tqdm.auto import tqdm

    start = time.perf_counter()
    config = config_for(dataset, method, preset)
    device = devices.resolve(device)
    meta = metadata.collect(device)
    experiment.run(dataset, method, preset, device=device, results=results, progress=progress)
    model = experiment.trained_model(dataset, method, preset, device=device, results=results)
    datasets = {} if datasets is None else datasets
    subset = tuple(config["subset"]) if config["subset"] else None
    for name in (dataset, config["ood_dataset"]):
        if name not in datasets:
            datasets[name] = data_module.load(name, subset=subset)
    ds_in = datasets[dataset].to(device)
    x_ood = datasets[config["ood_dataset"]].x_test.to(device)
    prune_fn = prune.get_criterion(config["criterion"])
    records = {mode: [] for mode in config["modes"]}
    sparsity = []
    for amount in tqdm(config["amounts"], desc=f"{dataset}/{method}", disable=not progress,
                       leave=False):
        pruned = prune_fn(model, amount, include_bias=config["include_bias"])
        sparsity.append(prune.sparsity(pruned, config["include_bias"]))
        for mode, samples in config["modes"].items():
            record = diagnose(pruned, ds_in.x_test, ds_in.y_test, x_ood, samples,
                              config["seed"], config["ece_bins"], config["entropy_bins"])
            records[mode].append({"amount": amount, **record})
    meta.update(seconds=time.perf_counter() - start, finished=metadata.now())
    return {"config": config, "sparsity": sparsity, "n_in": len(ds_in.y_test),
            "n_ood": len(x_ood), "modes": records, "metadata": meta}


def load(dataset: str, method: str, preset: Preset | str = "paper",
         results: str | os.PathLike | None = None) -> dict | None:
    """The stored result if current (:func:`bnntut.store.load`: hash of :func:`config_for`,
    :func:`inputs_of` unchanged), else ``None``; a stale one with a warning."""
    return store.load(result_path(dataset, method, preset, results),
                      store.config_hash(config_for(dataset, method, preset)),
                      inputs_of(dataset, method, preset, results))


def run(dataset: str, method: str, preset: Preset | str = "paper", *, device="cpu",
        results: str | os.PathLike | None = None, recompute: bool = False,
        datasets: dict | None = None, progress: bool = True) -> dict:
    """The uncertainty sweep of one trained model: loaded when current, else computed
    (:func:`bnntut.store.cached`).

    Parameters
    ----------
    dataset, method : str
    preset : Preset or str
        Which trained model, as for :func:`bnntut.experiment.run` (trained first if missing).
    device : {"cpu", "cuda", "auto"}
        Where a recomputation (``recompute=True``, or no current result) runs.
    datasets : dict, optional
        ``{name: Dataset}`` already loaded (with the preset's subset); those loaded here are
        added to it, so that a caller can pass the same dict to the next call.

    Returns
    -------
    dict
        ``config``, ``config_hash``, ``inputs`` (:func:`inputs_of`), ``sparsity`` (per
        fraction), ``n_in``, ``n_ood``, ``modes`` (``{mode: [record per fraction]}``, each
        record as :func:`analyse` plus ``amount``) and ``metadata`` (with wall ``seconds``).
    """
    config = config_for(dataset, method, preset)            # bad names fail before any work
    return store.cached(
        result_path(dataset, method, preset, results), store.config_hash(config),
        lambda: inputs_of(dataset, method, preset, results),
        lambda: _sweep(dataset, method, preset, device, results, datasets, progress),
        recompute=recompute)


def _records(result: dict, mode: str) -> list[dict]:
    """The per-fraction records of one mode of a result."""
    if mode not in result["modes"]:
        raise ValueError(f"mode {mode!r} not in this result; allowed: "
                         f"{', '.join(result['modes'])}")
    return result["modes"][mode]


def series(result: dict, key: str, mode: str = "deterministic") -> list[float]:
    """One number per fraction (``ece``, ``auroc``, ``accuracy``, ``nll``) of a mode."""
    return [record[key] for record in _records(result, mode)]


def record_at(result: dict, amount: float, mode: str = "deterministic") -> dict:
    """The stored :func:`analyse` record of one fraction and mode."""
    records = _records(result, mode)
    for record in records:
        if math.isclose(record["amount"], amount):
            return record
    raise ValueError(f"fraction {amount!r} not in this result; allowed: "
                     f"{', '.join(str(r['amount']) for r in records)}")
