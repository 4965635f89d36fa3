"""What the Bayesian network buys: calibration and out-of-distribution detection under pruning.

For one trained (dataset, method) model, every pruned amount of :data:`AMOUNTS` (BBB by
SNR |μ|/σ, the baselines by global L1 magnitude, no fine-tuning) and every prediction mode
(:func:`modes_for`) this module measures

* **calibration** on the in-distribution test set — the expected calibration error (ECE) over
  :data:`ECE_BINS` = 15 equal-width confidence bins (i/15, (i+1)/15] and the data of a
  reliability diagram (per bin: mean confidence, accuracy, count), where the confidence is
  the largest predicted class probability (Guo et al. 2017);
* **out-of-distribution (OOD) detection** — the model trained on MNIST scores the
  Fashion-MNIST test images and vice versa; the score is the predictive entropy, and the
  AUROC treats the in-distribution test images as negatives and the OOD test images as
  positives (Hendrycks & Gimpel 2017), with entropy histograms on :data:`ENTROPY_BINS` fixed
  bins over [0, log 10].

``run`` stores the result as ``<results>/<preset>/<dataset>/<method>.uncertainty.json`` and
reuses it while its configuration hash and the training result it was computed from (config
hash and SHA-256 of the weights file) are current, like :func:`bnntut.experiment.run`.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence

import torch

from . import data as data_module
from . import devices, experiment, metadata, prune, storage, store
from .evaluate import predict_proba
from .methods import get as get_method
from .models import N_CLASSES
from .presets import get_preset, method_config, thaw

#: Pruned fractions of every uncertainty sweep (a preset may set coarser
#: ``uncertainty_amounts``: ``quick`` does).
AMOUNTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)

#: Equal-width confidence bins of the ECE and the reliability diagram: (i/15, (i+1)/15].
ECE_BINS = 15

#: Fixed bins of the entropy histograms, on [0, log 10] nats.
ENTROPY_BINS = 30

#: Monte Carlo forwards of the "mc" mode (BBB weight samples, or MC-dropout passes).
MC_SAMPLES = 10

#: Seed of the Monte Carlo draws.
SEED = 0

#: The out-of-distribution test set of each training set.
OOD_DATASETS = {"mnist": "fashion-mnist", "fashion-mnist": "mnist"}

#: Prediction modes: name -> description.
MODES = {
    "deterministic": "one deterministic forward in eval mode (BBB: posterior mean μ)",
    "mc": f"Monte Carlo predictive, {MC_SAMPLES} stochastic forwards (BBB: weight samples; "
          "dropout nets: MC dropout)",
}


#: Kept as a name for callers; every store warning is :class:`bnntut.store.StaleResultWarning`.
StaleUncertaintyWarning = store.StaleResultWarning


# --------------------------------------------------------------------------- the measures


def _check_probs(probs: torch.Tensor, name: str = "probs") -> torch.Tensor:
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
    """Reliability-diagram data over equal-width confidence bins.

    The confidence of a prediction is its largest class probability; bin ``i`` (0-based) holds
    the confidences in (i/bins, (i+1)/bins] (a confidence of exactly 0 goes to bin 0).

    Parameters
    ----------
    probs : torch.Tensor
        Predicted probabilities ``(n, classes)``, rows summing to 1.
    labels : torch.Tensor
        True classes ``(n,)``, integers in ``[0, classes)``.
    bins : int
        Number of equal-width bins on [0, 1] (default 15).

    Returns
    -------
    dict
        ``edges`` (bins + 1), and per bin ``confidence`` (mean confidence), ``accuracy``
        (fraction correct) — both ``None`` for an empty bin — and ``count``.
    """
    p = _check_probs(probs)
    bins = _check_bins(bins)
    y = labels.detach().cpu() if isinstance(labels, torch.Tensor) else None
    if y is None or y.shape != (len(p),) or y.is_floating_point() or y.is_complex():
        raise ValueError(f"labels must be an integer tensor of shape ({len(p)},)")
    if (y < 0).any() or (y >= p.shape[1]).any():
        raise ValueError(f"labels must be class indices in [0, {p.shape[1]})")
    confidence, predicted = p.max(-1)
    correct = (predicted == y).double()
    index = (torch.ceil(confidence * bins).long() - 1).clamp(0, bins - 1)
    count = torch.bincount(index, minlength=bins)
    sum_conf = torch.bincount(index, weights=confidence, minlength=bins)
    sum_correct = torch.bincount(index, weights=correct, minlength=bins)
    filled = count > 0
    mean_conf = torch.where(filled, sum_conf / count.clamp_min(1), torch.nan)
    mean_acc = torch.where(filled, sum_correct / count.clamp_min(1), torch.nan)
    return {
        "edges": [k / bins for k in range(bins + 1)],
        "confidence": [None if math.isnan(v) else v for v in mean_conf.tolist()],
        "accuracy": [None if math.isnan(v) else v for v in mean_acc.tolist()],
        "count": count.tolist(),
    }


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
    """Expected calibration error over ``bins`` equal-width confidence bins (default 15).

    ECE = Σ_b (n_b / n) · |acc_b − conf_b|, with the bins of :func:`reliability`
    ((i/bins, (i+1)/bins], confidence = largest class probability), as in Guo et al. (2017).

    Parameters
    ----------
    probs : torch.Tensor
        ``(n, classes)``, rows summing to 1.
    labels : torch.Tensor
        ``(n,)`` class indices.
    bins : int
        Number of bins.

    Returns
    -------
    float
        In [0, 1]; 0 for a perfectly calibrated model.
    """
    return ece_of(reliability(probs, labels, bins))


def entropy(probs: torch.Tensor) -> torch.Tensor:
    """Predictive entropy −Σ_k p_k log p_k in nats (0 · log 0 = 0), per row.

    Parameters
    ----------
    probs : torch.Tensor
        ``(n, classes)``, rows summing to 1.

    Returns
    -------
    torch.Tensor
        ``(n,)`` float64 in [0, log classes] (rounding error is clipped into that range).
    """
    p = _check_probs(probs)
    return (-torch.xlogy(p, p).sum(-1)).clamp(0.0, math.log(p.shape[1]))


def auroc(negatives: torch.Tensor, positives: torch.Tensor) -> float:
    """Exact area under the ROC curve: P(s⁺ > s⁻) + ½ P(s⁺ = s⁻).

    Computed from ranks (the Mann–Whitney U statistic) with tied scores given their average
    rank, which equals the pairwise-comparison probability above, ties counting one half.

    Parameters
    ----------
    negatives : torch.Tensor
        Scores of the negatives (here: in-distribution test images), shape ``(n_neg,)``.
    positives : torch.Tensor
        Scores of the positives (here: out-of-distribution images), shape ``(n_pos,)``.

    Returns
    -------
    float
        1 when every positive scores above every negative, 0.5 for identical scores.
    """
    for name, t in (("negatives", negatives), ("positives", positives)):
        if not isinstance(t, torch.Tensor) or t.dim() != 1 or t.numel() == 0:
            raise ValueError(f"{name} must be a non-empty 1-D tensor of scores")
        if not torch.isfinite(t).all():
            raise ValueError(f"{name} must be finite")
    neg, pos = negatives.detach().double().cpu(), positives.detach().double().cpu()
    scores = torch.cat([neg, pos])
    _, inverse, counts = torch.unique(scores, sorted=True, return_inverse=True,
                                      return_counts=True)
    counts = counts.double()
    first_rank = torch.cumsum(counts, 0) - counts + 1          # 1-based rank of each value
    mid_rank = first_rank + (counts - 1) / 2                    # average rank of its ties
    rank_sum = mid_rank[inverse[len(neg):]].sum().item()
    n_pos, n_neg = len(pos), len(neg)
    u = rank_sum - n_pos * (n_pos + 1) / 2
    return u / (n_pos * n_neg)


def entropy_histogram(values: torch.Tensor, bins: int = ENTROPY_BINS,
                      n_classes: int = N_CLASSES) -> dict:
    """Counts of entropies in ``bins`` equal bins on [0, log n_classes].

    Returns
    -------
    dict
        ``edges`` (bins + 1) and ``counts`` (bins); every value is counted (the top bin is
        closed).
    """
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
    probs_in : torch.Tensor
        Probabilities on the in-distribution test set ``(n_in, classes)``.
    labels_in : torch.Tensor
        Its labels ``(n_in,)``.
    probs_ood : torch.Tensor
        Probabilities on the out-of-distribution test set ``(n_ood, classes)``.
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
        "ece": ece_of(diagram),
        "reliability": diagram,
        "auroc": auroc(h_in, h_ood),
        "entropy": {"edges": hist_in["edges"], "in": hist_in["counts"],
                    "ood": entropy_histogram(h_ood, entropy_bins, n_classes)["counts"],
                    "mean_in": h_in.mean().item(), "mean_ood": h_ood.mean().item()},
    }


def diagnose(model, x_in: torch.Tensor, y_in: torch.Tensor, x_ood: torch.Tensor,
             samples: int = 0, seed: int = SEED, ece_bins: int = ECE_BINS,
             entropy_bins: int = ENTROPY_BINS) -> dict:
    """:func:`analyse` the predictions of ``model`` (see :func:`bnntut.evaluate.predict_proba`).

    Parameters
    ----------
    model : MLP or BayesianMLP
        A (pruned) network.
    x_in, y_in : torch.Tensor
        In-distribution test inputs ``(n_in, 784)`` and labels ``(n_in,)``.
    x_ood : torch.Tensor
        Out-of-distribution inputs ``(n_ood, 784)``.
    samples : int
        0: deterministic (eval mode, BBB posterior mean); S > 0: S-sample Monte Carlo
        predictive (BBB weight samples, MC dropout), the same seed for both sets.
    seed : int
        Seed of the Monte Carlo draws.
    """
    return analyse(predict_proba(model, x_in, samples, seed), y_in,
                   predict_proba(model, x_ood, samples, seed), ece_bins, entropy_bins)


# --------------------------------------------------------------------------- configuration


def criterion_for(method: str) -> str:
    """Pruning criterion of a method (registry): ``snr`` for Bayesian nets, ``l1`` else."""
    return get_method(method).criterion


def modes_for(method: str) -> dict[str, int]:
    """Prediction modes of a method, as ``{name: Monte Carlo samples}``.

    Every method gets ``deterministic`` (0 samples).  Methods with a Monte Carlo mode in the
    registry (every BBB variant and the dropout nets p = 0.5, 0.75, 0.9) also get ``mc``
    (:data:`MC_SAMPLES` weight samples or MC-dropout passes); the "SGD" baseline (dropout
    0.01, a stand-in for no dropout) gets none.
    """
    return {"deterministic": 0, **({"mc": MC_SAMPLES} if get_method(method).mc else {})}


def config_for(dataset: str, method: str, preset: str = "paper") -> dict:
    """The configuration of one uncertainty sweep (what its hash covers).

    Raises
    ------
    ValueError
        For an unknown preset, dataset or method (the message lists the allowed names).
    """
    spec = get_preset(preset)
    method_config(preset, dataset, method)              # checks the names
    if dataset not in OOD_DATASETS:
        raise ValueError(f"no out-of-distribution set for {dataset!r}; allowed: "
                         f"{', '.join(OOD_DATASETS)}")
    return {
        "preset": preset, "dataset": dataset, "method": method,
        "ood_dataset": OOD_DATASETS[dataset], "subset": thaw(spec.subset),
        "criterion": criterion_for(method), "include_bias": True,
        "amounts": list(spec.uncertainty_amounts or AMOUNTS),
        "modes": modes_for(method), "seed": SEED,
        "ece_bins": ECE_BINS, "ece_binning": "equal-width confidence bins (i/M, (i+1)/M]",
        "entropy_bins": ENTROPY_BINS, "entropy_range": [0.0, math.log(N_CLASSES)],
        "ood_score": "predictive entropy", "ood_positives": "out-of-distribution test set",
    }


def result_path(dataset: str, method: str, preset: str = "paper",
                results: str | os.PathLike | None = None):
    """``<results>/<preset>/<dataset>/<method>.uncertainty.json``."""
    return experiment.result_path(experiment.results_dir(results),
                                  method_config(preset, dataset, method), ".uncertainty.json")


def inputs_of(dataset: str, method: str, preset: str = "paper",
              results: str | os.PathLike | None = None) -> dict:
    """What an uncertainty sweep is computed from: the trained model
    (:func:`bnntut.experiment.model_inputs`: training-result hash, weights SHA-256) and the
    IDX files of the in-distribution and OOD datasets (:func:`bnntut.store.data_inputs`)."""
    ood = OOD_DATASETS[dataset]
    return {**experiment.model_inputs(method_config(preset, dataset, method), results),
            **store.data_inputs(dataset), **store.data_inputs(ood)}


# --------------------------------------------------------------------------- run / load


def compute(dataset: str, method: str, preset: str = "paper", *, device="cpu",
            results: str | os.PathLike | None = None, datasets: dict | None = None,
            progress: bool = True) -> dict:
    """Sweep one trained model over :data:`AMOUNTS` and write the result (no cache check).

    Parameters
    ----------
    dataset, method, preset : str
        Which trained model (see :func:`bnntut.experiment.run`).
    device : {"cpu", "cuda", "auto"}
    results : path-like, optional
        Results folder.
    datasets : dict, optional
        ``{name: Dataset}`` already loaded (with the preset's subset); the datasets loaded
        here are added to it, so that a caller can pass the same dict to the next call.
    progress : bool
        Show a progress bar over the fractions.
    """
    from tqdm.auto import tqdm

    start = time.perf_counter()
    config = config_for(dataset, method, preset)
    device = devices.resolve(device)
    meta = metadata.collect(device)
    experiment.run(dataset, method, preset, device=device, results=results, progress=progress)
    inputs = inputs_of(dataset, method, preset, results)
    model = experiment.trained_model(dataset, method, preset, device=device, results=results)
    datasets = {} if datasets is None else datasets          # filled in place, for reuse
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
    meta["seconds"] = time.perf_counter() - start
    meta["finished"] = metadata.now()
    result = {"config": config, "config_hash": storage.config_hash(config),
              "inputs": inputs, "sparsity": sparsity,
              "n_in": len(ds_in.y_test), "n_ood": len(x_ood), "modes": records,
              "metadata": meta}
    storage.write_json(result_path(dataset, method, preset, results), result)
    return result


def load(dataset: str, method: str, preset: str = "paper",
         results: str | os.PathLike | None = None) -> dict | None:
    """The stored result if present and current, else ``None`` (stale ones with a warning).

    Current means (:func:`bnntut.store.load`): the configuration hash matches
    :func:`config_for`, and the inputs (:func:`inputs_of`: the trained model's weights, the
    data files) are the recorded ones.
    """
    return store.load(result_path(dataset, method, preset, results),
                      storage.config_hash(config_for(dataset, method, preset)),
                      inputs_of(dataset, method, preset, results))


def run(dataset: str, method: str, preset: str = "paper", *, device="cpu",
        results: str | os.PathLike | None = None, recompute: bool = False,
        datasets: dict | None = None, progress: bool = True) -> dict:
    """The uncertainty sweep of one trained model: loaded when current, else computed.

    Parameters
    ----------
    dataset : {"mnist", "fashion-mnist"}
    method : {"sgd", "dropout50", "dropout75", "dropout90", "bbb"}
    preset : {"paper", "quick"}
    device : {"cpu", "cuda", "auto"}
        Where a recomputation runs.
    results : path-like, optional
        Results folder (see :func:`bnntut.experiment.results_dir`).
    recompute : bool
        Recompute even when a current result exists.
    datasets : dict, optional
        Already loaded datasets, ``{name: Dataset}``.
    progress : bool
        Show progress bars.

    Returns
    -------
    dict
        ``config``, ``config_hash``, ``inputs`` (:func:`inputs_of`), ``sparsity`` (per
        fraction), ``n_in``, ``n_ood``, ``modes`` (``{mode: [record per fraction]}``, each
        record as :func:`analyse` plus ``amount``) and ``metadata``
        (with ``seconds`` of wall time).
    """
    config_for(dataset, method, preset)                     # bad names fail before any work
    if not recompute:
        stored = load(dataset, method, preset, results)
        if stored is not None:
            return stored
    return compute(dataset, method, preset, device=device, results=results, datasets=datasets,
                   progress=progress)


def run_all(preset: str = "paper", datasets: Sequence[str] | None = None,
            methods: Sequence[str] | None = None, **kwargs) -> dict:
    """``{dataset: {method: result}}`` via :func:`run`; datasets are loaded at most once."""
    spec = get_preset(preset)
    loaded: dict = {}
    out = {}
    for dataset in datasets or spec.datasets:
        out[dataset] = {}
        for method in methods or list(spec.methods):
            out[dataset][method] = run(dataset, method, preset, datasets=loaded, **kwargs)
    return out


# --------------------------------------------------------------------------- reading results


def series(result: dict, key: str, mode: str = "deterministic") -> list[float]:
    """One number per fraction (``ece``, ``auroc``, ``accuracy``, ``nll``) of a mode."""
    if mode not in result["modes"]:
        raise ValueError(f"mode {mode!r} not in this result; allowed: "
                         f"{', '.join(result['modes'])}")
    return [record[key] for record in result["modes"][mode]]


def record_at(result: dict, amount: float, mode: str = "deterministic") -> dict:
    """The stored :func:`analyse` record of one fraction and mode."""
    if mode not in result["modes"]:
        raise ValueError(f"mode {mode!r} not in this result; allowed: "
                         f"{', '.join(result['modes'])}")
    for record in result["modes"][mode]:
        if math.isclose(record["amount"], amount):
            return record
    raise ValueError(f"fraction {amount!r} not in this result; allowed: "
                     f"{', '.join(str(r['amount']) for r in result['modes'][mode])}")
