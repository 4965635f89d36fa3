"""Real compression: bytes of a pruned network in a sparse format, and sparse inference latency.

Zeros in a dense tensor save nothing: a pruned 784-500-500-10 network stored as float32
matrices takes exactly as many bytes, and as many multiply-adds, as the unpruned one.  This
module counts what a sparse format really takes and measures what sparse kernels really gain.

* **Bytes** (:func:`csr_bytes`, :func:`model_bytes`): every weight matrix in CSR — float32
  values and int32 column indices of the surviving entries plus ``rows + 1`` int32 row
  pointers — and the biases dense; against the dense float32 matrices.  For BBB also the two
  tensors per parameter (μ and ρ) that training needs, against the single μ tensor that
  posterior-mean inference needs after pruning.
* **Latency** (:func:`latency`, :func:`latency_sweep`): the whole network's forward pass,
  dense (``torch.nn.functional.linear``) against CSR (``Tensor.to_sparse_csr()`` and a
  sparse × dense ``torch.addmm``), at batch sizes 1 and 100, across sparsity; reported as the
  speedup dense time / sparse time (> 1: sparse pays).

:func:`run` computes both for a preset's trained models (latency on MNIST BBB, pruned by
SNR) and stores them in ``<results>/<preset>/compression-<device type>.json``, reused while
the configuration and the training results are current.  ``benchmarks/sparse_latency.py``
measures the same kernels on random sparse matrices of the same shapes.
"""

from __future__ import annotations

import math
import os
import statistics
import time
import warnings
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from . import devices, experiment, metadata, prune, storage, store
from .methods import get as get_method
from .models import N_INPUTS, is_bayesian
from .presets import METHOD_LABELS, get_preset

#: Pruned fractions of the byte counts and of the latency sweep.
SPARSITIES = (0.0, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99)

#: Batch sizes of the latency measurements.
BATCH_SIZES = (1, 100)

#: Bytes of a float32 value and of an int32 index.
VALUE_BYTES = 4
INDEX_BYTES = 4

#: Seconds of repeated calls behind each latency number, per preset (others: ``quick``'s).
MIN_TIME = {"paper": 1.0, "quick": 0.05}

#: The model whose pruned versions are timed by :func:`run`.
LATENCY_MODEL = {"dataset": "mnist", "method": "bbb"}

#: Layer widths of the study's network.
WIDTHS = (N_INPUTS, 500, 500, 10)


#: Kept as a name for callers; every store warning is :class:`bnntut.store.StaleResultWarning`.
StaleCompressionWarning = store.StaleResultWarning


# --------------------------------------------------------------------------- bytes


def dense_bytes(rows: int, cols: int) -> int:
    """Bytes of a dense float32 ``(rows, cols)`` matrix: 4 · rows · cols."""
    return VALUE_BYTES * rows * cols


def csr_bytes(rows: int, cols: int, nnz: int) -> int:
    """Bytes of a ``(rows, cols)`` matrix with ``nnz`` nonzeros in CSR.

    float32 values and int32 column indices of the nonzeros, and ``rows + 1`` int32 row
    pointers: 4 · nnz + 4 · nnz + 4 · (rows + 1).
    """
    for name, v in (("rows", rows), ("cols", cols), ("nnz", nnz)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
    if nnz > rows * cols:
        raise ValueError(f"nnz must be at most rows * cols = {rows * cols}, got {nnz}")
    return (VALUE_BYTES + INDEX_BYTES) * nnz + INDEX_BYTES * (rows + 1)


def csr_break_even_sparsity(shapes: Sequence[tuple[int, int]]) -> float:
    """The sparsity above which the CSR weights of a network take fewer bytes than dense ones.

    With N = Σ rows · cols weights and R = Σ (rows + 1) row pointers, CSR is smaller when
    8 · nnz + 4 · R < 4 · N, i.e. when the fraction of zeros exceeds 1 − (4N − 4R) / (8N).
    It depends only on the total count of nonzeros, not on how they spread over layers.
    """
    n = sum(r * c for r, c in shapes)
    pointers = sum(r + 1 for r, _ in shapes)
    nnz = (VALUE_BYTES * n - INDEX_BYTES * pointers) / (VALUE_BYTES + INDEX_BYTES)
    return 1.0 - nnz / n


def inference_layers(model) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``[(W, b), ...]`` that inference multiplies: the weights of an MLP in eval mode, the
    posterior means μ of a Bayesian MLP.  Shapes ``(out, in)`` and ``(out,)``."""
    if is_bayesian(model):
        return [(layer.weight_sampler.mu.detach(), layer.bias_sampler.mu.detach())
                for layer in model.layers]
    return [(lin.weight.detach(), lin.bias.detach()) for lin in model.linears]


def model_bytes(model) -> dict:
    """Bytes of a (pruned) network's inference tensors, dense and CSR.

    Returns
    -------
    dict
        ``layers``: per layer ``shape``, ``nnz``, ``dense_bytes``, ``csr_bytes`` (weights)
        and ``bias_bytes`` (dense in both formats); totals ``nnz``, ``n_weights``,
        ``dense_bytes`` and ``csr_bytes`` (weights + biases).  Bayesian nets also get
        ``training_bytes``: μ and ρ of every weight and bias, dense float32 (what training
        keeps; inference with the posterior mean needs μ only).
    """
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
        out["training_bytes"] = 2 * out["dense_bytes"]           # μ and ρ, same shapes
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


# --------------------------------------------------------------------------- forward passes


def dense_forward(layers: Sequence[tuple[torch.Tensor, torch.Tensor]],
                  x: torch.Tensor) -> torch.Tensor:
    """Logits ``(batch, classes)`` of the ReLU MLP with dense weights, via ``F.linear``."""
    h = x
    for k, (w, b) in enumerate(layers):
        h = F.linear(h, w, b)
        if k < len(layers) - 1:
            h = torch.relu(h)
    return h


def sparse_forward(layers: Sequence[tuple[torch.Tensor, torch.Tensor]],
                   x: torch.Tensor) -> torch.Tensor:
    """The same logits with CSR weights (:func:`to_csr`): sparse × dense products.

    Activations are kept transposed, ``(features, batch)``, so that every layer is one
    ``torch.addmm(b, W_csr, h)``; ``x`` is ``(batch, in)``, the result ``(batch, classes)``.
    """
    h = x.t().contiguous()
    for k, (w, b) in enumerate(layers):
        h = torch.addmm(b.unsqueeze(1), w, h)
        if k < len(layers) - 1:
            h = torch.relu(h)
    return h.t()


#: Rounds of a latency sweep (:func:`latency_sweep`).
ROUNDS = 5


def _blocks(fn: Callable[[], object], number: int, repeats: int, device: torch.device
            ) -> list[float]:
    """Seconds per call in each of ``repeats`` blocks of ``number`` calls."""
    out = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        for _ in range(number):
            fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        out.append((time.perf_counter() - start) / number)
    return out


def _calls_per_block(fn: Callable[[], object], block_time: float, device: torch.device) -> int:
    """After a warm-up call: the calls per block, doubled until a block lasts ``block_time``."""
    _blocks(fn, 1, 1, device)
    number = 1
    while _blocks(fn, number, 1, device)[0] * number < block_time and number < 2**20:
        number *= 2
    return number


@torch.inference_mode()
def _measure(networks: Sequence[Sequence[tuple[torch.Tensor, torch.Tensor]]],
             batch_sizes: Sequence[int], device: torch.device, min_time: float, seed: int,
             rounds: int) -> list[list[dict]]:
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
            fns = (lambda d=dense, x=x: dense_forward(d, x),
                   lambda s=sparse, x=x: sparse_forward(s, x))
            diff = (fns[0]() - fns[1]()).abs().max().item()
            cases.append({"fns": fns, "batch": batch, "diff": diff, "times": ([], [])})
    share = min_time / rounds           # seconds per function, case and round
    for case in cases:
        case["numbers"] = [_calls_per_block(fn, share / 5, device) for fn in case["fns"]]
    for _ in range(rounds):             # a busy stretch of time hits one round of a case
        for case in cases:
            totals, blocks = [0.0, 0.0], 0
            while min(totals) < share or blocks < 3:
                blocks += 1
                for k, (fn, number) in enumerate(zip(case["fns"], case["numbers"])):
                    t = _blocks(fn, number, 1, device)[0]   # dense and sparse alternate
                    case["times"][k].append(t)
                    totals[k] += t * number
    out = []
    for i in range(len(networks)):
        rows = []
        for case in cases[i * len(inputs):(i + 1) * len(inputs)]:
            dense_t, sparse_t = case["times"]
            rows.append({"batch_size": case["batch"], "dense_s": min(dense_t),
                         "sparse_s": min(sparse_t), "speedup": min(dense_t) / min(sparse_t),
                         "dense_median_s": statistics.median(dense_t),
                         "sparse_median_s": statistics.median(sparse_t),
                         "max_abs_diff": case["diff"]})
        out.append(rows)
    return out


def latency(layers: Sequence[tuple[torch.Tensor, torch.Tensor]],
            batch_sizes: Sequence[int] = BATCH_SIZES, device="cpu", min_time: float = 0.2,
            seed: int = 0, rounds: int = 1) -> list[dict]:
    """Dense against CSR forward time of one network.

    Blocks of calls are timed with ``perf_counter`` (on CUDA each block ends with
    ``torch.cuda.synchronize``), dense and sparse blocks alternating, for ``min_time``
    seconds per function, spread over ``rounds`` rounds.

    Parameters
    ----------
    layers : sequence of (torch.Tensor, torch.Tensor)
        ``[(W, b), ...]`` with shapes ``(out, in)``, ``(out,)`` (zeros = pruned entries).
    batch_sizes : sequence of int
        Rows of the random inputs ``(batch, in)``, uniform in [0, 1) like pixels.
    device : {"cpu", "cuda", "auto"}
    min_time : float
        Seconds of timing per function and batch size.
    seed : int
        Seed of the inputs.
    rounds : int
        Rounds the timing is split into.

    Returns
    -------
    list of dict
        Per batch size: ``batch_size``, ``dense_s``, ``sparse_s`` (seconds per forward in the
        fastest block — the convention of :mod:`timeit`, since other processes can only add
        time), ``speedup`` (their ratio dense / sparse), ``dense_median_s``,
        ``sparse_median_s`` (medians over blocks) and ``max_abs_diff`` between the outputs.
    """
    return _measure([layers], batch_sizes, devices.resolve(device), min_time, seed, rounds)[0]


def random_layers(sparsity: float, widths: Sequence[int] = WIDTHS,
                  seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Random ``[(W, b), ...]`` of the given widths, each ``W`` with exactly
    ``round(sparsity · size)`` zeros at random places (for benchmarks without a model)."""
    prune.check_amount(sparsity)
    generator = torch.Generator().manual_seed(seed)
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        w = torch.randn(n_out, n_in, generator=generator) / math.sqrt(n_in)
        k = prune.n_to_prune(sparsity, w.numel())
        w.view(-1)[torch.randperm(w.numel(), generator=generator)[:k]] = 0.0
        layers.append((w, torch.randn(n_out, generator=generator) * 0.01))
    return layers


def latency_sweep(layers_at: Callable[[float], Sequence[tuple[torch.Tensor, torch.Tensor]]],
                  sparsities: Sequence[float] = SPARSITIES,
                  batch_sizes: Sequence[int] = BATCH_SIZES, device="cpu",
                  min_time: float = 0.2, rounds: int = ROUNDS, seed: int = 0) -> dict:
    """:func:`latency` of the networks ``layers_at(s)`` for every sparsity ``s``.

    The timing of every (sparsity, batch size) is split into ``rounds`` rounds that sweep
    over all of them in turn, so that a stretch of time in which the machine is busy with
    something else spoils one round of a few cases, not all the timing of one.

    Returns
    -------
    dict
        ``sparsities``, ``measured_sparsity`` (zeros among the weight matrices),
        ``batches``: ``{str(batch): {key: [one value per sparsity]}}`` with the keys of
        :func:`latency`, ``sparse_pays_from``: per batch size the sparsity from which sparse
        is faster at every larger one of the sweep (:func:`pays_from`; ``None`` when it never
        is), and ``dense_spread``: per batch size the largest over the smallest dense time.
        A dense product does not depend on how many of its entries are zero, so a spread
        well above 1 means the machine was busy with something else during the sweep.
    """
    networks = [layers_at(s) for s in sparsities]
    measured = [sum(int((w == 0).sum()) for w, _ in layers) / sum(w.numel() for w, _ in layers)
                for layers in networks]
    keys = ("dense_s", "sparse_s", "speedup", "dense_median_s", "sparse_median_s",
            "max_abs_diff")
    batches = {str(b): {key: [] for key in keys} for b in batch_sizes}
    for rows in _measure(networks, batch_sizes, devices.resolve(device), min_time, seed, rounds):
        for row in rows:
            for key in keys:
                batches[str(row["batch_size"])][key].append(row[key])
    return {"sparsities": list(sparsities), "measured_sparsity": measured, "batches": batches,
            "sparse_pays_from": {b: pays_from(sparsities, v["speedup"])
                                 for b, v in batches.items()},
            "dense_spread": {b: max(v["dense_s"]) / min(v["dense_s"])
                             for b, v in batches.items()}}


def pays_from(sparsities: Sequence[float], speedups: Sequence[float]) -> float | None:
    """The smallest sparsity of the sweep from which every speedup (dense / sparse) exceeds 1.

    ``None`` when sparse is not faster at the largest sparsity.
    """
    if len(sparsities) != len(speedups) or not sparsities:
        raise ValueError("sparsities and speedups must be non-empty and of equal length")
    order = sorted(range(len(sparsities)), key=lambda i: sparsities[i])
    start = None
    for i in reversed(order):
        if speedups[i] <= 1.0:
            break
        start = sparsities[i]
    return start


# --------------------------------------------------------------------------- run / load


def config_for(preset: str = "paper") -> dict:
    """The configuration of :func:`run` (what its hash covers)."""
    spec = get_preset(preset)
    return {
        "preset": preset, "datasets": spec["datasets"], "methods": list(spec["methods"]),
        "criteria": {m: get_method(m).criterion for m in spec["methods"]},
        "include_bias": True,
        "fractions": list(SPARSITIES), "value_bytes": VALUE_BYTES, "index_bytes": INDEX_BYTES,
        "latency": {**LATENCY_MODEL, "criterion": get_method(LATENCY_MODEL["method"]).criterion,
                    "sparsities": list(SPARSITIES), "batch_sizes": list(BATCH_SIZES),
                    "min_time": MIN_TIME.get(preset, MIN_TIME["quick"]), "seed": 0,
                    "statistic": "fastest of alternating blocks (medians stored too)",
                    "rounds": ROUNDS,
                    "dense": "torch.nn.functional.linear",
                    "sparse": "torch.addmm(bias, W.to_sparse_csr() [int32 indices], h)"},
    }


def result_path(preset: str = "paper", device="cpu",
                results: str | os.PathLike | None = None):
    """``<results>/<preset>/compression-<device type>.json``."""
    device = devices.resolve(device)
    return experiment.results_dir(results) / preset / f"compression-{device.type}.json"


def _inputs(config: dict, results) -> dict:
    """``{"<dataset>/<method>/training": hash, "<dataset>/<method>/weights_sha256": sha}`` of
    every model measured (:func:`bnntut.experiment.model_inputs`)."""
    return {f"{d}/{m}/{name}": value
            for d in config["datasets"] for m in config["methods"]
            for name, value in experiment.model_inputs(
                experiment.method_config(config["preset"], d, m), results).items()}


def compute(preset: str = "paper", device="cpu", results: str | os.PathLike | None = None,
            progress: bool = True) -> dict:
    """Count bytes of every pruned model and time the pruned MNIST BBB model; write the result."""
    start = time.perf_counter()
    config = config_for(preset)
    device = devices.resolve(device)
    meta = metadata.collect(device)
    sizes: dict = {}
    for dataset in config["datasets"]:
        sizes[dataset] = {}
        for method in config["methods"]:
            model = experiment.trained_model(dataset, method, preset, device="cpu",
                                             results=results)
            prune_fn = prune.get_criterion(config["criteria"][method])
            weights_file = experiment.result_path(
                experiment.results_dir(results),
                experiment.method_config(preset, dataset, method), ".weights.pt")
            sizes[dataset][method] = {
                "weights_file_bytes": weights_file.stat().st_size,
                "by_fraction": [model_bytes(prune_fn(model, f, config["include_bias"]))
                                for f in config["fractions"]]}
            if progress:
                print(f"bytes: {dataset}/{method} done", flush=True)
    lat = config["latency"]
    model = experiment.trained_model(lat["dataset"], lat["method"], preset, device="cpu",
                                     results=results)
    prune_fn = prune.get_criterion(lat["criterion"])
    timing = latency_sweep(lambda s: inference_layers(prune_fn(model, s, config["include_bias"])),
                           lat["sparsities"], lat["batch_sizes"], device, lat["min_time"],
                           lat["rounds"], lat["seed"])
    meta["threads"] = torch.get_num_threads()
    meta["seconds"] = time.perf_counter() - start
    meta["finished"] = metadata.now()
    result = {"config": config, "config_hash": storage.config_hash(config),
              "inputs": _inputs(config, results), "bytes": sizes,
              "break_even_sparsity": csr_break_even_sparsity(
                  [tuple(layer["shape"]) for layer in
                   sizes[config["datasets"][0]][config["methods"][0]]["by_fraction"][0]["layers"]]),
              "latency": timing, "metadata": meta}
    storage.write_json(result_path(preset, device, results), result)
    return result


def load(preset: str = "paper", device="cpu",
         results: str | os.PathLike | None = None) -> dict | None:
    """The stored result if present and current (:func:`bnntut.store.load`: configuration
    hash and every measured model's weights unchanged), else ``None``; a stale one with a
    warning."""
    config = config_for(preset)
    return store.load(result_path(preset, device, results), storage.config_hash(config),
                      _inputs(config, results))


def run(preset: str = "paper", device="cpu", results: str | os.PathLike | None = None,
        remeasure: bool = False, progress: bool = True) -> dict:
    """Bytes and latency of a preset's pruned models: loaded when current, else measured.

    Parameters
    ----------
    preset : {"paper", "quick"}
    device : {"cpu", "cuda", "auto"}
        Where latency is measured; also names the file (``compression-cpu.json``).
    results : path-like, optional
        Results folder.
    remeasure : bool
        Measure again even when a current result exists.
    progress : bool
        Print progress.

    Returns
    -------
    dict
        ``config``, ``config_hash``, ``training`` (identity of every training result used),
        ``bytes`` (``{dataset: {method: {"weights_file_bytes", "by_fraction": [model_bytes
        per fraction]}}}``), ``break_even_sparsity``, ``latency`` (:func:`latency_sweep`) and
        ``metadata`` (machine, threads, wall ``seconds``).
    """
    get_preset(preset)
    if not remeasure:
        stored = load(preset, device, results)
        if stored is not None:
            return stored
    return compute(preset, device, results, progress)


def _percent(fraction: float) -> str:
    return f"{fraction:.0%}".replace("%", " %")


def highlights(result: dict, dataset: str = "mnist") -> dict:
    """Named numbers and phrases of a stored result, for a chapter's prose (to glue).

    ``break_even`` (sparsity where CSR bytes equal dense), ``machine``, ``threads``,
    ``torch``; for ``dataset``: ``dense_mb``, ``{method}_csr_mb_{pct}`` and
    ``{method}_ratio_{pct}`` (dense / CSR bytes), BBB's ``bbb_training_mb`` (μ and ρ),
    ``bbb_training_over_csr_{pct}`` and ``bbb_weights_file_mb``; latency:
    ``speedup_{batch}_{pct}`` (dense / CSR time), ``max_speedup_{batch}``,
    ``dense_spread_{batch}`` and ``pays_from_{batch}`` (str: "from 95 % removed", or "at
    no measured sparsity (up to 99 %)").
    """
    fractions = result["config"]["fractions"]
    entries = result["bytes"][dataset]
    meta = result["metadata"]
    out: dict = {"break_even": result["break_even_sparsity"], "machine": meta["device_name"],
                 "threads": meta.get("threads"), "torch": meta["torch_version"]}
    out["dense_mb"] = entries[next(iter(entries))]["by_fraction"][0]["dense_bytes"] / 1e6
    for method, entry in entries.items():
        for f, row in zip(fractions, entry["by_fraction"]):
            pct = round(f * 100)
            out[f"{method}_csr_mb_{pct}"] = row["csr_bytes"] / 1e6
            out[f"{method}_ratio_{pct}"] = row["dense_bytes"] / row["csr_bytes"]
            if "training_bytes" in row:
                out[f"{method}_training_over_csr_{pct}"] = row["training_bytes"] / row["csr_bytes"]
        if "training_bytes" in entry["by_fraction"][0]:
            out[f"{method}_training_mb"] = entry["by_fraction"][0]["training_bytes"] / 1e6
            out[f"{method}_weights_file_mb"] = entry["weights_file_bytes"] / 1e6
    lat = result["latency"]
    for batch, values in lat["batches"].items():
        for s, v in zip(lat["sparsities"], values["speedup"]):
            out[f"speedup_{batch}_{round(s * 100)}"] = v
        out[f"max_speedup_{batch}"] = max(values["speedup"])
        out[f"dense_spread_{batch}"] = lat["dense_spread"][batch]
        start = lat["sparse_pays_from"][batch]
        out[f"pays_from_{batch}"] = (f"from {_percent(start)} removed" if start is not None
                                     else "at no measured sparsity (up to "
                                          f"{_percent(max(lat['sparsities']))})")
    return out


# --------------------------------------------------------------------------- tables, figures


def bytes_table(result: dict, dataset: str = "mnist",
                fractions: Sequence[float] = (0.0, 0.5, 0.9, 0.98)):
    """Megabytes of every model's weights, dense and in CSR at ``fractions`` removed.

    Returns
    -------
    pandas.DataFrame
        Index ``(Model, "")``: per method the rows ``MB`` and ``× smaller`` (dense bytes over
        CSR bytes), BBB as ``Bayes by Backprop, μ only``, plus the row
        ``Bayes by Backprop, μ and ρ (training)`` (megabytes only); columns
        ``("dense float32", "")`` and ``("CSR", "0 %")``, ``("CSR", "50 %")``, …; cells as
        text (``"0.523"``, ``"4.9×"``, ``"—"`` where a cell does not apply).
    """
    from .report import frame, number, percent

    fr = result["config"]["fractions"]
    dense_column = ("dense float32", "")
    columns = [dense_column, *(("CSR", percent(f)) for f in fractions)]
    rows: dict = {}
    for method in result["config"]["methods"]:          # stored dicts are sorted by name
        entry = result["bytes"][dataset][method]
        by_fraction = [entry["by_fraction"][fr.index(f)] for f in fractions]
        dense = by_fraction[0]["dense_bytes"]
        name = METHOD_LABELS.get(method, method) + (", μ only" if get_method(method).bayesian
                                                     else "")
        rows[name, "MB"] = {dense_column: number(dense / 1e6, 3), **{
            ("CSR", percent(f)): number(r["csr_bytes"] / 1e6, 3)
            for f, r in zip(fractions, by_fraction)}}
        rows[name, "× smaller"] = {dense_column: "", **{
            ("CSR", percent(f)): number(dense / r["csr_bytes"], 1, unit="×")
            for f, r in zip(fractions, by_fraction)}}
        if "training_bytes" in by_fraction[0]:
            rows[f"{METHOD_LABELS.get(method, method)}, μ and ρ (training)", "MB"] = {
                dense_column: number(by_fraction[0]["training_bytes"] / 1e6, 3),
                **{("CSR", percent(f)): "—" for f in fractions}}
    out = frame(rows, ["Model", ""], columns)
    out.columns.names = ["", "removed"]
    return out


def latency_table(result: dict):
    """Milliseconds per forward pass, dense and CSR, and the speedup, per sparsity and batch.

    Returns
    -------
    pandas.DataFrame
        Index ``removed`` (``"0 %"``, …, the measured sparsities); columns a MultiIndex
        ``("batch 1", "dense ms")``, ``("batch 1", "CSR ms")``, ``("batch 1", "speedup")``,
        … per batch size; cells as text (``"0.412"``, ``"1.35×"``).
    """
    from .report import frame, number, percent

    lat = result["latency"]
    batches = [str(b) for b in result["config"]["latency"]["batch_sizes"]]
    rows = {}
    for i, s in enumerate(lat["sparsities"]):
        rows[percent(s)] = {}
        for b in batches:
            v = lat["batches"][b]
            rows[percent(s)].update({(f"batch {b}", "dense ms"): number(v["dense_s"][i] * 1e3, 3),
                                     (f"batch {b}", "CSR ms"): number(v["sparse_s"][i] * 1e3, 3),
                                     (f"batch {b}", "speedup"): number(v["speedup"][i], 2,
                                                                       unit="×")})
    return frame(rows, "removed")


def bytes_figure(result: dict, dataset: str = "mnist", ax=None, legend: bool = True):
    """Bytes against the pruned fraction (log scale): dense, CSR per method, BBB's μ + ρ.

    The CSR sizes of the five models differ by a few percent at most (the format counts only
    how many weights survive), so each method's points are set side by side around its
    fraction, with its own marker, on a categorical axis of the measured fractions.
    """
    import numpy as np

    from . import plots
    from .plots import DATASET_LABELS, METHOD_COLORS, METHOD_MARKERS, REFERENCE_COLOR

    own = ax is None
    if own:
        _, axes = plots.figure(1, 1, height=3.6)
        ax = axes[0, 0]
    fractions = result["config"]["fractions"]
    methods = result["config"]["methods"]
    entries = result["bytes"][dataset]
    dense = entries[next(iter(entries))]["by_fraction"][0]["dense_bytes"]
    positions = np.arange(len(fractions), dtype=float)
    ax.axhline(dense / 1e6, color=REFERENCE_COLOR, lw=1.5, label="dense float32 (any sparsity)")
    for k, method in enumerate(methods):
        rows = entries[method]["by_fraction"]
        offset = (k - (len(methods) - 1) / 2) * 0.13
        ax.plot(positions + offset, [r["csr_bytes"] / 1e6 for r in rows], "-", lw=1,
                marker=METHOD_MARKERS.get(method, "o"), ms=5, color=METHOD_COLORS.get(method),
                label=f"CSR: {METHOD_LABELS.get(method, method)}")
        if "training_bytes" in rows[0]:
            ax.axhline(rows[0]["training_bytes"] / 1e6, color=METHOD_COLORS.get(method), ls="--",
                       lw=1.5, label="BBB during training: μ and ρ")
    ax.axvline(np.interp(result["break_even_sparsity"], fractions, positions),
               color=REFERENCE_COLOR, ls=":", lw=1.2,
               label=f"CSR breaks even at {result['break_even_sparsity']:.2%} removed")
    ax.set_xticks(positions, [f"{f:.0%}" for f in fractions])
    ax.set(yscale="log", xlabel="fraction of parameters removed", ylabel="megabytes",
           title=f"{DATASET_LABELS.get(dataset, dataset)} models: bytes of the weights")
    _plain_log_ticks(ax)
    if legend and own:
        plots.legend_below(ax.figure, ncol=2)
    elif legend:
        ax.legend(loc="lower left")
    return ax


def latency_figure(result: dict, ax=None, legend: bool = True):
    """Speedup of the CSR forward over the dense one against sparsity, per batch size, in the
    colour of the model measured (:data:`LATENCY_MODEL`)."""
    from .plots import METHOD_COLORS, REFERENCE_COLOR, figure, legend_below

    own = ax is None
    if own:
        _, axes = figure(1, 1, height=3.4)
        ax = axes[0, 0]
    lat = result["latency"]
    config = result["config"]["latency"]
    color = METHOD_COLORS.get(config.get("method", "bbb"))
    batches = [str(b) for b in config["batch_sizes"]]
    for batch, (ls, marker) in zip(batches, (("-", "o"), ("--", "s"), ("-.", "^"))):
        v = lat["batches"][batch]
        ax.plot(lat["sparsities"], v["speedup"], ls, marker=marker, ms=5, lw=2, color=color,
                mfc="white" if ls != "-" else color, label=f"batch {batch}")
    ax.axhline(1.0, color=REFERENCE_COLOR, ls=":", lw=1.2, label="as fast as dense")
    ax.set(yscale="log", xlabel="fraction of parameters removed",
           ylabel="speedup: dense / CSR time",
           title=f"forward pass on {result['metadata']['device_name']}")
    _plain_log_ticks(ax, "×")
    if legend and own:
        legend_below(ax.figure, ncol=3)
    elif legend:
        ax.legend()
    return ax


def _plain_log_ticks(ax, unit: str = "") -> None:
    """Label a log y-axis 0.2, 0.5, 1, 2, … instead of 2 × 10⁻¹, … (see
    :func:`bnntut.plots.plain_log_ticks`)."""
    from .plots import plain_log_ticks

    plain_log_ticks(ax, unit)
