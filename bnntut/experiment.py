"""Run one (dataset, method, preset) experiment, or load its cached result.

``run`` looks for ``<results>/<preset>/<dataset>/<method>.json``.  When its ``config_hash``
matches the current configuration it is returned as is; otherwise (missing, or stale — never
silently reused) the model is trained (resuming from ``<checkpoints>/…`` after an
interruption), pruned at every amount of the sweep, summarised, and the result written
atomically together with the final weights (``<method>.weights.pt``) so that chapters can
use the trained model without retraining.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import torch

from . import data as data_module
from . import devices, metadata, models, prune, storage
from .evaluate import prune_sweep, weight_summary
from .presets import method_config
from .train import fit

RESULTS_ENV = "BNNTUT_RESULTS"
CHECKPOINTS_ENV = "BNNTUT_CHECKPOINTS"


class StaleResultWarning(UserWarning):
    """A stored result was made with another configuration and is being recomputed."""


def project_root(start: str | Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: cwd) that holds ``_toc.yml``."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").exists() and (folder / "bnntut").is_dir():
            return folder
    return None


def results_dir(path: str | os.PathLike | None = None) -> Path:
    """Results folder: ``path``, else ``$BNNTUT_RESULTS``, else ``results/`` of the project
    around the working directory (so notebooks in ``book/`` find it), else ``./results``."""
    if path is not None:
        return Path(path)
    if os.environ.get(RESULTS_ENV):
        return Path(os.environ[RESULTS_ENV])
    root = project_root()
    return (root / "results") if root else Path("results")


def checkpoints_dir(results: Path) -> Path:
    """Checkpoint folder: ``$BNNTUT_CHECKPOINTS``, else ``checkpoints/`` beside ``results``."""
    if os.environ.get(CHECKPOINTS_ENV):
        return Path(os.environ[CHECKPOINTS_ENV])
    return results.resolve().parent / "checkpoints"


def result_path(results: Path, config: dict, suffix: str = ".json") -> Path:
    """``<results>/<preset>/<dataset>/<method>[-seed<k>]<suffix>``."""
    from .presets import get_preset

    default_seed = get_preset(config["preset"])["train"]["seed"]
    seed = config["train"]["seed"]
    stem = config["method"] + ("" if seed == default_seed else f"-seed{seed}")
    return results / config["preset"] / config["dataset"] / f"{stem}{suffix}"


def load_result(config: dict, results: str | os.PathLike | None = None) -> dict | None:
    """The stored result for ``config`` if present and current, else ``None``."""
    path = result_path(results_dir(results), config)
    if not path.exists():
        return None
    stored = storage.read_json(path)
    if stored.get("config_hash") != storage.config_hash(config):
        warnings.warn(f"{path} was made with another configuration; it will be recomputed",
                      StaleResultWarning, stacklevel=3)
        return None
    return stored


def save_weights(path: Path, model) -> None:
    """Final weights (each tensor once; no optimiser state), atomically."""
    storage.save_checkpoint(path, {"spec": model.spec, "state": models.compact_state_dict(model)})


def load_weights(path: str | os.PathLike, device: str | torch.device = "cpu"):
    """Rebuild a model saved by :func:`save_weights` (``weights_only=True``)."""
    saved = storage.load_checkpoint(path, device)
    model = models.build(saved["spec"]).to(device)
    models.load_compact_state_dict(model, saved["state"])
    return model.eval()


def criteria_for(model) -> list[str]:
    """Pruning criteria that apply: ``l1`` for all models, plus ``snr`` for Bayesian ones."""
    return ["l1", "snr"] if models.is_bayesian(model) else ["l1"]


def train_and_evaluate(config: dict, device="auto", progress: bool = True,
                       results: str | os.PathLike | None = None,
                       dataset: data_module.Dataset | None = None) -> dict:
    """Train, sweep, summarise and write the result for ``config`` (see module docstring)."""
    results = results_dir(results)
    device = devices.resolve(device)
    meta = metadata.collect(device)
    key = storage.config_hash(config)
    timings = {}

    start = time.perf_counter()
    if dataset is None:
        dataset = data_module.load(config["dataset"], device=device, subset=config["subset"])
    dataset = dataset.to(device)
    timings["load_data"] = time.perf_counter() - start

    train = config["train"]
    torch.manual_seed(train["seed"])
    model = models.build(config["model"]).to(device)
    ckpt = checkpoints_dir(results) / config["preset"] / config["dataset"] / \
        f"{config['method']}-{key}.pt"
    start = time.perf_counter()
    history = fit(model, dataset, epochs=train["epochs"], batch_size=train["batch_size"],
                  lr=train["lr"], seed=train["seed"], n_samples=train["n_samples"],
                  kl_weighting=train["kl_weighting"], checkpoint_path=ckpt, checkpoint_key=key,
                  progress=progress, label=f"{config['dataset']}/{config['method']}")
    timings["train_session"] = time.perf_counter() - start
    timings["train_epochs"] = sum(h["seconds"] for h in history)

    start = time.perf_counter()
    evaluation = config["evaluation"]
    # Monte Carlo ensemble accuracy for BBB's SNR sweep (the table rows); |μ| ranking is a
    # comparison curve and gets the posterior mean only.
    sweeps = {c: prune_sweep(model, c, dataset.x_test, dataset.y_test,
                             tuple(evaluation["amounts"]),
                             mc_samples=evaluation["mc_samples"] if c == "snr" else 0)
              for c in criteria_for(model)}
    timings["prune_sweeps"] = time.perf_counter() - start

    start = time.perf_counter()
    summary = weight_summary(model, seed=train["seed"])
    pruned_summaries = {f"{c}@{a}": weight_summary(prune.get_criterion(c)(model, a),
                                                   seed=train["seed"])
                        for c in criteria_for(model) for a in (0.5, 0.75, 0.9)}
    timings["weight_summaries"] = time.perf_counter() - start

    meta["seconds"] = timings
    meta["finished"] = metadata.now()
    result = {
        "config": config, "config_hash": key, "history": history, "prune": sweeps,
        "weights": summary, "pruned_weights": pruned_summaries,
        "n_parameters": sum(p.numel() for p in (models.compact_state_dict(model).values())),
        "metadata": meta,
    }
    path = result_path(results, config)
    save_weights(result_path(results, config, ".weights.pt"), model)
    storage.write_json(path, result)
    return result


def run(dataset: str, method: str, preset: str = "paper", *, seed: int | None = None,
        epochs: int | None = None, device="auto", results: str | os.PathLike | None = None,
        retrain: bool = False, progress: bool = True) -> dict:
    """The result of one experiment: loaded when current, else computed and stored.

    Parameters
    ----------
    dataset : {"mnist", "fashion-mnist"}
    method : {"sgd", "dropout50", "dropout75", "dropout90", "bbb"}
    preset : {"paper", "quick"}
    seed, epochs : int, optional
        Override the preset.
    device : {"auto", "cpu", "cuda"}
    results : path-like, optional
        Results folder (see :func:`results_dir`).
    retrain : bool
        Recompute even when a current result exists.
    progress : bool
        Show progress bars.

    Returns
    -------
    dict
        ``config``, ``config_hash``, ``history``, ``prune`` (sweeps per criterion),
        ``weights`` / ``pruned_weights`` (histograms), ``metadata``.
    """
    config = method_config(preset, dataset, method, seed=seed, epochs=epochs)
    if not retrain:
        stored = load_result(config, results)
        if stored is not None:
            return stored
    return train_and_evaluate(config, device=device, progress=progress, results=results)


def trained_model(dataset: str, method: str, preset: str = "paper", *, seed: int | None = None,
                  device="auto", results: str | os.PathLike | None = None):
    """The trained model of an experiment (runs it first when its result is missing)."""
    config = method_config(preset, dataset, method, seed=seed)
    path = result_path(results_dir(results), config, ".weights.pt")
    if load_result(config, results) is None or not path.exists():
        run(dataset, method, preset, seed=seed, device=device, results=results, retrain=True)
    return load_weights(path, devices.resolve(device))


def record_reproduce_run(preset: str, runs: list[dict], total_seconds: float, device="auto",
                         results: str | os.PathLike | None = None) -> Path:
    """Write ``<results>/<preset>/reproduce-<device type>.json``: the wall time of each call of
    a ``reproduce`` command (near 0 for results that were already current) and the total."""
    device = devices.resolve(device)
    record = {**metadata.collect(device), "preset": preset, "runs": runs,
              "total_seconds": total_seconds, "finished": metadata.now()}
    path = results_dir(results) / preset / f"reproduce-{device.type}.json"
    storage.write_json(path, record)
    return path
