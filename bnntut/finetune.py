"""The fine-tuning arm (Han et al. 2015): prune, then retrain the survivors with the mask fixed.

Every trained model is pruned at a schedule's ``amounts`` as in the main sweep and retrained
for its ``epochs`` at ``lr_factor`` times the training learning rate, the protocol otherwise
unchanged.  Three schedules (:data:`SCHEDULES`), each with its settings in the preset:

* ``"study"`` (``Preset.finetune``): the study's short one; in ``paper``, 5 epochs at
  0.1 × the learning rate, from half the weights removed to 98 %;
* ``"literature"`` (``Preset.retrain``): as in the literature, the mask fixed and the
  training learning rate; in ``paper``, 20 epochs at 90, 95 and 98 % removed;
* ``"literature-long"`` (``Preset.retrain_long``): the same run longer where twenty epochs
  were too few; in ``paper``, 100 epochs at 98 % removed.

The mask provably stays fixed (``tests/test_finetune.py``): deterministic nets multiply by it
(``torch.nn.utils.prune.custom_from_mask``); in BBB the pruned entries keep μ = 0 and ρ = −∞
(σ = 0) through masked gradients, and leave the complexity cost, where a point mass at 0
would contribute −log 0.

:func:`run` stores ``<results>/<preset>/<dataset>/<method>[-seed<k>].finetune.json`` for the
study's schedule, ``….retrain.json`` for the literature's and ``….retrain-long.json`` for
its longer run; an interrupted run resumes at the
next amount.  Each amount's ``history`` holds the fine-tuned net's ``test_accuracy`` after
every epoch of fine-tuning (:func:`bnntut.train.fit`).
"""

from __future__ import annotations

import os
import time

import torch
from torch.nn.utils import prune as torch_prune

from . import evaluate, experiment, prune, store
from .bayes import sigma, variational_pairs
from .data import Dataset
from .models import clone, is_bayesian
from .presets import Preset, resolve, thaw
from .train import fit

#: The fine-tuning schedules by name: the kind of result that stores each (its file suffix,
#: :func:`bnntut.experiment.derived`) and the :class:`~bnntut.presets.Preset` attribute that
#: holds its settings.
SCHEDULES = {"study": ("finetune", "finetune"), "literature": ("retrain", "retrain"),
             "literature-long": ("retrain-long", "retrain_long")}


def schedule_settings(schedule: str, preset: Preset) -> tuple[str, dict]:
    """The stored kind of ``schedule`` and its settings in ``preset`` (a plain dict);
    ``ValueError`` names the allowed schedules."""
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown fine-tuning schedule {schedule!r}; allowed: "
                         f"{', '.join(SCHEDULES)}")
    kind, attribute = SCHEDULES[schedule]
    return kind, thaw(getattr(preset, attribute))


@torch.no_grad()
def kept_masks(model) -> list[torch.Tensor]:
    """Bool masks of the unpruned entries (not μ = σ = 0) of a Bayesian net, one per
    variational tensor (sampling order)."""
    return [~((mu == 0) & (sigma(rho) == 0)) for mu, rho in variational_pairs(model)]


def fine_tune(pruned, data: Dataset, *, epochs: int, lr: float, seed: int = 0,
              n_samples: int = 2, kl_weighting: str = "paper", batch_size: int = 100,
              progress: bool = True, label: str = ""):
    """Retrain a copy of ``pruned`` (from :mod:`bnntut.prune`) with its pruned entries at 0.

    ``data`` is on the device to train on; the other arguments are as for
    :func:`bnntut.train.fit`.  Returns the fine-tuned copy, in eval mode, with the same
    entries removed as ``pruned``, and its per-epoch history (:func:`bnntut.train.fit`).
    """
    model = clone(pruned).to(data.x_train.device)
    common = dict(epochs=epochs, lr=lr, seed=seed, batch_size=batch_size, progress=progress,
                  label=label)
    if is_bayesian(model):
        return model, fit(model, data, n_samples=n_samples, kl_weighting=kl_weighting,
                          keep=kept_masks(model), **common)
    targets = [(linear, name) for linear in model.linears for name in ("weight", "bias")]
    for module, name in targets:
        torch_prune.custom_from_mask(module, name, mask=getattr(module, name) != 0)
    history = fit(model, data, **common)
    for module, name in targets:
        torch_prune.remove(module, name)
    return model.eval(), history


def _scores(model, data: Dataset, mc_samples: int, seed: int) -> dict:
    """Test ``accuracy``; BBB also ``accuracy_mc`` from ``mc_samples`` (0: none)."""
    scores = {"accuracy": evaluate.accuracy(model, data.x_test, data.y_test)}
    if is_bayesian(model) and mc_samples:
        scores["accuracy_mc"] = evaluate.accuracy(model, data.x_test, data.y_test,
                                                  samples=mc_samples, seed=seed)
    return scores


def arm(model, data: Dataset, training: dict, settings: dict, *, mc_samples: int = 10,
        progress: bool = True, partial: str | os.PathLike | None = None,
        inputs: dict | None = None, label: str = "") -> dict:
    """Prune ``model`` (left untouched) at every amount of ``settings``, fine-tune each copy.

    Parameters
    ----------
    model : MLP or BayesianMLP
    data : Dataset
        On the device to train on.
    training : dict
        The ``train`` part of the model's configuration (lr, seed, batch, samples, weighting).
    settings : dict
        ``amounts`` (fractions to remove), ``epochs``, ``lr_factor``.
    mc_samples : int
        Monte Carlo samples of BBB's second accuracy (0 to skip).
    partial : path-like, optional
        JSON file of the amounts done so far (written after each one), resumed from when it
        was written with the same arguments.
    inputs : dict, optional
        Identifies the trained model (:meth:`bnntut.experiment.Run.model_inputs`) in that check.
    progress, label
        Show progress bars, with this prefix.

    Returns
    -------
    dict
        ``criterion`` and ``by_amount``: per amount ``sparsity`` (equal before and after),
        ``before`` and ``after`` scores (``accuracy``; BBB also ``accuracy_mc``) and
        ``history``, one record per epoch of fine-tuning (:func:`bnntut.train.fit`), whose
        ``test_accuracy`` is the fine-tuned net's after that epoch.
    """
    criterion = prune.criterion_for(model)
    key = store.config_hash({"training": training, "settings": settings,
                             "mc_samples": mc_samples, "inputs": inputs})
    done: list[dict] = []
    if partial is not None and os.path.exists(partial):
        stored = store.read_json(partial)
        if stored.get("key") == key:
            done = stored["by_amount"]
    for amount in settings["amounts"][len(done):]:
        pruned = prune.get_criterion(criterion)(model, amount)
        tuned, history = fine_tune(
            pruned, data, epochs=settings["epochs"], lr=training["lr"] * settings["lr_factor"],
            seed=training["seed"], n_samples=training["n_samples"],
            kl_weighting=training["kl_weighting"], batch_size=training["batch_size"],
            progress=progress, label=f"{label} fine-tune {amount:.0%}")
        before, after = prune.sparsity(pruned), prune.sparsity(tuned)
        if before != after:
            raise AssertionError(f"fine-tuning changed the pruned fraction: {before} -> {after}")
        done.append({"amount": amount, "sparsity": after,
                     "before": _scores(pruned, data, mc_samples, training["seed"]),
                     "after": _scores(tuned, data, mc_samples, training["seed"]),
                     "history": history})
        if partial is not None:
            store.write_json(partial, {"key": key, "by_amount": done})
    return {"criterion": criterion, "by_amount": done}


def run(dataset: str, method: str, preset: Preset | str = "paper", *, seed: int | None = None,
        device="auto", results: str | os.PathLike | None = None, recompute: bool = False,
        progress: bool = True, schedule: str = "study") -> dict:
    """The fine-tuning arm of one trained model: loaded when current, else computed.

    Arguments as for :func:`bnntut.experiment.run`, which trains the model first if missing;
    ``recompute`` recomputes even when a current result exists; ``schedule`` is one of
    :data:`SCHEDULES` (``ValueError`` names them).  Returns ``config`` (the training
    configuration, its hash and the schedule's settings under its stored kind, ``finetune``,
    ``retrain`` or ``retrain-long``), ``config_hash``, ``criterion``, ``by_amount`` (see
    :func:`arm`) and ``metadata``.
    """
    spec = resolve(preset)
    kind, settings = schedule_settings(schedule, spec)

    def compute(model, data, config, inputs):
        partial = experiment.Run(config, results, spec).path(f".{kind}.partial")
        start = time.perf_counter()
        body = arm(model, data, config["train"], settings,
                   mc_samples=config["evaluation"]["mc_samples"], progress=progress,
                   partial=partial, inputs=inputs, label=f"{dataset}/{method}")
        partial.unlink(missing_ok=True)
        return body, {"fine_tune": time.perf_counter() - start}

    return experiment.derived(kind, dataset, method, spec, settings, compute,
                              seed=seed, device=device, results=results, recompute=recompute)


def load(dataset: str, method: str, preset: Preset | str = "paper", *, seed: int | None = None,
         results: str | os.PathLike | None = None, schedule: str = "study") -> dict | None:
    """The stored fine-tuning arm of one trained model under ``schedule`` if current, else
    ``None`` (:func:`bnntut.experiment.load_derived`; nothing is computed)."""
    spec = resolve(preset)
    kind, settings = schedule_settings(schedule, spec)
    return experiment.load_derived(kind, dataset, method, spec, settings, seed=seed,
                                   results=results)


def schedule_of(result: dict) -> dict:
    """How a stored fine-tuning result was fine-tuned: ``schedule`` (its name in
    :data:`SCHEDULES`), ``amounts``, ``epochs`` and ``lr`` (absolute: the training learning
    rate times the schedule's ``lr_factor``)."""
    config = result["config"]
    found = [(name, kind) for name, (kind, _) in SCHEDULES.items() if kind in config]
    if not found:
        raise ValueError(f"not a fine-tuning result: its configuration has none of "
                         f"{', '.join(kind for kind, _ in SCHEDULES.values())}")
    (name, kind), = found
    settings = config[kind]
    return {"schedule": name, "amounts": list(settings["amounts"]),
            "epochs": settings["epochs"],
            "lr": settings["lr_factor"] * config["training"]["train"]["lr"]}
