"""Seeded standard-normal noise for weight sampling, from its own ``torch.Generator``: weight
samples do not depend on how many dropout masks or permutations were drawn before, and the
state is checkpointed on its own.  (One generator, not one per thread: generators on threads
of their own compete with PyTorch's intra-op threads.)
"""

from __future__ import annotations

import torch


class NoiseSource:
    """A reproducible stream of N(0, 1) noise from ``seed``, produced on ``device``."""

    def __init__(self, seed: int, device: str | torch.device = "cpu"):
        self.device = torch.device(device)
        self.generator = torch.Generator(self.device).manual_seed(seed)

    def normal(self, n: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """A new tensor of ``n`` standard-normal numbers, shape ``(n,)``."""
        return torch.empty(n, dtype=dtype, device=self.device).normal_(generator=self.generator)

    def state_dict(self) -> dict:
        """Generator state, for checkpoints."""
        return {"state": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        """Restore a state saved by :meth:`state_dict`."""
        self.generator.set_state(state["state"])
