"""Seconds per training epoch: bnntut's loops against naive reference loops, in one process.

* naive SGD:  torchvision DataLoader with per-item PIL ``ToTensor`` + the same MLP and Adam.
* naive BBB:  the same DataLoader + blitz's own ``BayesianLinear`` forwards and
  ``sample_elbo``-style loss (2 samples, the complexity cost on every minibatch).
* unoptimised BBB: in-memory batches, but the straightforward objective
  (:func:`bnntut.bayes.study_objective_reference`).
* bnntut SGD / BBB: :func:`bnntut.train.fit` (one epoch each).

Usage: ``python benchmarks/epoch_time.py [--dataset mnist] [--batches N] [--subset N]``.
``--batches`` times only the first N minibatches of each loop and scales to a full epoch
(600 minibatches), so the script also works as a quick smoke test.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F
from blitz.utils import variational_estimator
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from bnntut import bayes, data, devices, metadata, models, train
from bnntut.noise import NoiseSource


def naive_loader(name: str, batch_size: int = 100):
    cls = getattr(datasets, data.DATASETS[name])
    ds = cls(str(data.data_root()), train=True, download=False, transform=transforms.ToTensor())
    return DataLoader(ds, batch_size=batch_size, shuffle=True)


def time_naive_sgd(loader, n_batches: int) -> float:
    model = models.mlp(dropout=0.01)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    start = time.perf_counter()
    for i, (x, y) in enumerate(loader):
        if i == n_batches:
            break
        loss = F.cross_entropy(model(x.view(len(x), -1)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def time_naive_bbb(loader, n_batches: int) -> float:
    net = variational_estimator(type(models.bayesian_mlp()))  # adds blitz's sample_elbo
    model = net(models.bayesian_mlp().spec).train()
    opt = torch.optim.Adam(bayes.variational_parameters(model), lr=1e-4)
    start = time.perf_counter()
    for i, (x, y) in enumerate(loader):
        if i == n_batches:
            break
        loss = model.sample_elbo(x.view(len(x), -1), y, F.cross_entropy, sample_nbr=2,
                                 complexity_cost_weight=2.0 ** (1 - i))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def time_unoptimised_bbb(ds: data.Dataset, n_batches: int) -> float:
    model = models.bayesian_mlp().train()
    opt = torch.optim.Adam(bayes.variational_parameters(model), lr=1e-4)
    source = NoiseSource(0)
    perm = torch.randperm(len(ds.x_train))
    start = time.perf_counter()
    for i in range(n_batches):
        idx = perm[i * 100:(i + 1) * 100]
        noises = bayes.draw_noise(model, 2, source)
        loss, _, _ = bayes.study_objective_reference(model, ds.x_train[idx], ds.y_train[idx],
                                                     noises, 2.0 ** (1 - i))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def time_fit(ds: data.Dataset, model, n_batches: int) -> float:
    # Same protocol; the first epoch of fit includes torch.compile warm-up, so fit two short
    # epochs on the first n_batches * 100 examples and keep the second.
    sub = data.Dataset(ds.name, ds.x_train[: n_batches * 100], ds.y_train[: n_batches * 100],
                       ds.x_test[:100], ds.y_test[:100])
    history = train.fit(model, sub, epochs=2, progress=False)
    return history[-1]["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist", choices=list(data.DATASETS))
    parser.add_argument("--batches", type=int, default=600,
                        help="minibatches timed per loop, scaled to 600 (default: 600)")
    args = parser.parse_args()
    scale = 600 / args.batches
    ds = data.load(args.dataset)
    loader = naive_loader(args.dataset)
    torch.manual_seed(0)
    seconds = {
        "naive_sgd": time_naive_sgd(loader, args.batches) * scale,
        "bnntut_sgd": time_fit(ds, models.mlp(dropout=0.01), args.batches) * scale,
        "naive_bbb": time_naive_bbb(loader, args.batches) * scale,
        "unoptimised_bbb": time_unoptimised_bbb(ds, args.batches) * scale,
        "bnntut_bbb": time_fit(ds, models.bayesian_mlp(), args.batches) * scale,
    }
    ratios = {
        "sgd_speedup_vs_naive": seconds["naive_sgd"] / seconds["bnntut_sgd"],
        "bbb_speedup_vs_naive": seconds["naive_bbb"] / seconds["bnntut_bbb"],
        "bbb_speedup_vs_unoptimised": seconds["unoptimised_bbb"] / seconds["bnntut_bbb"],
        "bbb_over_sgd": seconds["bnntut_bbb"] / seconds["bnntut_sgd"],
    }
    device = devices.resolve("cpu")
    report = {"seconds_per_epoch": seconds, "ratios": ratios, "batches_timed": args.batches,
              "machine": devices.describe(device), "torch": torch.__version__,
              "commit": metadata.git_commit(), "date": metadata.now()}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
