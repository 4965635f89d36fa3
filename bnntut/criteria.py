"""Pruning criteria on equal terms: where the study ranked BBB by SNR and the baselines by
global L1, every trained model is swept here with every criterion of its family, with and
without the biases, on one grid and one evaluation (BBB also as a Monte Carlo ensemble).
``run`` stores ``<results>/<preset>/<dataset>/<method>[-seed<k>].criteria.json``.
"""

from __future__ import annotations

import os
import time

from . import experiment
from .evaluate import prune_sweep
from .models import is_bayesian
from .presets import Preset, resolve, thaw

#: The criteria compared for each family of model.
FAMILY_CRITERIA = {"bayesian": ("snr", "l1", "random"),
                   "deterministic": ("l1", "l1-layer", "random")}

#: Readable names of the criteria, per family (``l1`` is |μ| for BBB).
CRITERION_LABELS = {"bayesian": {"snr": "SNR |μ|/σ", "l1": "|μ|", "random": "random"},
                    "deterministic": {"l1": "global L1", "l1-layer": "per-layer L1",
                                      "random": "random"}}

#: The same names for Markdown prose, with the formulas as MyST math.
CRITERION_MARKDOWN = {
    "bayesian": {"snr": r"SNR $|\mu|/\sigma$", "l1": r"$|\mu|$", "random": "random"},
    "deterministic": CRITERION_LABELS["deterministic"]}

#: Whether biases are ranked (and removed) together with the weights: key -> flag.
BIAS_MODES = {"with_bias": True, "weights_only": False}


def compare(model, x, y, amounts, mc_samples: int = 10) -> dict:
    """Sweep ``model`` with every criterion of its family, with and without biases, on test
    inputs ``x`` ``(n, 784)`` and labels ``y`` ``(n,)`` (BBB also with ``mc_samples``): ``family``
    and ``sweeps[bias_mode][criterion]`` from :func:`bnntut.evaluate.prune_sweep`."""
    bayesian = is_bayesian(model)
    family = "bayesian" if bayesian else "deterministic"
    samples = mc_samples if bayesian else 0
    sweeps = {mode: {c: prune_sweep(model, c, x, y, tuple(amounts), mc_samples=samples,
                                    include_bias=flag)
                     for c in FAMILY_CRITERIA[family]}
              for mode, flag in BIAS_MODES.items()}
    return {"family": family, "sweeps": sweeps}


def run(dataset: str, method: str, preset: Preset | str = "paper", *, seed: int | None = None,
        device="auto", results: str | os.PathLike | None = None, recompute: bool = False) -> dict:
    """The criteria comparison of one trained model, loaded when current, else computed
    (parameters as for :func:`bnntut.finetune.run`): ``config``, ``config_hash``, ``family``,
    ``sweeps`` (see :func:`compare`) and ``metadata``."""
    spec = resolve(preset)
    settings = _settings(spec)

    def compute(model, data, config, inputs):
        start = time.perf_counter()
        body = compare(model, data.x_test, data.y_test, settings["amounts"],
                       settings["mc_samples"])
        return body, {"sweeps": time.perf_counter() - start}

    return experiment.derived("criteria", dataset, method, spec, settings, compute,
                              seed=seed, device=device, results=results, recompute=recompute)


def load(dataset: str, method: str, preset: Preset | str = "paper", *, seed: int | None = None,
         results: str | os.PathLike | None = None) -> dict | None:
    """The stored criteria comparison of one trained model if current, else ``None``
    (:func:`bnntut.experiment.load_derived`; nothing is computed)."""
    spec = resolve(preset)
    return experiment.load_derived("criteria", dataset, method, spec, _settings(spec),
                                   seed=seed, results=results)


def _settings(spec: Preset) -> dict:
    """What a criteria result's hash covers beside its training: the criteria, the bias
    modes and the preset's ``evaluation`` (``amounts``, ``mc_samples``, …)."""
    return {"criteria": FAMILY_CRITERIA, "bias_modes": BIAS_MODES, **thaw(spec.evaluation)}
