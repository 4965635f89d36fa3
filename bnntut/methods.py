"""The method registry: what each trained model *is*, resolved in one place.  Code asks
``methods.get(name).bayesian`` instead of testing a method's name, so a new Bayesian variant is
treated as Bayesian everywhere.
"""

from __future__ import annotations

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
    Method("sgd", "SGD (dropout 0.01)", False, False, "#0072B2", "o"),
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
    Method("sgd-lr1e-3", "SGD (dropout 0.01), lr 1e-3", False, False, "#117733", "8"),
    Method("dropout50-lr1e-3", "Dropout (p=0.5), lr 1e-3", False, True, "#999933", "H"),
    Method("sgd-l1-1e-4-lr1e-3", "SGD (dropout 0.01), lr 1e-3, L1 1e-4", False, False,
           "#AA3377", "s"),
    Method("sgd-l1-1e-5-lr1e-3", "SGD (dropout 0.01), lr 1e-3, L1 1e-5", False, False,
           "#66CCEE", "D"),
    # Blundell et al.'s 2 × 1200 network, plain SGD over their learning-rate grid (preset
    # "blundell"); Paul Tol's high-contrast palette.
    Method("bbb-sgd-lr1e-3", "BBB 2×1200, SGD lr 1e-3", True, True, "#004488", "1"),
    Method("bbb-sgd-lr1e-4", "BBB 2×1200, SGD lr 1e-4", True, True, "#DDAA33", "2"),
    Method("bbb-sgd-lr1e-5", "BBB 2×1200, SGD lr 1e-5", True, True, "#BB5566", "3"),
    Method("bbb-sgd-lr1e-3-kl-uniform-sigma1-e-2", "BBB 2×1200, SGD lr 1e-3, σ1 = e⁻², uniform",
           True, True, "#5D3A9B", "4"),
)}


def get(name: str) -> Method:
    """The registry entry of ``name``; ``ValueError`` lists the known methods."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; allowed: {', '.join(REGISTRY)}") from None
