"""The book's view of the uncertainty results (:mod:`bnntut.uncertainty`): labels, tables,
highlights for the prose, and the figures of the chapter *What the Bayesian network buys*."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bnntut.methods import get as get_method
from bnntut.models import N_CLASSES
from bnntut.uncertainty import MODES, confidence_gap, record_at, series

from .plots import PAGE_WIDTH, legend_below
from .report import frame, highlight, number, percent
from .style import DATASET_LABELS, DIAGNOSTIC_COLORS, METHOD_COLORS, METHOD_MARKERS


def mc_samples(result: dict) -> int:
    """Monte Carlo forwards of a stored uncertainty result's "mc" mode (its preset's
    ``uncertainty["mc_samples"]``; 0 for a method without that mode)."""
    return result["config"]["modes"].get("mc", 0)


def mode_label(method: str, mode: str, samples: int) -> str:
    """``"posterior mean"``, ``"10-sample predictive"``, ``"eval mode"``, ``"MC dropout (10)"``
    (``samples``: the Monte Carlo forwards of the "mc" mode, :func:`mc_samples`)."""
    bayesian = get_method(method).bayesian
    if mode == "deterministic":
        return "posterior mean" if bayesian else "eval mode"
    return f"{samples}-sample predictive" if bayesian else f"MC dropout ({samples})"


def describe(method: str, mode: str, samples: int) -> str:
    """A phrase for prose, e.g. "Bayes by Backprop (10-sample predictive)" or
    "Dropout (p=0.5) with MC dropout" (``samples`` as for :func:`mode_label`)."""
    label = get_method(method).label
    if get_method(method).bayesian:
        return f"{label} ({mode_label(method, mode, samples)})"
    return f"{label} {'in eval mode' if mode == 'deterministic' else 'with MC dropout'}"


#: Column groups of :func:`table`: the key of each and its label.
TABLE_METRICS = {"ece": "ECE (lower is better)", "auroc": "AUROC (higher is better)"}


def table(results: dict[str, dict], amounts: Sequence[float] = (0.0, 0.5, 0.9, 0.98)):
    """ECE and AUROC of every model and prediction mode of one dataset at ``amounts``.

    Parameters
    ----------
    results : dict
        ``{method: result}`` of one dataset.
    amounts : sequence of float
        Pruned amounts, one column per metric each.

    Returns
    -------
    pandas.DataFrame
        Index ``(Model, prediction)`` (e.g. ``("Bayes by Backprop", "posterior mean")``);
        columns a MultiIndex ``(metric, removed)`` with the metric labels of
        :data:`TABLE_METRICS` and ``"0 %"``, ``"50 %"``, …; values floats rounded to three
        decimals.  :func:`styled_table` marks the best of each column.
    """
    rows = {}
    for m, r in results.items():
        for mode in r["modes"]:
            rows[get_method(m).label, mode_label(m, mode, mc_samples(r))] = {
                (label, percent(f)): round(record_at(r, f, mode)[key], 3)
                for key, label in TABLE_METRICS.items() for f in amounts}
    columns = [(label, percent(f)) for label in TABLE_METRICS.values() for f in amounts]
    out = frame(rows, ["Model", "prediction"], columns)
    out.columns.names = ["", "removed"]
    return out


def styled_table(table_frame):
    """:func:`table` for display: three decimals, the best of each column (lowest ECE,
    highest AUROC) in bold.

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    ece, auroc = TABLE_METRICS.values()
    return highlight(table_frame, lower=[c for c in table_frame.columns if c[0] == ece],
                     higher=[c for c in table_frame.columns if c[0] == auroc], digits=3)


def show_table(table_frame) -> None:
    """Display :func:`table` in a notebook: the HTML of :func:`styled_table`, and as plain text
    the table itself (not a Styler's ``<... at 0x…>`` repr) wherever HTML is not shown."""
    from IPython.display import display

    display({"text/html": styled_table(table_frame).to_html(),
             "text/plain": table_frame.to_string()}, raw=True)


#: Short dataset names used in :func:`highlights`.
DATASET_TAGS = {"mnist": "mnist", "fashion-mnist": "fmnist"}

#: Whether a larger value is better, per key.
HIGHER_IS_BETTER = {"ece": False, "nll": False, "auroc": True, "accuracy": True}


def best(results: dict[str, dict], key: str, amount: float) -> tuple[str, str, float]:
    """The ``(method, mode, value)`` with the best ``key`` at ``amount`` among ``results``
    (``{method: result}``): lowest ECE or NLL, highest AUROC or accuracy."""
    if key not in HIGHER_IS_BETTER:
        raise ValueError(f"unknown key {key!r}; allowed: {', '.join(HIGHER_IS_BETTER)}")
    candidates = [(m, mode, record_at(r, amount, mode)[key])
                  for m, r in results.items() for mode in r["modes"]]
    pick = max if HIGHER_IS_BETTER[key] else min
    return pick(candidates, key=lambda c: c[2])


def highlights(results: dict[str, dict[str, dict]],
               amounts: Sequence[float] = (0.0, 0.5, 0.9, 0.98)) -> dict:
    """Named numbers and phrases for a chapter's prose (to glue, never to type).

    For every dataset (tag ``mnist`` / ``fmnist``), amount (``pct`` = percent removed),
    method, mode and key in ``ece``, ``auroc``, ``accuracy``: ``{method}_{mode}_{key}_{tag}_{pct}``
    (float).  Per dataset, amount and key: ``best_{key}_{tag}_{pct}`` (str, from
    :func:`describe`), ``best_{key}_value_{tag}_{pct}`` (float) and the accuracy of that
    predictor, ``best_{key}_accuracy_{tag}_{pct}``.  Per dataset and key in
    ``ece``, ``auroc``: ``longest_{key}_{tag}`` (str: the model(s) that keep the key within
    :data:`TOLERANCE` of its unpruned value up to the largest amount,
    :func:`kept_up_to`) and ``longest_{key}_value_{tag}`` (that amount);
    ``bbb_mc_gap_{key}_{tag}`` (:func:`mc_gap` of BBB); ``tolerance``; and the sentences
    ``below_chance`` (:func:`below_chance_sentence`) and ``mc_dropout_effect``
    (:func:`mc_dropout_sentence`).
    """
    out: dict = {}
    for dataset, by_method in results.items():
        tag = DATASET_TAGS.get(dataset, dataset)
        for f in amounts:
            pct = round(f * 100)
            for method, result in by_method.items():
                for mode in result["modes"]:
                    record = record_at(result, f, mode)
                    for key in ("ece", "auroc", "accuracy"):
                        out[f"{method}_{mode}_{key}_{tag}_{pct}"] = record[key]
            for key in ("ece", "auroc", "accuracy"):
                method, mode, value = best(by_method, key, f)
                out[f"best_{key}_{tag}_{pct}"] = describe(
                    method, mode, mc_samples(by_method[method]))
                out[f"best_{key}_value_{tag}_{pct}"] = value
                out[f"best_{key}_accuracy_{tag}_{pct}"] = record_at(
                    by_method[method], f, mode)["accuracy"]
        if "bbb" in by_method and "mc" in by_method["bbb"]["modes"]:
            for key in ("ece", "auroc"):
                out[f"bbb_mc_gap_{key}_{tag}"] = mc_gap(by_method["bbb"], key)
        for key in ("ece", "auroc"):
            kept = {(m, mode): kept_up_to(r, key, mode) for m, r in by_method.items()
                    for mode in r["modes"]}
            longest = max(kept.values())
            out[f"longest_{key}_{tag}"] = " and ".join(
                describe(m, mode, mc_samples(by_method[m]))
                for (m, mode), k in kept.items() if k == longest)
            out[f"longest_{key}_value_{tag}"] = longest
    out["tolerance"] = TOLERANCE
    out["below_chance"] = below_chance_sentence(results)
    out["mc_dropout_effect"] = mc_dropout_sentence(results)
    return out


#: How far ECE may rise, or AUROC fall, from the unpruned value and still count as kept.
TOLERANCE = 0.02


def kept_up_to(result: dict, key: str, mode: str = "deterministic",
               tolerance: float = TOLERANCE) -> float:
    """The largest amount up to which ``key`` stays within ``tolerance`` of its unpruned
    value at every grid amount (ECE / NLL may not rise, AUROC / accuracy not fall, by more).
    """
    values = series(result, key, mode)
    sign = 1 if HIGHER_IS_BETTER[key] else -1
    kept = result["modes"][mode][0]["amount"]
    for record, value in zip(result["modes"][mode], values):
        if sign * (values[0] - value) > tolerance:
            break
        kept = record["amount"]
    return kept


def robustness_table(results: dict[str, dict[str, dict]]):
    """How far each predictor can be pruned: per model and prediction mode, and per dataset,
    :func:`kept_up_to` for ECE and AUROC and :func:`below_chance_from`.

    Parameters
    ----------
    results : dict
        ``{dataset: {method: result}}``.

    Returns
    -------
    pandas.DataFrame
        Index ``(Model, prediction)``; columns a MultiIndex ``(trained on, "")`` with, per
        dataset label, ``ECE kept up to``, ``AUROC kept up to`` and ``AUROC < 0.5 from``;
        cells percentages as text (``"never"`` where the AUROC stays at or above 0.5).
    """
    rows: dict = {}
    for dataset, by_method in results.items():
        name = DATASET_LABELS.get(dataset, dataset)
        for method, result in by_method.items():
            for mode in result["modes"]:
                below = below_chance_from(result, mode)
                row = (get_method(method).label, mode_label(method, mode, mc_samples(result)))
                rows.setdefault(row, {}).update({
                    (name, "ECE kept up to"): percent(kept_up_to(result, "ece", mode)),
                    (name, "AUROC kept up to"): percent(kept_up_to(result, "auroc", mode)),
                    (name, "AUROC < 0.5 from"): "never" if below is None else percent(below)})
    out = frame(rows, ["Model", "prediction"])
    out.columns.names = ["trained on", ""]
    return out


def mc_gap(result: dict, key: str) -> float:
    """Largest |Monte Carlo − deterministic| of ``key`` over the grid of one result."""
    return max(abs(a - b) for a, b in zip(series(result, key, "mc"),
                                          series(result, key, "deterministic")))


def below_chance_from(result: dict, mode: str = "deterministic") -> float | None:
    """The first pruned fraction at which ``mode``'s OOD AUROC falls below 0.5 (the model is
    more certain on the foreign images than on its own test set), or ``None``."""
    return next((r["amount"] for r in result["modes"][mode] if r["auroc"] < 0.5), None)


def _spread(values: Sequence[float]) -> str:
    low, high = min(values), max(values)
    return f"{low:.3f}" if f"{low:.3f}" == f"{high:.3f}" else f"{low:.3f}–{high:.3f}"


def below_chance_sentence(results: dict[str, dict[str, dict]]) -> str:
    """How many predictors (model and mode) of each dataset fall below chance in OOD
    detection at some pruned fraction (:func:`below_chance_from`), and whether the Bayesian
    ones are among them: one sentence for the chapter's prose (to glue)."""
    counts, bayesian_below = [], []
    for dataset, by_method in results.items():
        name = DATASET_LABELS.get(dataset, dataset)
        pairs = [(m, mode) for m, r in by_method.items() for mode in r["modes"]]
        below = [(m, mode) for m, mode in pairs
                 if below_chance_from(by_method[m], mode) is not None]
        counts.append(f"{len(below)} of the {len(pairs)} {name} predictors")
        if any(get_method(m).bayesian for m, _ in below):
            bayesian_below.append(name)
    return ("Pruned far enough, " + " and ".join(counts) + " become more certain on the "
            "foreign images than on their own test set; "
            + ("BBB's predictors are not among them." if not bayesian_below else
               "BBB's are among them on " + " and ".join(bayesian_below) + "."))


def mc_dropout_effect(results: dict[str, dict[str, dict]]) -> dict[str, dict[str, list]]:
    """Per dataset, over the unpruned dropout nets with an MC mode: ``gap`` (eval-mode mean
    confidence − accuracy, :func:`bnntut.uncertainty.confidence_gap`; < 0 under-confident)
    and ``rise`` (MC dropout's ECE − eval mode's), one value per net each.  Datasets without
    such a net are left out."""
    out = {}
    for dataset, by_method in results.items():
        nets = [m for m, r in by_method.items() if not get_method(m).bayesian
                and "mc" in r["modes"]]
        if not nets:
            continue
        gaps, rises = [], []
        for m in nets:
            det, mc = (record_at(by_method[m], 0.0, mode) for mode in ("deterministic", "mc"))
            gaps.append(confidence_gap(det["reliability"]))
            rises.append(mc["ece"] - det["ece"])
        out[dataset] = {"gap": gaps, "rise": rises}
    return out


def mc_dropout_sentence(results: dict[str, dict[str, dict]]) -> str:
    """What MC dropout does to the unpruned dropout nets' calibration (:func:`mc_dropout_effect`),
    with its reason when every net is under-confident in eval mode and MC dropout raises every
    ECE: one sentence for the chapter's prose (to glue), ``""`` without dropout nets."""
    effect = mc_dropout_effect(results)
    if not effect:
        return ""
    names = {d: DATASET_LABELS.get(d, d) for d in effect}
    if all(all(g < 0 for g in e["gap"]) and all(r > 0 for r in e["rise"])
           for e in effect.values()):
        return ("Unpruned, every dropout net is under-confident in eval mode — its mean "
                "confidence lies " + " and ".join(
                    f"{_spread([-g for g in e['gap']])} below its accuracy on {names[d]}"
                    for d, e in effect.items())
                + " — so MC dropout, whose averaging lowers the confidence further, raises "
                "its ECE (by " + " and ".join(_spread(e["rise"]) for e in effect.values())
                + ").")

    def signed(values):
        return " to ".join(number(v, 3, sign=True) for v in (min(values), max(values)))

    return ("Unpruned, MC dropout changes the ECE of the dropout nets by "
            + "; ".join(f"{signed(e['rise'])} on {names[d]} (eval-mode mean confidence − "
                        f"accuracy: {signed(e['gap'])})" for d, e in effect.items()) + ".")


# --------------------------------------------------------------------------- figures


#: Axis labels of the keys of :func:`degradation_figure`.
KEY_LABELS = {"ece": "ECE (15 bins)", "auroc": "OOD AUROC (entropy)",
              "accuracy": "test accuracy", "nll": "test NLL (nats)"}


def mode_title(mode: str, samples: int) -> str:
    """Column title of :func:`degradation_figure` for a prediction mode (``samples``: the
    Monte Carlo forwards of the "mc" mode)."""
    if mode == "deterministic":
        return "deterministic (eval mode / μ)"
    return f"Monte Carlo ({samples} samples)" if mode == "mc" else mode


def degradation_figure(results: dict[str, dict[str, dict]], keys: Sequence[str] = ("ece", "auroc")):
    """ECE and AUROC against the pruned fraction: all methods, all datasets.

    One block of panels per dataset: a row per key, a column per prediction mode
    (deterministic: eval mode, BBB's posterior mean; Monte Carlo: MC dropout, BBB's predictive),
    so that no panel holds more than one line per method.  Panels of a row share their y-axis.

    Parameters
    ----------
    results : dict
        ``{dataset: {method: result}}`` of :func:`bnntut.collect.grid` (``kind="uncertainty"``).
    keys : sequence of str
        One row of panels per key (``ece``, ``auroc``, ``accuracy``, ``nll``).

    Returns
    -------
    matplotlib.figure.Figure
        Solid lines: deterministic prediction; dotted: the Monte Carlo predictive; each method
        in its colour and with its marker.  One legend below.
    """
    import matplotlib.pyplot as plt

    modes = [m for m in MODES if any(m in r["modes"] for by_method in results.values()
                                     for r in by_method.values())]
    height = len(results) * (2.0 * len(keys) + 0.5) + 0.6
    fig = plt.figure(figsize=(PAGE_WIDTH, height), layout="constrained")
    subfigs = fig.subfigures(len(results), 1, squeeze=False)[:, 0]
    for sub, (dataset, by_method) in zip(subfigs, results.items()):
        axes = sub.subplots(len(keys), len(modes), sharex=True, sharey="row", squeeze=False)
        for col, mode in enumerate(modes):
            for row, key in enumerate(keys):
                ax = axes[row, col]
                for method, result in by_method.items():
                    if mode not in result["modes"]:
                        continue
                    ax.plot(result["config"]["amounts"], series(result, key, mode),
                            "-" if mode == "deterministic" else ":", lw=1.8,
                            marker=METHOD_MARKERS.get(method, "o"), ms=3.5,
                            color=METHOD_COLORS.get(method),
                            label=get_method(method).label)
                if key == "auroc":
                    ax.axhline(0.5, color="grey", lw=1, ls="--")
                ax.set_ylabel(KEY_LABELS.get(key, key))
                ax.tick_params(labelleft=True, labelbottom=True)
                ax.set_xlabel("fraction removed")
            samples = max(mc_samples(r) for r in by_method.values())
            axes[0, col].set_title(mode_title(mode, samples))
        ood = next(iter(by_method.values()))["config"]["ood_dataset"]
        sub.suptitle(f"Trained on {DATASET_LABELS.get(dataset, dataset)}, "
                     f"OOD: {DATASET_LABELS.get(ood, ood)}")
    legend_below(fig, ncol=3)
    return fig




#: Opacity of a method's colour where it fills an area (bars, histograms), so that the hatched
#: gaps and the lines drawn on top stay visible even for a black method colour.
TINT_ALPHA = 0.35


def tint(color: str, alpha: float = TINT_ALPHA) -> tuple[float, float, float, float]:
    """``color`` as RGBA with opacity ``alpha``: a method's colour for a filled area."""
    from matplotlib.colors import to_rgba

    return to_rgba(color, alpha)


def reliability_diagram(record: dict, ax=None, color: str = DIAGNOSTIC_COLORS["bars"],
                        title: str | None = None, legend: bool = True):
    """Per-bin accuracy (bars) against confidence, with the diagonal of perfect calibration
    and, on a second (log) axis, the share of predictions in each bin.

    ``record`` is a :func:`bnntut.uncertainty.analyse` result (or one stored record);
    ``color`` fills the bars (e.g. a method's colour through :func:`tint`); ``legend=False``
    leaves the legend to the caller (e.g. :func:`bnnbook.plots.legend_below`).
    """
    import matplotlib.pyplot as plt
    import numpy as np

    own = ax is None
    if own:
        _, ax = plt.subplots(figsize=(PAGE_WIDTH / 1.6, 3.6), layout="constrained")
    diagram = record["reliability"]
    edges = np.asarray(diagram["edges"])
    acc = np.array([np.nan if a is None else a for a in diagram["accuracy"]])
    conf = np.array([np.nan if c is None else c for c in diagram["confidence"]])
    ax.bar(edges[:-1], np.nan_to_num(acc), width=np.diff(edges), align="edge",
           color=color, edgecolor="white", label="accuracy per bin")
    ax.bar(edges[:-1], np.nan_to_num(conf - acc), bottom=np.nan_to_num(acc), width=np.diff(edges),
           align="edge", color="none", edgecolor=DIAGNOSTIC_COLORS["gap"], hatch="//", lw=0.8,
           label="gap to mean confidence")
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfect calibration")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence", ylabel="accuracy")
    ax.set_title(title or f"ECE {record['ece']:.3f}")
    share = np.asarray(diagram["count"], dtype=float) / max(sum(diagram["count"]), 1)
    twin = ax.twinx()                   # how many predictions each bar stands for
    twin.stairs(np.where(share > 0, share, np.nan), edges, color=DIAGNOSTIC_COLORS["share"],
                lw=1.5, label="share of predictions (right axis)")
    twin.set(yscale="log", ylim=(1e-4, 1.5), ylabel="share of predictions (log)")
    twin.grid(False)
    if legend:
        handles = ax.get_legend_handles_labels()
        twin_handles = twin.get_legend_handles_labels()
        if own:
            legend_below(ax.figure, handles[0] + twin_handles[0], handles[1] + twin_handles[1])
        else:
            ax.legend(handles[0] + twin_handles[0], handles[1] + twin_handles[1],
                      loc="upper left")
    return ax


def entropy_plot(record: dict, ax=None, labels: tuple[str, str] = ("in-distribution", "OOD"),
                 title: str | None = None, legend: bool = True,
                 color=DIAGNOSTIC_COLORS["in"]):
    """Histograms (densities) of the predictive entropy: in-distribution filled in ``color``
    (grey, or e.g. a method's colour through :func:`tint`), OOD as a dark dashed outline on
    top.  ``legend=False`` leaves the legend to the caller."""
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is None:
        _, ax = plt.subplots(figsize=(PAGE_WIDTH / 1.3, 3.2), layout="constrained")
    h = record["entropy"]
    edges = np.asarray(h["edges"])
    fills = {"in": color, "ood": DIAGNOSTIC_COLORS["ood"]}
    for counts, label, key in ((h["in"], labels[0], "in"), (h["ood"], labels[1], "ood")):
        counts = np.asarray(counts, dtype=float)
        ax.stairs(counts / max(counts.sum(), 1) / np.diff(edges), edges, lw=1.8, label=label,
                  color=fills[key], fill=key == "in", ls="-" if key == "in" else "--")
    ax.axvline(math.log(N_CLASSES), color="grey", ls=":", lw=1.2,
               label=f"largest entropy, log {N_CLASSES}")
    ax.set(xlabel="predictive entropy (nats)", ylabel="density")
    ax.set_title(title or f"OOD AUROC {record['auroc']:.3f}")
    if legend:
        ax.legend()
    return ax


def diagnostic_figure(record: dict, title: str | None = None, ood_label: str = "OOD",
                      axes=None, legend: bool | None = None, color: str | None = None):
    """Reliability diagram and OOD entropy histogram of one (model, fraction, mode).

    Parameters
    ----------
    record : dict
        A :func:`bnntut.uncertainty.analyse` result or a stored record
        (:func:`bnntut.uncertainty.record_at`).
    title : str, optional
        Figure title.
    ood_label : str
        Legend label of the out-of-distribution set.
    axes : pair of Axes, optional
        Where to draw; a new figure otherwise.
    legend : bool, optional
        One legend below the figure; by default only when the figure is made here.
    color : str, optional
        The method's colour (:data:`bnnbook.style.METHOD_COLORS`) for the bars and the
        in-distribution histogram; neutral grey by default.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.6), layout="constrained",
                                 gridspec_kw={"width_ratios": [1, 1.15]})
        legend = True if legend is None else legend
    else:
        fig = axes[0].figure
    reliability_diagram(record, axes[0], legend=False,
                        color=DIAGNOSTIC_COLORS["bars"] if color is None else tint(color),
                        title=f"accuracy {record['accuracy']:.3f}, ECE {record['ece']:.3f}")
    entropy_plot(record, axes[1], labels=("in-distribution test", ood_label), legend=False,
                 color=DIAGNOSTIC_COLORS["in"] if color is None else tint(color))
    if title:
        fig.suptitle(title)
    if legend:
        legend_below(fig.figure, ncol=2)          # the root figure of a subfigure too
    return fig


def diagnostic_grid(cases: Sequence[tuple[str, dict]], ood_label: str = "OOD",
                    color: str | None = None):
    """:func:`diagnostic_figure` of several records, one titled row each, one legend below.

    Two cases make a 2 × 2 grid (reliability and entropy per row), the most a column-wide
    figure shows legibly; show more cases as several figures.

    Parameters
    ----------
    cases : sequence of (title, record)
        Row titles and :func:`bnntut.uncertainty.record_at` records.
    ood_label : str
        Legend label of the out-of-distribution set.
    color : str, optional
        The colour of the method shown (:data:`bnnbook.style.METHOD_COLORS`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(PAGE_WIDTH, 3.0 * len(cases) + 0.7), layout="constrained")
    for sub, (title, record) in zip(fig.subfigures(len(cases), 1, squeeze=False)[:, 0], cases):
        axes = sub.subplots(1, 2, width_ratios=[1, 1.15])
        diagnostic_figure(record, title=title, ood_label=ood_label, axes=axes, legend=False,
                          color=color)
        axes[1].set_title(f"OOD AUROC {record['auroc']:.3f}")
    legend_below(fig, ncol=2)
    return fig


# --------------------------------------------------------------------------- live view


def live_diagnostic(preset: str):
    """The function a chapter's live widget drives: ``show(dataset, method, amount, mode)``
    prunes the trained model of ``preset`` (by its family's criterion), recomputes its
    :func:`bnntut.uncertainty.diagnose` record on the test set and the OOD test set, and
    draws :func:`diagnostic_figure`.  Models and data are loaded once and kept; a mode the
    method lacks (Adam + dropout 0.01 has no Monte Carlo mode) falls back to eval mode.
    """
    import matplotlib.pyplot as plt

    from bnntut import data, experiment, prune, uncertainty
    from bnntut.presets import resolve

    subset = resolve(preset).subset
    models: dict = {}
    loaded: dict = {}

    def show(dataset="mnist", method="bbb", amount=0.9, mode="deterministic"):
        if (dataset, method) not in models:
            models[dataset, method] = experiment.trained_model(dataset, method, preset,
                                                               device="cpu")
        ood_name = uncertainty.OOD_DATASETS[dataset]
        for name in (dataset, ood_name):
            if name not in loaded:
                loaded[name] = data.load(name, subset=subset)
        ds, ood = loaded[dataset], loaded[ood_name]
        modes = uncertainty.modes_for(method, preset)
        mode = mode if mode in modes else "deterministic"
        criterion = prune.get_criterion(get_method(method).criterion)
        record = uncertainty.diagnose(criterion(models[dataset, method], amount), ds.x_test,
                                      ds.y_test, ood.x_test, modes[mode])
        fig = diagnostic_figure(
            record, ood_label=f"OOD: {DATASET_LABELS.get(ood.name, ood.name)} test",
            title=f"{get_method(method).label} "
                  f"({mode_label(method, mode, modes.get('mc', 0))}), "
                  f"{amount:.0%} removed")
        plt.show()
        return fig

    return show


def live_controls() -> dict:
    """The widgets of :func:`live_diagnostic`: ``{argument: widget}`` for
    :func:`bnnbook.book.live_widget`."""
    import ipywidgets as widgets

    from bnntut import data
    from bnntut.presets import METHOD_LABELS

    return dict(
        dataset=widgets.Dropdown(options=[(DATASET_LABELS[d], d) for d in data.DATASETS],
                                 description="trained on"),
        method=widgets.Dropdown(options=[(v, k) for k, v in METHOD_LABELS.items()],
                                value="bbb", description="model"),
        amount=widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                   description="prune", continuous_update=False,
                                   readout_format=".0%"),
        mode=widgets.Dropdown(options=[("deterministic", "deterministic"),
                                       ("Monte Carlo", "mc")], description="prediction"))
