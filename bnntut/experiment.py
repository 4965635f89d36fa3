"""One training run: train, prune and evaluate a (dataset, method) of a preset, or load it.

A :class:`Run` is resolved once from its names: its configuration (what the result's hash
covers) and where its files live, ``<results>/<preset>/<dataset>/<method>[-seed<k>]…``.
:func:`run` returns its result when current (:mod:`bnntut.store`: same configuration, same
data files); otherwise it trains (resuming from the run's checkpoint), prunes at every amount
of the sweep, summarises, and writes the result atomically together with the final weights,
whose SHA-256 the result records and :func:`trained_model` checks.  Results derived from a
trained model (:func:`derived`) record that SHA-256, so they go stale when it is retrained.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import torch

from . import batched, devices, metadata, models, prune, store
from . import data as data_module
from .evaluate import prune_sweep, weight_summary
from .presets import Preset, method_config, resolve
from .switches import env_value
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
    if env_value(RESULTS_ENV):
        return Path(env_value(RESULTS_ENV))
    root = project_root()
    return (root / "results") if root else Path("results")


@dataclass(frozen=True)
class Run:
    """One training run, resolved once: its ``config`` (what the result's hash covers,
    :func:`bnntut.presets.method_config`; not to be changed), its ``results`` folder and the
    :class:`~bnntut.presets.Preset` it belongs to (``None``: the registered preset that
    ``config`` names)."""

    config: dict
    results: Path | None = None
    preset: Preset | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "results", results_dir(self.results))
        if self.preset is not None and self.preset.name != self.config["preset"]:
            raise ValueError(f"preset {self.preset.name!r} does not match the configuration's "
                             f"{self.config['preset']!r}")

    @classmethod
    def of(cls, dataset: str, method: str, preset: Preset | str = "paper", *,
           seed: int | None = None, epochs: int | None = None,
           results: str | os.PathLike | None = None) -> Run:
        """The run of a preset's (dataset, method), with the seed or epochs overridden;
        ``preset`` is a :class:`~bnntut.presets.Preset` or its name."""
        spec = resolve(preset)
        return cls(method_config(spec, dataset, method, seed=seed, epochs=epochs), results, spec)

    @cached_property
    def key(self) -> str:
        """The configuration's hash."""
        return store.config_hash(self.config)

    def path(self, suffix: str = ".json") -> Path:
        """``<results>/<preset>/<dataset>/<method>[-seed<k>][-epochs<n>]<suffix>``: a seed or
        number of epochs other than the preset's gets its own file, so that a run with
        overridden settings never replaces the preset's (committed) result."""
        stem = self.config["method"] + "".join(f"-{k}{v}" for k, v in self._overrides.items())
        return self.results / self.config["preset"] / self.config["dataset"] / f"{stem}{suffix}"

    @cached_property
    def _overrides(self) -> dict:
        """``{"seed": k, "epochs": n}``, each only where it differs from the preset's."""
        train = self.config["train"]
        spec = self.preset or resolve(self.config["preset"])
        default = spec.protocol(self.config["method"])
        return {k: train[k] for k in ("seed", "epochs") if train[k] != default[k]}

    @property
    def checkpoint(self) -> Path:
        """``<checkpoints>/<preset>/<dataset>/<method>-<hash>.pt``, where ``<checkpoints>`` is
        ``$BNNTUT_CHECKPOINTS`` or ``checkpoints/`` beside the results folder."""
        folder = Path(env_value(CHECKPOINTS_ENV) or self.results.resolve().parent
                      / "checkpoints")
        return (folder / self.config["preset"] / self.config["dataset"]
                / f"{self.config['method']}-{self.key}.pt")

    @property
    def command(self) -> str:
        """The CLI command that trains the run again from scratch."""
        c = self.config
        epochs = f" --epochs {self._overrides['epochs']}" if "epochs" in self._overrides else ""
        return (f"python -m bnntut train --preset {c['preset']} --dataset {c['dataset']} "
                f"--method {c['method']} --seed {c['train']['seed']}{epochs} --retrain")

    def inputs(self) -> dict:
        """What the training result is computed from: its dataset's IDX files
        (:func:`bnntut.store.data_inputs`)."""
        return store.data_inputs(self.config["dataset"])

    def load(self) -> dict | None:
        """The stored result if present and current (:func:`bnntut.store.load`), else
        ``None``."""
        return store.load(self.path(), self.key, self.inputs())

    def model_inputs(self) -> dict:
        """What a result derived from the trained model depends on: the training result's
        hash and the SHA-256 of its weights (as the result records it, else of the weights
        file; ``None`` when neither exists yet)."""
        digest = None
        if self.path().exists():
            with contextlib.suppress(store.CorruptFileError):
                digest = store.read_json(self.path()).get("weights_sha256")
        weights = self.path(".weights.pt")
        if digest is None and weights.exists():
            digest = store.file_sha256(weights)
        return {"training": self.key, "weights_sha256": digest}

    def load_data(self, device="cpu") -> data_module.Dataset:
        """The run's dataset (subset, preprocessing, validation images) on ``device``."""
        c = self.config
        return data_module.load(c["dataset"], device=device, subset=c["subset"],
                                pixel_divisor=c.get("preprocessing", {}).get("pixel_divisor",
                                                                             255.0),
                                validation=c.get("validation", False))


def save_weights(path: Path, model) -> Path:
    """Final weights (each tensor once; no optimiser state), atomically."""
    return store.save_checkpoint(path, {"spec": model.spec,
                                          "state": models.compact_state_dict(model)})


def load_weights(path: str | os.PathLike, device: str | torch.device = "cpu"):
    """Rebuild a model saved by :func:`save_weights` (``weights_only=True``)."""
    saved = store.load_checkpoint(path, device)
    model = models.build(saved["spec"]).to(device)
    models.load_compact_state_dict(model, saved["state"])
    return model.eval()


def train_and_evaluate(run_: Run, device="auto", progress: bool = True,
                       dataset: data_module.Dataset | None = None,
                       from_scratch: bool = False) -> dict:
    """Train, sweep, summarise and write the result of ``run_`` (see module docstring), even
    when a current one is stored.

    Training resumes from the run's checkpoint unless ``from_scratch``, which deletes it."""
    return _stored(run_, lambda: _train(run_, device, progress, dataset, from_scratch),
                   recompute=True)


def _stored(run_: Run, compute, recompute: bool = False) -> dict:
    """The result of ``run_`` through the store (:func:`bnntut.store.cached`)."""
    return store.cached(run_.path(), run_.key, run_.inputs, compute, recompute=recompute)


def _train(run_: Run, device, progress: bool, dataset: data_module.Dataset | None,
           from_scratch: bool) -> dict:
    """Train, sweep and summarise ``run_``; write its weights and return the result's body."""
    config = run_.config
    store.clean_orphans(run_.results / config["preset"])
    device = devices.resolve(device)
    meta = metadata.collect(device)
    timings = {}
    start = time.perf_counter()
    dataset = (dataset or run_.load_data(device)).to(device)
    timings["load_data"] = time.perf_counter() - start

    train = config["train"]
    torch.manual_seed(train["seed"])
    model = models.build(config["model"]).to(device)
    if from_scratch:
        run_.checkpoint.unlink(missing_ok=True)
    start = time.perf_counter()
    history = fit(model, dataset, epochs=train["epochs"], batch_size=train["batch_size"],
                  lr=train["lr"], optimizer=train.get("optimizer", "adam"),
                  seed=train["seed"], n_samples=train["n_samples"],
                  kl_weighting=train["kl_weighting"], l1_penalty=train.get("l1_penalty", 0.0),
                  map_prior=train.get("map_prior"),
                  loss_reduction=train.get("loss_reduction", "sum"),
                  checkpoint_path=run_.checkpoint, checkpoint_key=run_.key,
                  checkpoint_every=max(1, train["epochs"] // CHECKPOINTS_PER_RUN),
                  progress=progress, label=f"{config['dataset']}/{config['method']}")
    timings["train_session"] = time.perf_counter() - start
    return _evaluate(run_, model, dataset, history, meta, timings)


def _evaluate(run_: Run, model, dataset: data_module.Dataset, history: list[dict], meta: dict,
              timings: dict) -> dict:
    """Sweep and summarise a trained ``model`` of ``run_``; write its weights and return the
    result's body."""
    config, train = run_.config, run_.config["train"]
    timings["train_epochs"] = sum(h["seconds"] for h in history)
    start = time.perf_counter()
    criteria = prune.swept_criteria(model)
    evaluation = config["evaluation"]
    # Monte Carlo ensemble accuracy for BBB's SNR sweep (the table rows); the |μ| ranking is a
    # comparison curve and gets the posterior mean only.
    include_bias = evaluation.get("include_bias", True)
    sweeps = {c: prune_sweep(model, c, dataset.x_test, dataset.y_test,
                             tuple(evaluation["amounts"]),
                             mc_samples=evaluation["mc_samples"] if c == "snr" else 0,
                             include_bias=include_bias)
              for c in criteria}
    # With held-out images, the same sweeps on them (posterior mean / eval mode): what a
    # choice between settings reads, so that the test images only report.
    validation = {} if dataset.x_val is None else {"prune_validation": {
        c: prune_sweep(model, c, dataset.x_val, dataset.y_val, tuple(evaluation["amounts"]),
                       include_bias=include_bias) for c in criteria}}
    timings["prune_sweeps"] = time.perf_counter() - start

    start = time.perf_counter()
    summary = weight_summary(model, seed=train["seed"])
    pruned_summaries = {f"{c}@{a}": weight_summary(prune.get_criterion(c)(model, a),
                                                   seed=train["seed"])
                        for c in criteria for a in (0.5, 0.75, 0.9)}
    timings["weight_summaries"] = time.perf_counter() - start
    meta.update(seconds=timings, finished=metadata.now())
    return {"config": config, "history": history, "prune": sweeps, **validation,
            "weights": summary, "pruned_weights": pruned_summaries,
            "n_parameters": sum(p.numel() for p in models.compact_state_dict(model).values()),
            "metadata": meta,
            "weights_sha256": store.file_sha256(save_weights(run_.path(".weights.pt"), model))}


def batch_key(config: dict) -> tuple:
    """What runs must share to train as one batch (:mod:`bnntut.batched`): dataset and its
    preparation, epochs, batch size, optimiser, weight samples, model kind and widths."""
    train, model = config["train"], config["model"]
    return (config["dataset"], repr(config["subset"]), repr(config.get("preprocessing")),
            bool(config.get("validation")), train["epochs"], train["batch_size"],
            train.get("optimizer", "adam"), train["n_samples"], model["kind"],
            tuple(model["hidden"]), model.get("input_dropout"))


def train_and_evaluate_batch(runs: list[Run], device="auto", progress: bool = True) -> list[dict]:
    """Train ``runs`` (one :func:`batch_key`) as one stacked computation
    (:func:`bnntut.batched.fit_many`), then sweep, summarise and store each exactly as
    :func:`train_and_evaluate` stores a run trained alone (same file, same hash).  The batch
    checkpoints every epoch and resumes."""
    if len({batch_key(r.config) for r in runs}) != 1:
        raise ValueError("runs of one batch must share dataset, epochs, batch size, optimiser, "
                         "weight samples and network shape")
    first = runs[0]
    store.clean_orphans(first.results / first.config["preset"])
    device = devices.resolve(device)
    meta = metadata.collect(device)
    start = time.perf_counter()
    dataset = first.load_data(device).to(device)
    load_seconds = time.perf_counter() - start
    members = []
    for run_ in runs:
        train = run_.config["train"]
        torch.manual_seed(train["seed"])
        members.append(batched.Member(
            models.build(run_.config["model"]).to(device), lr=train["lr"], seed=train["seed"],
            kl_weighting=train["kl_weighting"],
            loss_reduction=train.get("loss_reduction", "sum"),
            l1_penalty=train.get("l1_penalty", 0.0), map_prior=train.get("map_prior")))
    key = store.config_hash({"batch": [r.key for r in runs]})
    checkpoint = first.checkpoint.parent / f"batch-{key}.pt"
    train = first.config["train"]
    start = time.perf_counter()
    histories = batched.fit_many(
        members, dataset, epochs=train["epochs"], batch_size=train["batch_size"],
        optimizer=train.get("optimizer", "adam"), n_samples=train["n_samples"],
        progress=progress, checkpoint_path=checkpoint, checkpoint_key=key,
        label=f"{first.config['dataset']}/{len(runs)} models")
    session = time.perf_counter() - start
    results = []
    for run_, member, history in zip(runs, members, histories):
        timings = {"load_data": load_seconds, "train_session": session}
        run_meta = {**meta, "batched_with": len(runs)}
        results.append(_stored(run_, lambda r=run_, m=member, h=history, t=timings,
                               md=run_meta: _evaluate(r, m.model, dataset, h, md, t),
                               recompute=True))
    checkpoint.unlink(missing_ok=True)
    return results


def run_many(tasks: list[dict], preset: Preset | str = "paper", *, device="auto",
             results: str | os.PathLike | None = None, batched_training: bool | None = None,
             retrain: bool = False, progress: bool = True) -> list[dict]:
    """The results of many runs (``{"dataset", "method", "seed"}`` each), in task order.

    Current results are loaded; the others train — runs that share a :func:`batch_key` as
    one batch when ``batched_training`` (default: on CUDA), each alone otherwise."""
    runs = [Run.of(t["dataset"], t["method"], preset, seed=t.get("seed"), results=results)
            for t in tasks]
    todo = [r for r in runs if retrain or r.load() is None]
    if batched_training is None:
        batched_training = devices.resolve(device).type == "cuda"
    groups: dict[tuple, list[Run]] = {}
    for run_ in todo:
        groups.setdefault(batch_key(run_.config) if batched_training else run_.key,
                          []).append(run_)
    for group in groups.values():
        if len(group) > 1:
            train_and_evaluate_batch(group, device=device, progress=progress)
        else:
            train_and_evaluate(group[0], device=device, progress=progress,
                               from_scratch=retrain)
    return [r.load() for r in runs]


def run(dataset: str, method: str, preset: Preset | str = "paper", *,
        seed: int | None = None, epochs: int | None = None, device="auto",
        results: str | os.PathLike | None = None, retrain: bool = False,
        progress: bool = True) -> dict:
    """The result of one experiment: loaded when current, else computed and stored.

    Parameters
    ----------
    dataset, method : str
    preset : Preset or str
        Which run (:meth:`Run.of`): a :class:`~bnntut.presets.Preset` or its name; ``seed``
        and ``epochs`` override the preset's.
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
        ``config``, ``config_hash``, ``inputs``, ``history``, ``prune`` (sweeps per
        criterion), ``weights`` / ``pruned_weights`` (histograms), ``weights_sha256``,
        ``metadata``.
    """
    run_ = Run.of(dataset, method, preset, seed=seed, epochs=epochs, results=results)
    return _stored(run_, lambda: _train(run_, device, progress, None, retrain), recompute=retrain)


def trained_model(dataset: str, method: str, preset: Preset | str = "paper", *,
                  seed: int | None = None, device="auto",
                  results: str | os.PathLike | None = None):
    """The trained model of an experiment (runs it first when its result is missing)."""
    run_ = Run.of(dataset, method, preset, seed=seed, results=results)
    path = run_.path(".weights.pt")
    stored = run_.load()
    if stored is None or not path.exists():
        # Resumes from the checkpoint when one is left (lost weights of a finished run).
        stored = train_and_evaluate(run_, device=device)
    store.verify_weights(path, stored, run_.command)
    try:
        return load_weights(path, devices.resolve(device))
    except store.CorruptFileError as error:
        raise store.CorruptFileError(f"{error}. To regenerate it: {run_.command}") from error


def reproduce_log_path(preset: str, device_type: str = "cpu",
                       results: str | os.PathLike | None = None) -> Path:
    """``<results>/<preset>/reproduce-<device type>.json``: the timing log of a preset."""
    return results_dir(results) / preset / f"reproduce-{device_type}.json"


def reproduce_log(preset: str, device_type: str = "cpu",
                  results: str | os.PathLike | None = None) -> list[dict]:
    """The records of :func:`record_reproduce_run` for a preset and device type, oldest first
    (``[]`` when there are none); :class:`bnntut.store.CorruptFileError` names a corrupt log."""
    return store.read_log(reproduce_log_path(preset, device_type, results))


#: How a command ran its models, as its timing record names it: one after another in its own
#: process, as stacked batches (:mod:`bnntut.batched`), or as Ray tasks (:mod:`bnntut.cluster`).
#: Records written before the runner was named hold ``jobs`` (worker processes) instead.
RUNNERS = ("in-process", "batched", "ray")


def record_reproduce_run(preset: str, runs: list[dict], total_seconds: float, device="auto",
                         results: str | os.PathLike | None = None,
                         runner: str = "in-process", tag: str = "") -> Path:
    """Append the record of one ``reproduce`` command to the preset's timing log
    (:func:`reproduce_log_path`) and return the log's path.

    The record holds the wall time of each call (``runs``; near 0 for results that were
    already current), ``total_seconds``, the ``runner`` of :data:`RUNNERS` that trained the
    models, the ``tag`` naming a run of part of the preset (``""``: all of it) and the
    machine's metadata.
    """
    if runner not in RUNNERS:
        raise ValueError(f"unknown runner {runner!r}; allowed: {', '.join(RUNNERS)}")
    device = devices.resolve(device)
    record = {**metadata.collect(device), "preset": preset, "tag": tag, "runs": runs,
              "runner": runner, "total_seconds": total_seconds, "finished": metadata.now()}
    return store.append_log(reproduce_log_path(preset, device.type, results), record)


def derived(kind: str, dataset: str, method: str, preset: Preset | str, settings: dict,
            compute, *,
            seed: int | None = None, device="auto",
            results: str | os.PathLike | None = None, recompute: bool = False) -> dict:
    """A result derived from one trained model (fine-tuning, pruning criteria), cached.

    Stored as ``<method>[-seed<k>].<kind>.json`` beside the training result and reused while
    current (:func:`bnntut.store.cached`): its hash over the training configuration's hash and
    ``settings`` matches, and its inputs (:meth:`Run.model_inputs`) name the same weights.
    Otherwise the trained model is loaded (trained first if missing) with its dataset on
    ``device``, and ``compute(model, data, config, inputs)`` returns ``(body, seconds)``:
    ``body`` is stored with the configuration, ``inputs``, ``metadata`` and the ``seconds``
    per phase.  ``kind`` names the file suffix and the settings entry (``"finetune"``);
    the other arguments are as for :func:`run`.
    """
    run_ = Run.of(dataset, method, preset, seed=seed, results=results)
    identity = _derived_identity(run_, kind, settings)

    def body() -> dict:
        resolved = devices.resolve(device)
        meta = metadata.collect(resolved)
        start = time.perf_counter()
        model = trained_model(dataset, method, preset, seed=seed, device=resolved,
                              results=results)
        data = run_.load_data(resolved)
        seconds = {"load": time.perf_counter() - start}
        numbers, timings = compute(model, data, run_.config, run_.model_inputs())
        meta.update(seconds={**seconds, **timings}, finished=metadata.now())
        return {"config": {**identity, "training": run_.config}, **numbers, "metadata": meta}

    return store.cached(run_.path(f".{kind}.json"), store.config_hash(identity),
                        run_.model_inputs, body, recompute=recompute)


def _derived_identity(run_: Run, kind: str, settings: dict) -> dict:
    """What the hash of a derived result covers: its training configuration's hash and its
    ``settings``."""
    return {"training_config_hash": run_.key, kind: settings}


def load_derived(kind: str, dataset: str, method: str, preset: Preset | str, settings: dict, *,
                 seed: int | None = None,
                 results: str | os.PathLike | None = None) -> dict | None:
    """The result that :func:`derived` stores for these arguments if it is current, else
    ``None`` (a stale one with a warning); nothing is computed."""
    run_ = Run.of(dataset, method, preset, seed=seed, results=results)
    return store.load(run_.path(f".{kind}.json"),
                      store.config_hash(_derived_identity(run_, kind, settings)),
                      run_.model_inputs())
