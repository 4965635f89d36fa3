"""Experiment presets, as data.

A preset names the datasets, the methods (model spec plus method-specific training options),
the shared training protocol, the data subset and the evaluation settings.  ``paper`` is the
study's protocol as its published code runs it (``../shared/seed/NOTES.md``): Adam with
lr 1e-4, batch 100, 50 epochs; the "SGD" row is the dropout net with p = 0.01; dropout acts
on the input pixels and after each hidden ReLU; BBB uses two weight samples, the scale-mixture
prior π = 0.5, σ1 = e^0, σ2 = e^−6, posterior init μ ~ U(−0.2, 0.2), ρ ~ U(−5, −4) and the
minibatch weighting 2^(1−i).  ``quick`` is the same protocol on a stratified 2000/1000 subset
for 2 epochs — for CI and smoke tests only, never for results.
"""

from __future__ import annotations

import copy
import math

from .evaluate import SWEEP_AMOUNTS


def _mlp(p: float) -> dict:
    return {"model": {"kind": "mlp", "hidden": [500, 500], "dropout": p, "input_dropout": True}}


_BBB = {
    "model": {
        "kind": "bayesian", "hidden": [500, 500],
        "prior_pi": 0.5, "prior_sigma1": math.exp(0), "prior_sigma2": math.exp(-6),
        "mu_init": [-0.2, 0.2], "rho_init": [-5.0, -4.0],
    },
    "n_samples": 2,
    "kl_weighting": "paper",
}

PAPER = {
    "description": "The study's protocol: 784-500-500-10, Adam lr 1e-4, batch 100, 50 epochs.",
    "datasets": ["mnist", "fashion-mnist"],
    "methods": {
        "sgd": _mlp(0.01),
        "dropout50": _mlp(0.5),
        "dropout75": _mlp(0.75),
        "dropout90": _mlp(0.9),
        "bbb": _BBB,
    },
    "train": {"epochs": 50, "batch_size": 100, "lr": 1e-4, "seed": 0},
    "subset": None,
    "evaluation": {"amounts": list(SWEEP_AMOUNTS), "mc_samples": 10},
}

QUICK = copy.deepcopy(PAPER)
QUICK.update({
    "description": "QUICK MODE (CI / smoke test): the paper protocol on a stratified "
                   "2000/1000 subset for 2 epochs. Not a result.",
    "train": {**PAPER["train"], "epochs": 2},
    "subset": [2000, 1000],
})

PRESETS = {"paper": PAPER, "quick": QUICK}

#: Human-readable method labels, as the study's tables name them.
METHOD_LABELS = {
    "sgd": "SGD (dropout 0.01)",
    "dropout50": "Dropout (p=0.5)",
    "dropout75": "Dropout (p=0.75)",
    "dropout90": "Dropout (p=0.9)",
    "bbb": "Bayes by Backprop",
}


def get_preset(name: str) -> dict:
    """A deep copy of preset ``name``; ``ValueError`` lists the allowed names."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; allowed: {', '.join(PRESETS)}")
    return copy.deepcopy(PRESETS[name])


def method_config(preset: str, dataset: str, method: str, seed: int | None = None,
                  epochs: int | None = None) -> dict:
    """The complete configuration of one training run (what the results hash covers).

    Parameters
    ----------
    preset : {"paper", "quick"}
    dataset : {"mnist", "fashion-mnist"}
    method : {"sgd", "dropout50", "dropout75", "dropout90", "bbb"}
    seed : int, optional
        Overrides the preset's seed.
    epochs : int, optional
        Overrides the preset's epochs.
    """
    spec = get_preset(preset)
    if dataset not in spec["datasets"]:
        raise ValueError(f"unknown dataset {dataset!r}; allowed: {', '.join(spec['datasets'])}")
    if method not in spec["methods"]:
        raise ValueError(f"unknown method {method!r}; allowed: {', '.join(spec['methods'])}")
    train = dict(spec["train"])
    if seed is not None:
        train["seed"] = int(seed)
    if epochs is not None:
        if epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {epochs}")
        train["epochs"] = int(epochs)
    entry = spec["methods"][method]
    return {
        "preset": preset, "dataset": dataset, "method": method,
        "model": entry["model"],
        "train": {**train, "n_samples": entry.get("n_samples", 1),
                  "kl_weighting": entry.get("kl_weighting", "paper")},
        "subset": spec["subset"],
        "evaluation": spec["evaluation"],
    }
