"""One training loop for the deterministic and the Bayesian networks.

Minibatches are slices of a seeded permutation of the in-memory training tensor.  Every epoch
ends with a test-accuracy evaluation and an atomic checkpoint (model, optimiser, all random
states, history), from which an interrupted run resumes bit for bit.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from . import bayes, evaluate, storage
from .cudagraphs import GraphedStep, graphs_wanted
from .data import Dataset
from .models import is_bayesian
from .noise import NoiseSource


class NonFiniteLossError(FloatingPointError):
    """Raised when the training loss becomes NaN or infinite."""


def _optimizer(model, lr: float, capturable: bool = False) -> torch.optim.Adam:
    params = bayes.variational_parameters(model) if is_bayesian(model) else list(model.parameters())
    # fused=True: one kernel for the whole update (same Adam arithmetic), on CPU and CUDA.
    # capturable=True keeps the step count on the GPU, so that a CUDA graph can replay it.
    return torch.optim.Adam(params, lr=lr, fused=True, capturable=capturable)


def _random_states(order: torch.Generator, noise: NoiseSource | None, device: torch.device) -> dict:
    states = {"order": order.get_state(), "torch": torch.get_rng_state()}
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    if noise is not None:
        states["noise"] = noise.state_dict()
    return states


def _restore_random_states(states: dict, order: torch.Generator, noise: NoiseSource | None,
                           device: torch.device) -> None:
    # Generator states are CPU byte tensors, whatever device the checkpoint was loaded to.
    states = {name: state.cpu() if isinstance(state, torch.Tensor) else state
              for name, state in states.items()}
    order.set_state(states["order"])
    torch.set_rng_state(states["torch"])
    if device.type == "cuda" and "cuda" in states:
        torch.cuda.set_rng_state(states["cuda"], device)
    if noise is not None:
        noise.load_state_dict({"state": states["noise"]["state"].cpu()})


def _mask_gradients(tensors: list[torch.Tensor], keep: list[torch.Tensor]) -> list:
    """Hooks that zero the gradient of every entry outside ``keep`` (one mask per tensor)."""
    return [t.register_hook(lambda grad, k=k: grad * k) for t, k in zip(tensors, keep)]


def _readable_checkpoint(path, device) -> dict | None:
    """The checkpoint at ``path``; ``None`` when there is none or it is unreadable (a torn
    file from a crash is deleted with a warning, and training starts from scratch)."""
    if path is None or not Path(path).exists():
        return None
    try:
        return storage.load_checkpoint(path, device)
    except storage.CorruptFileError as error:
        warnings.warn(f"{error}: deleted, training starts from scratch", stacklevel=3)
        Path(path).unlink(missing_ok=True)
        return None


def fit(
    model: torch.nn.Module,
    data: Dataset,
    *,
    epochs: int,
    batch_size: int = 100,
    lr: float = 1e-4,
    seed: int = 0,
    n_samples: int = 2,
    kl_weighting: str = "paper",
    checkpoint_path: str | os.PathLike | None = None,
    checkpoint_key: str = "",
    checkpoint_every: int = 1,
    keep: list[torch.Tensor] | None = None,
    progress: bool = True,
    on_epoch_end: Callable[[dict], None] | None = None,
    label: str = "",
) -> list[dict]:
    """Train ``model`` in place with Adam and return the per-epoch history.

    Parameters
    ----------
    model : MLP or BayesianMLP
        Trained in place, on the device of ``data``.
    data : Dataset
        In-memory tensors (see :func:`bnntut.data.load`).
    epochs : int
        Total epochs (a resumed run trains only the missing ones).
    batch_size : int
        Minibatch size; the last minibatch of an epoch may be smaller.
    lr : float
        Adam learning rate.
    seed : int
        Seeds the data order, dropout masks and BBB noise.
    n_samples : int
        BBB weight samples per minibatch.
    kl_weighting : {"paper", "blundell", "uniform"}
        BBB minibatch weighting of the complexity cost (:func:`bnntut.bayes.kl_weight`).
    checkpoint_path : path-like, optional
        Where to save a checkpoint after every epoch and resume from.
    checkpoint_key : str
        Identifies the configuration; a checkpoint with another key is not resumed from.
    checkpoint_every : int
        Save a checkpoint every this many epochs (and after the last one).
    keep : list of torch.Tensor, optional
        Bayesian nets only, for fine-tuning a pruned net: one bool mask per variational tensor
        (sampling order, see :func:`bnntut.bayes.variational_pairs`).  Entries outside the
        mask get no gradient (a pruned μ = 0, ρ = −∞ stays so) and leave the complexity cost.
    progress : bool
        Show a tqdm progress bar.
    on_epoch_end : callable, optional
        Called with each epoch's record (after the checkpoint is written).
    label : str
        Progress-bar description.

    Returns
    -------
    list of dict
        One record per epoch: ``epoch``, ``loss`` (mean minibatch objective), ``train_nll``
        (mean cross-entropy per example), ``complexity`` (mean weighted complexity cost per
        minibatch; 0 for deterministic nets), ``test_accuracy`` (eval mode / posterior mean),
        ``seconds`` (wall time of the epoch's training).

    Raises
    ------
    NonFiniteLossError
        When an epoch's loss is NaN or infinite.
    ValueError
        For bad arguments.
    """
    if epochs < 1 or batch_size < 1 or n_samples < 1 or lr <= 0 or checkpoint_every < 1:
        raise ValueError("epochs, batch_size, n_samples and checkpoint_every must be >= 1 "
                         "and lr > 0")
    bayesian = is_bayesian(model)
    if keep is not None and not bayesian:
        raise ValueError("keep masks are for Bayesian nets; hold a deterministic net's pruned "
                         "weights at 0 with torch.nn.utils.prune (see bnntut.finetune)")
    bayes.kl_weight(kl_weighting, 0, 1)  # validates the name early
    device = data.x_train.device
    model.to(device)
    n_train = len(data.x_train)
    n_batches = math.ceil(n_train / batch_size)
    graphed = graphs_wanted(device)

    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    noise = NoiseSource(seed + 1, device) if bayesian else None
    optimizer = _optimizer(model, lr, capturable=graphed)
    history: list[dict] = []

    state = _readable_checkpoint(checkpoint_path, device)
    if state is not None:
        if state.get("key") == checkpoint_key:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            _restore_random_states(state["random"], order, noise, device)
            history = list(state["history"])

    hooks = []
    if keep is not None:
        keep = [k.to(device) for k in keep]
        hooks = _mask_gradients([t for pair in bayes.variational_pairs(model) for t in pair],
                                [k for k in keep for _ in range(2)])
    weights = [bayes.kl_weight(kl_weighting, i, n_batches) for i in range(n_batches)]
    # Where κ_i rounds to 0 in float32 the complexity cost is skipped (exactly; see bayes).
    has_complexity = [bayesian and bool(torch.tensor(w, dtype=torch.float32) != 0)
                      for w in weights]
    totals = torch.zeros(3, device=device)  # loss, nll, weighted complexity of the epoch

    def train_step(idx: torch.Tensor, kappa: float | torch.Tensor) -> None:
        xb, yb = data.x_train.index_select(0, idx), data.y_train.index_select(0, idx)
        if bayesian:
            noises = bayes.draw_noise(model, n_samples, noise)
            loss, nll, weighted = bayes.study_objective(model, xb, yb, noises, kappa, keep)
        else:
            loss = F.cross_entropy(model(xb), yb)
            nll, weighted = loss.detach() * len(yb), torch.zeros((), device=device)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        totals.add_(torch.stack((loss.detach(), nll.detach(), weighted.detach())))

    if graphed:
        # Fixed memory for what changes between replays: the minibatch indices and κ_i.
        static_idx = torch.zeros(batch_size, dtype=torch.int64, device=device)
        static_kappa = torch.zeros((), device=device)
        graph_step = GraphedStep(
            lambda with_complexity: train_step(static_idx, static_kappa if with_complexity
                                               else 0.0),
            generators=[noise.generator] if noise is not None else [])

    bar = tqdm(total=epochs * n_batches, initial=len(history) * n_batches, desc=label,
               unit="batch", disable=not progress, leave=False, mininterval=0.5)
    for epoch in range(len(history), epochs):
        start = time.perf_counter()
        model.train()
        perm = torch.randperm(n_train, generator=order).to(device)
        totals.zero_()
        for i in range(n_batches):
            idx = perm[i * batch_size:(i + 1) * batch_size]
            if graphed and len(idx) == batch_size:
                # Two graphs: with the complexity cost, and without it where κ_i rounds to 0.
                static_idx.copy_(idx)
                if has_complexity[i]:
                    static_kappa.fill_(weights[i])
                graph_step(has_complexity[i])
            else:
                train_step(idx, weights[i])
            bar.update()
        loss_sum, nll_sum, complexity_sum = totals.tolist()
        if not math.isfinite(loss_sum):
            bar.close()
            raise NonFiniteLossError(
                f"{label or 'training'}: loss became {loss_sum} in epoch {epoch + 1}; "
                "lower the learning rate or check the data")
        seconds = time.perf_counter() - start
        record = {
            "epoch": epoch + 1,
            "loss": loss_sum / n_batches,
            "train_nll": nll_sum / n_train,
            "complexity": complexity_sum / n_batches,
            "test_accuracy": evaluate.accuracy(model, data.x_test, data.y_test),
            "seconds": seconds,
        }
        history.append(record)
        bar.set_postfix(epoch=epoch + 1, nll=f"{record['train_nll']:.4f}",
                        acc=f"{record['test_accuracy']:.4f}")
        if checkpoint_path is not None and ((epoch + 1) % checkpoint_every == 0
                                            or epoch + 1 == epochs):
            storage.save_checkpoint(checkpoint_path, {
                "key": checkpoint_key, "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "random": _random_states(order, noise, device), "history": history,
            })
        if on_epoch_end is not None:
            on_epoch_end(record)
    bar.close()
    for hook in hooks:
        hook.remove()
    model.eval()
    return history
