"""One training loop for the deterministic and the Bayesian networks.

Read it in three pieces: :func:`step` is one minibatch (objective, backward, Adam update);
:func:`fit` is the loop over epochs and minibatches (slices of a seeded permutation of the
in-memory training tensor), ending every epoch with a test-accuracy evaluation and a
checkpoint; :class:`Resumable` is what that checkpoint holds (model, optimiser, every random
state, history), from which an interrupted run resumes bit for bit.  The only speed-up inside
the loop is opt-in and lives elsewhere: on a GPU with ``$BNNTUT_CUDA_GRAPHS=1`` the same
minibatch function is replayed as CUDA graphs (:class:`bnntut.cudagraphs.GraphedMinibatches`;
``tests/test_cuda.py`` checks it against the eager loop).
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.nn.utils import prune as torch_prune
from tqdm.auto import tqdm

from . import bayes, evaluate, store
from .cudagraphs import GraphedMinibatches, graphs_wanted
from .data import Dataset
from .models import is_bayesian
from .noise import NoiseSource


class NonFiniteLossError(FloatingPointError):
    """Raised when the training loss becomes NaN or infinite."""


#: The optimisers :func:`fit` knows: the study's Adam, and plain SGD (no momentum), which
#: Blundell et al. (2015) used.
OPTIMIZERS = ("adam", "sgd")
#: How a Bayesian net's minibatch objective is reduced over the minibatch (:func:`step`).
LOSS_REDUCTIONS = ("sum", "mean")


def _optimizer(model, name: str, lr: float, capturable: bool = False) -> torch.optim.Optimizer:
    params = bayes.variational_parameters(model) if is_bayesian(model) else list(model.parameters())
    if name == "sgd":   # stateless: nothing for a CUDA graph to capture beyond the update
        return torch.optim.SGD(params, lr=lr, fused=True)
    # fused=True: one kernel for the whole update (same Adam arithmetic), on CPU and CUDA.
    # capturable=True keeps the step count on the GPU, so that a CUDA graph can replay it.
    return torch.optim.Adam(params, lr=lr, fused=True, capturable=capturable)


class Resumable:
    """What an interrupted run needs to continue bit for bit: the model, the optimiser, the
    data-order and noise generators (and torch's global ones), and the history so far.

    :meth:`save` writes them atomically as one checkpoint; :meth:`restore` reads one back when
    its ``key`` (the configuration) matches, and deletes a torn checkpoint with a warning.
    """

    def __init__(self, model, optimizer, order: torch.Generator, noise: NoiseSource | None,
                 device: torch.device):
        self.model, self.optimizer, self.order, self.noise = model, optimizer, order, noise
        self.device = device

    def save(self, path, key: str, history: list[dict]) -> None:
        random = {"order": self.order.get_state(), "torch": torch.get_rng_state()}
        if self.device.type == "cuda":
            random["cuda"] = torch.cuda.get_rng_state(self.device)
        if self.noise is not None:
            random["noise"] = self.noise.state_dict()
        store.save_checkpoint(path, {"key": key, "model": self.model.state_dict(),
                                       "optimizer": self.optimizer.state_dict(),
                                       "random": random, "history": history})

    def restore(self, path, key: str) -> list[dict]:
        """The history of the run resumed from ``path`` (``[]``: nothing to resume)."""
        if path is None or not Path(path).exists():
            return []
        try:
            state = store.load_checkpoint(path, self.device)
        except store.CorruptFileError as error:
            warnings.warn(f"{error}: deleted, training starts from scratch", stacklevel=3)
            Path(path).unlink(missing_ok=True)
            return []
        if state.get("key") != key:
            return []
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        # Generator states are CPU byte tensors, whatever device the checkpoint was loaded to.
        random = {k: v.cpu() if isinstance(v, torch.Tensor) else v
                  for k, v in state["random"].items()}
        self.order.set_state(random["order"])
        torch.set_rng_state(random["torch"])
        if self.device.type == "cuda" and "cuda" in random:
            torch.cuda.set_rng_state(random["cuda"], self.device)
        if self.noise is not None:
            self.noise.load_state_dict({"state": random["noise"]["state"].cpu()})
        return list(state["history"])


def _mask_gradients(tensors: list[torch.Tensor], keep: list[torch.Tensor]) -> list:
    """Hooks that zero the gradient of every entry outside ``keep`` (one mask per tensor)."""
    return [t.register_hook(lambda grad, k=k: grad * k) for t, k in zip(tensors, keep)]


def weight_l1(model) -> torch.Tensor:
    """Σ|w| over the weight matrices of a deterministic net (biases excluded), shape ``()``."""
    return sum(m.weight.abs().sum() for m in model.modules()
               if isinstance(m, torch.nn.Linear))


def weight_neg_log_prior(model, prior: Mapping) -> torch.Tensor:
    """−Σ log P(w) over the weight matrices of a deterministic net (biases excluded) under the
    scale-mixture prior ``prior`` (keys ``prior_pi``, ``prior_sigma1``, ``prior_sigma2``, as a
    Bayesian model spec has them), shape ``()``: the MAP counterpart of BBB's complexity cost."""
    return -sum(bayes.log_prior(m.weight, prior) for m in model.modules()
                if isinstance(m, torch.nn.Linear))


def step(model, optimizer, xb: torch.Tensor, yb: torch.Tensor, kappa, *, n_samples: int = 2,
         noise: NoiseSource | None = None, keep=None, l1_penalty: float = 0.0,
         map_prior: Mapping | None = None, n_train: int = 1,
         loss_reduction: str = "sum") -> torch.Tensor:
    """One training step on a minibatch: objective, backward, optimiser update.

    Deterministic nets minimise the mean cross-entropy, plus ``l1_penalty`` × Σ|w| when it is
    positive (MAP under a Laplace prior), or plus −Σ log P(w) / ``n_train`` under the
    scale-mixture prior ``map_prior`` when one is given (MAP under BBB's prior: the
    per-example objective of BBB with its complexity cost spread uniformly, the posterior's
    spread left out); Bayesian nets the
    study's minibatch objective (:func:`bnntut.bayes.study_objective`: ``n_samples`` weight
    samples drawn from ``noise``, complexity cost weighted by ``kappa``, entries outside
    ``keep`` left out), divided by the minibatch's size when ``loss_reduction`` is ``"mean"``
    (the gradient averaged over the minibatch, complexity cost scaled with it).  Returns the
    detached ``(loss, summed NLL, weighted complexity)`` of
    the step, shape ``(3,)`` (for a penalised deterministic net the third entry is the
    penalty).
    """
    if is_bayesian(model):
        noises = bayes.draw_noise(model, n_samples, noise)
        loss, nll, weighted = bayes.study_objective(model, xb, yb, noises, kappa, keep)
        if loss_reduction == "mean":
            loss, weighted = loss / len(yb), weighted / len(yb)
    else:
        loss = F.cross_entropy(model(xb), yb)
        nll, weighted = loss.detach() * len(yb), torch.zeros((), device=xb.device)
        if l1_penalty:
            weighted = l1_penalty * weight_l1(model)
            loss = loss + weighted
        elif map_prior is not None:
            weighted = weight_neg_log_prior(model, map_prior) / n_train
            loss = loss + weighted
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return torch.stack((loss.detach(), nll.detach(), weighted.detach()))


def fit(model: torch.nn.Module, data: Dataset, *, epochs: int, batch_size: int = 100,
        lr: float = 1e-4, optimizer: str = "adam", seed: int = 0, n_samples: int = 2,
        kl_weighting: str = "paper", checkpoint_path: str | os.PathLike | None = None,
        checkpoint_key: str = "", checkpoint_every: int = 1,
        keep: list[torch.Tensor] | None = None, progress: bool = True,
        on_epoch_end: Callable[[dict], None] | None = None, label: str = "",
        l1_penalty: float = 0.0, map_prior: Mapping | None = None,
        loss_reduction: str = "sum") -> list[dict]:
    """Train ``model`` in place on the device of ``data`` and return the per-epoch history.

    Parameters
    ----------
    model : MLP or BayesianMLP
    data : Dataset
        In-memory tensors (:func:`bnntut.data.load`).
    epochs, batch_size, lr : int, int, float
        Total epochs (a resumed run trains only the missing ones), minibatch size (the last
        minibatch may be smaller), learning rate.
    optimizer : {"adam", "sgd"}
        The study's Adam, or Blundell et al.'s plain SGD without momentum.
    seed : int
        Seeds the data order, dropout masks and BBB noise.
    n_samples, kl_weighting
        BBB: weight samples per minibatch; minibatch weighting of the complexity cost
        (``"paper"``, ``"blundell"``, ``"uniform"``: :func:`bnntut.bayes.kl_weight`).
    checkpoint_path, checkpoint_key, checkpoint_every
        Save every ``checkpoint_every`` epochs (and after the last) to ``checkpoint_path`` and
        resume from it when its key (the configuration's hash) matches.
    keep : list of torch.Tensor, optional
        Fine-tuning a pruned Bayesian net: one bool mask per variational tensor (order of
        :func:`bnntut.bayes.variational_pairs`); entries outside it get no gradient (a pruned
        μ = 0, ρ = −∞ stays so) and leave the complexity cost.
    progress, label
        Show a tqdm bar with this description.
    on_epoch_end : callable, optional
        Called with each epoch's record, after the checkpoint is written.
    l1_penalty : float
        Deterministic nets: add ``l1_penalty`` × Σ|w| (weight matrices) to the loss.
    loss_reduction : {"sum", "mean"}
        Bayesian nets: the minibatch objective as the study writes it (NLL summed over the
        minibatch) or divided by the minibatch's size (the gradient averaged over it, as
        Blundell et al.'s section 3.4 states; the complexity cost is scaled with it).
    map_prior : mapping, optional
        Deterministic nets: add −Σ log P(w) / N (weight matrices; N training images) under
        this scale-mixture prior (``prior_pi``, ``prior_sigma1``, ``prior_sigma2``).

    Returns
    -------
    list of dict
        Per epoch: ``epoch``, ``loss`` (mean minibatch objective), ``train_nll`` (mean
        cross-entropy per example), ``complexity`` (mean weighted complexity cost, or L1
        penalty, per minibatch), ``test_accuracy`` and, with validation images,
        ``validation_accuracy`` (eval mode / posterior mean), ``seconds`` of training.

    Raises
    ------
    NonFiniteLossError
        When an epoch's loss is NaN or infinite.
    ValueError
        For bad arguments.
    """
    _check(model, epochs, batch_size, n_samples, lr, checkpoint_every, keep, kl_weighting,
           optimizer, l1_penalty, map_prior, loss_reduction)
    bayesian, device = is_bayesian(model), data.x_train.device
    model.to(device)
    n_train = len(data.x_train)
    n_batches = math.ceil(n_train / batch_size)
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    noise = NoiseSource(seed + 1, device) if bayesian else None
    # Fine-tuning stays eager: its gradient hooks (keep masks) and torch.nn.utils.prune's
    # forward hooks fail CUDA-graph capture.
    graphed = (graphs_wanted(device) and keep is None
               and not torch_prune.is_pruned(model))
    optimizer = _optimizer(model, optimizer, lr, capturable=graphed)
    resumable = Resumable(model, optimizer, order, noise, device)
    history = resumable.restore(checkpoint_path, checkpoint_key)
    if keep is not None:
        keep = [k.to(device) for k in keep]
        hooks = _mask_gradients([t for pair in bayes.variational_pairs(model) for t in pair],
                                [k for k in keep for _ in range(2)])
    kappas = [bayes.kl_weight(kl_weighting, i, n_batches) for i in range(n_batches)]
    totals = torch.zeros(3, device=device)  # loss, nll, weighted complexity of the epoch

    def train_minibatch(idx: torch.Tensor, kappa) -> None:
        xb, yb = data.x_train.index_select(0, idx), data.y_train.index_select(0, idx)
        totals.add_(step(model, optimizer, xb, yb, kappa, n_samples=n_samples, noise=noise,
                         keep=keep, l1_penalty=l1_penalty, map_prior=map_prior,
                         n_train=n_train, loss_reduction=loss_reduction))

    if graphed:  # opt-in speed-up on a GPU: the same steps, replayed as CUDA graphs
        train_minibatch = GraphedMinibatches(train_minibatch, batch_size, device, kappas,
                                             [noise.generator] if bayesian else [], bayesian)
    bar = tqdm(total=epochs * n_batches, initial=len(history) * n_batches, desc=label,
               unit="batch", disable=not progress, leave=False, mininterval=0.5)
    for epoch in range(len(history), epochs):
        start = time.perf_counter()
        model.train()
        totals.zero_()
        perm = torch.randperm(n_train, generator=order).to(device)
        for i in range(n_batches):
            train_minibatch(perm[i * batch_size:(i + 1) * batch_size], kappas[i])
            bar.update()
        history.append(_epoch_record(epoch, totals, n_batches, n_train, model, data,
                                     time.perf_counter() - start, label))
        bar.set_postfix(epoch=epoch + 1, nll=f"{history[-1]['train_nll']:.4f}",
                        acc=f"{history[-1]['test_accuracy']:.4f}")
        if checkpoint_path is not None and ((epoch + 1) % checkpoint_every == 0
                                            or epoch + 1 == epochs):
            resumable.save(checkpoint_path, checkpoint_key, history)
        if on_epoch_end is not None:
            on_epoch_end(history[-1])
    bar.close()
    for hook in hooks if keep is not None else []:
        hook.remove()
    model.eval()
    return history


def _check(model, epochs, batch_size, n_samples, lr, checkpoint_every, keep, kl_weighting,
           optimizer, l1_penalty=0.0, map_prior=None, loss_reduction="sum"):
    if loss_reduction not in LOSS_REDUCTIONS:
        raise ValueError(f"unknown loss_reduction {loss_reduction!r}; allowed: "
                         f"{', '.join(LOSS_REDUCTIONS)}")
    if loss_reduction == "mean" and not is_bayesian(model):
        raise ValueError("loss_reduction='mean' is for Bayesian nets; a deterministic net's "
                         "cross-entropy is already the minibatch mean")
    if not l1_penalty >= 0:
        raise ValueError(f"l1_penalty must be >= 0, got {l1_penalty!r}")
    if (l1_penalty or map_prior is not None) and is_bayesian(model):
        raise ValueError("l1_penalty and map_prior are for deterministic nets; a Bayesian "
                         "net's complexity cost is set by its prior and kl_weighting")
    if l1_penalty and map_prior is not None:
        raise ValueError("give l1_penalty (a Laplace prior) or map_prior (a scale mixture), "
                         "not both")
    if map_prior is not None:
        keys = ("prior_pi", "prior_sigma1", "prior_sigma2")
        if set(map_prior) != set(keys):
            raise ValueError(f"map_prior needs exactly the keys {', '.join(keys)}; "
                             f"got {', '.join(map_prior) or 'none'}")
        if not (0 <= map_prior["prior_pi"] <= 1 and map_prior["prior_sigma1"] > 0
                and map_prior["prior_sigma2"] > 0):
            raise ValueError("map_prior needs 0 <= prior_pi <= 1 and positive sigmas")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; allowed: {', '.join(OPTIMIZERS)}")
    if epochs < 1 or batch_size < 1 or n_samples < 1 or lr <= 0 or checkpoint_every < 1:
        raise ValueError("epochs, batch_size, n_samples and checkpoint_every must be >= 1 "
                         "and lr > 0")
    if keep is not None and not is_bayesian(model):
        raise ValueError("keep masks are for Bayesian nets; hold a deterministic net's pruned "
                         "weights at 0 with torch.nn.utils.prune (see bnntut.finetune)")
    bayes.kl_weight(kl_weighting, 0, 1)  # validates the name early


def _epoch_record(epoch, totals, n_batches, n_train, model, data, seconds, label) -> dict:
    loss_sum, nll_sum, complexity_sum = totals.tolist()
    if not math.isfinite(loss_sum):
        raise NonFiniteLossError(
            f"{label or 'training'}: loss became {loss_sum} in epoch {epoch + 1}; "
            "lower the learning rate or check the data")
    return {"epoch": epoch + 1, "loss": loss_sum / n_batches, "train_nll": nll_sum / n_train,
            "complexity": complexity_sum / n_batches,
            "test_accuracy": evaluate.accuracy(model, data.x_test, data.y_test),
            "seconds": seconds,
            **({} if data.x_val is None else
               {"validation_accuracy": evaluate.accuracy(model, data.x_val, data.y_val)})}
