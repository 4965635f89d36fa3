"""Seeded standard-normal noise for weight sampling, filled in parallel on the CPU.

Bayes by Backprop with two samples draws 1.3 M normal numbers per minibatch.  PyTorch's CPU
``normal_`` is sequential (about 2.5 ns per number, a third of a BBB step on two cores), so
:class:`NoiseSource` splits each request into a fixed number of chunks, each with its own
``torch.Generator``, and fills them on a small thread pool (``normal_`` releases the GIL).
The result depends only on the seed and ``n_streams``, not on the number of cores.  On CUDA
one device generator fills the whole request.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import torch

#: Chunks (and CPU threads) per request; fixed so that results do not depend on the machine.
CPU_STREAMS = 2


class NoiseSource:
    """A reproducible stream of N(0, 1) float32 noise.

    Parameters
    ----------
    seed : int
        Seed of the stream.
    device : str or torch.device
        Where the noise is produced.
    n_streams : int
        Independent generators (CPU only); chunk ``k`` of every request comes from stream ``k``.
    """

    def __init__(self, seed: int, device: str | torch.device = "cpu", n_streams: int = CPU_STREAMS):
        self.device = torch.device(device)
        count = 1 if self.device.type == "cuda" else n_streams
        self.generators = [torch.Generator(self.device).manual_seed(seed + 7919 * k)
                           for k in range(count)]
        self._pool: ThreadPoolExecutor | None = None

    def normal(self, n: int) -> torch.Tensor:
        """A new tensor of ``n`` standard-normal float32 numbers, shape ``(n,)``."""
        out = torch.empty(n, device=self.device)
        if len(self.generators) == 1:
            return out.normal_(generator=self.generators[0])
        if self._pool is None:
            self._pool = ThreadPoolExecutor(len(self.generators), thread_name_prefix="bnntut-noise")
        chunks = out.tensor_split(len(self.generators))
        list(self._pool.map(lambda cg: cg[0].normal_(generator=cg[1]), zip(chunks, self.generators)))
        return out

    def state_dict(self) -> dict:
        """Generator states, for checkpoints."""
        return {"states": [g.get_state() for g in self.generators]}

    def load_state_dict(self, state: dict) -> None:
        """Restore generator states saved by :meth:`state_dict`."""
        if len(state["states"]) != len(self.generators):
            raise ValueError("noise state has a different number of streams")
        for g, s in zip(self.generators, state["states"]):
            g.set_state(s)

    def __getstate__(self):
        raise TypeError("NoiseSource is not picklable; save state_dict() instead")
