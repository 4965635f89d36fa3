"""The fine-tuning arm (Han et al. 2015): prune, then retrain the survivors with the mask fixed.

Every trained model is pruned at the preset's ``finetune["amounts"]`` as in the main sweep and
retrained for ``finetune["epochs"]`` epochs at ``finetune["lr_factor"]`` times its learning
rate, the protocol otherwise unchanged.  The mask provably stays fixed
(``tests/test_finetune.py``): deterministic nets multiply by it
(``torch.nn.utils.prune.custom_from_mask``); in BBB the pruned entries keep μ = 0 and ρ = −∞
(σ = 0) through masked gradients, and leave the complexity cost, where a point mass at 0
would contribute −log 0.

:func:`run` stores ``<results>/<preset>/<dataset>/<method>[-seed<k>].finetune.json``; an
interrupted run resumes at the next amount.
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
        ``before`` and ``after`` scores (``accuracy``; BBB also ``accuracy_mc``), ``history``.
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
        progress: bool = True) -> dict:
    """The fine-tuning arm of one trained model: loaded when current, else computed.

    Arguments as for :func:`bnntut.experiment.run`, which trains the model first if missing;
    ``recompute`` recomputes even when a current result exists.  Returns ``config`` (the
    training configuration, its hash and the settings), ``config_hash``, ``criterion``,
    ``by_amount`` (see :func:`arm`) and ``metadata``.
    """
    spec = resolve(preset)
    settings = thaw(spec.finetune)

    def compute(model, data, config, inputs):
        partial = experiment.Run(config, results, spec).path(".finetune.partial")
        start = time.perf_counter()
        body = arm(model, data, config["train"], settings,
                   mc_samples=config["evaluation"]["mc_samples"], progress=progress,
                   partial=partial, inputs=inputs, label=f"{dataset}/{method}")
        partial.unlink(missing_ok=True)
        return body, {"fine_tune": time.perf_counter() - start}

    return experiment.derived("finetune", dataset, method, spec, settings, compute,
                              seed=seed, device=device, results=results, recompute=recompute)


def load(dataset: str, method: str, preset: Preset | str = "paper", *, seed: int | None = None,
         results: str | os.PathLike | None = None) -> dict | None:
    """The stored fine-tuning arm of one trained model if current, else ``None``
    (:func:`bnntut.experiment.load_derived`; nothing is computed)."""
    spec = resolve(preset)
    return experiment.load_derived("finetune", dataset, method, spec, thaw(spec.finetune),
                                   seed=seed, results=results)
