"""Replaying a training step as a CUDA graph.

On a GPU the networks of this study are so small that a training step is dominated by
launching its ~100 kernels from Python (about 7.5 ms per Bayes-by-Backprop step on an H100,
measured), not by computing them.  A CUDA graph records the kernels of one step once and
replays them with a single launch.

The arithmetic is unchanged: a replay runs the very kernels of an eager step on the same
memory.  Random numbers are unchanged too: every generator the step draws from is registered
with the graph, and a replay advances its Philox offset exactly as the eager step would, so
the noise and dropout masks of a replayed step are those of the eager step it stands for.

**Opt-in.**  The eager CUDA path was measured on an H100 (2026-11-25: 4.5 s per BBB epoch,
0.93 s per baseline epoch — launch-bound).  This graphed path is off unless
``$BNNTUT_CUDA_GRAPHS=1``; ``tests/test_cuda.py`` (skipped without a GPU) checks it against
eager training and passed on an H200 (2026-11-26), where it trained Blundell et al.'s
2 × 1200 network at ≈ 0.13 s per epoch (``benchmarks/README.md``).  Fine-tuning is never
graphed (:func:`bnntut.train.fit`): its gradient and pruning hooks failed capture.

Protocol of :class:`GraphedStep`, per *variant* of the step (e.g. with and without the
complexity cost): the first ``warmup`` calls run eagerly on a side stream (real training
steps — nothing is run twice), the next call captures the graph (capturing runs nothing) and
replays it, and every later call replays it.  Steps that cannot be graphed (a short last
minibatch) pass ``variant=None`` and always run eagerly.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Hashable, Sequence

import torch

#: Set to ``1`` to train with CUDA graphs on a GPU (opt-in until verified on one).
CUDA_GRAPHS_ENV = "BNNTUT_CUDA_GRAPHS"


def graphs_wanted(device: torch.device) -> bool:
    """Whether to graph training steps on ``device``: CUDA and ``$BNNTUT_CUDA_GRAPHS=1``."""
    return device.type == "cuda" and os.environ.get(CUDA_GRAPHS_ENV, "0") == "1"


class GraphedStep:
    """Run ``step(variant)`` eagerly a few times per variant, then as a replayed CUDA graph.

    Parameters
    ----------
    step : callable
        ``step(variant)`` performs one complete training step (forward, backward, optimiser
        update) reading its inputs only from tensors whose memory stays fixed (the caller
        copies each minibatch's indices and weights into them before the call).
    generators : sequence of torch.Generator
        Non-default CUDA generators the step draws from (the default generator is registered
        automatically by PyTorch).
    warmup : int
        Eager calls per variant before capture (CUDA libraries initialise lazily; PyTorch
        asks for warm-up iterations on a side stream before capturing).
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
    """``train_minibatch(idx, kappa)`` with full minibatches replayed as CUDA graphs.

    Each full minibatch's indices and complexity weight are copied into fixed memory and the
    step replays one of two graphs: with the complexity cost, or without it where κ_i rounds
    to 0 in float32 (exactly what the eager step computes there).  A short last minibatch
    runs eagerly.  The training loop calls this object exactly as it calls the eager
    function it wraps.
    """

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
