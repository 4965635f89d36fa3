"""Many models of one architecture trained as one computation.

K networks of the same kind and widths are stacked along a leading model axis: every weight
tensor becomes ``(K, *shape)``, and one step of :func:`fit_many` updates all K. On CUDA every
layer is one batched matrix product and each step is replayed as a CUDA graph (unless
``$BNNTUT_CUDA_GRAPHS=0``); on the CPU each model's products run on its own slices, the kernels
its training alone runs (:func:`stacked_products`; measured: ``benchmarks/README.md``). Each
model keeps what makes it itself — its seed, its data order, its weight noise, its dropout
masks, its optimiser state and its configuration values (learning rate, prior, complexity
weighting, dropout rate, penalty) — drawn from its own generators in the order
:func:`bnntut.train.fit` draws them alone, so each model ends with the parameters it would have
reached alone (bit for bit on the CPU, to float rounding with batched products;
``tests/test_batched.py``).

What must be shared: the model kind and widths, the dataset, epochs, batch size, optimiser kind
and, for BBB, the number of weight samples. Fine-tuning masks are not supported here;
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
from .cudagraphs import GraphedCalls, graphs_wanted
from .data import Dataset
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


def stacked_products(device: torch.device) -> bool:
    """Whether a step runs each layer as one batched product over the K models (on CUDA:
    fewer, larger kernels) rather than K products, each on one model's slices (on the CPU,
    where the per-model products are the ones :func:`bnntut.train.fit` runs and were measured
    faster than the batched ones: ``benchmarks/README.md``)."""
    return device.type == "cuda"


class _Stack:
    """The K models' trainable tensors stacked ``(K, *shape)`` (``tensors``), in the order the
    plain path samples them (W1, b1, W2, b2, … ; for BBB each as a (μ, ρ) pair), and each
    model's slices of them as leaf tensors of its own (``views[k]``, same memory), which its
    optimiser updates in place."""

    def __init__(self, members: Sequence[Member], device):
        self.bayesian = is_bayesian(members[0].model)
        per_model = [self._tensors(m.model) for m in members]
        self.tensors = [torch.stack([t[i].detach() for t in per_model]).to(device)
                        .requires_grad_() for i in range(len(per_model[0]))]
        self.views = [[t.detach()[k].requires_grad_() for t in self.tensors]
                      for k in range(len(members))]
        self.flat_views = [v for views in self.views for v in views]   # model by model

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


def _optimizers(stack: _Stack, members: Sequence[Member], kind: str, capturable: bool):
    """One optimiser per model over its slices, as :func:`bnntut.train.fit` builds it alone
    (fused Adam or plain SGD at the model's learning rate), and Adam's moments stacked
    ``(K, *shape)`` (each optimiser's state holds its slices: one tensor to checkpoint)."""
    moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in stack.tensors]
    optimizers = []
    for k, (views, member) in enumerate(zip(stack.views, members)):
        if kind == "sgd":
            optimizers.append(torch.optim.SGD(views, lr=member.lr, fused=True))
            continue
        adam = torch.optim.Adam(views, lr=member.lr, betas=ADAM_BETAS, eps=ADAM_EPS,
                                fused=True, capturable=capturable)
        for view, (m, v) in zip(views, moments):
            adam.state[view] = {"step": torch.zeros((), device=view.device),
                                "exp_avg": m[k], "exp_avg_sq": v[k]}
        optimizers.append(adam)
    return optimizers, moments


def _set_steps(optimizers, steps: int) -> None:
    """Set every Adam state's step count (after resuming)."""
    for optimizer in optimizers:
        for state in optimizer.state.values():
            state["step"].fill_(steps)


def _dropout_masks(members, states, shapes, device):
    """Each model's dropout masks for one forward, from its own global-RNG state (the
    stream ``nn.Dropout`` reads when the model trains alone): per layer ``(K, batch, width)``."""
    saved, masks = torch.get_rng_state(), [[] for _ in shapes]
    for k, member in enumerate(members):
        torch.set_rng_state(states[k])
        p = member.model.spec["dropout"]
        for j, shape in enumerate(shapes):
            masks[j].append(F.dropout(torch.ones(shape), p, training=True))
        states[k] = torch.get_rng_state()
    torch.set_rng_state(saved)
    return [torch.stack(m).to(device) for m in masks]


class _Trainer:
    """One step of the K models: :meth:`inputs` prepares a minibatch's inputs on the host
    side (indices, complexity weights, dropout masks), :meth:`step` does the tensor work
    (gather, noise, objective, gradients, each model's optimiser, the epoch's sums) reading
    only those inputs, so that a CUDA graph can replay it (:class:`GraphedCalls`)."""

    def __init__(self, members, data, stack, optimizers, n_samples: int, n_batches: int,
                 noises: list[NoiseSource], dropout_states: list[torch.Tensor]):
        self.members, self.data, self.stack, self.optimizers = members, data, stack, optimizers
        self.n_samples, self.n_train = n_samples, len(data.x_train)
        self.noises, self.dropout_states = noises, dropout_states
        device = data.x_train.device
        self.stacked = stacked_products(device)
        values = torch.tensor([[bayes.kl_weight(m.kl_weighting, i, n_batches) for m in members]
                               for i in range(n_batches)], dtype=torch.float64)
        self.kappas = values.to(device)
        # As the plain path: the cost is skipped where its weight rounds to 0 in float32.
        self.with_cost = [tuple(row) for row in (values.to(torch.float32) != 0).tolist()]
        self.mean_reduction = torch.tensor([m.loss_reduction == "mean" for m in members],
                                           device=device)
        self.l1 = torch.tensor([m.l1_penalty for m in members], device=device)
        self.totals = torch.zeros(len(members), 3, device=device)   # float32, as fit sums

    def inputs(self, idx: torch.Tensor, i: int) -> tuple[dict, tuple]:
        """The inputs ``{"idx": (K, B), "kappa": (K,), "mask<j>": (K, B, width)}`` of
        minibatch ``i`` and its variant (which models pay their complexity cost)."""
        inputs = {"idx": idx, "kappa": self.kappas[i]}
        if not self.stack.bayesian:
            shapes = _mask_shapes(self.members, idx.shape[1])
            masks = _dropout_masks(self.members, self.dropout_states, shapes, idx.device)
            inputs.update({f"mask{j}": m for j, m in enumerate(masks)})
        return inputs, self.with_cost[i] if self.stack.bayesian else ()

    def step(self, inputs: dict, with_cost: tuple) -> None:
        """One training step of all K models on ``inputs`` (see :meth:`inputs`)."""
        idx, stack = inputs["idx"], self.stack
        flat = idx.reshape(-1)
        xb = self.data.x_train.index_select(0, flat).view(*idx.shape, -1)   # (K, B, 784)
        yb = self.data.y_train.index_select(0, flat).view(idx.shape)        # (K, B)
        leaves = stack.tensors if self.stacked else stack.flat_views
        mine = (list(zip(*(p.unbind(0) for p in stack.tensors))) if self.stacked
                else stack.views)                                        # per model
        if stack.bayesian:
            eps = _draw_noise(self.noises, stack.tensors, self.n_samples)
            loss, nll, weighted = _bbb_objective(self.members, mine, eps, xb, yb,
                                                 inputs["kappa"], with_cost,
                                                 self.mean_reduction, self.stacked)
        else:
            masks = [inputs[f"mask{j}"] for j in range(len(inputs)) if f"mask{j}" in inputs]
            loss, nll, weighted = _mlp_objective(self.members, stack.tensors, mine, masks, xb,
                                                 yb, self.l1, self.n_train, self.stacked)
        grads = torch.autograd.grad(loss.sum(), leaves)
        if self.stacked:
            grads = [g for k in range(len(self.members)) for g in (t[k] for t in grads)]
        for view, grad in zip(stack.flat_views, grads):
            # Fused optimisers read a gradient in memory order: a batched product's may be
            # transposed (torch 2.14 CPU updated the wrong entries), so it is made contiguous.
            view.grad = grad.contiguous()
        for optimizer in self.optimizers:
            optimizer.step()
        for view in stack.flat_views:
            view.grad = None
        self.totals += torch.stack((loss.detach(), nll.detach(), weighted.detach()), 1)


def fit_many(members: Sequence[Member], data: Dataset, *, epochs: int, batch_size: int = 100,
             optimizer: str = "adam", n_samples: int = 2, progress: bool = True,
             checkpoint_path=None, checkpoint_key: str = "", label: str = "") -> list[list[dict]]:
    """Train the models of ``members`` side by side as one stacked computation, in place.

    On CUDA each full minibatch's step is replayed as a CUDA graph
    (:func:`bnntut.cudagraphs.graphs_wanted`: unless ``$BNNTUT_CUDA_GRAPHS=0``).

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
    n_train = len(data.x_train)
    n_batches = math.ceil(n_train / batch_size)
    graphed = graphs_wanted(device)
    stack = _Stack(members, device)
    optimizers, adam = _optimizers(stack, members, optimizer, capturable=graphed)
    orders = [torch.Generator().manual_seed(m.seed) for m in members]
    noises = [NoiseSource(m.seed + 1, device) for m in members] if stack.bayesian else []
    dropout_states = [torch.Generator().manual_seed(m.seed).get_state() for m in members]
    histories, steps = [[] for _ in members], 0
    if checkpoint_path is not None:
        histories, steps = _restore(checkpoint_path, checkpoint_key, stack.tensors, adam,
                                    orders, noises, dropout_states, histories, device)
        _set_steps(optimizers, steps)
    trainer = _Trainer(members, data, stack, optimizers, n_samples, n_batches, noises,
                       dropout_states)
    run_step = (GraphedCalls(trainer.step, [n.generator for n in noises]) if graphed
                else trainer.step)
    bar = tqdm(total=epochs * n_batches, initial=len(histories[0]) * n_batches, desc=label,
               unit="batch", disable=not progress, leave=False, mininterval=0.5)
    for epoch in range(len(histories[0]), epochs):
        start = time.perf_counter()
        trainer.totals.zero_()
        perms = torch.stack([torch.randperm(n_train, generator=g) for g in orders]).to(device)
        for i in range(n_batches):
            run_step(*trainer.inputs(perms[:, i * batch_size:(i + 1) * batch_size], i))
            steps += 1
            bar.update()
        stack.write_back(members)
        seconds = time.perf_counter() - start
        for k, member in enumerate(members):
            histories[k].append(_record(epoch, trainer.totals[k], n_batches, n_train,
                                        member.model, data, seconds))
        if checkpoint_path is not None:
            _save(checkpoint_path, checkpoint_key, stack.tensors, adam, orders, noises,
                  dropout_states, histories, steps)
    bar.close()
    stack.write_back(members)
    for member in members:
        member.model.eval()
    return histories


def _mask_shapes(members, batch: int) -> list[tuple[int, int]]:
    model = members[0].model
    widths = [m.weight.shape[1] for m in model.linears]     # inputs of every layer
    return [(batch, w) for j, w in enumerate(widths) if j > 0 or model.spec["input_dropout"]]


def _mlp_logits(params, mine, masks, xb, input_dropout: bool, stacked: bool) -> torch.Tensor:
    """Logits ``(K, B, 10)`` of the K deterministic nets with each model's dropout ``masks``
    (per masked layer ``(K, B, width)``): one batched product per layer (``stacked``, from
    ``params`` ``(K, *shape)``) or one per model and layer (from ``mine``, each model's
    tensors, as ``nn.Linear`` computes it)."""
    if not stacked:
        return torch.stack([_one_mlp(tensors, [m[k] for m in masks], xb[k], input_dropout)
                            for k, tensors in enumerate(mine)])
    masks = list(masks)
    h = xb * masks.pop(0) if input_dropout else xb
    n_layers = len(params) // 2
    for j in range(n_layers):
        w, b = params[2 * j], params[2 * j + 1]
        h = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))
        if j < n_layers - 1:
            h = torch.relu(h) * masks.pop(0)
    return h


def _one_mlp(tensors, masks, x, input_dropout: bool) -> torch.Tensor:
    """Logits ``(B, 10)`` of one deterministic net from its ``tensors`` (W1, b1, …) and its
    dropout ``masks`` ``(B, width)``."""
    masks = list(masks)
    h = x * masks.pop(0) if input_dropout else x
    n_layers = len(tensors) // 2
    for j in range(n_layers):
        h = F.linear(h, tensors[2 * j], tensors[2 * j + 1])
        if j < n_layers - 1:
            h = torch.relu(h) * masks.pop(0)
    return h


def _mlp_objective(members, params, mine, masks, xb, yb, l1_penalty, n_train, stacked):
    """Per-model ``(loss, summed NLL, penalty)`` ``(K,)`` of the deterministic nets;
    ``l1_penalty`` ``(K,)`` holds each model's λ, ``mine`` each model's tensors."""
    h = _mlp_logits(params, mine, masks, xb, members[0].model.spec["input_dropout"], stacked)
    K, B = yb.shape
    # one mean cross-entropy per model, reduced as the plain step reduces it
    loss = torch.stack([F.cross_entropy(h[k], yb[k]) for k in range(K)])
    zero = torch.zeros((), device=xb.device)
    # Each model's penalty by the function its own training calls, so that the step is the
    # one it takes alone (a prior's steep spike amplifies any rounding difference); none is
    # computed where no model has one.
    l1 = (torch.stack([sum(w.abs().sum() for w in tensors[0::2]) for tensors in mine])
          if any(m.l1_penalty for m in members) else zero)
    neg_log_prior = torch.stack([
        -sum(bayes.log_prior(w, m.map_prior) for w in tensors[0::2]) / n_train
        if m.map_prior is not None else zero for tensors, m in zip(mine, members)])
    penalty = l1_penalty * l1 + neg_log_prior
    # the summed NLL as the plain step records it: the mean times the batch size
    return loss + penalty, loss.detach() * B, penalty


def _draw_noise(noises, params, n_samples) -> list[list[torch.Tensor]]:
    """Each model's noise from its own source, one request per model as
    :func:`bnntut.bayes.draw_noise` makes it: per model, per variational tensor
    ``(S, *shape)``."""
    shapes = [p.shape[1:] for p in params[0::2]]
    sizes = [n_samples * math.prod(s) for s in shapes]
    return [[chunk.view(n_samples, *s)
             for chunk, s in zip(source.normal(sum(sizes), params[0].dtype).split(sizes), shapes)]
            for source in noises]


def _bbb_objective(members, mine, eps, xb, yb, kappa, with_cost, mean_reduction, stacked):
    """Per-model ``(loss, summed NLL, weighted complexity)`` ``(K,)`` of the BBB nets: the
    objective of :func:`bnntut.bayes.study_objective` for every model at once.  The samples
    and the complexity cost (where ``with_cost[k]``) are each model's own
    (:func:`bnntut.bayes.reparameterise`, :func:`bnntut.bayes.complexity_cost`), from
    ``mine`` (each model's μ, ρ, …) and ``eps`` (each model's noise); the forward pass is one
    batched product per layer (``stacked``) or :func:`bnntut.bayes.forward_with` per model."""
    per_model = [[bayes.reparameterise(mu, rho, e)
                  for mu, rho, e in zip(tensors[0::2], tensors[1::2], noise)]
                 for tensors, noise in zip(mine, eps)]
    if stacked:
        h = xb.unsqueeze(1)                                                # (K, 1, B, in)
        weights = [torch.stack([sample[j][0] for sample in per_model])   # (K, S, out, in)
                   for j in range(len(per_model[0]))]
        n_layers = len(weights) // 2
        for j in range(n_layers):
            w, b = weights[2 * j], weights[2 * j + 1]
            h = torch.matmul(h, w.transpose(-1, -2)) + b.unsqueeze(2)
            if j < n_layers - 1:
                h = torch.relu(h)
    else:
        h = torch.stack([bayes.forward_with([w for w, _ in sample], xb[k])
                         for k, sample in enumerate(per_model)])          # (K, S, B, C)
    log_probs = F.log_softmax(h, dim=-1).mean(1)                           # (K, B, C)
    nll = -log_probs.gather(-1, yb.unsqueeze(-1)).squeeze(-1).sum(1)
    zero = torch.zeros((), dtype=nll.dtype, device=nll.device)
    costs = torch.stack([
        bayes.complexity_cost(member.model, [w for w, _ in sample], noise,
                              [sd for _, sd in sample]) if paid else zero
        for member, sample, noise, paid in zip(members, per_model, eps, with_cost)])
    weighted = kappa.to(nll.dtype) * costs
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
