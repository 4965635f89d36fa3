"""The book's view of the compression results (:mod:`bnntut.compression`): highlights for
the prose, tables and the figures of the chapter *Compression*."""

from __future__ import annotations

from collections.abc import Sequence

from bnntut.methods import get as get_method
from bnntut.presets import METHOD_LABELS

from . import plots
from .plots import figure, legend_below, plain_log_ticks
from .report import frame, number, percent
from .style import DATASET_LABELS, METHOD_COLORS, METHOD_MARKERS, REFERENCE_COLOR


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
    amounts = result["config"]["amounts"]
    entries = result["bytes"][dataset]
    meta = result["metadata"]
    out: dict = {"break_even": result["break_even_sparsity"], "machine": meta["device_name"],
                 "threads": meta.get("threads"), "torch": meta["torch_version"]}
    out["dense_mb"] = entries[next(iter(entries))]["by_amount"][0]["dense_bytes"] / 1e6
    for method, entry in entries.items():
        for f, row in zip(amounts, entry["by_amount"]):
            pct = round(f * 100)
            out[f"{method}_csr_mb_{pct}"] = row["csr_bytes"] / 1e6
            out[f"{method}_ratio_{pct}"] = row["dense_bytes"] / row["csr_bytes"]
            if "training_bytes" in row:
                out[f"{method}_training_over_csr_{pct}"] = row["training_bytes"] / row["csr_bytes"]
        if "training_bytes" in entry["by_amount"][0]:
            out[f"{method}_training_mb"] = entry["by_amount"][0]["training_bytes"] / 1e6
            out[f"{method}_weights_file_mb"] = entry["weights_file_bytes"] / 1e6
    lat = result["latency"]
    for batch, values in lat["batches"].items():
        for s, v in zip(lat["amounts"], values["speedup"]):
            out[f"speedup_{batch}_{round(s * 100)}"] = v
        out[f"max_speedup_{batch}"] = max(values["speedup"])
        out[f"dense_spread_{batch}"] = lat["dense_spread"][batch]
        start = lat["sparse_pays_from"][batch]
        out[f"pays_from_{batch}"] = (f"from {percent(start)} removed" if start is not None
                                     else "at no measured sparsity (up to "
                                          f"{percent(max(lat['amounts']))})")
    return out


# --------------------------------------------------------------------------- tables, figures


def bytes_table(result: dict, dataset: str = "mnist",
                amounts: Sequence[float] = (0.0, 0.5, 0.9, 0.98)):
    """Megabytes of every model's weights, dense and in CSR at ``amounts`` removed.

    Returns
    -------
    pandas.DataFrame
        Index ``(Model, "")``: per method the rows ``MB`` and ``× smaller`` (dense bytes over
        CSR bytes), BBB as ``Bayes by Backprop, μ only``, plus the row
        ``Bayes by Backprop, μ and ρ (training)`` (megabytes only); columns
        ``("dense float32", "")`` and ``("CSR", "0 %")``, ``("CSR", "50 %")``, …; cells as
        text (``"0.523"``, ``"4.9×"``, ``"—"`` where a cell does not apply).
    """
    fr = result["config"]["amounts"]
    dense_column = ("dense float32", "")
    columns = [dense_column, *(("CSR", percent(f)) for f in amounts)]
    rows: dict = {}
    for method in result["config"]["methods"]:          # stored dicts are sorted by name
        entry = result["bytes"][dataset][method]
        per_amount = [entry["by_amount"][fr.index(f)] for f in amounts]
        dense = per_amount[0]["dense_bytes"]
        name = METHOD_LABELS.get(method, method) + (", μ only" if get_method(method).bayesian
                                                     else "")
        rows[name, "MB"] = {dense_column: number(dense / 1e6, 3), **{
            ("CSR", percent(f)): number(r["csr_bytes"] / 1e6, 3)
            for f, r in zip(amounts, per_amount)}}
        rows[name, "× smaller"] = {dense_column: "", **{
            ("CSR", percent(f)): number(dense / r["csr_bytes"], 1, unit="×")
            for f, r in zip(amounts, per_amount)}}
        if "training_bytes" in per_amount[0]:
            rows[f"{METHOD_LABELS.get(method, method)}, μ and ρ (training)", "MB"] = {
                dense_column: number(per_amount[0]["training_bytes"] / 1e6, 3),
                **{("CSR", percent(f)): "—" for f in amounts}}
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
    lat = result["latency"]
    batches = [str(b) for b in result["config"]["latency"]["batch_sizes"]]
    rows = {}
    for i, s in enumerate(lat["amounts"]):
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

    own = ax is None
    if own:
        _, axes = plots.figure(1, 1, height=3.6)
        ax = axes[0, 0]
    amounts = result["config"]["amounts"]
    methods = result["config"]["methods"]
    entries = result["bytes"][dataset]
    dense = entries[next(iter(entries))]["by_amount"][0]["dense_bytes"]
    positions = np.arange(len(amounts), dtype=float)
    ax.axhline(dense / 1e6, color=REFERENCE_COLOR, lw=1.5, label="dense float32 (any sparsity)")
    for k, method in enumerate(methods):
        rows = entries[method]["by_amount"]
        offset = (k - (len(methods) - 1) / 2) * 0.13
        ax.plot(positions + offset, [r["csr_bytes"] / 1e6 for r in rows], "-", lw=1,
                marker=METHOD_MARKERS.get(method, "o"), ms=5, color=METHOD_COLORS.get(method),
                label=f"CSR: {METHOD_LABELS.get(method, method)}")
        if "training_bytes" in rows[0]:
            ax.axhline(rows[0]["training_bytes"] / 1e6, color=METHOD_COLORS.get(method), ls="--",
                       lw=1.5, label="BBB during training: μ and ρ")
    ax.axvline(np.interp(result["break_even_sparsity"], amounts, positions),
               color=REFERENCE_COLOR, ls=":", lw=1.2,
               label=f"CSR breaks even at {result['break_even_sparsity']:.2%} removed")
    ax.set_xticks(positions, [f"{f:.0%}" for f in amounts])
    ax.set(yscale="log", xlabel="fraction of parameters removed", ylabel="megabytes",
           title=f"{DATASET_LABELS.get(dataset, dataset)} models: bytes of the weights")
    plain_log_ticks(ax)
    if legend and own:
        plots.legend_below(ax.figure, ncol=2)
    elif legend:
        ax.legend(loc="lower left")
    return ax


def latency_figure(result: dict, ax=None, legend: bool = True):
    """Speedup of the CSR forward over the dense one against sparsity, per batch size, in the
    colour of the model measured (:data:`bnntut.compression.LATENCY_MODEL`)."""
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
        ax.plot(lat["amounts"], v["speedup"], ls, marker=marker, ms=5, lw=2, color=color,
                mfc="white" if ls != "-" else color, label=f"batch {batch}")
    ax.axhline(1.0, color=REFERENCE_COLOR, ls=":", lw=1.2, label="as fast as dense")
    ax.set(yscale="log", xlabel="fraction of parameters removed",
           ylabel="speedup: dense / CSR time",
           title=f"forward pass on {result['metadata']['device_name']}")
    plain_log_ticks(ax, "×")
    if legend and own:
        legend_below(ax.figure, ncol=3)
    elif legend:
        ax.legend()
    return ax
