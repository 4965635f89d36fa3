"""How fast could a BBB epoch be? Its unavoidable parts, timed against bnntut's SGD epoch.

Issue 3 asks for a BBB epoch (2 weight samples) of at most 2.5 × the "SGD" net's epoch. This
script measures, in one process and on the same data, the parts of a BBB minibatch that no
implementation of the study's estimator can skip, and adds them up as a *floor*:

* **noise** — 2 × 648 010 standard-normal numbers per minibatch (one ε per weight and
  sample), from PyTorch's CPU generator (:class:`bnntut.noise.NoiseSource`);
* **data path** — forward and backward of the two weight samples through the network
  (:func:`bnntut.bayes.forward_with` on fixed ``(2, out, in)`` leaves, log-softmax averaged
  over the samples, summed NLL): the gradients with respect to both samples' weights are
  what the reparameterisation turns into gradients of μ and ρ;
* **Adam** — PyTorch's fused Adam step on μ and ρ (2 × 648 010 parameters).

Everything else a BBB step does — σ = softplus(ρ), w = μ + σ ε and its backward, the
complexity cost on the first minibatches of each epoch, Python overhead — counts as free,
so the floor is optimistic. The script prints seconds per 600-minibatch epoch for bnntut's
SGD and BBB loops (:func:`bnntut.train.fit`) and for each part, and the ratios to SGD.

Usage: ``python benchmarks/bbb_floor.py [--batches N]`` (N minibatches per part, scaled to
600; ``--batches 3`` is the CI smoke test).
"""

from __future__ import annotations

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F
from epoch_time import time_fit  # this folder is on sys.path when the script runs

from bnntut import bayes, data, devices, metadata, models
from bnntut.noise import NoiseSource

N_SAMPLES = 2
BATCH = 100


def time_noise(model, n_batches: int) -> float:
    source = NoiseSource(0)
    n = N_SAMPLES * sum(math.prod(s) for s in bayes.tensor_shapes(model))
    start = time.perf_counter()
    for _ in range(n_batches):
        source.normal(n)
    return time.perf_counter() - start


def time_data_path(ds: data.Dataset, model, n_batches: int) -> float:
    weights = [torch.randn(N_SAMPLES, *s).mul_(0.05).requires_grad_()
               for s in bayes.tensor_shapes(model)]
    start = time.perf_counter()
    for i in range(n_batches):
        xb = ds.x_train[i * BATCH:(i + 1) * BATCH]
        yb = ds.y_train[i * BATCH:(i + 1) * BATCH]
        log_probs = F.log_softmax(bayes.forward_with(weights, xb), dim=-1).mean(0)
        loss = F.nll_loss(log_probs, yb, reduction="sum")
        for w in weights:
            w.grad = None
        loss.backward()
    return time.perf_counter() - start


def time_adam(model, n_batches: int) -> float:
    params = [t for pair in bayes.variational_pairs(model) for t in pair]
    for p in params:
        p.grad = torch.randn_like(p).mul_(1e-3)
    optimizer = torch.optim.Adam(params, lr=1e-4, fused=True)
    start = time.perf_counter()
    for _ in range(n_batches):
        optimizer.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=600,
                        help="minibatches timed per part, scaled to 600 (default: 600)")
    args = parser.parse_args()
    scale = 600 / args.batches
    ds = data.load("mnist")
    torch.manual_seed(0)
    bbb = models.bayesian_mlp()
    seconds = {
        "bnntut_sgd": time_fit(ds, models.mlp(dropout=0.01), args.batches) * scale,
        "bnntut_bbb": time_fit(ds, models.bayesian_mlp(), args.batches) * scale,
        "noise": time_noise(bbb, args.batches) * scale,
        "data_path": time_data_path(ds, bbb, args.batches) * scale,
        "adam": time_adam(bbb, args.batches) * scale,
    }
    seconds["floor"] = seconds["noise"] + seconds["data_path"] + seconds["adam"]
    sgd = seconds["bnntut_sgd"]
    ratios = {f"{k}_over_sgd": v / sgd for k, v in seconds.items() if k != "bnntut_sgd"}
    report = {"seconds_per_epoch": seconds, "ratios": ratios, "batches_timed": args.batches,
              "threads": torch.get_num_threads(), "machine": devices.describe(torch.device("cpu")),
              "torch": torch.__version__, "commit": metadata.git_commit(),
              "date": metadata.now()}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
