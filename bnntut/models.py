"""The study's two network families: a plain MLP (SGD / dropout) and a Bayes-by-Backprop MLP.

Both are 784-H-H-10 ReLU networks.  Every model carries a ``spec`` dictionary with the
arguments that built it, so :func:`build` and :func:`clone` can make an exact, independent copy
without ``copy.deepcopy`` (which silently unties blitz's parameters; see :mod:`bnntut.bayes`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from blitz.modules import BayesianLinear
from torch import nn

N_INPUTS = 784
N_CLASSES = 10


class MLP(nn.Sequential):
    """Deterministic MLP with the study's dropout placement.

    ``Dropout(p)`` acts on the input pixels (when ``input_dropout``) and after every hidden
    ReLU.  Input shape ``(batch, 784)``, output logits ``(batch, 10)``.
    """

    def __init__(self, spec: dict):
        hidden, p = tuple(spec["hidden"]), spec["dropout"]
        widths = (N_INPUTS, *hidden, N_CLASSES)
        layers: list[nn.Module] = []
        if spec["input_dropout"]:
            layers.append(nn.Dropout(p))
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(hidden):
                layers += [nn.ReLU(), nn.Dropout(p)]
        super().__init__(*layers)
        self.spec = dict(spec)

    @property
    def linears(self) -> list[nn.Linear]:
        """The ``nn.Linear`` layers, input to output."""
        return [m for m in self if isinstance(m, nn.Linear)]


class BayesianMLP(nn.Module):
    """MLP of blitz ``BayesianLinear`` layers with a Gaussian variational posterior.

    Fast multi-sample forwards live in :func:`bnntut.bayes.sampled_logits`.
    """

    def __init__(self, spec: dict):
        super().__init__()
        hidden = tuple(spec["hidden"])
        # Inputs and outputs: MNIST's unless a spec says otherwise (the toy regression net).
        widths = (spec.get("inputs", N_INPUTS), *hidden, spec.get("outputs", N_CLASSES))
        self.layers = nn.ModuleList(
            BayesianLinear(
                n_in,
                n_out,
                prior_pi=spec["prior_pi"],
                prior_sigma_1=spec["prior_sigma1"],
                prior_sigma_2=spec["prior_sigma2"],
            )
            for n_in, n_out in zip(widths[:-1], widths[1:])
        )
        self.spec = dict(spec)
        self.reset_posterior()

    @torch.no_grad()
    def reset_posterior(self) -> None:
        """Draw μ ~ U(mu_init) and ρ ~ U(rho_init) in place (weights and biases).

        In place, because blitz's ``weight_mu`` and ``weight_sampler.mu`` are two Parameter
        objects over one storage: re-binding either would untie them.
        """
        mu_low, mu_high = self.spec["mu_init"]
        rho_low, rho_high = self.spec["rho_init"]
        for layer in self.layers:
            for sampler in (layer.weight_sampler, layer.bias_sampler):
                sampler.mu.uniform_(mu_low, mu_high)
                sampler.rho.uniform_(rho_low, rho_high)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, 10)`` for ``x`` of shape ``(batch, 784)``.

        Training mode: one blitz sample per layer.  Eval mode: the posterior mean, read from
        the same sampler tensors (blitz's ``forward_frozen`` would read ``weight_mu``, the
        other alias).
        """
        for i, layer in enumerate(self.layers):
            if self.training:
                x = layer(x)
            else:
                x = F.linear(x, layer.weight_sampler.mu, layer.bias_sampler.mu)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x


def mlp(
    hidden: tuple[int, ...] = (500, 500),
    dropout: float = 0.0,
    input_dropout: bool = True,
) -> MLP:
    """The study's deterministic network.

    Parameters
    ----------
    hidden : tuple of int
        Hidden widths; the study uses ``(500, 500)``.
    dropout : float
        Dropout probability in [0, 1).  The study's "SGD" row is ``0.01``.
    input_dropout : bool
        Also drop input pixels, as the study does.
    """
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    return MLP({"kind": "mlp", "hidden": list(hidden), "dropout": dropout,
                "input_dropout": input_dropout})


def bayesian_mlp(
    hidden: tuple[int, ...] = (500, 500),
    prior_pi: float = 0.5,
    prior_sigma1: float = 1.0,
    prior_sigma2: float = math.exp(-6),
    mu_init: tuple[float, float] = (-0.2, 0.2),
    rho_init: tuple[float, float] = (-5.0, -4.0),
) -> BayesianMLP:
    """The study's Bayes-by-Backprop network with its prior and posterior initialisation.

    Parameters
    ----------
    hidden : tuple of int
        Hidden widths.
    prior_pi, prior_sigma1, prior_sigma2 : float
        Scale-mixture prior π N(0, σ1²) + (1 − π) N(0, σ2²).  The study: 0.5, e^0, e^−6.
        (blitz's own defaults differ: π = 1 is a single Gaussian.)
    mu_init, rho_init : (float, float)
        Uniform ranges of the initial μ and ρ, σ = log(1 + e^ρ).  The study: (−0.2, 0.2) and
        (−5, −4); blitz's defaults differ.
    """
    if not 0.0 <= prior_pi <= 1.0:
        raise ValueError(f"prior_pi must be in [0, 1], got {prior_pi}")
    if prior_sigma1 <= 0 or prior_sigma2 <= 0:
        raise ValueError("prior_sigma1 and prior_sigma2 must be positive")
    return BayesianMLP({
        "kind": "bayesian", "hidden": list(hidden), "prior_pi": prior_pi,
        "prior_sigma1": prior_sigma1, "prior_sigma2": prior_sigma2,
        "mu_init": list(mu_init), "rho_init": list(rho_init),
    })


BUILDERS = {"mlp": MLP, "bayesian": BayesianMLP}


def build(spec: dict) -> nn.Module:
    """Build a fresh model from a ``spec`` (as stored in ``model.spec`` or a preset)."""
    if spec.get("kind") not in BUILDERS:
        raise ValueError(f"unknown model kind {spec.get('kind')!r}; allowed: {', '.join(BUILDERS)}")
    return BUILDERS[spec["kind"]](spec)


def is_bayesian(model: nn.Module) -> bool:
    """True for a :class:`BayesianMLP`."""
    return isinstance(model, BayesianMLP)


def clone(model: nn.Module) -> nn.Module:
    """An independent copy with the same values, on the same device, in the same mode.

    Rebuilds from ``model.spec`` and loads the state dict, which keeps blitz's
    ``weight_mu`` / ``weight_sampler.mu`` pairs tied (``copy.deepcopy`` does not).
    """
    device = next(model.parameters()).device
    copy = build(model.spec).to(device)
    copy.load_state_dict(model.state_dict())
    return copy.train(model.training)


def compact_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The state dict with every tensor once: for blitz layers only ``weight_mu``,
    ``weight_rho``, ``bias_mu``, ``bias_rho`` (not the sampler aliases or noise buffers)."""
    return {k: v for k, v in model.state_dict().items() if "_sampler." not in k}


def load_compact_state_dict(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Load a :func:`compact_state_dict` in place (the sampler aliases share the storage)."""
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any("_sampler." not in k for k in missing):
        raise ValueError(
            f"state does not fit the model: missing {missing}, unexpected {unexpected}")
