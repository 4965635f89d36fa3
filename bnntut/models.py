"""The study's two families of 784-H-H-10 ReLU networks: a plain MLP (SGD / dropout) and a
Bayes-by-Backprop MLP.  Each carries the ``spec`` that built it, so :func:`clone` can copy it
without ``copy.deepcopy`` (which silently unties blitz's parameters; see :mod:`bnntut.bayes`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import pairwise

import torch
import torch.nn.functional as F
from blitz.modules import BayesianLinear
from torch import nn

N_INPUTS, N_CLASSES = 784, 10   # 28 × 28 pixels, 10 classes


class MLP(nn.Sequential):
    """Deterministic MLP, ``(batch, 784)`` to logits ``(batch, 10)``, with the study's
    ``Dropout(p)`` on the input pixels (when ``input_dropout``) and after every hidden ReLU."""

    def __init__(self, spec: dict):
        widths, p = (N_INPUTS, *spec["hidden"]), spec["dropout"]
        layers: list[nn.Module] = [nn.Dropout(p)] if spec["input_dropout"] else []
        for n_in, n_out in pairwise(widths):   # hidden layers
            layers += [nn.Linear(n_in, n_out), nn.ReLU(), nn.Dropout(p)]
        super().__init__(*layers, nn.Linear(widths[-1], N_CLASSES))
        self.spec = dict(spec)

    @property
    def linears(self) -> list[nn.Linear]:
        """The ``nn.Linear`` layers, input to output."""
        return [m for m in self if isinstance(m, nn.Linear)]


class BayesianMLP(nn.Module):
    """MLP of blitz ``BayesianLinear`` layers (fast sampled forwards: :mod:`bnntut.bayes`)."""

    def __init__(self, spec: dict):
        super().__init__()
        # Inputs and outputs: MNIST's unless a spec says otherwise (the toy regression net).
        widths = (spec.get("inputs", N_INPUTS), *spec["hidden"], spec.get("outputs", N_CLASSES))
        self.layers = nn.ModuleList(
            BayesianLinear(n_in, n_out, prior_pi=spec["prior_pi"],
                           prior_sigma_1=spec["prior_sigma1"], prior_sigma_2=spec["prior_sigma2"])
            for n_in, n_out in pairwise(widths))
        self.spec = dict(spec)
        self.reset_posterior()

    @torch.no_grad()
    def reset_posterior(self) -> None:
        """Draw μ ~ U(mu_init) and ρ ~ U(rho_init) in place: ``weight_mu`` and
        ``weight_sampler.mu`` are two Parameters over one storage, re-binding would untie them."""
        for layer in self.layers:
            weight_mu, weight_rho, bias_mu, bias_rho = variational_tensors(layer)
            for mu, rho in ((weight_mu, weight_rho), (bias_mu, bias_rho)):
                mu.uniform_(*self.spec["mu_init"])
                rho.uniform_(*self.spec["rho_init"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, 10)``: one blitz sample per layer when training, else the posterior
        mean from the sampler's tensors (``forward_frozen`` would read ``weight_mu``, the alias)."""
        means = posterior_means(self)
        for i, layer in enumerate(self.layers):
            x = layer(x) if self.training else F.linear(x, *means[i])
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x


def variational_tensors(layer: BayesianLinear) -> tuple[torch.Tensor, torch.Tensor,
                                                         torch.Tensor, torch.Tensor]:
    """``(weight_mu, weight_rho, bias_mu, bias_rho)`` of a blitz layer, shapes ``(out, in)``,
    ``(out, in)``, ``(out,)``, ``(out,)``: the sampler's tensors, which its sampled forward
    reads and which carry the gradients (``layer.weight_mu`` is a second ``Parameter`` over
    the same storage).  Every read or in-place change of a posterior goes through here."""
    return (layer.weight_sampler.mu, layer.weight_sampler.rho,
            layer.bias_sampler.mu, layer.bias_sampler.rho)


def posterior_means(model: nn.Module) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(weight, bias)`` per layer, input to output, that inference multiplies: the posterior
    means μ ``(out, in)`` and ``(out,)`` of a Bayesian MLP (:func:`variational_tensors`), the
    weights and biases of a deterministic net's ``nn.Linear`` layers."""
    if is_bayesian(model):
        return [variational_tensors(layer)[0::2] for layer in model.layers]
    return [(m.weight, m.bias) for m in model.modules() if isinstance(m, nn.Linear)]


def mlp(hidden: tuple[int, ...] = (500, 500), dropout: float = 0.0,
        input_dropout: bool = True) -> MLP:
    """The study's deterministic network; ``dropout`` in [0, 1) (0.01 in the study's "SGD" row)."""
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    return MLP({"kind": "mlp", "hidden": list(hidden), "dropout": dropout,
                "input_dropout": input_dropout})


def bayesian_mlp(hidden: tuple[int, ...] = (500, 500), prior_pi: float = 0.5,
                 prior_sigma1: float = 1.0, prior_sigma2: float = math.exp(-6),
                 mu_init: tuple[float, float] = (-0.2, 0.2),
                 rho_init: tuple[float, float] = (-5.0, -4.0)) -> BayesianMLP:
    """The study's Bayes-by-Backprop network, with the study's defaults (blitz's differ) for
    the prior π N(0, σ1²) + (1 − π) N(0, σ2²) and the uniform ranges of the initial μ and ρ."""
    if not 0.0 <= prior_pi <= 1.0:
        raise ValueError(f"prior_pi must be in [0, 1], got {prior_pi}")
    if prior_sigma1 <= 0 or prior_sigma2 <= 0:
        raise ValueError("prior_sigma1 and prior_sigma2 must be positive")
    return BayesianMLP({"kind": "bayesian", "hidden": list(hidden), "prior_pi": prior_pi,
                        "prior_sigma1": prior_sigma1, "prior_sigma2": prior_sigma2,
                        "mu_init": list(mu_init), "rho_init": list(rho_init)})


BUILDERS = {"mlp": MLP, "bayesian": BayesianMLP}


def build(spec: dict) -> nn.Module:
    """Build a fresh model from a ``spec`` (as stored in ``model.spec`` or a preset)."""
    if spec.get("kind") not in BUILDERS:
        raise ValueError(f"unknown model kind {spec.get('kind')!r}; allowed: {', '.join(BUILDERS)}")
    return BUILDERS[spec["kind"]](spec)


def kind_of(x: nn.Module | Mapping | str) -> str:
    """The model kind (a key of :data:`BUILDERS`) of a model (from its ``spec``; a module
    without one is a deterministic ``"mlp"``), a model spec (its ``"kind"``) or a kind."""
    if isinstance(x, nn.Module):
        x = getattr(x, "spec", {"kind": "mlp"})
    kind = x.get("kind") if isinstance(x, Mapping) else x
    if kind not in BUILDERS:
        raise ValueError(f"unknown model kind {kind!r}; allowed: {', '.join(BUILDERS)}")
    return kind


def is_bayesian(x: nn.Module | Mapping | str) -> bool:
    """Whether a model, a model spec (``{"kind": …}``) or a model kind is of the Bayesian kind
    (Bayes by Backprop): the one test of a model's family."""
    return kind_of(x) == "bayesian"


def clone(model: nn.Module) -> nn.Module:
    """An independent copy with the same values, device and mode, rebuilt from ``model.spec``:
    unlike ``copy.deepcopy``, this keeps blitz's ``weight_mu`` / ``weight_sampler.mu`` tied."""
    copy = build(model.spec).to(next(model.parameters()).device)
    copy.load_state_dict(model.state_dict())
    return copy.train(model.training)


def compact_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The state dict with every tensor once: without blitz's sampler aliases and noise buffers."""
    return {k: v for k, v in model.state_dict().items() if "_sampler." not in k}


def load_compact_state_dict(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Load a :func:`compact_state_dict` in place (the sampler aliases share the storage)."""
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any("_sampler." not in k for k in missing):
        raise ValueError(
            f"state does not fit the model: missing {missing}, unexpected {unexpected}")
