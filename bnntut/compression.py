"""Real compression: bytes of a pruned network in a sparse format, and sparse inference latency.

Zeros in a dense matrix save neither bytes nor multiply-adds.  Compared here:

* bytes (:func:`model_bytes`): every weight matrix in CSR (float32 values, int32 column
  indices and row pointers; biases dense) against dense float32; for BBB also the μ and ρ
  that training keeps against the μ alone that posterior-mean inference needs;
* latency (:func:`latency_sweep`): the whole forward pass, dense ``F.linear`` against
  CSR × dense ``torch.addmm``, at batch sizes 1 and 100 across sparsity, as the speedup
  dense / sparse (> 1: sparse pays).

:func:`run` stores both for a preset's trained models (latency: MNIST BBB pruned by SNR) in
``<results>/<preset>/compression-<device type>.json``, reused while current."""

from __future__ import annotations

import math
import os
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from functools import partial

import torch
import torch.nn.functional as F

from . import devices, experiment, metadata, prune, store
from .methods import get as get_method
from .models import N_INPUTS, is_bayesian, posterior_means
from .presets import Preset, resolve

#: Pruned fractions of the byte counts and of the latency sweep.
AMOUNTS = (0.0, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99)
BATCH_SIZES = (1, 100)
VALUE_BYTES, INDEX_BYTES = 4, 4     # bytes of a float32 value and of an int32 index
ROUNDS = 5                          # rounds of a latency sweep (:func:`latency_sweep`)
LATENCY_MODEL = {"dataset": "mnist", "method": "bbb"}  # whose pruned versions :func:`run` times
WIDTHS = (N_INPUTS, 500, 500, 10)                      # layer widths of the study's network
#: One layer as inference multiplies it: ``(W, b)``, shapes ``(out, in)`` and ``(out,)``.
Layer = tuple[torch.Tensor, torch.Tensor]

#: Kept as a name for callers; every store warning is :class:`bnntut.store.StaleResultWarning`.
StaleCompressionWarning = store.StaleResultWarning


def dense_bytes(rows: int, cols: int) -> int:
    """Bytes of a dense float32 ``(rows, cols)`` matrix: 4 · rows · cols."""
    return VALUE_BYTES * rows * cols


def csr_bytes(rows: int, cols: int, nnz: int) -> int:
    """Bytes of a ``(rows, cols)`` matrix with ``nnz`` nonzeros in CSR: float32 values and
    int32 column indices of the nonzeros, ``rows + 1`` int32 row pointers."""
    for name, v in (("rows", rows), ("cols", cols), ("nnz", nnz)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
    if nnz > rows * cols:
        raise ValueError(f"nnz must be at most rows * cols = {rows * cols}, got {nnz}")
    return (VALUE_BYTES + INDEX_BYTES) * nnz + INDEX_BYTES * (rows + 1)


def csr_break_even_sparsity(shapes: Sequence[tuple[int, int]]) -> float:
    """The sparsity above which CSR weights take fewer bytes than dense ones: where
    8 · nnz + 4 · Σ (rows + 1) < 4 · Σ rows · cols, however the nonzeros spread over layers."""
    n = sum(r * c for r, c in shapes)
    pointers = sum(r + 1 for r, _ in shapes)
    nnz = (VALUE_BYTES * n - INDEX_BYTES * pointers) / (VALUE_BYTES + INDEX_BYTES)
    return 1.0 - nnz / n


def inference_layers(model) -> list[Layer]:
    """The layers (:data:`Layer`) that inference multiplies: the weights of an MLP in eval mode,
    the posterior means μ of a Bayesian MLP."""
    return [(w.detach(), b.detach()) for w, b in posterior_means(model)]


def model_bytes(model) -> dict:
    """Bytes of a (pruned) network's inference tensors, dense and CSR.

    Per layer (``layers``): ``shape``, ``nnz``, ``dense_bytes``, ``csr_bytes`` (weights) and
    ``bias_bytes`` (dense in both formats); totals ``nnz``, ``n_weights``, ``dense_bytes`` and
    ``csr_bytes`` (weights + biases); Bayesian nets also ``training_bytes`` (dense μ and ρ)."""
    layers = []
    for w, b in inference_layers(model):
        rows, cols = w.shape
        nnz = int((w != 0).sum())
        layers.append({"shape": [rows, cols], "nnz": nnz, "dense_bytes": dense_bytes(rows, cols),
                       "csr_bytes": csr_bytes(rows, cols, nnz),
                       "bias_bytes": VALUE_BYTES * b.numel()})
    bias = sum(layer["bias_bytes"] for layer in layers)
    out = {"layers": layers, "nnz": sum(layer["nnz"] for layer in layers),
           "n_weights": sum(math.prod(layer["shape"]) for layer in layers),
           "dense_bytes": sum(layer["dense_bytes"] for layer in layers) + bias,
           "csr_bytes": sum(layer["csr_bytes"] for layer in layers) + bias}
    if is_bayesian(model):
        out["training_bytes"] = 2 * out["dense_bytes"]    # μ and ρ, same shapes
    return out


def to_csr(weight: torch.Tensor) -> torch.Tensor:
    """A 2-D tensor in CSR with int32 indices (the layout :func:`csr_bytes` counts)."""
    if weight.dim() != 2:
        raise ValueError(f"weight must be a 2-D matrix, got shape {tuple(weight.shape)}")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        csr = weight.detach().to_sparse_csr()
        return torch.sparse_csr_tensor(csr.crow_indices().to(torch.int32),
                                       csr.col_indices().to(torch.int32), csr.values(),
                                       size=weight.shape, check_invariants=True)


def stored_bytes(csr: torch.Tensor) -> int:
    """Bytes of the three arrays a CSR tensor holds (values, column indices, row pointers)."""
    return sum(t.numel() * t.element_size()
               for t in (csr.values(), csr.col_indices(), csr.crow_indices()))


def dense_forward(layers: Sequence[Layer], x: torch.Tensor) -> torch.Tensor:
    """Logits ``(batch, classes)`` of the ReLU MLP with dense weights, via ``F.linear``."""
    for k, (w, b) in enumerate(layers):
        x = F.linear(x, w, b)
        if k < len(layers) - 1:
            x = torch.relu(x)
    return x


def sparse_forward(layers: Sequence[Layer], x: torch.Tensor) -> torch.Tensor:
    """The same logits with CSR weights (:func:`to_csr`); activations are kept transposed,
    ``(features, batch)``, so that every layer is one sparse × dense ``torch.addmm``."""
    h = x.t().contiguous()
    for k, (w, b) in enumerate(layers):
        h = torch.addmm(b.unsqueeze(1), w, h)
        if k < len(layers) - 1:
            h = torch.relu(h)
    return h.t()


def _seconds_per_call(fn: Callable[[], object], number: int, device: torch.device) -> float:
    """Mean seconds of ``number`` calls of ``fn``, timed as one block."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(number):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return (time.perf_counter() - start) / number


def _calls_per_block(fn: Callable[[], object], block_time: float, device: torch.device) -> int:
    """After a warm-up call: the calls per block, doubled until a block lasts ``block_time``."""
    _seconds_per_call(fn, 1, device)
    number = 1
    while _seconds_per_call(fn, number, device) * number < block_time and number < 2**20:
        number *= 2
    return number


@torch.inference_mode()
def _measure(networks: Sequence[Sequence[Layer]], batch_sizes: Sequence[int],
             device: torch.device, min_time: float, seed: int, rounds: int) -> list[list[dict]]:
    """The rows of :func:`latency`, network after network."""
    for batch in batch_sizes:
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ValueError(f"batch sizes must be positive integers, got {batch!r}")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be a positive integer, got {rounds!r}")
    generator = torch.Generator().manual_seed(seed)
    n_in = networks[0][0][0].shape[1]
    inputs = {b: torch.rand(b, n_in, generator=generator).to(device) for b in batch_sizes}
    cases = []                          # one per (network, batch): two functions to compare
    for layers in networks:
        dense = [(w.to(device), b.to(device)) for w, b in layers]
        sparse = [(to_csr(w), b) for w, b in dense]
        for batch, x in inputs.items():
            fns = (partial(dense_forward, dense, x), partial(sparse_forward, sparse, x))
            diff = (fns[0]() - fns[1]()).abs().max().item()
            cases.append({"fns": fns, "batch": batch, "diff": diff, "times": ([], [])})
    share = min_time / rounds           # seconds per function, case and round
    for case in cases:
        case["numbers"] = [_calls_per_block(fn, share / 5, device) for fn in case["fns"]]
    for _ in range(rounds):
        for case in cases:
            totals, blocks = [0.0, 0.0], 0
            while min(totals) < share or blocks < 3:
                blocks += 1
                for k, (fn, number) in enumerate(zip(case["fns"], case["numbers"])):
                    t = _seconds_per_call(fn, number, device)   # dense and sparse alternate
                    case["times"][k].append(t)
                    totals[k] += t * number
    rows = []
    for case in cases:
        dense_t, sparse_t = case["times"]
        rows.append({"batch_size": case["batch"], "dense_s": min(dense_t),
                     "sparse_s": min(sparse_t), "speedup": min(dense_t) / min(sparse_t),
                     "dense_median_s": statistics.median(dense_t),
                     "sparse_median_s": statistics.median(sparse_t), "max_abs_diff": case["diff"]})
    return rows


def latency(layers: Sequence[Layer], batch_sizes: Sequence[int] = BATCH_SIZES, device="cpu",
            min_time: float = 0.2, seed: int = 0, rounds: int = 1) -> list[dict]:
    """Dense against CSR forward time of one network (a list of :data:`Layer`), on random
    inputs ``(batch, in)`` uniform in [0, 1) drawn from ``seed``.

    Blocks of calls are timed with ``perf_counter`` (on CUDA each block ends with
    ``torch.cuda.synchronize``), dense and sparse blocks alternating, for ``min_time``
    seconds per function and batch size, spread over ``rounds`` rounds.  Returns per batch
    size ``batch_size``, ``dense_s``, ``sparse_s`` (seconds per forward in the fastest block,
    as :mod:`timeit` does: other processes can only add time), ``speedup`` (dense / sparse),
    ``dense_median_s``, ``sparse_median_s`` and ``max_abs_diff`` between the outputs."""
    return _measure([layers], batch_sizes, devices.resolve(device), min_time, seed, rounds)


def random_layers(amount: float, widths: Sequence[int] = WIDTHS, seed: int = 0) -> list[Layer]:
    """Random layers (:data:`Layer`) of the given widths, each ``W`` with exactly
    ``round(amount · size)`` zeros at random places (for benchmarks without a model)."""
    prune.check_amount(amount)
    generator = torch.Generator().manual_seed(seed)
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        w = torch.randn(n_out, n_in, generator=generator) / math.sqrt(n_in)
        k = prune.n_to_prune(amount, w.numel())
        w.view(-1)[torch.randperm(w.numel(), generator=generator)[:k]] = 0.0
        layers.append((w, torch.randn(n_out, generator=generator) * 0.01))
    return layers


def latency_sweep(layers_at: Callable[[float], Sequence[Layer]],
                  amounts: Sequence[float] = AMOUNTS, batch_sizes: Sequence[int] = BATCH_SIZES,
                  device="cpu", min_time: float = 0.2, rounds: int = ROUNDS, seed: int = 0) -> dict:
    """:func:`latency` of the networks ``layers_at(a)`` for every amount ``a`` removed.

    Each round sweeps over every (amount, batch size) in turn, so that a busy stretch of the
    machine spoils one round of a few cases, not all the timing of one.  Returns ``amounts``,
    ``measured_sparsity``, ``batches`` (``{str(batch): {key of latency: [per amount]}}``) and
    per batch size ``sparse_pays_from`` (:func:`pays_from`) and ``dense_spread``, the largest
    over the smallest dense time: well above 1, the machine was busy with something else."""
    networks = [layers_at(s) for s in amounts]
    measured = [sum(int((w == 0).sum()) for w, _ in layers) / sum(w.numel() for w, _ in layers)
                for layers in networks]
    keys = ("dense_s", "sparse_s", "speedup", "dense_median_s", "sparse_median_s", "max_abs_diff")
    rows = _measure(networks, batch_sizes, devices.resolve(device), min_time, seed, rounds)
    batches = {str(b): {key: [row[key] for row in rows if row["batch_size"] == b] for key in keys}
               for b in batch_sizes}
    return {"amounts": list(amounts), "measured_sparsity": measured, "batches": batches,
            "sparse_pays_from": {b: pays_from(amounts, v["speedup"]) for b, v in batches.items()},
            "dense_spread": {b: max(v["dense_s"]) / min(v["dense_s"]) for b, v in batches.items()}}


def pays_from(amounts: Sequence[float], speedups: Sequence[float]) -> float | None:
    """The smallest amount of the sweep from which every speedup (dense / sparse) exceeds 1;
    ``None`` when sparse is not faster at the largest amount."""
    if len(amounts) != len(speedups) or not amounts:
        raise ValueError("amounts and speedups must be non-empty and of equal length")
    start = None
    for amount, speedup in reversed(sorted(zip(amounts, speedups), key=lambda pair: pair[0])):
        if speedup <= 1.0:
            break
        start = amount
    return start


def config_for(preset: Preset | str = "paper") -> dict:
    """The configuration of :func:`run` (what its hash covers) for a
    :class:`~bnntut.presets.Preset` or its name; the latency's ``min_time`` (seconds of
    repeated calls behind each number) is the preset's ``compression["min_time"]``."""
    spec = resolve(preset)
    return {"preset": spec.name, "datasets": list(spec.datasets), "methods": list(spec.methods),
            "criteria": {m: get_method(m).criterion for m in spec.methods}, "include_bias": True,
            "amounts": list(AMOUNTS), "value_bytes": VALUE_BYTES, "index_bytes": INDEX_BYTES,
            "latency": {**LATENCY_MODEL, "criterion": get_method(LATENCY_MODEL["method"]).criterion,
                        "amounts": list(AMOUNTS), "batch_sizes": list(BATCH_SIZES),
                        "min_time": spec.compression["min_time"], "seed": 0,
                        "statistic": "fastest of alternating blocks (medians stored too)",
                        "rounds": ROUNDS, "dense": "torch.nn.functional.linear",
                        "sparse": "torch.addmm(bias, W.to_sparse_csr() [int32 indices], h)"}}


def result_path(preset: Preset | str = "paper", device="cpu",
                results: str | os.PathLike | None = None):
    """``<results>/<preset>/compression-<device type>.json``."""
    device = devices.resolve(device)
    return (experiment.results_dir(results) / resolve(preset).name
            / f"compression-{device.type}.json")


def _inputs(config: dict, spec: Preset, results) -> dict:
    """:meth:`bnntut.experiment.Run.model_inputs` of every model measured, keyed
    ``"<dataset>/<method>/<name>"``."""
    return {f"{d}/{m}/{name}": value
            for d in config["datasets"] for m in config["methods"]
            for name, value in experiment.Run.of(d, m, spec, results=results)
            .model_inputs().items()}


def compute(preset: Preset | str = "paper", device="cpu", results: str | os.PathLike | None = None,
            progress: bool = True) -> dict:
    """Count bytes of every pruned model and time the pruned MNIST BBB model; write the result
    without looking for a stored one."""
    return run(preset, device, results, remeasure=True, progress=progress)


def _measure_all(preset: Preset, device, results, progress: bool) -> dict:
    """The body of a result (:func:`run`): trains the models first if missing."""
    start = time.perf_counter()
    config = config_for(preset)
    device = devices.resolve(device)
    meta = metadata.collect(device)
    sizes = {dataset: {} for dataset in config["datasets"]}
    for dataset in config["datasets"]:
        for method in config["methods"]:
            model = experiment.trained_model(dataset, method, preset, device="cpu", results=results)
            prune_fn = prune.get_criterion(config["criteria"][method])
            run_ = experiment.Run.of(dataset, method, preset, results=results)
            sizes[dataset][method] = {
                "weights_file_bytes": run_.path(".weights.pt").stat().st_size,
                "by_amount": [model_bytes(prune_fn(model, f, config["include_bias"]))
                              for f in config["amounts"]]}
            if progress:
                print(f"bytes: {dataset}/{method} done", flush=True)
    lat = config["latency"]
    model = experiment.trained_model(lat["dataset"], lat["method"], preset, device="cpu",
                                     results=results)
    prune_fn = prune.get_criterion(lat["criterion"])
    timing = latency_sweep(lambda s: inference_layers(prune_fn(model, s, config["include_bias"])),
                           lat["amounts"], lat["batch_sizes"], device, lat["min_time"],
                           lat["rounds"], lat["seed"])
    meta.update(threads=torch.get_num_threads(), seconds=time.perf_counter() - start,
                finished=metadata.now())
    first = sizes[config["datasets"][0]][config["methods"][0]]["by_amount"][0]
    return {"config": config, "bytes": sizes,
            "break_even_sparsity": csr_break_even_sparsity(
                [tuple(layer["shape"]) for layer in first["layers"]]),
            "latency": timing, "metadata": meta}


def load(preset: Preset | str = "paper", device="cpu",
         results: str | os.PathLike | None = None) -> dict | None:
    """The stored result if current (:func:`bnntut.store.load`: configuration hash and every
    measured model's weights unchanged), else ``None``; a stale one with a warning."""
    spec = resolve(preset)
    config = config_for(spec)
    return store.load(result_path(spec, device, results), store.config_hash(config),
                      _inputs(config, spec, results))


def run(preset: Preset | str = "paper", device="cpu",
        results: str | os.PathLike | None = None,
        remeasure: bool = False, progress: bool = True) -> dict:
    """Bytes and latency of a preset's pruned models: loaded when current, else measured.

    ``device`` is where latency is measured, and names the file (``compression-cpu.json``);
    ``remeasure`` measures again even when a current result exists.  Returns ``config``,
    ``config_hash``, ``inputs`` (every trained model used), ``bytes`` (per dataset and method
    ``weights_file_bytes`` and ``by_amount``: :func:`model_bytes` per amount),
    ``break_even_sparsity``, ``latency`` (:func:`latency_sweep`) and ``metadata``; through
    :func:`bnntut.store.cached`."""
    spec = resolve(preset)
    config = config_for(spec)
    return store.cached(result_path(spec, device, results), store.config_hash(config),
                        lambda: _inputs(config, spec, results),
                        lambda: _measure_all(spec, device, results, progress),
                        recompute=remeasure)
