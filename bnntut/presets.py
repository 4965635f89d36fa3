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

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, fields

from .evaluate import SWEEP_AMOUNTS
from .methods import (
    BLUNDELL_NET,
    BLUNDELL_SEARCH_SPACE,
    BUDGET_FAMILIES,
    REGISTRY,
    blundell_grid_method,
    budget_grid,
    configs,
    freeze,
    number_label,
    search_points,
    thaw,
)

#: The study's methods, then the ablations of the ``paper`` preset, by name (their entries are
#: in the registry, :data:`bnntut.methods.REGISTRY`).  The rows of chapter *What makes a
#: network prunable* change one factor of the study's protocol at a time; each is run only
#: when named: ``reproduce --preset paper --methods bbb-lr1e-3``.
PAPER_METHODS = ("sgd", "dropout50", "dropout75", "dropout90", "bbb")
PAPER_ABLATIONS = ("bbb-kl-blundell", "bbb-kl-uniform", "bbb-lr1e-3", "bbb-opt-sgd",
                   "bbb-rho-fixed", "bbb-prior-wide", "bbb-150ep", "bbb-samples1",
                   "bbb-samples5", "bbb-kl-uniform-lr1e-3", "bbb-opt-sgd-sigma1-e-2",
                   "bbb-opt-sgd-kl-uniform-sigma1-e-2", "sgd-lr1e-3", "dropout50-lr1e-3",
                   "sgd-l1-1e-4-lr1e-3", "sgd-l1-1e-5-lr1e-3")


#: The uncertainty sweep of a preset: the pruned fractions, the Monte Carlo forwards of its
#: "mc" mode (BBB weight samples, or MC-dropout passes) and the seed of those draws.
UNCERTAINTY = {"amounts": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98),
               "mc_samples": 10, "seed": 0}

#: The fine-tuning schedule of the literature (Han et al. 2015), a preset's ``retrain``: the
#: mask fixed, the survivors retrained for 20 epochs at the training learning rate.
RETRAIN = {"amounts": [0.9, 0.95, 0.98], "epochs": 20, "lr_factor": 1.0}

#: The same schedule at 98 % removed only, five times as long (a preset's ``retrain_long``):
#: twenty epochs left the "SGD" net's accuracy there still rising.
RETRAIN_LONG = {"amounts": [0.98], "epochs": 100, "lr_factor": 1.0}


@dataclass(frozen=True)
class Preset:
    """One experiment preset, resolved once and read-only.

    ``methods`` and ``ablations`` map a method to its entry, the registry's configuration
    (:attr:`bnntut.methods.Method.config`): ``model`` (the model spec), BBB's ``n_samples``
    and ``kl_weighting``, optionally ``train`` (keys overriding the shared protocol ``train``:
    ``epochs``, ``batch_size``, ``lr``, ``seed``).  ``evaluation`` holds
    the sweep's ``amounts`` and ``mc_samples``; ``finetune`` the settings of the study's
    fine-tuning schedule (:mod:`bnntut.finetune`: the ``amounts`` removed, ``epochs`` of
    retraining at ``lr_factor`` times the training learning rate); ``retrain`` those of the
    schedule of the literature (Han et al. 2015: more epochs at the training learning rate);
    ``retrain_long`` that schedule run longer at the highest amount;
    ``subset`` stratified (train, test) sizes (``None``: all); ``validation`` holds the other
    training images out; ``preprocessing`` a ``pixel_divisor`` other than 255; ``selection``
    which network stands for the preset (``among`` methods, ``by`` an epoch-record key);
    ``compile`` the fused kernels; ``uncertainty`` the calibration and OOD sweep
    (:mod:`bnntut.uncertainty`: ``amounts``, ``mc_samples`` of its "mc" mode, ``seed`` of the
    Monte Carlo draws); ``compression`` the sparse-latency measurement
    (:mod:`bnntut.compression`: ``min_time``, seconds of repeated calls behind each number).
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
    uncertainty: Mapping = dataclasses.field(default_factory=lambda: UNCERTAINTY)
    compression: Mapping = dataclasses.field(default_factory=lambda: {"min_time": 0.05})
    retrain: Mapping = dataclasses.field(default_factory=lambda: RETRAIN)
    retrain_long: Mapping = dataclasses.field(default_factory=lambda: RETRAIN_LONG)

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, freeze(getattr(self, f.name)))

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
    methods=configs(PAPER_METHODS),
    ablations=configs(PAPER_ABLATIONS),
    train={"epochs": 50, "batch_size": 100, "lr": 1e-4, "seed": 0},
    evaluation={"amounts": list(SWEEP_AMOUNTS), "mc_samples": 10},
    finetune={"amounts": FINETUNE_AMOUNTS, "epochs": 5, "lr_factor": 0.1},
    compression={"min_time": 1.0},
    retrain=RETRAIN,
)

QUICK = PAPER.replace(
    name="quick",
    description="QUICK MODE (CI / smoke test): the paper protocol on a stratified "
                "2000/1000 subset for 2 epochs; the arms beyond the study cover MNIST, "
                "the \"SGD\" net and BBB, seeds 0-1. Not a result.",
    train={**PAPER.train, "epochs": 2},
    subset=(2000, 1000),
    finetune={**PAPER.finetune, "amounts": [0.5, 0.9], "epochs": 1},
    retrain={**PAPER.retrain, "amounts": [0.9], "epochs": 2},
    retrain_long={**PAPER.retrain_long, "amounts": [0.9], "epochs": 3},
    # Every amount a chapter reads (tables, the study's amounts, the prune explorer).
    evaluation={**PAPER.evaluation, "amounts": [0.0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98]},
    # 40 minibatches per model: compiling the fused kernels costs more than it saves.
    compile=False,
    uncertainty={**PAPER.uncertainty, "amounts": (0.0, 0.5, 0.9, 0.98)},
    compression={"min_time": 0.05},
)

#: Their learning-rate grid for plain SGD (section 5.1).
BLUNDELL_LEARNING_RATES = (1e-3, 1e-4, 1e-5)


#: Learning rates of the deterministic calibration runs at their scale (plain SGD on the mean
#: cross-entropy): our choice, as their paper does not give the baselines' grid.
CALIBRATION_LEARNING_RATES = (1e-1, 1e-2, 1e-3)


#: A learning rate as names and tables spell it: ``1e-3`` for 0.001.
lr_label = number_label


def blundell_method(lr: float) -> str:
    """The ``blundell`` preset's name of the grid point with learning rate ``lr``."""
    return f"bbb-sgd-lr{lr_label(lr)}"


#: The ``blundell`` preset's selection families: their BBB grid (``bbb``) and the
#: deterministic calibration runs beside Table 1 (plain SGD, and SGD with dropout 0.5), each
#: over its learning rates in grid order.
BLUNDELL_FAMILIES = {
    "bbb": [blundell_method(lr) for lr in BLUNDELL_LEARNING_RATES],
    **{f"{name}-sgd": [f"{name}-sgd-lr{lr_label(lr)}" for lr in CALIBRATION_LEARNING_RATES]
       for name in ("plain", "dropout50")},
}


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
    methods=configs(blundell_method(lr) for lr in BLUNDELL_LEARNING_RATES),
    # ``bbb`` is the registry's study net at their scale (:data:`bnntut.methods.BLUNDELL_NET`):
    # their network trained with the study's Adam.  The others: the prediction of "What makes
    # a network prunable" (section 6), their grid with the gradient averaged over the
    # minibatch, and the deterministic calibration runs (see the registry).
    ablations={"bbb": BLUNDELL_NET, **configs([
        "bbb-sgd-lr1e-3-kl-uniform-sigma1-e-2",
        *(f"{blundell_method(lr)}-mean" for lr in BLUNDELL_LEARNING_RATES),
        *BLUNDELL_FAMILIES["plain-sgd"], *BLUNDELL_FAMILIES["dropout50-sgd"]])},
    train={"epochs": 600, "batch_size": 128, "lr": 1e-4, "seed": 0},
    subset=(50000, 10000), validation=True, preprocessing={"pixel_divisor": 126.0},
    evaluation={"amounts": list(SWEEP_AMOUNTS), "mc_samples": 10},
    finetune=PAPER.finetune,
    retrain=PAPER.retrain,
    # Which trained network stands for each family (the BBB grid, which stands for the
    # preset, and the calibration runs): the grid point with the highest accuracy on the
    # held-out images at the end of training (Blundell et al. chose on validation).
    selection={"families": BLUNDELL_FAMILIES, "by": "validation_accuracy"},
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
    methods={"bbb": BLUNDELL_NET}, ablations={},
    train={**BLUNDELL.train, "epochs": BLUNDELL_CPU_EPOCHS},
    validation=False, selection=None,    # trains no grid: nothing to choose
)

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
    methods=configs(name for family in BUDGET_FAMILIES for name, _, _ in budget_grid(family)),
    ablations={},
    subset=(50000, 10000), validation=True,
    evaluation={**PAPER.evaluation, "include_bias": False},
    compression={"min_time": 0.05},      # the default of a preset, not paper's
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


def get_preset(name: str) -> Preset:
    """Preset ``name`` (read-only); ``ValueError`` lists the allowed names."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; allowed: {', '.join(PRESETS)}")
    return PRESETS[name]


def resolve(preset: Preset | str) -> Preset:
    """``preset`` itself if a :class:`Preset`, else the registered preset of that name
    (:func:`get_preset`): how every function that takes a preset accepts either."""
    return preset if isinstance(preset, Preset) else get_preset(preset)


def method_config(preset: Preset | str, dataset: str, method: str, seed: int | None = None,
                  epochs: int | None = None) -> dict:
    """The complete configuration of one training run (what the results hash covers).

    ``preset`` is a :class:`Preset` or its name; ``seed`` and ``epochs`` override its own.
    Returns plain JSON-ready dicts: ``preset`` (its name), ``dataset``, ``method``, ``model``,
    ``train`` (protocol, ``n_samples``, ``kl_weighting``), ``subset``, ``evaluation`` and,
    only where the preset has them (so that other hashes stay as they were),
    ``preprocessing`` and ``validation``.
    """
    spec = resolve(preset)
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
    config = {"preset": spec.name, "dataset": dataset, "method": method, "model": entry["model"],
              "train": {**train, "n_samples": entry.get("n_samples", 1),
                        "kl_weighting": entry.get("kl_weighting", "paper")},
              "subset": thaw(spec.subset), "evaluation": thaw(spec.evaluation)}
    if spec.preprocessing is not None:
        config["preprocessing"] = thaw(spec.preprocessing)
    if spec.validation:
        config["validation"] = True
    return config


# Blundell et al.'s search space (its entries are in the method registry) and the grid
# preset that stores its runs apart.


#: Search spaces by preset: the factors' values (``space``), a point's method name
#: (``method``; its registry entry holds the configuration), and the preset that stores the
#: grid's runs (``grid``), apart from the base preset's results.
SEARCH_SPACES = {"blundell": {"space": BLUNDELL_SEARCH_SPACE, "method": blundell_grid_method,
                              "grid": "blundell-grid"}}

BLUNDELL_GRID = BLUNDELL.replace(
    name="blundell-grid",
    description=(
        "Blundell et al. (2015), section 5.1: their whole search space for the `blundell` "
        "preset's network, 3 learning rates × 3 π × 3 σ1 × 3 σ2 × 4 weight-sample counts = "
        "324 settings, each otherwise trained as `blundell` trains its grid points (plain "
        "SGD, their weighting, 600 epochs, 50 000 / 10 000 images); stored apart from "
        "`blundell`'s results. A grid's work: `python -m bnntut grid --preset blundell` on "
        "Ray."),
    methods=configs(blundell_grid_method(p) for p in search_points(BLUNDELL_SEARCH_SPACE)),
    ablations={},
    selection={"among": [blundell_grid_method(p) for p in search_points(BLUNDELL_SEARCH_SPACE)],
               "by": "validation_accuracy"},
)
PRESETS[BLUNDELL_GRID.name] = BLUNDELL_GRID
