"""The method registry: what each trained model *is*, resolved in one place.  Code asks
``methods.get(name).bayesian`` instead of testing a method's name, so a new Bayesian variant is
treated as Bayesian everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Method:
    """One kind of trained model: its ``name`` in the presets (``"bbb"``, ``"sgd"``, …), its
    ``label`` in tables and legends, whether it is ``bayesian`` (Bayes by Backprop), whether it
    has an ``mc`` prediction mode (weight samples or MC dropout; the "SGD" net's dropout of 0.01
    stands in for none) and its Matplotlib ``color`` and ``marker``, the same on every page."""

    name: str
    label: str
    bayesian: bool
    mc: bool
    color: str
    marker: str

    @property
    def criterion(self) -> str:
        """The study's pruning criterion for the family: SNR |μ|/σ for BBB, global L1 else."""
        return "snr" if self.bayesian else "l1"


#: Every method, in the order of the study's tables, then the ablations; methods shown in one
#: figure have clearly distinct colours.
REGISTRY = {m.name: m for m in (
    Method("sgd", "\"SGD\" (Adam, dropout 0.01)", False, False, "#0072B2", "o"),
    Method("dropout50", "Dropout (p=0.5)", False, True, "#009E73", "s"),
    Method("dropout75", "Dropout (p=0.75)", False, True, "#E69F00", "^"),
    Method("dropout90", "Dropout (p=0.9)", False, True, "#CC79A7", "D"),
    Method("bbb", "Bayes by Backprop", True, True, "#000000", "v"),
    Method("bbb-kl-blundell", "BBB, Blundell's weighting", True, True, "#56B4E9", "P"),
    Method("bbb-kl-uniform", "BBB, uniform weighting", True, True, "#D55E00", "X"),
    # One factor of the study's BBB changed (chapter "What makes a network prunable"); Paul
    # Tol's muted palette, distinct from the colours above.
    Method("bbb-lr1e-3", "BBB, Adam lr 1e-3", True, True, "#332288", "<"),
    Method("bbb-opt-sgd", "BBB, plain SGD lr 1e-3", True, True, "#88CCEE", ">"),
    Method("bbb-rho-fixed", "BBB, ρ init fixed at −5", True, True, "#44AA99", "h"),
    Method("bbb-prior-wide", "BBB, prior (1/4, e⁻¹, e⁻⁷)", True, True, "#DDCC77", "p"),
    Method("bbb-150ep", "BBB, 150 epochs", True, True, "#CC6677", "*"),
    Method("bbb-samples1", "BBB, 1 weight sample", True, True, "#AA4499", "+"),
    Method("bbb-samples5", "BBB, 5 weight samples", True, True, "#882255", "x"),
    Method("bbb-kl-uniform-lr1e-3", "BBB, uniform weighting + lr 1e-3", True, True,
           "#E6194B", "d"),
    Method("bbb-opt-sgd-sigma1-e-2", "BBB, plain SGD lr 1e-3 + σ1 = e⁻²", True, True,
           "#A6761D", "o"),
    Method("bbb-opt-sgd-kl-uniform-sigma1-e-2", "BBB, plain SGD lr 1e-3 + σ1 = e⁻² + uniform",
           True, True, "#1B9E77", "s"),
    Method("sgd-lr1e-3", "\"SGD\" (Adam, dropout 0.01), lr 1e-3", False, False, "#117733", "8"),
    Method("dropout50-lr1e-3", "Dropout (p=0.5), lr 1e-3", False, True, "#999933", "H"),
    Method("sgd-l1-1e-4-lr1e-3", "\"SGD\" (Adam, dropout 0.01), lr 1e-3, L1 1e-4", False, False,
           "#AA3377", "s"),
    Method("sgd-l1-1e-5-lr1e-3", "\"SGD\" (Adam, dropout 0.01), lr 1e-3, L1 1e-5", False, False,
           "#66CCEE", "D"),
    # Blundell et al.'s 2 × 1200 network, plain SGD over their learning-rate grid (preset
    # "blundell"); Paul Tol's high-contrast palette.
    Method("bbb-sgd-lr1e-3", "BBB 2×1200, SGD lr 1e-3", True, True, "#004488", "1"),
    Method("bbb-sgd-lr1e-4", "BBB 2×1200, SGD lr 1e-4", True, True, "#DDAA33", "2"),
    Method("bbb-sgd-lr1e-5", "BBB 2×1200, SGD lr 1e-5", True, True, "#BB5566", "3"),
    Method("bbb-sgd-lr1e-3-kl-uniform-sigma1-e-2", "BBB 2×1200, SGD lr 1e-3, σ1 = e⁻², uniform",
           True, True, "#5D3A9B", "4"),
    # The same grid with the gradient averaged over the minibatch (their section 3.4).
    Method("bbb-sgd-lr1e-3-mean", "BBB 2×1200, SGD lr 1e-3, averaged", True, True, "#0E4D64",
           "1"),
    Method("bbb-sgd-lr1e-4-mean", "BBB 2×1200, SGD lr 1e-4, averaged", True, True, "#F0A30A",
           "2"),
    Method("bbb-sgd-lr1e-5-mean", "BBB 2×1200, SGD lr 1e-5, averaged", True, True, "#8E2043",
           "3"),
    # Calibration at their scale: the deterministic 2 × 1200 net, plain SGD.
    Method("plain-sgd-lr1e-1", "MLP 2×1200, SGD lr 1e-1", False, False, "#2F4B7C", "o"),
    Method("plain-sgd-lr1e-2", "MLP 2×1200, SGD lr 1e-2", False, False, "#665191", "s"),
    Method("plain-sgd-lr1e-3", "MLP 2×1200, SGD lr 1e-3", False, False, "#A05195", "^"),
    Method("dropout50-sgd-lr1e-1", "MLP 2×1200, dropout 0.5, SGD lr 1e-1", False, True,
           "#D45087", "o"),
    Method("dropout50-sgd-lr1e-2", "MLP 2×1200, dropout 0.5, SGD lr 1e-2", False, True,
           "#F95D6A", "s"),
    Method("dropout50-sgd-lr1e-3", "MLP 2×1200, dropout 0.5, SGD lr 1e-3", False, True,
           "#FF7C43", "^"),
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


_SIGMA1_TEXT = {"e0": "e⁰", "e-1": "e⁻¹", "e-2": "e⁻²"}


def _budget_entries() -> list[Method]:
    markers = "ov^sDP"
    entries = []
    for family, (label, color) in BUDGET_FAMILIES.items():
        for (name, lr, strength), marker in zip(budget_grid(family), markers):
            what = (f"λ = {number_label(strength)}" if family == "map-laplace"
                    else f"σ1 = {_SIGMA1_TEXT[strength]}")
            entries.append(Method(name, f"{label}, Adam {number_label(lr)}, {what}",
                                  family == "bbb", family == "bbb", color, marker))
    return entries


REGISTRY.update({m.name: m for m in _budget_entries()})


def get(name: str) -> Method:
    """The registry entry of ``name``; ``ValueError`` lists the known methods."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; allowed: {', '.join(REGISTRY)}") from None
