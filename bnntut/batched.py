"""Many models of one architecture trained as one computation.

K networks of the same kind and widths are stacked along a leading model axis: every weight
tensor becomes ``(K, *shape)`` and every layer one batched matrix product, so one step of
:func:`fit_many` updates all K.  Each model keeps what makes it itself — its seed, its data
order, its weight noise, its dropout masks, its optimiser state and its configuration values
(learning rate, prior, complexity weighting, dropout rate, penalty) — drawn from its own
generators in the order :func:`bnntut.train.fit` draws them alone, so each model ends with
the parameters it would have reached alone (to float rounding; ``tests/test_batched.py``).

What must be shared: the model kind and widths, the dataset, epochs, batch size, optimiser
kind and, for BBB, the number of weight samples.  Fine-tuning masks are not supported here;
:func:`bnntut.train.fit` stays the plain path.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from . import bayes, evaluate, store
from .data import Dataset
from .fastmath import Reparameterise
from .models import is_bayesian
from .noise import NoiseSource

ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8


@dataclass(frozen=True)
class Member:
    """One model of a batch and its training settings (as :func:`bnntut.train.fit` takes
    them): ``model`` (built and initialised), ``lr``, ``seed``, BBB's ``kl_weighting`` and
    ``loss_reduction``, a deterministic net's ``l1_penalty`` or ``map_prior``."""

    model: torch.nn.Module
    lr: float
    seed: int = 0
    kl_weighting: str = "paper"
    loss_reduction: str = "sum"
    l1_penalty: float = 0.0
    map_prior: Mapping | None = None


def shape_key(model) -> tuple:
    """What models must share to train in one batch: kind, layer shapes (and dropout
    placement for deterministic nets)."""
    if is_bayesian(model):
        return ("bayesian", *(tuple(mu.shape) for mu, _ in bayes.variational_pairs(model)))
    return ("mlp", bool(model.spec["input_dropout"]),
            *(tuple(m.weight.shape) for m in model.linears))


def _check(members: Sequence[Member], optimizer: str, epochs: int, batch_size: int,
           n_samples: int) -> None:
    if not members:
        raise ValueError("fit_many needs at least one model")
    keys = {shape_key(m.model) for m in members}
    if len(keys) > 1:
        raise ValueError("models in one batch must share kind and layer shapes; got "
                         f"{len(keys)} different ones: train them in separate batches")
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"unknown optimizer {optimizer!r}; allowed: adam, sgd")
    if epochs < 1 or batch_size < 1 or n_samples < 1 or any(m.lr <= 0 for m in members):
        raise ValueError("epochs, batch_size and n_samples must be >= 1 and every lr > 0")
    for m in members:
        if m.loss_reduction not in ("sum", "mean"):
            raise ValueError(f"unknown loss_reduction {m.loss_reduction!r}; allowed: sum, mean")
        bayes.kl_weight(m.kl_weighting, 0, 1)


class _Stack:
    """The K models' trainable tensors stacked as leaves ``(K, *shape)``, in the order the
    plain path samples them (W1, b1, W2, b2, … ; for BBB each as a (μ, ρ) pair)."""

    def __init__(self, members: Sequence[Member], device):
        self.bayesian = is_bayesian(members[0].model)
        per_model = [self._tensors(m.model) for m in members]
        self.tensors = [torch.stack([t[i].detach() for t in per_model]).to(device)
                        .requires_grad_() for i in range(len(per_model[0]))]

    def _tensors(self, model) -> list[torch.Tensor]:
        if self.bayesian:
            return [t for pair in bayes.variational_pairs(model) for t in pair]
        return [t for m in model.linears for t in (m.weight, m.bias)]

    @torch.no_grad()
    def write_back(self, members: Sequence[Member]) -> None:
        """Copy each model's slice into its own tensors (the ones its forward reads)."""
        for k, member in enumerate(members):
            for mine, stacked in zip(self._tensors(member.model), self.tensors):
                mine.copy_(stacked[k])


def _batched_adam(params, grads, state, lr: torch.Tensor, step: int) -> None:
    """Adam (β = 0.9, 0.999, ε = 1e-8) on stacked tensors with one learning rate per model,
    ``lr`` ``(K,)``, written as torch's Adam writes it."""
    b1, b2 = ADAM_BETAS
    c1, c2 = 1 - b1**step, 1 - b2**step
    for p, g, (m, v) in zip(params, grads, state):
        m.lerp_(g, 1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        scale = (lr / c1).view(-1, *[1] * (p.ndim - 1))
        p.sub_(scale * m / (v.sqrt() / math.sqrt(c2) + ADAM_EPS))


def _sum_per_model(t: torch.Tensor) -> torch.Tensor:
    return t.reshape(t.shape[0], -1).sum(1)


def _dropout_masks(members, states, shapes, device):
    """Each model's dropout masks for one forward, from its own global-RNG state (the
    stream ``nn.Dropout`` reads when the model trains alone): per layer ``(K, batch, width)``,
    ``None`` where every p is 0."""
    saved, masks = torch.get_rng_state(), [[] for _ in shapes]
    for k, member in enumerate(members):
        torch.set_rng_state(states[k])
        p = member.model.spec["dropout"]
        for j, shape in enumerate(shapes):
            masks[j].append(F.dropout(torch.ones(shape), p, training=True))
        states[k] = torch.get_rng_state()
    torch.set_rng_state(saved)
    return [torch.stack(m).to(device) for m in masks]


def fit_many(members: Sequence[Member], data: Dataset, *, epochs: int, batch_size: int = 100,
             optimizer: str = "adam", n_samples: int = 2, progress: bool = True,
             checkpoint_path=None, checkpoint_key: str = "", label: str = "") -> list[list[dict]]:
    """Train the models of ``members`` side by side as one stacked computation, in place.

    Parameters
    ----------
    members : sequence of Member
        K models of one kind and shape with their own settings.
    data : Dataset
        In-memory tensors shared by all (the device of ``data.x_train`` is used).
    epochs, batch_size, optimizer, n_samples
        Shared by all K, as for :func:`bnntut.train.fit`.
    progress, label
        A tqdm bar over minibatches.
    checkpoint_path, checkpoint_key
        Save after every epoch and resume from it when its key matches.

    Returns
    -------
    list of list of dict
        Each model's per-epoch history, with the keys of :func:`bnntut.train.fit`'s
        (``seconds`` is the shared epoch's wall time).
    """
    _check(members, optimizer, epochs, batch_size, n_samples)
    device = data.x_train.device
    K, n_train = len(members), len(data.x_train)
    n_batches = math.ceil(n_train / batch_size)
    stack = _Stack(members, device)
    params = stack.tensors
    lr = torch.tensor([m.lr for m in members], device=device)
    orders = [torch.Generator().manual_seed(m.seed) for m in members]
    noises = [NoiseSource(m.seed + 1, device) for m in members] if stack.bayesian else []
    dropout_states = [torch.Generator().manual_seed(m.seed).get_state() for m in members]
    adam = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
    kappas = torch.tensor([[bayes.kl_weight(m.kl_weighting, i, n_batches) for m in members]
                           for i in range(n_batches)], device=device, dtype=torch.float64)
    mean_reduction = torch.tensor([m.loss_reduction == "mean" for m in members], device=device)
    l1 = torch.tensor([m.l1_penalty for m in members], device=device)
    histories, steps = [[] for _ in members], 0
    if checkpoint_path is not None:
        histories, steps = _restore(checkpoint_path, checkpoint_key, params, adam, orders,
                                    noises, dropout_states, histories, device)
    bar = tqdm(total=epochs * n_batches, initial=len(histories[0]) * n_batches, desc=label,
               unit="batch", disable=not progress, leave=False, mininterval=0.5)
    for epoch in range(len(histories[0]), epochs):
        start = time.perf_counter()
        totals = torch.zeros(K, 3, device=device)   # float32, as the plain loop sums them
        perms = torch.stack([torch.randperm(n_train, generator=g) for g in orders]).to(device)
        for i in range(n_batches):
            idx = perms[:, i * batch_size:(i + 1) * batch_size]          # (K, B)
            xb, yb = data.x_train[idx], data.y_train[idx]                  # (K, B, 784), (K, B)
            if stack.bayesian:
                eps = _draw_noise(noises, params, n_samples)
                loss, nll, weighted = _bbb_objective(members, params, eps, xb, yb, kappas[i],
                                                     mean_reduction)
            else:
                masks = _dropout_masks(members, dropout_states, _mask_shapes(members, xb),
                                       device)
                loss, nll, weighted = _mlp_objective(members, params, masks, xb, yb,
                                                     l1, n_train)
            grads = torch.autograd.grad(loss.sum(), params)
            steps += 1
            with torch.no_grad():
                if optimizer == "sgd":
                    for p, g in zip(params, grads):
                        p.sub_(lr.view(-1, *[1] * (p.ndim - 1)) * g)
                else:
                    _batched_adam(params, grads, adam, lr, steps)
            totals += torch.stack((loss.detach(), nll.detach(), weighted.detach()), 1)
            bar.update()
        stack.write_back(members)
        seconds = time.perf_counter() - start
        for k, member in enumerate(members):
            histories[k].append(_record(epoch, totals[k], n_batches, n_train, member.model,
                                        data, seconds))
        if checkpoint_path is not None:
            _save(checkpoint_path, checkpoint_key, params, adam, orders, noises,
                  dropout_states, histories, steps)
    bar.close()
    stack.write_back(members)
    for member in members:
        member.model.eval()
    return histories


def _mask_shapes(members, xb) -> list[tuple[int, int]]:
    model, batch = members[0].model, xb.shape[1]
    widths = [m.weight.shape[1] for m in model.linears]     # inputs of every layer
    return [(batch, w) for j, w in enumerate(widths) if j > 0 or model.spec["input_dropout"]]


def _mlp_objective(members, params, masks, xb, yb, l1_penalty, n_train):
    """Per-model ``(loss, summed NLL, penalty)`` ``(K,)`` of the deterministic nets;
    ``l1_penalty`` ``(K,)`` holds each model's λ."""
    model = members[0].model
    masks = list(masks)
    h = xb * masks.pop(0) if model.spec["input_dropout"] else xb
    n_layers = len(params) // 2
    for j in range(n_layers):
        w, b = params[2 * j], params[2 * j + 1]
        h = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))
        if j < n_layers - 1:
            h = torch.relu(h) * masks.pop(0)
    K, B = yb.shape
    # one mean cross-entropy per model, reduced as the plain step reduces it
    loss = torch.stack([F.cross_entropy(h[k], yb[k]) for k in range(K)])
    weights = params[0::2]
    l1 = sum(_sum_per_model(w.abs()) for w in weights)
    # Each model's prior term by the function its own training calls, so that the step is
    # the one it takes alone (a prior's steep spike amplifies any rounding difference).
    neg_log_prior = torch.stack([
        -sum(bayes.log_prior(w[k], m.map_prior) for w in weights) / n_train
        if m.map_prior is not None else torch.zeros((), device=xb.device)
        for k, m in enumerate(members)])
    penalty = l1_penalty * l1 + neg_log_prior
    # the summed NLL as the plain step records it: the mean times the batch size
    return loss + penalty, loss.detach() * B, penalty


def _draw_noise(noises, params, n_samples) -> list[torch.Tensor]:
    """Each model's noise from its own source, one request per model as
    :func:`bnntut.bayes.draw_noise` makes it: per variational tensor ``(K, S, *shape)``."""
    shapes = [p.shape[1:] for p in params[0::2]]
    sizes = [n_samples * math.prod(s) for s in shapes]
    per_model = [source.normal(sum(sizes), params[0].dtype).split(sizes) for source in noises]
    return [torch.stack([chunks[j] for chunks in per_model]).view(len(noises), n_samples, *s)
            for j, s in enumerate(shapes)]


def _bbb_objective(members, params, eps, xb, yb, kappa, mean_reduction):
    """Per-model ``(loss, summed NLL, weighted complexity)`` ``(K,)`` of the BBB nets: the
    objective of :func:`bnntut.bayes.study_objective` for every model at once.  The samples
    and the complexity cost are each model's own (:class:`bnntut.fastmath.Reparameterise`,
    :func:`bnntut.bayes.complexity_cost`); the forward pass is one batched product."""
    pairs = list(zip(params[0::2], params[1::2]))
    per_model = [[Reparameterise.apply(mu[k], rho[k], e[k]) for (mu, rho), e in zip(pairs, eps)]
                 for k in range(len(members))]
    weights = [torch.stack([sample[j][0] for sample in per_model]) for j in range(len(pairs))]
    h = xb.unsqueeze(1)                                                    # (K, 1, B, in)
    n_layers = len(weights) // 2
    for j in range(n_layers):
        w, b = weights[2 * j], weights[2 * j + 1]                          # (K, S, out, in)
        h = torch.matmul(h, w.transpose(-1, -2)) + b.unsqueeze(2)
        if j < n_layers - 1:
            h = torch.relu(h)
    log_probs = F.log_softmax(h, dim=-1).mean(1)                           # (K, B, C)
    nll = -log_probs.gather(-1, yb.unsqueeze(-1)).squeeze(-1).sum(1)
    costs = []
    for k, member in enumerate(members):
        if float(kappa[k].to(nll.dtype)) == 0:   # as the plain path: skipped when it rounds to 0
            costs.append(torch.zeros((), dtype=nll.dtype, device=nll.device))
            continue
        costs.append(bayes.complexity_cost(member.model, [w for w, _ in per_model[k]],
                                           [e[k] for e in eps],
                                           [sd for _, sd in per_model[k]]))
    weighted = kappa.to(nll.dtype) * torch.stack(costs)
    loss = nll + weighted
    size = yb.shape[1]
    loss = torch.where(mean_reduction, loss / size, loss)
    weighted = torch.where(mean_reduction, weighted / size, weighted)
    return loss, nll.detach(), weighted


def _record(epoch, totals, n_batches, n_train, model, data, seconds) -> dict:
    loss_sum, nll_sum, complexity_sum = totals.tolist()
    if not math.isfinite(loss_sum):
        raise FloatingPointError(f"a batched model's loss became {loss_sum} in epoch "
                                 f"{epoch + 1}; lower its learning rate")
    return {"epoch": epoch + 1, "loss": loss_sum / n_batches, "train_nll": nll_sum / n_train,
            "complexity": complexity_sum / n_batches,
            "test_accuracy": evaluate.accuracy(model, data.x_test, data.y_test),
            "seconds": seconds,
            **({} if data.x_val is None else
               {"validation_accuracy": evaluate.accuracy(model, data.x_val, data.y_val)})}


def _save(path, key, params, adam, orders, noises, dropout_states, histories, steps) -> None:
    store.save_checkpoint(path, {
        "key": key, "params": [p.detach() for p in params],
        "adam": [t for pair in adam for t in pair], "steps": steps,
        "orders": [g.get_state() for g in orders],
        "noises": [n.generator.get_state() for n in noises],
        "dropout": list(dropout_states), "histories": histories})


def _restore(path, key, params, adam, orders, noises, dropout_states, histories, device):
    if not Path(path).exists():
        return histories, 0
    try:
        state = store.load_checkpoint(path, device)
    except store.CorruptFileError:
        Path(path).unlink(missing_ok=True)
        return histories, 0
    if state.get("key") != key:
        return histories, 0
    with torch.no_grad():
        for p, saved in zip(params, state["params"]):
            p.copy_(saved)
        for t, saved in zip([t for pair in adam for t in pair], state["adam"]):
            t.copy_(saved)
    for g, s in zip(orders, state["orders"]):
        g.set_state(s.cpu())
    for n, s in zip(noises, state["noises"]):
        n.generator.set_state(s.cpu())
    dropout_states[:] = [s.cpu() for s in state["dropout"]]
    return [list(h) for h in state["histories"]], int(state["steps"])
