"""What the Bayesian network buys: calibration and out-of-distribution detection under pruning.

For one trained (dataset, method) model, every pruned fraction of :data:`FRACTIONS` (BBB by
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
from .presets import get_preset, method_config

#: Pruned fractions of every uncertainty sweep (a preset may set coarser
#: ``uncertainty_fractions``: ``quick`` does).
FRACTIONS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)

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
        "ood_dataset": OOD_DATASETS[dataset], "subset": spec["subset"],
        "criterion": criterion_for(method), "include_bias": True,
        "fractions": list(spec.get("uncertainty_fractions", FRACTIONS)),
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
    """Sweep one trained model over :data:`FRACTIONS` and write the result (no cache check).

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
    for fraction in tqdm(config["fractions"], desc=f"{dataset}/{method}", disable=not progress,
                         leave=False):
        pruned = prune_fn(model, fraction, include_bias=config["include_bias"])
        sparsity.append(prune.sparsity(pruned, config["include_bias"]))
        for mode, samples in config["modes"].items():
            record = diagnose(pruned, ds_in.x_test, ds_in.y_test, x_ood, samples,
                              config["seed"], config["ece_bins"], config["entropy_bins"])
            records[mode].append({"fraction": fraction, **record})
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
        record as :func:`analyse` plus ``fraction``) and ``metadata``
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
    for dataset in datasets or spec["datasets"]:
        out[dataset] = {}
        for method in methods or list(spec["methods"]):
            out[dataset][method] = run(dataset, method, preset, datasets=loaded, **kwargs)
    return out


# --------------------------------------------------------------------------- reading results


def series(result: dict, key: str, mode: str = "deterministic") -> list[float]:
    """One number per fraction (``ece``, ``auroc``, ``accuracy``, ``nll``) of a mode."""
    if mode not in result["modes"]:
        raise ValueError(f"mode {mode!r} not in this result; allowed: "
                         f"{', '.join(result['modes'])}")
    return [record[key] for record in result["modes"][mode]]


def record_at(result: dict, fraction: float, mode: str = "deterministic") -> dict:
    """The stored :func:`analyse` record of one fraction and mode."""
    if mode not in result["modes"]:
        raise ValueError(f"mode {mode!r} not in this result; allowed: "
                         f"{', '.join(result['modes'])}")
    for record in result["modes"][mode]:
        if math.isclose(record["fraction"], fraction):
            return record
    raise ValueError(f"fraction {fraction!r} not in this result; allowed: "
                     f"{', '.join(str(r['fraction']) for r in result['modes'][mode])}")


def mode_label(method: str, mode: str) -> str:
    """``"posterior mean"``, ``"10-sample predictive"``, ``"eval mode"``, ``"MC dropout"``."""
    bayesian = get_method(method).bayesian
    if mode == "deterministic":
        return "posterior mean" if bayesian else "eval mode"
    return f"{MC_SAMPLES}-sample predictive" if bayesian else f"MC dropout ({MC_SAMPLES})"


def describe(method: str, mode: str) -> str:
    """A phrase for prose, e.g. "Bayes by Backprop (10-sample predictive)" or
    "Dropout (p=0.5) with MC dropout"."""
    label = get_method(method).label
    if get_method(method).bayesian:
        return f"{label} ({mode_label(method, mode)})"
    return f"{label} {'in eval mode' if mode == 'deterministic' else 'with MC dropout'}"


#: Column groups of :func:`table`: the key of each and its label.
TABLE_METRICS = {"ece": "ECE (lower is better)", "auroc": "AUROC (higher is better)"}


def table(results: dict[str, dict], fractions: Sequence[float] = (0.0, 0.5, 0.9, 0.98)):
    """ECE and AUROC of every model and prediction mode of one dataset at ``fractions``.

    Parameters
    ----------
    results : dict
        ``{method: result}`` of one dataset.
    fractions : sequence of float
        Pruned fractions, one column per metric each.

    Returns
    -------
    pandas.DataFrame
        Index ``(Model, prediction)`` (e.g. ``("Bayes by Backprop", "posterior mean")``);
        columns a MultiIndex ``(metric, removed)`` with the metric labels of
        :data:`TABLE_METRICS` and ``"0 %"``, ``"50 %"``, …; values floats rounded to three
        decimals.  :func:`styled_table` marks the best of each column.
    """
    from .report import frame, percent

    rows = {}
    for m, r in results.items():
        for mode in r["modes"]:
            rows[get_method(m).label, mode_label(m, mode)] = {
                (label, percent(f)): round(record_at(r, f, mode)[key], 3)
                for key, label in TABLE_METRICS.items() for f in fractions}
    columns = [(label, percent(f)) for label in TABLE_METRICS.values() for f in fractions]
    out = frame(rows, ["Model", "prediction"], columns)
    out.columns.names = ["", "removed"]
    return out


def styled_table(table_frame):
    """:func:`table` for display: three decimals, the best of each column (lowest ECE,
    highest AUROC) in bold.

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    from .report import highlight

    ece, auroc = TABLE_METRICS.values()
    return highlight(table_frame, lower=[c for c in table_frame.columns if c[0] == ece],
                     higher=[c for c in table_frame.columns if c[0] == auroc], digits=3)


#: Short dataset names used in :func:`highlights`.
DATASET_TAGS = {"mnist": "mnist", "fashion-mnist": "fmnist"}

#: Whether a larger value is better, per key.
HIGHER_IS_BETTER = {"ece": False, "nll": False, "auroc": True, "accuracy": True}


def best(results: dict[str, dict], key: str, fraction: float) -> tuple[str, str, float]:
    """The ``(method, mode, value)`` with the best ``key`` at ``fraction`` among ``results``
    (``{method: result}``): lowest ECE or NLL, highest AUROC or accuracy."""
    if key not in HIGHER_IS_BETTER:
        raise ValueError(f"unknown key {key!r}; allowed: {', '.join(HIGHER_IS_BETTER)}")
    candidates = [(m, mode, record_at(r, fraction, mode)[key])
                  for m, r in results.items() for mode in r["modes"]]
    pick = max if HIGHER_IS_BETTER[key] else min
    return pick(candidates, key=lambda c: c[2])


def highlights(results: dict[str, dict[str, dict]],
               fractions: Sequence[float] = (0.0, 0.5, 0.9, 0.98)) -> dict:
    """Named numbers and phrases for a chapter's prose (to glue, never to type).

    For every dataset (tag ``mnist`` / ``fmnist``), fraction (``pct`` = percent removed),
    method, mode and key in ``ece``, ``auroc``, ``accuracy``: ``{method}_{mode}_{key}_{tag}_{pct}``
    (float).  Per dataset, fraction and key: ``best_{key}_{tag}_{pct}`` (str, from
    :func:`describe`) and ``best_{key}_value_{tag}_{pct}`` (float).  Per dataset and key in
    ``ece``, ``auroc``: ``longest_{key}_{tag}`` (str: the model(s) that keep the key within
    :data:`TOLERANCE` of its unpruned value up to the largest fraction,
    :func:`kept_up_to`) and ``longest_{key}_value_{tag}`` (that fraction);
    ``bbb_mc_gap_{key}_{tag}`` (:func:`mc_gap` of BBB) and ``tolerance``.
    """
    out: dict = {}
    for dataset, by_method in results.items():
        tag = DATASET_TAGS.get(dataset, dataset)
        for f in fractions:
            pct = round(f * 100)
            for method, result in by_method.items():
                for mode in result["modes"]:
                    record = record_at(result, f, mode)
                    for key in ("ece", "auroc", "accuracy"):
                        out[f"{method}_{mode}_{key}_{tag}_{pct}"] = record[key]
            for key in ("ece", "auroc", "accuracy"):
                method, mode, value = best(by_method, key, f)
                out[f"best_{key}_{tag}_{pct}"] = describe(method, mode)
                out[f"best_{key}_value_{tag}_{pct}"] = value
        if "bbb" in by_method and "mc" in by_method["bbb"]["modes"]:
            for key in ("ece", "auroc"):
                out[f"bbb_mc_gap_{key}_{tag}"] = mc_gap(by_method["bbb"], key)
        for key in ("ece", "auroc"):
            kept = {(m, mode): kept_up_to(r, key, mode) for m, r in by_method.items()
                    for mode in r["modes"]}
            longest = max(kept.values())
            out[f"longest_{key}_{tag}"] = " and ".join(
                describe(m, mode) for (m, mode), k in kept.items() if k == longest)
            out[f"longest_{key}_value_{tag}"] = longest
    out["tolerance"] = TOLERANCE
    return out


#: How far ECE may rise, or AUROC fall, from the unpruned value and still count as kept.
TOLERANCE = 0.02


def kept_up_to(result: dict, key: str, mode: str = "deterministic",
               tolerance: float = TOLERANCE) -> float:
    """The largest fraction up to which ``key`` stays within ``tolerance`` of its unpruned
    value at every grid fraction (ECE / NLL may not rise, AUROC / accuracy not fall, by more).
    """
    values = series(result, key, mode)
    sign = 1 if HIGHER_IS_BETTER[key] else -1
    kept = result["modes"][mode][0]["fraction"]
    for record, value in zip(result["modes"][mode], values):
        if sign * (values[0] - value) > tolerance:
            break
        kept = record["fraction"]
    return kept


def mc_gap(result: dict, key: str) -> float:
    """Largest |Monte Carlo − deterministic| of ``key`` over the grid of one result."""
    return max(abs(a - b) for a, b in zip(series(result, key, "mc"),
                                          series(result, key, "deterministic")))


# --------------------------------------------------------------------------- figures


#: Axis labels of the keys of :func:`degradation_figure`.
KEY_LABELS = {"ece": "ECE (15 bins)", "auroc": "OOD AUROC (entropy)",
              "accuracy": "test accuracy", "nll": "test NLL (nats)"}
#: Column titles of :func:`degradation_figure`, per prediction mode.
MODE_TITLES = {"deterministic": "deterministic (eval mode / μ)",
               "mc": f"Monte Carlo ({MC_SAMPLES} samples)"}


def degradation_figure(results: dict[str, dict[str, dict]], keys: Sequence[str] = ("ece", "auroc")):
    """ECE and AUROC against the pruned fraction: all methods, all datasets.

    One block of panels per dataset: a row per key, a column per prediction mode
    (deterministic: eval mode, BBB's posterior mean; Monte Carlo: MC dropout, BBB's predictive),
    so that no panel holds more than one line per method.  Panels of a row share their y-axis.

    Parameters
    ----------
    results : dict
        ``{dataset: {method: result}}`` as returned by :func:`run_all`.
    keys : sequence of str
        One row of panels per key (``ece``, ``auroc``, ``accuracy``, ``nll``).

    Returns
    -------
    matplotlib.figure.Figure
        Solid lines: deterministic prediction; dotted: the Monte Carlo predictive; each method
        in its colour and with its marker.  One legend below.
    """
    import matplotlib.pyplot as plt

    from .plots import DATASET_LABELS, METHOD_COLORS, METHOD_MARKERS, PAGE_WIDTH, legend_below

    modes = [m for m in MODES if any(m in r["modes"] for by_method in results.values()
                                     for r in by_method.values())]
    height = len(results) * (2.0 * len(keys) + 0.5) + 0.6
    fig = plt.figure(figsize=(PAGE_WIDTH, height), layout="constrained")
    subfigs = fig.subfigures(len(results), 1, squeeze=False)[:, 0]
    for sub, (dataset, by_method) in zip(subfigs, results.items()):
        axes = sub.subplots(len(keys), len(modes), sharex=True, sharey="row", squeeze=False)
        for col, mode in enumerate(modes):
            for row, key in enumerate(keys):
                ax = axes[row, col]
                for method, result in by_method.items():
                    if mode not in result["modes"]:
                        continue
                    ax.plot(result["config"]["fractions"], series(result, key, mode),
                            "-" if mode == "deterministic" else ":", lw=1.8,
                            marker=METHOD_MARKERS.get(method, "o"), ms=3.5,
                            color=METHOD_COLORS.get(method),
                            label=get_method(method).label)
                if key == "auroc":
                    ax.axhline(0.5, color="grey", lw=1, ls="--")
                ax.set_ylabel(KEY_LABELS.get(key, key))
                ax.tick_params(labelleft=True, labelbottom=True)
                ax.set_xlabel("fraction removed")
            axes[0, col].set_title(MODE_TITLES.get(mode, mode))
        ood = next(iter(by_method.values()))["config"]["ood_dataset"]
        sub.suptitle(f"Trained on {DATASET_LABELS.get(dataset, dataset)}, "
                     f"OOD: {DATASET_LABELS.get(ood, ood)}")
    legend_below(fig, ncol=3)
    return fig


#: Neutral colours of the diagnostic panels (method colours stay with the methods).
DIAGNOSTIC_COLORS = {"bars": "#BBBBBB", "gap": "#444444", "share": "#000000",
                     "in": "#BBBBBB", "ood": "#333333"}


def reliability_diagram(record: dict, ax=None, color: str = DIAGNOSTIC_COLORS["bars"],
                        title: str | None = None, legend: bool = True):
    """Per-bin accuracy (bars) against confidence, with the diagonal of perfect calibration
    and, on a second (log) axis, the share of predictions in each bin.

    ``record`` is an :func:`analyse` result (or one stored record); ``legend=False`` leaves
    the legend to the caller (e.g. :func:`bnntut.plots.legend_below`).
    """
    import matplotlib.pyplot as plt
    import numpy as np

    from .plots import PAGE_WIDTH, legend_below

    own = ax is None
    if own:
        _, ax = plt.subplots(figsize=(PAGE_WIDTH / 1.6, 3.6), layout="constrained")
    diagram = record["reliability"]
    edges = np.asarray(diagram["edges"])
    acc = np.array([np.nan if a is None else a for a in diagram["accuracy"]])
    conf = np.array([np.nan if c is None else c for c in diagram["confidence"]])
    ax.bar(edges[:-1], np.nan_to_num(acc), width=np.diff(edges), align="edge", color=color,
           edgecolor="white", label="accuracy per bin")
    ax.bar(edges[:-1], np.nan_to_num(conf - acc), bottom=np.nan_to_num(acc), width=np.diff(edges),
           align="edge", color="none", edgecolor=DIAGNOSTIC_COLORS["gap"], hatch="//", lw=0.8,
           label="gap to mean confidence")
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfect calibration")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence", ylabel="accuracy")
    ax.set_title(title or f"ECE {record['ece']:.3f}")
    share = np.asarray(diagram["count"], dtype=float) / max(sum(diagram["count"]), 1)
    twin = ax.twinx()                   # how many predictions each bar stands for
    twin.stairs(np.where(share > 0, share, np.nan), edges, color=DIAGNOSTIC_COLORS["share"],
                lw=1.5, label="share of predictions (right axis)")
    twin.set(yscale="log", ylim=(1e-4, 1.5), ylabel="share of predictions (log)")
    twin.grid(False)
    if legend:
        handles = ax.get_legend_handles_labels()
        twin_handles = twin.get_legend_handles_labels()
        if own:
            legend_below(ax.figure, handles[0] + twin_handles[0], handles[1] + twin_handles[1])
        else:
            ax.legend(handles[0] + twin_handles[0], handles[1] + twin_handles[1],
                      loc="upper left")
    return ax


def entropy_plot(record: dict, ax=None, labels: tuple[str, str] = ("in-distribution", "OOD"),
                 title: str | None = None, legend: bool = True):
    """Histograms (densities) of the predictive entropy: in-distribution filled grey, OOD as a
    dark dashed outline on top.  ``legend=False`` leaves the legend to the caller."""
    import matplotlib.pyplot as plt
    import numpy as np

    from .plots import PAGE_WIDTH

    if ax is None:
        _, ax = plt.subplots(figsize=(PAGE_WIDTH / 1.3, 3.2), layout="constrained")
    h = record["entropy"]
    edges = np.asarray(h["edges"])
    for counts, label, key in ((h["in"], labels[0], "in"), (h["ood"], labels[1], "ood")):
        counts = np.asarray(counts, dtype=float)
        ax.stairs(counts / max(counts.sum(), 1) / np.diff(edges), edges, lw=1.8, label=label,
                  color=DIAGNOSTIC_COLORS[key], fill=key == "in", ls="-" if key == "in" else "--")
    ax.axvline(math.log(N_CLASSES), color="grey", ls=":", lw=1.2,
               label=f"largest entropy, log {N_CLASSES}")
    ax.set(xlabel="predictive entropy (nats)", ylabel="density")
    ax.set_title(title or f"OOD AUROC {record['auroc']:.3f}")
    if legend:
        ax.legend()
    return ax


def diagnostic_figure(record: dict, title: str | None = None, ood_label: str = "OOD",
                      axes=None, legend: bool | None = None):
    """Reliability diagram and OOD entropy histogram of one (model, fraction, mode).

    Parameters
    ----------
    record : dict
        An :func:`analyse` result or a stored record (:func:`record_at`).
    title : str, optional
        Figure title.
    ood_label : str
        Legend label of the out-of-distribution set.
    axes : pair of Axes, optional
        Where to draw; a new figure otherwise.
    legend : bool, optional
        One legend below the figure; by default only when the figure is made here.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from .plots import PAGE_WIDTH, legend_below

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.6), layout="constrained",
                                 gridspec_kw={"width_ratios": [1, 1.15]})
        legend = True if legend is None else legend
    else:
        fig = axes[0].figure
    reliability_diagram(record, axes[0], legend=False,
                        title=f"accuracy {record['accuracy']:.3f}, ECE {record['ece']:.3f}")
    entropy_plot(record, axes[1], labels=("in-distribution test", ood_label), legend=False)
    if title:
        fig.suptitle(title)
    if legend:
        legend_below(fig.figure, ncol=2)          # the root figure of a subfigure too
    return fig


def diagnostic_grid(cases: Sequence[tuple[str, dict]], ood_label: str = "OOD"):
    """:func:`diagnostic_figure` of several records, one titled row each, one legend below.

    Parameters
    ----------
    cases : sequence of (title, record)
        Row titles and :func:`record_at` records.
    ood_label : str
        Legend label of the out-of-distribution set.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from .plots import PAGE_WIDTH, legend_below

    fig = plt.figure(figsize=(PAGE_WIDTH, 3.0 * len(cases) + 0.7), layout="constrained")
    for sub, (title, record) in zip(fig.subfigures(len(cases), 1, squeeze=False)[:, 0], cases):
        axes = sub.subplots(1, 2, width_ratios=[1, 1.15])
        diagnostic_figure(record, title=title, ood_label=ood_label, axes=axes, legend=False)
        axes[1].set_title(f"OOD AUROC {record['auroc']:.3f}")
    legend_below(fig, ncol=2)
    return fig
