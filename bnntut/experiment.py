"""Run one (dataset, method, preset) experiment, or load its cached result.

``run`` looks for ``<results>/<preset>/<dataset>/<method>.json``.  When it is current —
its ``config_hash`` matches the configuration and its ``inputs`` the dataset's IDX files
(:mod:`bnntut.store`) — it is returned as is; otherwise (missing, or stale — never silently
reused) the model is trained (resuming from ``<checkpoints>/…`` after an interruption),
pruned at every amount of the sweep, summarised, and the result written atomically together
with the final weights (``<method>.weights.pt``, whose SHA-256 the result records and
:func:`trained_model` checks) so that chapters can use the trained model without retraining.
Results derived from a trained model (:func:`derived`) record that SHA-256 among their
inputs, so they go stale when the model is trained again.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch

from . import data as data_module
from . import devices, metadata, models, prune, storage, store
from .evaluate import prune_sweep, weight_summary
from .presets import method_config
from .train import fit

RESULTS_ENV = "BNNTUT_RESULTS"
CHECKPOINTS_ENV = "BNNTUT_CHECKPOINTS"


#: At most this many checkpoints per training run (every epoch for the study's 50 epochs,
#: every 12th of Blundell's 600: a checkpoint of the 2 × 1200 BBB net is 40 MB).
CHECKPOINTS_PER_RUN = 50


StaleResultWarning = store.StaleResultWarning


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


def checkpoint_path(checkpoints: Path, config: dict) -> Path:
    """``<checkpoints>/<preset>/<dataset>/<method>-<config hash>.pt``: where the training run
    of ``config`` saves and resumes."""
    return (checkpoints / config["preset"] / config["dataset"]
            / f"{config['method']}-{storage.config_hash(config)}.pt")


def result_path(results: Path, config: dict, suffix: str = ".json") -> Path:
    """``<results>/<preset>/<dataset>/<method>[-seed<k>][-epochs<n>]<suffix>``.

    A seed or a number of epochs other than the preset's gets its own file, so that a run
    with overridden settings never replaces the preset's (committed) result.
    """
    from .presets import get_preset

    default = get_preset(config["preset"]).protocol(config["method"])
    seed, epochs = config["train"]["seed"], config["train"]["epochs"]
    stem = (config["method"] + ("" if seed == default["seed"] else f"-seed{seed}")
            + ("" if epochs == default["epochs"] else f"-epochs{epochs}"))
    return results / config["preset"] / config["dataset"] / f"{stem}{suffix}"


def load_result(config: dict, results: str | os.PathLike | None = None) -> dict | None:
    """The stored result for ``config`` if present and current (:func:`bnntut.store.load`:
    same configuration, same data files), else ``None``."""
    return store.load(result_path(results_dir(results), config), storage.config_hash(config),
                      store.data_inputs(config["dataset"]))


def model_inputs(config: dict, results: str | os.PathLike | None = None) -> dict:
    """The inputs of a result derived from the trained model of ``config``: the training
    result's hash and the SHA-256 of its weights (as the training result records it, else of
    the weights file; ``None`` when neither exists yet)."""
    root = results_dir(results)
    digest = None
    path = result_path(root, config)
    if path.exists():
        try:
            digest = storage.read_json(path).get("weights_sha256")
        except storage.CorruptFileError:
            digest = None
    weights = result_path(root, config, ".weights.pt")
    if digest is None and weights.exists():
        digest = store.file_sha256(weights)
    return {"training": storage.config_hash(config), "weights_sha256": digest}


def regenerate_command(config: dict) -> str:
    """The CLI command that trains ``config`` again from scratch."""
    seed = config["train"]["seed"]
    return (f"python -m bnntut train --preset {config['preset']} --dataset "
            f"{config['dataset']} --method {config['method']} --seed {seed} --retrain")


def load_data(config: dict, device="cpu") -> data_module.Dataset:
    """The dataset of a training configuration: its subset, preprocessing and held-out
    validation images (where the configuration has them), on ``device``."""
    divisor = config.get("preprocessing", {}).get("pixel_divisor", 255.0)
    return data_module.load(config["dataset"], device=device, subset=config["subset"],
                            pixel_divisor=divisor, validation=config.get("validation", False))


def save_weights(path: Path, model) -> Path:
    """Final weights (each tensor once; no optimiser state), atomically."""
    return storage.save_checkpoint(path, {"spec": model.spec,
                                          "state": models.compact_state_dict(model)})


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
                       dataset: data_module.Dataset | None = None,
                       from_scratch: bool = False) -> dict:
    """Train, sweep, summarise and write the result for ``config`` (see module docstring).

    Training resumes from the configuration's checkpoint unless ``from_scratch``, which
    deletes it first."""
    results = results_dir(results)
    store.clean_orphans(results / config["preset"])
    device = devices.resolve(device)
    meta = metadata.collect(device)
    key = storage.config_hash(config)
    inputs = store.data_inputs(config["dataset"])
    timings = {}

    start = time.perf_counter()
    if dataset is None:
        dataset = load_data(config, device)
    dataset = dataset.to(device)
    timings["load_data"] = time.perf_counter() - start

    train = config["train"]
    torch.manual_seed(train["seed"])
    model = models.build(config["model"]).to(device)
    ckpt = checkpoint_path(checkpoints_dir(results), config)
    if from_scratch:
        ckpt.unlink(missing_ok=True)
    start = time.perf_counter()
    history = fit(model, dataset, epochs=train["epochs"], batch_size=train["batch_size"],
                  lr=train["lr"], optimizer=train.get("optimizer", "adam"),
                  seed=train["seed"], n_samples=train["n_samples"],
                  kl_weighting=train["kl_weighting"], l1_penalty=train.get("l1_penalty", 0.0),
                  checkpoint_path=ckpt, checkpoint_key=key,
                  checkpoint_every=max(1, train["epochs"] // CHECKPOINTS_PER_RUN),
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
        "config": config, "config_hash": key, "inputs": inputs, "history": history,
        "prune": sweeps,
        "weights": summary, "pruned_weights": pruned_summaries,
        "n_parameters": sum(p.numel() for p in (models.compact_state_dict(model).values())),
        "metadata": meta,
    }
    weights = save_weights(result_path(results, config, ".weights.pt"), model)
    result["weights_sha256"] = store.file_sha256(weights)
    storage.write_json(result_path(results, config), result)
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
        Train again from scratch (its checkpoint deleted) even when a current result exists.
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
    return train_and_evaluate(config, device=device, progress=progress, results=results,
                              from_scratch=retrain)


def trained_model(dataset: str, method: str, preset: str = "paper", *, seed: int | None = None,
                  device="auto", results: str | os.PathLike | None = None):
    """The trained model of an experiment (runs it first when its result is missing)."""
    config = method_config(preset, dataset, method, seed=seed)
    path = result_path(results_dir(results), config, ".weights.pt")
    stored = load_result(config, results)
    if stored is None or not path.exists():
        # Resumes from the checkpoint when one is left (lost weights of a finished run).
        stored = train_and_evaluate(config, device=device, results=results)
    command = regenerate_command(config)
    store.verify_weights(path, stored, command)
    try:
        return load_weights(path, devices.resolve(device))
    except storage.CorruptFileError as error:
        raise storage.CorruptFileError(f"{error}. To regenerate it: {command}") from error


def record_reproduce_run(preset: str, runs: list[dict], total_seconds: float, device="auto",
                         results: str | os.PathLike | None = None, jobs: int = 1,
                         tag: str = "") -> Path:
    """Write ``<results>/<preset>/reproduce-<device type>[_<tag>].json``: the wall time of each
    call of a ``reproduce`` command (near 0 for results that were already current), the total
    and the number of worker processes; ``tag`` names a run of part of the preset."""
    device = devices.resolve(device)
    record = {**metadata.collect(device), "preset": preset, "runs": runs, "jobs": jobs,
              "total_seconds": total_seconds, "finished": metadata.now()}
    suffix = f"_{tag}" if tag else ""
    path = results_dir(results) / preset / f"reproduce-{device.type}{suffix}.json"
    storage.write_json(path, record)
    return path


def derived_path(config: dict, kind: str, results: str | os.PathLike | None = None) -> Path:
    """``<results>/<preset>/<dataset>/<method>[-seed<k>].<kind>.json``: a result computed from
    the trained model of ``config``."""
    return result_path(results_dir(results), config, f".{kind}.json")


def derived(kind: str, dataset: str, method: str, preset: str, settings: dict, compute, *,
            seed: int | None = None, device="auto",
            results: str | os.PathLike | None = None, recompute: bool = False) -> dict:
    """A result derived from one trained model (fine-tuning, pruning criteria), cached.

    The stored JSON is reused while it is current (:func:`bnntut.store.load`): its
    ``config_hash`` — over the training configuration's hash and ``settings`` — matches, and
    its ``inputs`` (:func:`model_inputs`) name the same weights; a stale one warns
    (:class:`StaleResultWarning`) and is recomputed.  Otherwise the trained model is loaded
    (trained first if missing) with its
    dataset on ``device`` and ``compute(model, data, config)`` returns ``(body, seconds)``;
    ``body`` is stored with the configuration, ``metadata`` and the ``seconds`` per phase.

    Parameters
    ----------
    kind : str
        Names the file suffix and the settings entry, e.g. ``"finetune"``.
    dataset, method, preset, seed
        Which trained model.
    settings : dict
        What the derived computation depends on besides the trained model.
    compute : callable
        ``compute(model, data, config, inputs) -> (dict, dict)``; ``inputs`` identifies the
        trained model (for keying partial work).
    device, results, recompute
        As for :func:`run`.
    """
    config = method_config(preset, dataset, method, seed=seed)
    identity = {"training_config_hash": storage.config_hash(config), kind: settings}
    key = storage.config_hash(identity)
    path = derived_path(config, kind, results)
    if not recompute:
        stored = store.load(path, key, model_inputs(config, results))
        if stored is not None:
            return stored
    device = devices.resolve(device)
    meta = metadata.collect(device)
    start = time.perf_counter()
    model = trained_model(dataset, method, preset, seed=seed, device=device, results=results)
    data = load_data(config, device)
    inputs = model_inputs(config, results)
    seconds = {"load": time.perf_counter() - start}
    body, timings = compute(model, data, config, inputs)
    meta["seconds"] = {**seconds, **timings}
    meta["finished"] = metadata.now()
    result = {"config": {**identity, "training": config}, "config_hash": key,
              "inputs": inputs, **body, "metadata": meta}
    storage.write_json(path, result)
    return storage.read_json(path)   # exactly what a later call loads (lists, not tuples)
