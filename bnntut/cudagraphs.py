"""Replaying a training step as a CUDA graph: the default way to train on a GPU.

The study's networks are so small that a GPU training step is dominated by launching its ~100
kernels from Python, not by their arithmetic.  A CUDA graph
replays the kernels of one step, on the same memory, with a single launch; every generator the
step draws from is registered with the graph, so a replay draws the noise and dropout masks of
the eager step it stands for.  On by default on CUDA, because ``tests/test_cuda.py`` (skipped
without a GPU) checks it against eager training; ``$BNNTUT_CUDA_GRAPHS=0`` runs the plain
eager loop (timings: ``benchmarks/README.md``).  :class:`GraphedMinibatches` serves the
per-model loop (:func:`bnntut.train.fit`), :class:`GraphedCalls` the batched step
(:func:`bnntut.batched.fit_many`).
Fine-tuning is never graphed (:func:`bnntut.train.fit`): its gradient and pruning hooks failed
capture.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence

import torch

from .switches import env_switch

#: ``1`` (the default) trains with CUDA graphs on a GPU, ``0`` with the eager loop.
CUDA_GRAPHS_ENV = "BNNTUT_CUDA_GRAPHS"


def graphs_wanted(device: torch.device) -> bool:
    """Whether to graph training steps on ``device``: on CUDA unless ``$BNNTUT_CUDA_GRAPHS=0``
    (``tests/test_cuda.py`` checks graphed steps against the eager loop; ``0`` is the plain
    path).

    Raises
    ------
    ValueError
        ``$BNNTUT_CUDA_GRAPHS`` is set to something other than ``0`` or ``1``.
    """
    wanted = env_switch(CUDA_GRAPHS_ENV, off="the eager loop", on="CUDA graphs on a GPU",
                        default=True)
    return wanted and device.type == "cuda"


class GraphedStep:
    """Run ``step(variant)`` eagerly a few times per variant, then as a replayed CUDA graph.

    ``step(variant)`` is one complete training step (forward, backward, optimiser update) that
    reads its inputs only from tensors whose memory stays fixed; ``generators`` are the
    non-default CUDA generators it draws from (PyTorch registers the default one).  Per
    variant (e.g. with and without the complexity cost) the first ``warmup`` calls run eagerly
    on a side stream, as PyTorch asks before a capture (real steps: nothing runs twice); the
    next call captures the graph (capturing runs nothing) and replays it, and every later call
    replays it.  ``variant=None`` (a step that cannot be graphed) always runs eagerly.
    """

    def __init__(self, step: Callable[[Hashable | None], None],
                 generators: Sequence[torch.Generator] = (), warmup: int = 2):
        self.step = step
        self.generators = list(generators)
        self.warmup = warmup
        self.graphs: dict[Hashable, torch.cuda.CUDAGraph] = {}
        self.eager_calls: Counter = Counter()
        self.side_stream = torch.cuda.Stream()

    def __call__(self, variant: Hashable | None) -> None:
        """One training step; ``variant`` names which graph (``None``: always eager)."""
        if variant in self.graphs:
            self.graphs[variant].replay()
        elif variant is None:
            self.step(None)
        elif self.eager_calls[variant] < self.warmup:
            self.eager_calls[variant] += 1
            self.side_stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(self.side_stream):
                self.step(variant)
            torch.cuda.current_stream().wait_stream(self.side_stream)
        else:
            graph = torch.cuda.CUDAGraph()
            for generator in self.generators:
                graph.register_generator_state(generator)
            with torch.cuda.graph(graph):
                self.step(variant)
            self.graphs[variant] = graph
            graph.replay()


class GraphedMinibatches:
    """``train_minibatch(idx, kappa)``, called as the eager function it wraps, with each full
    minibatch's indices and complexity weight copied into fixed memory and one of two graphs
    replayed: with the complexity cost, or without it where κ_i rounds to 0 in float32 (as the
    eager step computes there).  A short last minibatch runs eagerly."""

    def __init__(self, train_minibatch: Callable, batch_size: int, device: torch.device,
                 kappas: Sequence[float], generators: Sequence[torch.Generator] = (),
                 complexity: bool = True):
        self.eager, self.batch_size = train_minibatch, batch_size
        # Deterministic nets (complexity=False) have no complexity cost: one graph.
        self.with_complexity = {k: complexity and bool(torch.tensor(k, dtype=torch.float32) != 0)
                                for k in kappas}
        self.idx = torch.zeros(batch_size, dtype=torch.int64, device=device)
        self.kappa = torch.zeros((), device=device)
        self.graphed = GraphedStep(
            lambda with_complexity: train_minibatch(self.idx, self.kappa if with_complexity
                                                    else 0.0), generators=generators)

    def __call__(self, idx: torch.Tensor, kappa: float) -> None:
        if len(idx) != self.batch_size:
            self.eager(idx, kappa)
            return
        self.idx.copy_(idx)
        with_complexity = self.with_complexity[kappa]
        if with_complexity:
            self.kappa.fill_(kappa)
        self.graphed(with_complexity)


class GraphedCalls:
    """``step(inputs, variant)`` replayed as CUDA graphs, ``inputs`` copied into fixed memory.

    ``inputs`` maps names to tensors (a minibatch's indices, its complexity weights, dropout
    masks); ``step`` reads them only from there and draws only from ``generators`` (and
    PyTorch's default generator).  The first call fixes each input's shape; a call whose
    shapes differ (a short last minibatch) runs eagerly on its own tensors.  ``variant`` names
    the graph as for :class:`GraphedStep`.
    """

    def __init__(self, step: Callable[[dict, Hashable], None],
                 generators: Sequence[torch.Generator] = (), warmup: int = 2):
        self.step = step
        self.fixed: dict[str, torch.Tensor] | None = None
        self.graphed = GraphedStep(lambda variant: step(self.fixed, variant), generators,
                                   warmup)

    def __call__(self, inputs: dict, variant: Hashable) -> None:
        """One step on ``inputs`` (a graph replay when their shapes are the fixed ones)."""
        if self.fixed is None:
            self.fixed = {name: torch.empty_like(t) for name, t in inputs.items()}
        if any(self.fixed[name].shape != t.shape for name, t in inputs.items()):
            self.step(inputs, variant)
            return
        for name, t in inputs.items():
            self.fixed[name].copy_(t)
        self.graphed(variant)
