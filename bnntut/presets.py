"""Experiment presets: read-only :class:`Preset` dataclasses, resolved once.

``paper`` is the study's protocol as its published code runs it (``../shared/seed/NOTES.md``):
Adam lr 1e-4, batch 100, 50 epochs; "SGD" is the dropout net with p = 0.01; dropout on the
input pixels and after each hidden ReLU; BBB with two weight samples, prior π = 0.5,
σ1 = e^0, σ2 = e^−6, init μ ~ U(−0.2, 0.2), ρ ~ U(−5, −4), minibatch weighting 2^(1−i).
``quick`` is that protocol on a 2000/1000 subset for 2 epochs: CI only, never a result.
``ablations`` run only when named.  ``blundell`` is Blundell et al.'s (2015) pruning
experiment as this book completes their protocol (see its ``description``);
``blundell-cpu`` their network with the study's Adam on a quarter of the schedule.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType

from .evaluate import SWEEP_AMOUNTS
from .methods import BUDGET_FAMILIES, BUDGET_SIGMA1, REGISTRY, budget_grid


def _mlp(p: float) -> dict:
    return {"model": {"kind": "mlp", "hidden": [500, 500], "dropout": p, "input_dropout": True}}


_BBB = {"model": {"kind": "bayesian", "hidden": [500, 500], "prior_pi": 0.5,
                  "prior_sigma1": math.exp(0), "prior_sigma2": math.exp(-6),
                  "mu_init": [-0.2, 0.2], "rho_init": [-5.0, -4.0]},
        "n_samples": 2, "kl_weighting": "paper"}


def _variant(base: dict, *, model: dict | None = None, train: dict | None = None,
             **options) -> dict:
    """``base`` with model-spec keys, protocol keys (its ``train`` entry) or options changed."""
    entry = copy.deepcopy(base)
    entry["model"].update(model or {})
    if train:
        entry["train"] = {**entry.get("train", {}), **train}
    entry.update(options)
    return entry


#: The study's protocol with one factor changed at a time, for the question "what makes a BBB
#: network prunable?" (chapter *What makes a network prunable*).  Each is an ablation of the
#: paper preset, run only when named: ``reproduce --preset paper --methods bbb-lr1e-3``.
PRUNABILITY_ABLATIONS = {
    "bbb-lr1e-3": _variant(_BBB, train={"lr": 1e-3}),
    "bbb-opt-sgd": _variant(_BBB, train={"optimizer": "sgd", "lr": 1e-3}),
    "bbb-rho-fixed": _variant(_BBB, model={"rho_init": [-5.0, -5.0]}),
    "bbb-prior-wide": _variant(_BBB, model={"prior_pi": 0.25, "prior_sigma1": math.exp(-1),
                                            "prior_sigma2": math.exp(-7)}),
    "bbb-150ep": _variant(_BBB, train={"epochs": 150}),
    "bbb-samples1": _variant(_BBB, n_samples=1),
    "bbb-samples5": _variant(_BBB, n_samples=5),
    "bbb-kl-uniform-lr1e-3": _variant(_BBB, train={"lr": 1e-3}, kl_weighting="uniform"),
    # Plain SGD with the narrowest σ1 of Blundell et al.'s prior grid: its pull shrinks the μ
    # the data do not hold, but under the study's weighting a step on the prior's narrow
    # spike overshoots it (chapter "What makes a network prunable", section 6).
    "bbb-opt-sgd-sigma1-e-2": _variant(_BBB, model={"prior_sigma1": math.exp(-2)},
                                       train={"optimizer": "sgd", "lr": 1e-3}),
    # The same with the complexity cost spread over every step, so that each step on the
    # prior's narrow spike is small enough to settle there.
    "bbb-opt-sgd-kl-uniform-sigma1-e-2": _variant(
        _BBB, model={"prior_sigma1": math.exp(-2)}, train={"optimizer": "sgd", "lr": 1e-3},
        kl_weighting="uniform"),
    "sgd-lr1e-3": _variant(_mlp(0.01), train={"lr": 1e-3}),
    "dropout50-lr1e-3": _variant(_mlp(0.5), train={"lr": 1e-3}),
    # The deterministic counterpart of the complexity cost: an L1 penalty λ·Σ|w| on the mean
    # cross-entropy, i.e. MAP under a Laplace prior of scale 1/(Nλ) (N = 60 000): 0.17 and 1.7.
    "sgd-l1-1e-4-lr1e-3": _variant(_mlp(0.01), train={"lr": 1e-3, "l1_penalty": 1e-4}),
    "sgd-l1-1e-5-lr1e-3": _variant(_mlp(0.01), train={"lr": 1e-3, "l1_penalty": 1e-5}),
}


def _freeze(value):
    """A read-only copy: mappings become ``MappingProxyType``, lists and tuples tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value):
    """A plain, mutable, JSON-ready copy of a frozen value (mappings to dicts, tuples to lists):
    what configurations and model specs are made of, so that their hashes stay those of the
    dicts the presets were first written as."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Preset:
    """One experiment preset, resolved once and read-only.

    ``methods`` and ``ablations`` map a method to its entry: ``model`` (the model spec),
    BBB's ``n_samples`` and ``kl_weighting``, optionally ``train`` (keys overriding the shared
    protocol ``train``: ``epochs``, ``batch_size``, ``lr``, ``seed``).  ``evaluation`` holds
    the sweep's ``amounts`` and ``mc_samples``; ``finetune`` the fine-tuning arm's settings;
    ``subset`` stratified (train, test) sizes (``None``: all); ``validation`` holds the other
    training images out; ``preprocessing`` a ``pixel_divisor`` other than 255; ``selection``
    which network stands for the preset (``among`` methods, ``by`` an epoch-record key);
    ``compile`` the fused kernels; ``chapter_scope``/``prunability_scope`` what chapters
    compute in quick mode; ``uncertainty_amounts`` a coarser uncertainty sweep.
    """

    name: str
    description: str
    datasets: tuple[str, ...]
    methods: Mapping[str, Mapping]
    ablations: Mapping[str, Mapping]
    train: Mapping
    evaluation: Mapping
    finetune: Mapping
    subset: tuple[int, int] | None = None
    validation: bool = False
    preprocessing: Mapping | None = None
    selection: Mapping | None = None
    compile: bool = True
    chapter_scope: Mapping | None = None
    uncertainty_amounts: tuple[float, ...] | None = None
    prunability_scope: Mapping | None = None

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, _freeze(getattr(self, f.name)))

    def replace(self, **changes) -> Preset:
        """A copy with ``changes`` (frozen again)."""
        return dataclasses.replace(self, **changes)

    @property
    def all_methods(self) -> tuple[str, ...]:
        """The methods, then the ablations."""
        return (*self.methods, *self.ablations)

    def entry(self, method: str) -> dict:
        """The entry of one method or ablation (a plain dict); ``ValueError`` lists the
        allowed names."""
        if method not in self.all_methods:
            raise ValueError(f"unknown method {method!r}; allowed: {', '.join(self.all_methods)}")
        return thaw({**self.methods, **self.ablations}[method])

    def model_spec(self, method: str) -> dict:
        """The model spec of ``method`` (for :func:`bnntut.models.build`)."""
        return self.entry(method)["model"]

    def protocol(self, method: str) -> dict:
        """The training protocol of ``method``: ``train`` updated by the method's own
        ``train`` entry (an ablation's learning rate, optimiser or epochs)."""
        return {**thaw(self.train), **self.entry(method).get("train", {})}


#: The pruned amounts of the fine-tuning arm.
FINETUNE_AMOUNTS = [0.5, 0.75, 0.9, 0.95, 0.98]

PAPER = Preset(
    name="paper",
    description="The study's protocol: 784-500-500-10, Adam lr 1e-4, batch 100, 50 epochs.",
    datasets=("mnist", "fashion-mnist"),
    methods={"sgd": _mlp(0.01), "dropout50": _mlp(0.5), "dropout75": _mlp(0.75),
             "dropout90": _mlp(0.9), "bbb": _BBB},
    ablations={"bbb-kl-blundell": _variant(_BBB, kl_weighting="blundell"),
               "bbb-kl-uniform": _variant(_BBB, kl_weighting="uniform"), **PRUNABILITY_ABLATIONS},
    train={"epochs": 50, "batch_size": 100, "lr": 1e-4, "seed": 0},
    evaluation={"amounts": list(SWEEP_AMOUNTS), "mc_samples": 10},
    finetune={"amounts": FINETUNE_AMOUNTS, "epochs": 5, "lr_factor": 0.1},
)

QUICK = PAPER.replace(
    name="quick",
    description="QUICK MODE (CI / smoke test): the paper protocol on a stratified "
                "2000/1000 subset for 2 epochs; the arms beyond the study cover MNIST, "
                "the \"SGD\" net and BBB, seeds 0-1. Not a result.",
    train={**PAPER.train, "epochs": 2},
    subset=(2000, 1000),
    finetune={**PAPER.finetune, "amounts": [0.5, 0.9], "epochs": 1},
    # Every amount a chapter reads (tables, the study's amounts, the prune explorer).
    evaluation={**PAPER.evaluation, "amounts": [0.0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98]},
    # 40 minibatches per model: compiling the fused kernels costs more than it saves.
    compile=False,
    # What the chapters compute on the spot in quick mode (nothing is committed for it): a
    # slice of each arm beyond the study, so that every chapter runs in about a minute on two
    # CPU cores.  The CLI still runs any arm in full: `--seeds 0 1 2`, all methods.
    chapter_scope={"datasets": ["mnist"], "methods": ["sgd", "bbb"], "seeds": [0, 1]},
    uncertainty_amounts=(0.0, 0.5, 0.9, 0.98),
    # The rows of "What makes a network prunable" computed in quick mode (MNIST, seed 0).
    prunability_scope={"datasets": ["mnist"], "seeds": [0],
                       "methods": ["bbb", "bbb-kl-uniform", "bbb-lr1e-3",
                                   "bbb-kl-uniform-lr1e-3", "sgd"]},
)

#: Blundell et al.'s (2015) network: the study's BBB with their 2 × 1200 hidden units and
#: their minibatch weighting of the complexity cost.
_BLUNDELL_NET = _variant(_BBB, model={"hidden": [1200, 1200]}, kl_weighting="blundell")

#: Their learning-rate grid for plain SGD (section 5.1).
BLUNDELL_LEARNING_RATES = (1e-3, 1e-4, 1e-5)


#: Learning rates of the deterministic calibration runs at their scale (plain SGD on the mean
#: cross-entropy): our choice, as their paper does not give the baselines' grid.
CALIBRATION_LEARNING_RATES = (1e-1, 1e-2, 1e-3)


def lr_label(lr: float) -> str:
    """A learning rate as names and tables spell it: ``1e-3`` for 0.001."""
    return f"{lr:.0e}".replace("e-0", "e-")


def blundell_method(lr: float) -> str:
    """The ``blundell`` preset's name of the grid point with learning rate ``lr``."""
    return f"bbb-sgd-lr{lr_label(lr)}"


BLUNDELL = Preset(
    name="blundell",
    description=(
        "Blundell et al. (2015), section 5.1 / Table 2, with the choices their paper leaves "
        "open completed by us: "
        "784-1200-1200-10, plain SGD (no momentum) with each learning rate of their grid "
        "$\\{10^{-3}, 10^{-4}, 10^{-5}\\}$ on the summed minibatch objective, 600 epochs, "
        "minibatches of 128, pixels divided by 126, 50 000 training images (a stratified "
        "seeded subset of the 60 000) and the other 10 000 held out for validation, which "
        "chooses the grid point; their minibatch weighting $2^{M-i}/(2^M-1)$ of the "
        "complexity cost. Where the paper leaves a choice open or gives a grid we did not "
        "search: the prior $\\pi = 1/2$, $\\sigma_1 = e^0$, $\\sigma_2 = e^{-6}$ (a point "
        "of their grid, and the study's), 2 weight samples per minibatch (their grid: 1, 2, "
        "5, 10) and the study's initialisation of $\\mu$ and $\\rho$. The ablation `bbb` "
        "is the same network trained with this study's Adam at $10^{-4}$; the ablation "
        "`bbb-sgd-lr1e-3-kl-uniform-sigma1-e-2` tests the reading of Table 2 that the book "
        "predicts (the uniform weighting $1/M$ and $\\sigma_1 = e^{-2}$)."),
    datasets=("mnist",),
    methods={blundell_method(lr): _variant(_BLUNDELL_NET, train={"optimizer": "sgd", "lr": lr})
                for lr in BLUNDELL_LEARNING_RATES},
    ablations={"bbb": _BLUNDELL_NET,
               # What "What makes a network prunable" (section 6) predicts reaches Table 2:
               # plain SGD with the equal split 1/M of their section 3.4 and σ1 = e^-2
               # from their prior grid.
               "bbb-sgd-lr1e-3-kl-uniform-sigma1-e-2": _variant(
                   _BLUNDELL_NET, model={"prior_sigma1": math.exp(-2)},
                   train={"optimizer": "sgd", "lr": 1e-3}, kl_weighting="uniform"),
               # Their section 3.4, "Each gradient is averaged over all elements in one of
               # these minibatches": the objective divided by the minibatch's size (the
               # complexity cost with it), their grid and weighting.
               **{f"{blundell_method(lr)}-mean": _variant(
                   _BLUNDELL_NET, train={"optimizer": "sgd", "lr": lr,
                                         "loss_reduction": "mean"})
                  for lr in BLUNDELL_LEARNING_RATES},
               # Calibration of the pipeline at their scale against their Table 1 (1200
               # units: plain SGD 1.88 %, SGD with dropout 1.36 %): the deterministic net
               # with plain SGD on the mean cross-entropy, without and with dropout 0.5 on
               # the hidden units, over a grid of learning rates suited to a mean loss.
               **{f"{name}-sgd-lr{lr_label(lr)}": _variant(
                   {"model": {"kind": "mlp", "hidden": [1200, 1200], "dropout": p,
                              "input_dropout": False}},
                   train={"optimizer": "sgd", "lr": lr})
                  for name, p in (("plain", 0.0), ("dropout50", 0.5))
                  for lr in CALIBRATION_LEARNING_RATES}},
    train={"epochs": 600, "batch_size": 128, "lr": 1e-4, "seed": 0},
    subset=(50000, 10000), validation=True, preprocessing={"pixel_divisor": 126.0},
    evaluation={"amounts": list(SWEEP_AMOUNTS), "mc_samples": 10},
    finetune=PAPER.finetune,
    # Which trained network stands for the preset: the grid point with the highest accuracy
    # on the held-out images at the end of training (Blundell et al. chose on validation).
    selection={"among": [blundell_method(lr) for lr in BLUNDELL_LEARNING_RATES],
               "by": "validation_accuracy"},
)

#: Epochs of ``blundell-cpu``: a quarter of the schedule.
BLUNDELL_CPU_EPOCHS = 150

BLUNDELL_CPU = BLUNDELL.replace(
    name="blundell-cpu",
    description=(
        f"SHORTER CPU SCHEDULE, WITH ADAM: Blundell et al.'s network (2 × 1200 units, batch "
        f"128, pixels / 126, 50 000 training images, their weighting) trained with this "
        f"study's Adam at lr 1e-4 for {BLUNDELL_CPU_EPOCHS} epochs instead of 600, so that it "
        f"fits on two CPU cores — the `bbb` ablation of the `blundell` preset on a quarter of "
        f"its schedule. Not Blundell et al.'s protocol: that is "
        f"`python -m bnntut reproduce --preset blundell`."),
    methods={"bbb": _BLUNDELL_NET}, ablations={},
    train={**BLUNDELL.train, "epochs": BLUNDELL_CPU_EPOCHS},
    validation=False, selection=None,    # trains no grid: nothing to choose
)

_MAP_NET = {"model": {"kind": "mlp", "hidden": [500, 500], "dropout": 0.0,
                      "input_dropout": False}}


def _budget_entry(family: str, lr: float, strength) -> dict:
    """One grid point of the equal-budget comparison (see ``BUDGET``)."""
    if family == "map-laplace":
        return _variant(_MAP_NET, train={"lr": lr, "l1_penalty": strength})
    prior = {"prior_pi": 0.5, "prior_sigma1": BUDGET_SIGMA1[strength],
             "prior_sigma2": math.exp(-6)}
    if family == "map-mixture":
        return _variant(_MAP_NET, train={"lr": lr, "map_prior": prior})
    return _variant(_BBB, model=prior, train={"lr": lr}, kl_weighting="uniform")


#: Rows of the equal-budget comparison by family, seed 0 (the grid the choice is made on).
BUDGET_GRID = {family: [name for name, _, _ in budget_grid(family)]
               for family in BUDGET_FAMILIES}

BUDGET = PAPER.replace(
    name="budget",
    description=(
        "Equal-budget comparison of what makes a network prunable: the study's 784-500-500-10 "
        "network, batch 100, 50 epochs, Adam, on 50 000 training images (a stratified seeded "
        "subset) with the other 10 000 held out for validation. Three families, each searched "
        "over the same 2 × 3 grid (learning rate 1e-4 or 1e-3 × the strength of its prior): "
        "BBB with the scale-mixture prior (π = 1/2, σ2 = e⁻⁶, σ1 ∈ {e⁰, e⁻¹, e⁻²}) and the "
        "complexity cost spread uniformly (1/M per minibatch); MAP under the same prior (the "
        "deterministic net, no dropout, with −log P(w)/N as its penalty); MAP under a Laplace "
        "prior (the same net with an L1 penalty λ·Σ|w|, λ ∈ {1e-5, 3e-5, 1e-4}). Weights are "
        "ranked without biases (BBB by |μ|/σ, MAP by |w|). Each family's setting with the "
        "highest validation accuracy at 95 % removed is then trained with seeds 1 and 2; the "
        "test images only report."),
    methods={name: _budget_entry(family, lr, strength)
             for family in BUDGET_FAMILIES for name, lr, strength in budget_grid(family)},
    ablations={},
    subset=(50000, 10000), validation=True,
    evaluation={**PAPER.evaluation, "include_bias": False},
    selection={"families": BUDGET_GRID, "at_removed": 0.95, "by": "validation_accuracy",
               "seeds": [1, 2]},
)

PRESETS = {"paper": PAPER, "quick": QUICK, "blundell": BLUNDELL, "blundell-cpu": BLUNDELL_CPU,
           "budget": BUDGET}

#: Blundell et al. (2015), Table 2: test error (%) of their 2 × 1200 BBB net after removing
#: the given fraction of weights by signal-to-noise ratio, for comparison with ``blundell``.
BLUNDELL_TABLE2_ERROR = {0.0: 1.24, 0.5: 1.24, 0.75: 1.24, 0.95: 1.29, 0.98: 1.39}

#: Labels of the study's methods and of the ablations, as tables name them (from the registry).
METHOD_LABELS = {name: REGISTRY[name].label for name in PAPER.methods}
ABLATION_LABELS = {name: REGISTRY[name].label for name in PAPER.ablations}


def chapter_scope(name: str, seeds=(0, 1, 2)) -> tuple[list[str], list[str], list[int]]:
    """``(datasets, methods, seeds)`` that a chapter shows for preset ``name``: all of the
    preset's datasets and methods and ``seeds``, unless the preset narrows them with a
    ``chapter_scope`` (``quick`` does, to keep CI fast)."""
    spec = get_preset(name)
    scope = spec.chapter_scope or {}
    return (list(scope.get("datasets", spec.datasets)),
            list(scope.get("methods", spec.methods)), list(scope.get("seeds", seeds)))


def get_preset(name: str) -> Preset:
    """Preset ``name`` (read-only); ``ValueError`` lists the allowed names."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; allowed: {', '.join(PRESETS)}")
    return PRESETS[name]


def method_config(preset: str, dataset: str, method: str, seed: int | None = None,
                  epochs: int | None = None) -> dict:
    """The complete configuration of one training run (what the results hash covers).

    ``seed`` and ``epochs`` override the preset's.  Returns plain JSON-ready dicts: ``preset``,
    ``dataset``, ``method``, ``model``, ``train`` (protocol, ``n_samples``, ``kl_weighting``),
    ``subset``, ``evaluation`` and, only where the preset has them (so that other hashes stay
    as they were), ``preprocessing`` and ``validation``.
    """
    spec = get_preset(preset)
    if dataset not in spec.datasets:
        raise ValueError(f"unknown dataset {dataset!r}; allowed: {', '.join(spec.datasets)}")
    entry = spec.entry(method)
    train = spec.protocol(method)
    if seed is not None:
        train["seed"] = int(seed)
    if epochs is not None:
        if epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {epochs}")
        train["epochs"] = int(epochs)
    config = {"preset": preset, "dataset": dataset, "method": method, "model": entry["model"],
              "train": {**train, "n_samples": entry.get("n_samples", 1),
                        "kl_weighting": entry.get("kl_weighting", "paper")},
              "subset": thaw(spec.subset), "evaluation": thaw(spec.evaluation)}
    if spec.preprocessing is not None:
        config["preprocessing"] = thaw(spec.preprocessing)
    if spec.validation:
        config["validation"] = True
    return config
