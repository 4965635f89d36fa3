"""Interactive figures that work on the static book page, with no kernel.

A Jupyter widget needs a running kernel; the rendered book has none.  The figures here are
plotly figures whose every state is computed in Python beforehand: each control (a plotly
slider or dropdown) picks one value from a grid, and a few lines of JavaScript, run by the
page, swap in the precomputed traces of the chosen combination.  The numbers therefore come
from the package's tested functions, never from JavaScript.

* :func:`controlled_html` — the generic mechanism (controls × precomputed states → HTML);
* :func:`prune_explorer` — dataset × model × fraction removed → accuracy, surviving-parameter
  histogram and the share of first-layer weights kept per input pixel;
* :func:`prior_explorer` — π × σ1 × σ2 → the scale-mixture prior and its two components;
* :func:`show` — display one in Jupyter, Colab or the book build.

In the book build (``$BNNTUT_BOOK_BUILD`` set by the book's Sphinx extension) the HTML omits
plotly.js, which the extension serves once from the installed ``plotly`` package; elsewhere
plotly.js is inlined, so the figure also works offline in Jupyter.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Sequence

import numpy as np

from .report import e_to

#: The CSS class plotly gives every figure's ``div``: the book's extension adds plotly.js to
#: the pages that contain it.
PLOTLY_MARKER = "plotly-graph-div"

#: Fractions removed on the prune explorer's slider (a subset of the stored sweep's grid).
EXPLORER_AMOUNTS = (0.0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99)

#: Grid of the prior explorer: π, log σ1 and log σ2.
PRIOR_GRID = {"pi": (0.1, 0.25, 0.5, 0.75, 0.9), "log_sigma1": (-2.0, -1.0, 0.0, 1.0),
              "log_sigma2": (-8.0, -7.0, -6.0, -5.0, -4.0, -3.0, -2.0)}

_FONT = {"size": 13}
#: Sliders start this many pixels below the plot area, one every ``SLIDER_ROW`` pixels.
SLIDER_TOP, SLIDER_ROW = 60, 78

# Runs after Plotly.newPlot: keep the index each control shows, and on every change restyle the
# traces with the precomputed state of the new combination.  Arrays are shared through a pool
# (``p``) and referenced by index, so a curve used by many states is stored once.
_SCRIPT = """
var gd = document.getElementById('{plot_id}');
var spec = %s;
function pick() {
  var at = [];
  (gd.layout.updatemenus || []).forEach(function (m) { at.push(m.active || 0); });
  (gd.layout.sliders || []).forEach(function (s) { at.push(s.active || 0); });
  var state = spec.states[at.join('-')];
  var data = {};
  Object.keys(state.data).forEach(function (key) {
    data[key] = state.data[key].map(function (v) { return typeof v === 'number' ? spec.p[v] : v; });
  });
  Plotly.update(gd, data, state.layout, state.traces);
}
gd.on('plotly_sliderchange', pick);
gd.on('plotly_buttonclicked', pick);
// Drawn while the page is still being laid out: follow the column's final (and any later) width.
new ResizeObserver(function () { Plotly.Plots.resize(gd); }).observe(gd.parentElement);
"""


class _Pool:
    """Arrays stored once, referenced by index."""

    def __init__(self, digits: int):
        self.arrays, self._index, self.digits = [], {}, digits

    def add(self, values) -> int:
        array = self._rounded(np.asarray(values, dtype=float).tolist())
        key = json.dumps(array)
        if key not in self._index:
            self._index[key] = len(self.arrays)
            self.arrays.append(array)
        return self._index[key]

    def _rounded(self, values):
        if isinstance(values, list):
            return [self._rounded(v) for v in values]
        return float(f"{values:.{self.digits}g}") if math.isfinite(values) else None


def controlled_html(fig, controls: Sequence[tuple[str, str, Sequence[str]]],
                    state: Callable[[tuple[int, ...]], dict], initial: Sequence[int],
                    include_plotlyjs: bool = True, digits: int = 4) -> str:
    """HTML of a plotly figure whose controls switch between precomputed states.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure, drawn in the ``initial`` state; its height must leave room for the
        controls (sliders are stacked below the plot area, dropdowns above it).
    controls : sequence of (kind, label, step labels)
        ``kind`` is ``"dropdown"`` or ``"slider"``; dropdowns come first in the state index.
    state : callable
        ``state(index) -> {"traces": [i, ...], "data": {attr: [value per trace]},
        "layout": {path: value}}`` for one index tuple (one step per control, in order).
        ``data`` values that are sequences of numbers are stored once in a shared pool.
    initial : sequence of int
        The step each control shows first (the state ``fig`` is drawn in).
    include_plotlyjs : bool
        Inline plotly.js (standalone use) or leave it to the page (the book).
    digits : int
        Significant digits kept in the stored arrays.

    Returns
    -------
    str
        An HTML fragment (a ``div`` and its script).
    """
    kinds = [kind for kind, _, _ in controls]
    if kinds != sorted(kinds):            # "dropdown" < "slider": the order the script reads
        raise ValueError("controls: list the dropdowns before the sliders")
    menus, sliders = [], []
    n_menus = kinds.count("dropdown")
    margin = fig.layout.margin
    plot_px = fig.layout.height - (margin.t or 0) - (margin.b or 0)   # sliders: paper units
    for i, (kind, label, steps) in enumerate(controls):
        if kind == "dropdown":
            menus.append({"buttons": [{"label": s, "method": "skip", "args": [None]}
                                      for s in steps],
                          "active": initial[i], "x": 0.4 * i + 0.11, "xanchor": "left",
                          "y": 1.16, "yanchor": "bottom", "direction": "down",
                          "showactive": True, "pad": {"r": 4, "t": 4}})
            fig.add_annotation(text=label, x=0.4 * i, xref="paper", y=1.185, yref="paper",
                               xanchor="left", yanchor="bottom", showarrow=False)
        elif kind == "slider":
            row = i - n_menus
            sliders.append({"steps": [{"label": s, "method": "skip", "args": [None]}
                                      for s in steps],
                            "active": initial[i], "currentvalue": {"prefix": f"{label}: "},
                            "x": 0.0, "len": 1.0, "y": -(SLIDER_TOP + SLIDER_ROW * row) / plot_px,
                            "yanchor": "top",
                            "pad": {"t": 10, "b": 10}})
        else:
            raise ValueError(f"control kind {kind!r}: allowed 'dropdown', 'slider'")
    fig.update_layout(updatemenus=menus, sliders=sliders)

    pool = _Pool(digits)
    states = {}
    for index in itertools.product(*(range(len(steps)) for _, _, steps in controls)):
        s = state(index)
        data = {attr: [pool.add(v) if _is_numeric(v) else v for v in values]
                for attr, values in s["data"].items()}
        states["-".join(map(str, index))] = {"traces": s["traces"], "data": data,
                                             "layout": s.get("layout", {})}
    spec = json.dumps({"p": pool.arrays, "states": states}, separators=(",", ":"))
    return fig.to_html(full_html=False, include_plotlyjs=include_plotlyjs,
                       post_script=_SCRIPT % spec,
                       config={"displayModeBar": False, "responsive": True})


def _is_numeric(value) -> bool:
    return isinstance(value, (list, tuple, np.ndarray)) and (
        len(value) == 0 or isinstance(np.asarray(value).ravel()[0], (float, np.floating, int,
                                                                     np.integer)))


def show(html: str):
    """Display controlled-figure HTML made by :func:`controlled_html` (or its callers).

    Returns the ``IPython.display.HTML`` object, so a chapter can end a cell with it.
    """
    from IPython.display import HTML

    return HTML(html)


def _include_plotlyjs() -> bool:
    from .book import building_book

    return not building_book()


# ----------------------------------------------------------------------- the prune explorer


def pruned_state(model, criterion: str, amount: float, bins: int = 60,
                 value_range: tuple[float, float] = (-0.3, 0.3)) -> dict:
    """What the prune explorer shows of one model pruned by one criterion.

    Returns
    -------
    dict
        ``edges`` (bins + 1) and ``density`` (bins): histogram of the surviving inference
        parameters (weights and biases; BBB: posterior means μ) as a density over the
        survivors, the pruned exact zeros left out; ``pixels_kept`` (28, 28): the share of
        each input pixel's first-layer weights that survive; ``sparsity``.
    """
    import torch

    from bnntut.compression import inference_layers
    from bnntut.prune import get_criterion

    pruned = get_criterion(criterion)(model, amount)
    layers = inference_layers(pruned)
    values = torch.cat([t.flatten() for layer in layers for t in layer])
    survivors = values[values != 0].double().cpu().numpy()
    counts, edges = np.histogram(survivors, bins=bins, range=value_range)
    density = counts / max(len(survivors), 1) / np.diff(edges)
    first = layers[0][0]                                     # (hidden, 784)
    kept = (first != 0).double().mean(dim=0).reshape(28, 28).cpu().numpy()
    return {"edges": edges, "density": density, "pixels_kept": kept,
            "sparsity": 1.0 - len(survivors) / values.numel()}


def prune_explorer(preset: str, results: dict[str, dict[str, dict]],
                   amounts: Sequence[float] = EXPLORER_AMOUNTS) -> str:
    """The prune slider of the static book: dataset × model × fraction removed.

    For every trained model in ``results`` (``{dataset: {method: result}}``) and every
    fraction, prune with the model's criterion (BBB: SNR; baselines: global L1) and store the
    accuracy (read from the result's stored sweep: posterior mean / eval mode), the histogram
    of the surviving parameters and the share of first-layer weights kept per input pixel.

    Returns
    -------
    str
        HTML of the figure (:func:`controlled_html`).
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from bnntut import experiment
    from bnntut.methods import get as get_method
    from bnntut.presets import METHOD_LABELS

    from .plots import DATASET_LABELS, METHOD_COLORS
    from .report import accuracy_at

    datasets = list(results)
    methods = list(results[datasets[0]])
    amounts = _on_grid(amounts, results[datasets[0]][methods[0]]["prune"]["l1"]["amounts"])
    table = {}
    for dataset in datasets:
        for method in methods:
            model = experiment.trained_model(dataset, method, preset, device="cpu")
            criterion = get_method(method).criterion
            sweep = results[dataset][method]["prune"][criterion]
            for amount in amounts:
                shown = pruned_state(model, criterion, amount)
                shown["accuracy"] = accuracy_at(results[dataset][method], amount, criterion)
                shown["curve"] = (sweep["amounts"], sweep["accuracy"])
                table[dataset, method, amount] = shown

    def describe(d: int, m: int, f: int) -> dict:
        dataset, method, amount = datasets[d], methods[m], amounts[f]
        s = table[dataset, method, amount]
        color = METHOD_COLORS.get(method, "#444444")
        criterion = {"snr": "SNR |μ|/σ", "l1": "global L1"}[get_method(method).criterion]
        title = (f"{DATASET_LABELS.get(dataset, dataset)}, {METHOD_LABELS.get(method, method)}, "
                 f"pruned by {criterion}<br>{amount:.0%} removed → test accuracy "
                 f"<b>{s['accuracy']:.4f}</b>")
        centres = (s["edges"][:-1] + s["edges"][1:]) / 2
        return {
            "traces": [0, 1, 2, 3],
            "data": {"x": [list(s["curve"][0]), [amount], list(centres), None],
                     "y": [list(s["curve"][1]), [s["accuracy"]],
                           [v if v > 0 else None for v in s["density"]], None],
                     "z": [None, None, None, s["pixels_kept"][::-1].tolist()],
                     "line.color": [color, color, color, None],
                     "marker.color": [color, color, color, None]},
            "layout": {"annotations[0].text": title},       # the top panel's title
        }

    fig = make_subplots(rows=2, cols=2, specs=[[{"colspan": 2}, None], [{}, {}]],
                        row_heights=[0.45, 0.55], vertical_spacing=0.16,
                        horizontal_spacing=0.12,
                        subplot_titles=("(chosen model)",
                                        "surviving parameters (BBB: μ)",
                                        "first-layer weights kept per input pixel"))
    fig.add_trace(go.Scatter(mode="lines+markers", name="accuracy", showlegend=False), 1, 1)
    fig.add_trace(go.Scatter(mode="markers", marker={"size": 14, "symbol": "circle-open",
                                                     "line": {"width": 3}},
                             showlegend=False, name="chosen"), 1, 1)
    fig.add_trace(go.Scatter(mode="lines", line={"shape": "hvh", "width": 2},
                             showlegend=False, name="density"), 2, 1)
    fig.add_trace(go.Heatmap(colorscale="Viridis", zmin=0, zmax=1, showscale=True,
                             colorbar={"title": {"text": "kept"}, "len": 0.5, "y": 0.27,
                                       "thickness": 12}), 2, 2)
    initial = (0, methods.index("bbb") if "bbb" in methods else 0,
               amounts.index(0.9) if 0.9 in amounts else 0)
    _apply(fig, describe(*initial))
    fig.update_xaxes(title_text="fraction of parameters removed", range=[-0.02, 1.0],
                     tickformat=".0%", row=1, col=1)
    fig.update_yaxes(title_text="test accuracy", range=[0, 1.02], row=1, col=1)
    fig.update_xaxes(title_text="parameter value", row=2, col=1)
    fig.update_yaxes(title_text="density over survivors", type="log", row=2, col=1)
    fig.update_xaxes(showticklabels=False, title_text="28 × 28 input pixels", row=2, col=2)
    fig.update_yaxes(showticklabels=False, scaleanchor="x3", row=2, col=2)
    fig.update_layout(height=900, margin={"l": 60, "r": 20, "t": 140, "b": 190}, font=_FONT,
                      template="plotly_white")
    controls = [("dropdown", "dataset", [DATASET_LABELS.get(d, d) for d in datasets]),
                ("dropdown", "model", [METHOD_LABELS.get(m, m) for m in methods]),
                ("slider", "fraction removed", [f"{f:.0%}" for f in amounts])]
    return controlled_html(fig, controls, lambda i: describe(*i), initial,
                           include_plotlyjs=_include_plotlyjs())


def _on_grid(wanted: Sequence[float], amounts: Sequence[float]) -> list[float]:
    """The ``wanted`` amounts that the stored sweep measured (quick mode has a coarser grid),
    as the sweep spells them in ``amounts`` (so that they index it exactly)."""
    return [a for w in wanted for a in amounts if abs(a - w) < 1e-9]


def _apply(fig, state: dict) -> None:
    """Draw ``state`` (as :func:`controlled_html`'s callback returns it) into ``fig``."""
    for position, trace in enumerate(state["traces"]):
        update = {}
        for attr, values in state["data"].items():
            if values[position] is None:
                continue
            node = update
            *parents, leaf = attr.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            value = values[position]
            node[leaf] = value.tolist() if isinstance(value, np.ndarray) else value
        fig.data[trace].update(update)
    fig.plotly_relayout(state.get("layout", {}))


# ----------------------------------------------------------------------- the prior explorer


def prior_explorer(pi: float, sigma1: float, sigma2: float, half_width: float = 3.0,
                   points: int = 301, grid: dict = PRIOR_GRID) -> str:
    """The prior explorer of the static book: π × log σ1 × log σ2 → the mixture density.

    Log-density axis, so the spike (σ2) and the slab (σ1) are both visible; the points are
    denser near 0 (sinh spacing) so that even σ2 = e⁻⁸ is resolved.  The densities come from
    :func:`bnnbook.plots.prior_density`.  The controls start at the grid point nearest to
    (``pi``, ``sigma1``, ``sigma2``).

    Returns
    -------
    str
        HTML of the figure (:func:`controlled_html`).
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from .plots import prior_density

    t = np.linspace(-1.0, 1.0, points)
    w = half_width * np.sinh(8 * t) / np.sinh(8)
    pis, s1s, s2s = grid["pi"], grid["log_sigma1"], grid["log_sigma2"]

    def describe(i: int, j: int, k: int) -> dict:
        d = prior_density(w, pis[i], math.exp(s1s[j]), math.exp(s2s[k]))
        return {"traces": [0, 1, 2, 3, 4, 5],
                "data": {"y": [d["mixture"], d["first"], d["second"]] * 2},
                "layout": {"title.text": f"π = {pis[i]}, σ1 = {e_to(s1s[j])}, "
                                         f"σ2 = {e_to(s2s[k])}"}}

    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], horizontal_spacing=0.1,
                        subplot_titles=(f"|w| ≤ {half_width:g}", "near zero: |w| ≤ 0.05"))
    # The mixture first and wide, the components on top: in the tails the mixture equals the
    # slab and near zero the spike, and neither component may hide behind it.
    styles = (("mixture", "#BBBBBB", "solid", 7), ("slab π·N(0, σ1²)", "#0072B2", "dash", 2.5),
              ("spike (1−π)·N(0, σ2²)", "#D55E00", "dot", 3))
    for col in (1, 2):
        for name, color, dash, width in styles:
            fig.add_trace(go.Scatter(x=w, mode="lines", name=name, showlegend=col == 1,
                                     line={"color": color, "dash": dash, "width": width}),
                          1, col)
    initial = (_nearest(pis, pi), _nearest(s1s, math.log(sigma1)),
               _nearest(s2s, math.log(sigma2)))
    _apply(fig, describe(*initial))
    fig.update_xaxes(title_text="weight w", range=[-half_width, half_width], col=1)
    fig.update_xaxes(title_text="weight w", range=[-0.05, 0.05], col=2)
    fig.update_yaxes(type="log", range=[-6, 3.5], exponentformat="power")
    fig.update_yaxes(title_text="density (log scale)", col=1)
    fig.update_layout(height=660, margin={"l": 70, "r": 20, "t": 110, "b": 300}, font=_FONT,
                      legend={"orientation": "h", "y": 1.2, "yanchor": "bottom", "x": 0},
                      title={"font": {"size": 14}, "y": 0.985, "yanchor": "top"},
                      template="plotly_white")
    controls = [("slider", "π", [f"{v:g}" for v in pis]),
                ("slider", "log σ1", [f"{v:.0f}" for v in s1s]),
                ("slider", "log σ2", [f"{v:.0f}" for v in s2s])]
    return controlled_html(fig, controls, lambda i: describe(*i), initial,
                           include_plotlyjs=_include_plotlyjs())


def _nearest(values: Sequence[float], target: float) -> int:
    return int(np.argmin([abs(v - target) for v in values]))
