"""The method registry: everything about each trained model, in one entry per method.

An entry (:class:`Method`) holds what a preset trains (its configuration: the model spec,
BBB's weight samples and complexity weighting, the keys it changes in the preset's protocol)
and how the book shows it (label, colour, marker, and for the rows of chapter *What makes a
network prunable* the factor it varies and its setting).  Presets list the names of their
methods and take the configurations from here.  Whether a method is Bayesian and which
criterion prunes it follow from its model kind (:func:`bnntut.models.is_bayesian`,
:func:`bnntut.prune.criterion_for`), never from its name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .models import is_bayesian
from .prune import criterion_for


def freeze(value):
    """A read-only copy: mappings become ``MappingProxyType``, lists and tuples tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
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
class Method:
    """One kind of trained model.

    ``name`` is its name in the presets (``"bbb"``, ``"sgd"``, …); ``config`` the entry a
    preset trains it with: ``model`` (the model spec), BBB's ``n_samples`` and
    ``kl_weighting``, optionally ``train`` (keys overriding the preset's protocol: ``lr``,
    ``optimizer``, ``epochs``, ``l1_penalty``, …).  ``label`` names it in tables and legends,
    ``color`` and ``marker`` draw it (the same on every page), ``mc`` says whether it has a
    Monte Carlo prediction mode (weight samples or MC dropout; the "SGD" net's dropout of 0.01
    stands in for none).  ``factor`` and ``setting`` describe a row of chapter *What makes a
    network prunable*: the factor of the study's protocol it changes and to what.
    """

    name: str
    config: Mapping
    label: str
    color: str
    marker: str
    mc: bool
    factor: str | None = None
    setting: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "config", freeze(self.config))

    @property
    def bayesian(self) -> bool:
        """Whether its model is of the Bayesian kind (:func:`bnntut.models.is_bayesian`)."""
        return is_bayesian(self.config["model"])

    @property
    def criterion(self) -> str:
        """Its pruning criterion (:func:`bnntut.prune.criterion_for`): SNR for BBB, L1 else."""
        return criterion_for(self.config["model"])


def _mlp(p: float) -> dict:
    return {"model": {"kind": "mlp", "hidden": [500, 500], "dropout": p, "input_dropout": True}}


#: The study's BBB network and training options.
BBB = {"model": {"kind": "bayesian", "hidden": [500, 500], "prior_pi": 0.5,
                 "prior_sigma1": math.exp(0), "prior_sigma2": math.exp(-6),
                 "mu_init": [-0.2, 0.2], "rho_init": [-5.0, -4.0]},
       "n_samples": 2, "kl_weighting": "paper"}


def variant(base: Mapping, *, model: dict | None = None, train: dict | None = None,
            **options) -> dict:
    """``base`` with model-spec keys, protocol keys (its ``train`` entry) or options changed."""
    entry = thaw(base)
    entry["model"].update(model or {})
    if train:
        entry["train"] = {**entry.get("train", {}), **train}
    entry.update(options)
    return entry


#: Blundell et al.'s (2015) network: the study's BBB with their 2 × 1200 hidden units and
#: their minibatch weighting of the complexity cost.
BLUNDELL_NET = variant(BBB, model={"hidden": [1200, 1200]}, kl_weighting="blundell")

#: Weight of minibatch i of M under each complexity weighting, as text for tables and legends.
KL_FORMULAS = {"paper": "2¹⁻ⁱ", "blundell": "2ᴹ⁻ⁱ/(2ᴹ−1)", "uniform": "1/M"}


def _sgd_blundell(lr: float, **train) -> dict:
    """Their network with plain SGD at ``lr`` (section 5.1), other protocol keys changed."""
    return variant(BLUNDELL_NET, train={"optimizer": "sgd", "lr": lr, **train})


def _calibration(p: float, lr: float) -> dict:
    """The deterministic 2 × 1200 net with dropout ``p`` on the hidden units, plain SGD."""
    return variant({"model": {"kind": "mlp", "hidden": [1200, 1200], "dropout": p,
                              "input_dropout": False}}, train={"optimizer": "sgd", "lr": lr})


_STUDY = "the study's protocol"
_SGD_LABEL = "\"SGD\" (Adam, dropout 0.01)"
_SIGMA1_E2 = {"prior_sigma1": math.exp(-2)}
_PLAIN_SGD = {"optimizer": "sgd", "lr": 1e-3}


#: Every method, in the order of the study's tables, then the ablations; methods shown in one
#: figure have clearly distinct colours.
REGISTRY = {m.name: m for m in (
    Method("sgd", _mlp(0.01), _SGD_LABEL, "#0072B2", "o", mc=False,
           factor=_STUDY, setting="Adam 1e-4"),
    Method("dropout50", _mlp(0.5), "Dropout (p=0.5)", "#009E73", "s", mc=True,
           factor=_STUDY, setting="Adam 1e-4"),
    Method("dropout75", _mlp(0.75), "Dropout (p=0.75)", "#E69F00", "^", mc=True),
    Method("dropout90", _mlp(0.9), "Dropout (p=0.9)", "#CC79A7", "D", mc=True),
    Method("bbb", BBB, "Bayes by Backprop", "#000000", "v", mc=True, factor=_STUDY,
           setting=f"Adam 1e-4, weighting {KL_FORMULAS['paper']}, ρ ~ U(−5, −4), π = 1/2, "
                   "σ1 = e⁰, σ2 = e⁻⁶, 2 samples, 50 epochs"),
    Method("bbb-kl-blundell", variant(BBB, kl_weighting="blundell"),
           "BBB, Blundell's weighting", "#56B4E9", "P", mc=True,
           factor="complexity weighting", setting=f"Blundell's {KL_FORMULAS['blundell']}"),
    Method("bbb-kl-uniform", variant(BBB, kl_weighting="uniform"),
           "BBB, uniform weighting", "#D55E00", "X", mc=True,
           factor="complexity weighting", setting=f"uniform {KL_FORMULAS['uniform']}"),
    # The study's protocol with one factor changed at a time, for the question "what makes a
    # BBB network prunable?" (chapter *What makes a network prunable*); ablations of the paper
    # preset, run only when named: ``reproduce --preset paper --methods bbb-lr1e-3``.  Paul
    # Tol's muted palette, distinct from the colours above.
    Method("bbb-lr1e-3", variant(BBB, train={"lr": 1e-3}), "BBB, Adam lr 1e-3", "#332288",
           "<", mc=True, factor="optimiser", setting="Adam, learning rate 1e-3"),
    Method("bbb-opt-sgd", variant(BBB, train=_PLAIN_SGD), "BBB, plain SGD lr 1e-3", "#88CCEE",
           ">", mc=True, factor="optimiser", setting="plain SGD, learning rate 1e-3"),
    Method("bbb-rho-fixed", variant(BBB, model={"rho_init": [-5.0, -5.0]}),
           "BBB, ρ init fixed at −5", "#44AA99", "h", mc=True,
           factor="posterior initialisation", setting="ρ = −5 for every weight"),
    Method("bbb-prior-wide", variant(BBB, model={"prior_pi": 0.25,
                                                 "prior_sigma1": math.exp(-1),
                                                 "prior_sigma2": math.exp(-7)}),
           "BBB, prior (1/4, e⁻¹, e⁻⁷)", "#DDCC77", "p", mc=True,
           factor="prior", setting="π = 1/4, σ1 = e⁻¹, σ2 = e⁻⁷"),
    Method("bbb-150ep", variant(BBB, train={"epochs": 150}), "BBB, 150 epochs", "#CC6677",
           "*", mc=True, factor="epochs", setting="150"),
    Method("bbb-samples1", variant(BBB, n_samples=1), "BBB, 1 weight sample", "#AA4499", "+",
           mc=True, factor="weight samples per step", setting="1"),
    Method("bbb-samples5", variant(BBB, n_samples=5), "BBB, 5 weight samples", "#882255", "x",
           mc=True, factor="weight samples per step", setting="5"),
    Method("bbb-kl-uniform-lr1e-3", variant(BBB, train={"lr": 1e-3}, kl_weighting="uniform"),
           "BBB, uniform weighting + lr 1e-3", "#E6194B", "d", mc=True,
           factor="combination", setting="uniform weighting and Adam 1e-3"),
    # Plain SGD with the narrowest σ1 of Blundell et al.'s prior grid: its pull shrinks the μ
    # the data do not hold, but under the study's weighting a step on the prior's narrow
    # spike overshoots it (chapter "What makes a network prunable", section 6).
    Method("bbb-opt-sgd-sigma1-e-2", variant(BBB, model=_SIGMA1_E2, train=_PLAIN_SGD),
           "BBB, plain SGD lr 1e-3 + σ1 = e⁻²", "#A6761D", "o", mc=True,
           factor="combination", setting="plain SGD 1e-3 and σ1 = e⁻²"),
    # The same with the complexity cost spread over every step, so that each step on the
    # prior's narrow spike is small enough to settle there.
    Method("bbb-opt-sgd-kl-uniform-sigma1-e-2",
           variant(BBB, model=_SIGMA1_E2, train=_PLAIN_SGD, kl_weighting="uniform"),
           "BBB, plain SGD lr 1e-3 + σ1 = e⁻² + uniform", "#1B9E77", "s", mc=True,
           factor="combination", setting="plain SGD 1e-3, σ1 = e⁻² and uniform weighting"),
    Method("sgd-lr1e-3", variant(_mlp(0.01), train={"lr": 1e-3}), f"{_SGD_LABEL}, lr 1e-3",
           "#117733", "8", mc=False, factor="optimiser", setting="Adam 1e-3"),
    Method("dropout50-lr1e-3", variant(_mlp(0.5), train={"lr": 1e-3}),
           "Dropout (p=0.5), lr 1e-3", "#999933", "H", mc=True,
           factor="optimiser", setting="Adam 1e-3"),
    # The deterministic counterpart of the complexity cost: an L1 penalty λ·Σ|w| on the mean
    # cross-entropy, i.e. MAP under a Laplace prior of scale 1/(Nλ) (N = 60 000): 0.17 and 1.7.
    Method("sgd-l1-1e-4-lr1e-3", variant(_mlp(0.01), train={"lr": 1e-3, "l1_penalty": 1e-4}),
           f"{_SGD_LABEL}, lr 1e-3, L1 1e-4", "#AA3377", "s", mc=False,
           factor="penalty (complexity cost)", setting="Adam 1e-3, L1 1e-4 × Σ|w|"),
    Method("sgd-l1-1e-5-lr1e-3", variant(_mlp(0.01), train={"lr": 1e-3, "l1_penalty": 1e-5}),
           f"{_SGD_LABEL}, lr 1e-3, L1 1e-5", "#66CCEE", "D", mc=False,
           factor="penalty (complexity cost)", setting="Adam 1e-3, L1 1e-5 × Σ|w|"),
    # Blundell et al.'s 2 × 1200 network, plain SGD over their learning-rate grid (preset
    # "blundell"); Paul Tol's high-contrast palette.
    Method("bbb-sgd-lr1e-3", _sgd_blundell(1e-3), "BBB 2×1200, SGD lr 1e-3", "#004488", "1",
           mc=True),
    Method("bbb-sgd-lr1e-4", _sgd_blundell(1e-4), "BBB 2×1200, SGD lr 1e-4", "#DDAA33", "2",
           mc=True),
    Method("bbb-sgd-lr1e-5", _sgd_blundell(1e-5), "BBB 2×1200, SGD lr 1e-5", "#BB5566", "3",
           mc=True),
    # What "What makes a network prunable" (section 6) predicts reaches their Table 2: plain
    # SGD with the equal split 1/M of their section 3.4 and σ1 = e^-2 from their prior grid.
    Method("bbb-sgd-lr1e-3-kl-uniform-sigma1-e-2",
           variant(_sgd_blundell(1e-3), model=_SIGMA1_E2, kl_weighting="uniform"),
           "BBB 2×1200, SGD lr 1e-3, σ1 = e⁻², uniform", "#5D3A9B", "4", mc=True),
    # The same grid with the gradient averaged over the minibatch (their section 3.4, "Each
    # gradient is averaged over all elements in one of these minibatches": the objective, the
    # complexity cost with it, divided by the minibatch's size).
    Method("bbb-sgd-lr1e-3-mean", _sgd_blundell(1e-3, loss_reduction="mean"),
           "BBB 2×1200, SGD lr 1e-3, averaged", "#0E4D64", "1", mc=True),
    Method("bbb-sgd-lr1e-4-mean", _sgd_blundell(1e-4, loss_reduction="mean"),
           "BBB 2×1200, SGD lr 1e-4, averaged", "#F0A30A", "2", mc=True),
    Method("bbb-sgd-lr1e-5-mean", _sgd_blundell(1e-5, loss_reduction="mean"),
           "BBB 2×1200, SGD lr 1e-5, averaged", "#8E2043", "3", mc=True),
    # Calibration of the pipeline at their scale against their Table 1 (1200 units: plain SGD
    # 1.88 %, SGD with dropout 1.36 %): the deterministic net with plain SGD on the mean
    # cross-entropy, without and with dropout 0.5 on the hidden units, over a grid of learning
    # rates suited to a mean loss (ours: their paper does not give the baselines' grid).
    Method("plain-sgd-lr1e-1", _calibration(0.0, 1e-1), "MLP 2×1200, SGD lr 1e-1", "#2F4B7C",
           "o", mc=False),
    Method("plain-sgd-lr1e-2", _calibration(0.0, 1e-2), "MLP 2×1200, SGD lr 1e-2", "#665191",
           "s", mc=False),
    Method("plain-sgd-lr1e-3", _calibration(0.0, 1e-3), "MLP 2×1200, SGD lr 1e-3", "#A05195",
           "^", mc=False),
    Method("dropout50-sgd-lr1e-1", _calibration(0.5, 1e-1),
           "MLP 2×1200, dropout 0.5, SGD lr 1e-1", "#D45087", "o", mc=True),
    Method("dropout50-sgd-lr1e-2", _calibration(0.5, 1e-2),
           "MLP 2×1200, dropout 0.5, SGD lr 1e-2", "#F95D6A", "s", mc=True),
    Method("dropout50-sgd-lr1e-3", _calibration(0.5, 1e-3),
           "MLP 2×1200, dropout 0.5, SGD lr 1e-3", "#FF7C43", "^", mc=True),
)}


#: The equal-budget comparison (preset ``budget``): three families, each searched over the
#: same 2 × 3 grid of learning rate × strength of its prior or penalty.
BUDGET_LEARNING_RATES = (1e-4, 1e-3)
#: σ1 of the scale-mixture prior (π = 1/2, σ2 = e⁻⁶), as names spell it: Blundell et al.'s grid.
BUDGET_SIGMA1 = {"e0": 1.0, "e-1": math.exp(-1), "e-2": math.exp(-2)}
#: λ of the L1 penalty λ·Σ|w| on the mean cross-entropy (a Laplace prior of scale 1/(Nλ)).
BUDGET_L1 = (1e-5, 3e-5, 1e-4)
#: Each family's label and colour (every grid point of a family is drawn in its colour).
BUDGET_FAMILIES = {
    "bbb": ("BBB (scale-mixture prior)", "#6A3D9A"),
    "map-mixture": ("MAP, scale-mixture prior", "#B15928"),
    "map-laplace": ("MAP, Laplace prior (L1)", "#1F78B4"),
}


def number_label(value: float) -> str:
    """A learning rate or penalty as names and tables spell it: ``1e-3`` for 0.001."""
    return f"{value:.0e}".replace("e-0", "e-")


def budget_method(family: str, lr: float, strength: str | float) -> str:
    """The ``budget`` preset's name of one grid point: ``family`` of :data:`BUDGET_FAMILIES`,
    learning rate ``lr`` and ``strength`` (a key of :data:`BUDGET_SIGMA1`, or λ for L1)."""
    if family not in BUDGET_FAMILIES:
        raise ValueError(f"unknown family {family!r}; allowed: {', '.join(BUDGET_FAMILIES)}")
    what = (f"l1-{number_label(strength)}" if family == "map-laplace"
            else f"sigma1-{strength}")
    return f"{family}-lr{number_label(lr)}-{what}"


def budget_grid(family: str) -> list[tuple[str, float, str | float]]:
    """``(method, lr, strength)`` of every grid point of ``family``, learning rate first."""
    strengths = BUDGET_L1 if family == "map-laplace" else tuple(BUDGET_SIGMA1)
    return [(budget_method(family, lr, s), lr, s)
            for lr in BUDGET_LEARNING_RATES for s in strengths]


#: The deterministic net of the two MAP families: the study's, without dropout.
_MAP_NET = {"model": {"kind": "mlp", "hidden": [500, 500], "dropout": 0.0,
                      "input_dropout": False}}


def _budget_config(family: str, lr: float, strength: str | float) -> dict:
    """The configuration of one grid point of the equal-budget comparison."""
    if family == "map-laplace":
        return variant(_MAP_NET, train={"lr": lr, "l1_penalty": strength})
    prior = {"prior_pi": 0.5, "prior_sigma1": BUDGET_SIGMA1[strength],
             "prior_sigma2": math.exp(-6)}
    if family == "map-mixture":
        return variant(_MAP_NET, train={"lr": lr, "map_prior": prior})
    return variant(BBB, model=prior, train={"lr": lr}, kl_weighting="uniform")


_SIGMA1_TEXT = {"e0": "e⁰", "e-1": "e⁻¹", "e-2": "e⁻²"}


def _budget_entries() -> list[Method]:
    markers = "ov^sDP"
    entries = []
    for family, (label, color) in BUDGET_FAMILIES.items():
        for (name, lr, strength), marker in zip(budget_grid(family), markers):
            what = (f"λ = {number_label(strength)}" if family == "map-laplace"
                    else f"σ1 = {_SIGMA1_TEXT[strength]}")
            config = _budget_config(family, lr, strength)
            # The MAP nets have no dropout: only BBB predicts by Monte Carlo.
            entries.append(Method(name, config, f"{label}, Adam {number_label(lr)}, {what}",
                                  color, marker, mc=is_bayesian(config["model"])))
    return entries


REGISTRY.update({m.name: m for m in _budget_entries()})


#: Blundell et al.'s (2015, section 5.1) search space for their MNIST BBB network: learning
#: rate, the prior's π, −log σ1 and −log σ2, and weight samples per minibatch; every
#: combination is one setting (3 × 3 × 3 × 3 × 4 = 324), otherwise trained as the
#: ``blundell`` preset trains its grid points (plain SGD, their weighting, 600 epochs).
BLUNDELL_SEARCH_SPACE = {
    "lr": (1e-3, 1e-4, 1e-5),
    "prior_pi": (0.25, 0.5, 0.75),
    "neg_log_sigma1": (0, 1, 2),
    "neg_log_sigma2": (6, 7, 8),
    "n_samples": (1, 2, 5, 10),
}
#: Every point of the search space is drawn in this colour (one family, like a budget grid).
BLUNDELL_GRID_COLOR = "#6F4E7C"


def search_points(space: Mapping[str, tuple], **only) -> list[dict]:
    """Every point ``{factor: value}`` of ``space``, the first factor varying slowest, each
    factor restricted to the values in ``only[factor]`` (an iterable of the space's values).

    Raises
    ------
    ValueError
        A factor not in ``space``, or a value not among its factor's; the message names what
        is allowed.
    """
    for factor, values in only.items():
        if factor not in space:
            raise ValueError(f"unknown factor {factor!r}; allowed: {', '.join(space)}")
        unknown = [v for v in values if v not in space[factor]]
        if unknown:
            raise ValueError(f"{factor} {unknown[0]!r} is not in the search space; allowed: "
                             f"{', '.join(map(str, space[factor]))}")
    points = [{}]
    for factor, values in space.items():
        kept = [v for v in values if v in only.get(factor, values)]
        points = [{**point, factor: v} for point in points for v in kept]
    return points


def blundell_grid_method(point: Mapping) -> str:
    """The name of one point of :data:`BLUNDELL_SEARCH_SPACE`, e.g.
    ``bbb-sgd-lr1e-3-pi0.5-sigma1-e0-sigma2-e-6-samples2``."""
    return (f"bbb-sgd-lr{number_label(point['lr'])}-pi{point['prior_pi']:g}"
            f"-sigma1-e{-point['neg_log_sigma1']}-sigma2-e{-point['neg_log_sigma2']}"
            f"-samples{point['n_samples']}")


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _blundell_grid_entry(point: Mapping) -> Method:
    """The registry entry of one point: their network, plain SGD at the point's learning
    rate, its prior (π, σ1 = e^−a, σ2 = e^−b) and number of weight samples."""
    config = variant(BLUNDELL_NET, model={"prior_pi": point["prior_pi"],
                                          "prior_sigma1": math.exp(-point["neg_log_sigma1"]),
                                          "prior_sigma2": math.exp(-point["neg_log_sigma2"])},
                     train={"optimizer": "sgd", "lr": point["lr"]},
                     n_samples=point["n_samples"])
    s1, s2 = (str(-point[k]).translate(_SUPERSCRIPT)
              for k in ("neg_log_sigma1", "neg_log_sigma2"))
    label = (f"BBB 2×1200, SGD lr {number_label(point['lr'])}, π = {point['prior_pi']:g}, "
             f"σ1 = e{s1}, σ2 = e{s2}, {point['n_samples']} samples")
    return Method(blundell_grid_method(point), config, label, BLUNDELL_GRID_COLOR, ".",
                  mc=True)


REGISTRY.update({m.name: m for m in map(_blundell_grid_entry,
                                        search_points(BLUNDELL_SEARCH_SPACE))})


def get(name: str) -> Method:
    """The registry entry of ``name``; ``ValueError`` lists the known methods."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; allowed: {', '.join(REGISTRY)}") from None


def configs(names) -> dict[str, Mapping]:
    """``{name: configuration}`` of the registry's ``names`` (an iterable), in their order: the
    ``methods`` or ``ablations`` of a preset."""
    return {name: get(name).config for name in names}
