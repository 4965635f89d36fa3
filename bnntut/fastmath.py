"""Fused elementwise pieces of the Bayes-by-Backprop objective.

PyTorch's CPU kernels of ``log1p``, ``softplus`` and ``logaddexp`` are not vectorised, and the
objective needs them on 650 k (σ) and 1.3 M (prior) elements per minibatch.  Here they are
built from vectorised ``exp`` and ``log``, fused into one pass each by ``torch.compile`` and
given analytic backward passes; ``tests/test_bayes.py`` checks values and gradients against the
plain autograd path (:func:`bnntut.bayes.study_objective_reference`).  Compiling is on by
default and lazy (nothing at import time); ``BNNTUT_COMPILE=0`` or :func:`set_compile` runs the
same functions eagerly."""

from __future__ import annotations

import functools
import logging
import math

import torch

from .switches import env_switch

#: Above this ρ, log(1 + e^ρ) equals ρ in float32 (e^-20 is below half an ulp of 20).
SOFTPLUS_LINEAR_ABOVE = 20.0

#: Turns the compiled kernels off (``0``) or on (``1``, the default).
COMPILE_ENV = "BNNTUT_COMPILE"

_COMPILE = {"enabled": None}


def set_compile(enabled: bool | None) -> None:
    """Force ``torch.compile`` on or off; ``None`` returns to ``$BNNTUT_COMPILE`` (default on)."""
    _COMPILE["enabled"] = enabled


def compile_enabled() -> bool:
    """Whether the fused kernels are compiled (``$BNNTUT_COMPILE``, default ``1``)."""
    enabled = _COMPILE["enabled"]
    if enabled is None:
        return env_switch(COMPILE_ENV, off="run the fused kernels eagerly",
                          on="compile them with torch.compile", default=True)
    return enabled


def _fused(fn):
    """Call ``fn`` compiled (lazily, on first use) when compiling is enabled, else eagerly."""
    @functools.cache
    def compiled():
        # On a CPU-only machine torch warns once that it found no CUDA runtime: noise.
        logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
        return torch.compile(fn, dynamic=True)

    @functools.wraps(fn)
    def wrapper(*args):
        return compiled()(*args) if compile_enabled() else fn(*args)

    return wrapper


def log1p(x: torch.Tensor) -> torch.Tensor:
    """log(1 + x) for x ≥ 0, accurate to a few ulps, from vectorised ``log``.

    Uses log1p(x) = log(u) · x / (u − 1) with u = 1 + x (Goldberg's trick), which cancels the
    rounding error of forming u; where u rounds to 1, log1p(x) = x to working precision."""
    u = 1.0 + x
    d = u - 1.0
    return torch.where(d == 0, x, torch.log(u) * (x / torch.where(d == 0, 1.0, d)))


def softplus(rho: torch.Tensor) -> torch.Tensor:
    """σ = log(1 + e^ρ), elementwise; ρ = −∞ gives exactly 0."""
    return torch.where(rho > SOFTPLUS_LINEAR_ABOVE, rho,
                       log1p(torch.exp(torch.clamp(rho, max=SOFTPLUS_LINEAR_ABOVE))))


@_fused
def _reparameterise(mu, rho, eps):
    sd = softplus(rho)
    return mu + sd * eps, sd


@_fused
def _reparameterise_backward(grad_w, grad_sd, eps, rho):
    return grad_w.sum(0), ((grad_w * eps).sum(0) + grad_sd) * torch.sigmoid(rho)


class Reparameterise(torch.autograd.Function):
    """``(w, σ) = (μ + softplus(ρ) ε, softplus(ρ))`` with a hand-written backward.

    Shapes: μ, ρ ``shape``; ε ``(S, *shape)``; w ``(S, *shape)``; σ ``shape``.
    Backward: ∂/∂μ = Σ_s g_w;  ∂/∂ρ = (Σ_s g_w ε + g_σ) · sigmoid(ρ)."""

    @staticmethod
    def forward(ctx, mu, rho, eps):
        flat_eps = eps.reshape(eps.shape[0], -1)    # flat: one compiled kernel for every shape
        ctx.save_for_backward(rho, flat_eps)
        w, sd = _reparameterise(mu.reshape(-1), rho.reshape(-1), flat_eps)
        return w.view(eps.shape), sd.view(mu.shape)

    @staticmethod
    def backward(ctx, grad_w, grad_sd):
        rho, flat_eps = ctx.saved_tensors
        grad_sd = torch.zeros_like(rho) if grad_sd is None else grad_sd
        grad_mu, grad_rho = _reparameterise_backward(
            grad_w.reshape(flat_eps.shape), grad_sd.reshape(-1), flat_eps, rho.reshape(-1))
        return grad_mu.view(rho.shape), grad_rho.view(rho.shape), None


@_fused
def _mixture_log_prior(w, c1, c2, p1, p2):
    half_w2 = 0.5 * w * w
    a, b = c1 - half_w2 * p1, c2 - half_w2 * p2
    diff = a - b
    return (torch.maximum(a, b) + log1p(torch.exp(-diff.abs()))).sum(), diff


@_fused
def _mixture_log_prior_backward(grad, w, diff, p1, p2):
    return -grad * w * (p2 + (p1 - p2) * torch.sigmoid(diff))


class MixtureLogPrior(torch.autograd.Function):
    """Σ log[π N(w; 0, σ1²) + (1 − π) N(w; 0, σ2²)] over all elements of ``w``, for 0 < π < 1.

    Forward: log-sum-exp of the component log-densities a, b.  Backward:
    ∂/∂w = −w (r / σ1² + (1 − r) / σ2²) with r = sigmoid(a − b), the first component's
    responsibility.  Returns a scalar."""

    @staticmethod
    def forward(ctx, w, pi, sigma1, sigma2):
        ctx.shape = w.shape
        const = -0.5 * math.log(2 * math.pi)
        c1 = const + math.log(pi) - math.log(sigma1)
        c2 = const + math.log1p(-pi) - math.log(sigma2)
        p1, p2 = 1.0 / sigma1**2, 1.0 / sigma2**2
        w = w.reshape(-1)   # one compiled kernel for every shape
        value, diff = _mixture_log_prior(w, c1, c2, p1, p2)
        ctx.save_for_backward(w, diff)
        ctx.precisions = (p1, p2)
        return value

    @staticmethod
    def backward(ctx, grad):
        w, diff = ctx.saved_tensors
        grad_w = _mixture_log_prior_backward(grad, w, diff, *ctx.precisions)
        return grad_w.view(ctx.shape), None, None, None
