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

Each explorer has two layouts, both computed here: a wide one and, for a column narrower than
:data:`NARROW_PX` (a phone's), a narrow one that stacks panels and controls; the page switches
between them as its column's width changes.

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
#: Dropdowns (each a label above its menu) fill rows of this many pixels from the figure's top.
MENU_ROW = 58
#: Side by side, dropdowns start this far apart (a fraction of the plot area's width).
MENU_STEP = 0.42
#: A figure narrower than this (CSS pixels: a phone's column) switches to its narrow layout.
NARROW_PX = 560

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
// Drawn while the page is still being laid out: follow the column's final (and any later)
// width, and below spec.narrowPx switch to the narrow layout (and back above it).
var shown = 'wide';
function fit() {
  var want = spec.layouts.narrow && gd.parentElement.clientWidth < spec.narrowPx
             ? 'narrow' : 'wide';
  if (want === shown) { Plotly.Plots.resize(gd); return; }
  shown = want;
  if (spec.layouts[want].height) {     // the height plotly's resize reads, and its wrapper's
    gd.style.height = gd.parentElement.style.height = spec.layouts[want].height + 'px';
  }
  Plotly.relayout(gd, spec.layouts[want]).then(function () { Plotly.Plots.resize(gd); });
}
new ResizeObserver(fit).observe(gd.parentElement);
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
                    include_plotlyjs: bool = True, digits: int = 4,
                    narrow: dict | None = None) -> str:
    """HTML of a plotly figure whose controls switch between precomputed states.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure, drawn in the ``initial`` state; its margins must leave room for the
        controls: dropdowns fill rows of :data:`MENU_ROW` pixels from the figure's top, side
        by side, and sliders rows of :data:`SLIDER_ROW` pixels from :data:`SLIDER_TOP` pixels
        below the plot area.
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
    narrow : dict, optional
        Layout changes (``{path: value}``, as ``Plotly.relayout`` takes them) for a figure
        narrower than :data:`NARROW_PX`, where the dropdowns are also stacked one per row;
        the page switches between this and ``fig``'s own layout as its column's width
        changes.

    Returns
    -------
    str
        An HTML fragment (a ``div`` and its script).
    """
    kinds = [kind for kind, _, _ in controls]
    if kinds != sorted(kinds):            # "dropdown" < "slider": the order the script reads
        raise ValueError("controls: list the dropdowns before the sliders")
    unknown = sorted(set(kinds) - {"dropdown", "slider"})
    if unknown:
        raise ValueError(f"control kind {unknown[0]!r}: allowed 'dropdown', 'slider'")
    first_label = len(fig.layout.annotations)
    fig.update_layout(
        updatemenus=[{"buttons": [{"label": s, "method": "skip", "args": [None]} for s in steps],
                      "active": initial[i], "xanchor": "left", "yanchor": "top",
                      "direction": "down", "showactive": True, "pad": {"r": 4, "t": 0}}
                     for i, (kind, _, steps) in enumerate(controls) if kind == "dropdown"],
        sliders=[{"steps": [{"label": s, "method": "skip", "args": [None]} for s in steps],
                  "active": initial[i], "currentvalue": {"prefix": f"{label}: "},
                  "x": 0.0, "len": 1.0, "yanchor": "top", "pad": {"t": 10, "b": 10}}
                 for i, (kind, label, steps) in enumerate(controls) if kind == "slider"])
    for kind, label, _ in controls:
        if kind == "dropdown":
            fig.add_annotation(text=label, xref="paper", yref="paper", xanchor="left",
                               yanchor="top", showarrow=False)
    fig.plotly_relayout(_control_layout(kinds, first_label, _geometry(fig.layout, {}), False))
    layouts = {"wide": None, "narrow": None}
    if narrow is not None:
        narrow = {**narrow, **_control_layout(kinds, first_label,
                                              _geometry(fig.layout, narrow), True)}
        layouts = {"wide": {path: _plain(fig.layout[path]) for path in narrow},
                   "narrow": narrow}

    pool = _Pool(digits)
    states = {}
    for index in itertools.product(*(range(len(steps)) for _, _, steps in controls)):
        s = state(index)
        data = {attr: [pool.add(v) if _is_numeric(v) else v for v in values]
                for attr, values in s["data"].items()}
        states["-".join(map(str, index))] = {"traces": s["traces"], "data": data,
                                             "layout": s.get("layout", {})}
    spec = json.dumps({"p": pool.arrays, "states": states, "layouts": layouts,
                       "narrowPx": NARROW_PX}, separators=(",", ":"))
    return fig.to_html(full_html=False, include_plotlyjs=include_plotlyjs,
                       post_script=_SCRIPT % spec,
                       config={"displayModeBar": False, "responsive": True})


def _geometry(layout, changes: dict) -> tuple[float, float]:
    """Top margin and plot-area height, in pixels, of ``layout`` with ``changes`` applied
    (relayout paths)."""
    def get(path):
        return changes.get(path, layout[path]) or 0

    return get("margin.t"), get("height") - get("margin.t") - get("margin.b")


def _control_layout(kinds: Sequence[str], first_label: int, geometry: tuple[float, float],
                    stacked: bool) -> dict:
    """Where the controls go (relayout paths → paper coordinates).

    Dropdowns fill the top margin from the figure's top, each under its label (annotation
    ``first_label + i``), side by side or, ``stacked``, one per row of :data:`MENU_ROW`
    pixels; sliders sit below the plot area, one per row of :data:`SLIDER_ROW` pixels.
    """
    margin_top, plot_px = geometry
    place = {}
    n_menus = kinds.count("dropdown")
    for i in range(n_menus):
        row, col = (i, 0) if stacked else (0, i)
        above = margin_top - 4 - row * MENU_ROW          # pixels above the plot area
        place |= {f"annotations[{first_label + i}].x": MENU_STEP * col,
                  f"annotations[{first_label + i}].y": 1.0 + above / plot_px,
                  f"updatemenus[{i}].x": MENU_STEP * col,
                  f"updatemenus[{i}].y": 1.0 + (above - 20) / plot_px}
    for j in range(len(kinds) - n_menus):
        place[f"sliders[{j}].y"] = -(SLIDER_TOP + SLIDER_ROW * j) / plot_px
    return place


def _plain(value):
    """A layout value as JSON can hold it (plotly gives tuples for arrays)."""
    return list(value) if isinstance(value, tuple) else value


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

    from .plots import DATASET_LABELS, METHOD_COLORS, REMOVED_TICKS, kept
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
        title = (f"pruned by {criterion}, {amount:.0%} removed<br>"
                 f"test accuracy <b>{s['accuracy']:.4f}</b>")
        centres = (s["edges"][:-1] + s["edges"][1:]) / 2
        return {
            "traces": [0, 1, 2, 3],
            "data": {"x": [list(kept(s["curve"][0])), list(kept([amount])), list(centres), None],
                     "y": [list(s["curve"][1]), [s["accuracy"]],
                           [v if v > 0 else None for v in s["density"]], None],
                     "z": [None, None, None, s["pixels_kept"][::-1].tolist()],
                     "line.color": [color, color, color, None],
                     "marker.color": [color, color, color, None]},
            "layout": {"annotations[0].text": title},       # the top panel's title
        }

    fig = make_subplots(rows=2, cols=2, specs=[[{"colspan": 2}, None], [{}, {}]],
                        subplot_titles=("(chosen model)", "surviving parameters<br>(BBB: μ)",
                                        "first-layer weights<br>kept per input pixel"))
    fig.add_trace(go.Scatter(mode="lines+markers", name="accuracy", showlegend=False), 1, 1)
    fig.add_trace(go.Scatter(mode="markers", marker={"size": 14, "symbol": "circle-open",
                                                     "line": {"width": 3}},
                             showlegend=False, name="chosen"), 1, 1)
    fig.add_trace(go.Scatter(mode="lines", line={"shape": "hvh", "width": 2},
                             showlegend=False, name="density"), 2, 1)
    fig.add_trace(go.Heatmap(coloraxis="coloraxis"), 2, 2)
    initial = (0, methods.index("bbb") if "bbb" in methods else 0,
               amounts.index(0.9) if 0.9 in amounts else 0)
    _apply(fig, describe(*initial))
    fig.update_xaxes(type="log", range=[math.log10(1.15), math.log10(0.0085)],
                     tickvals=list(kept(REMOVED_TICKS)),
                     ticktext=[f"{100 * a:g}%" for a in REMOVED_TICKS], tickangle=0,
                     row=1, col=1)
    fig.update_yaxes(title_text="test accuracy", range=[0, 1.02], row=1, col=1)
    fig.update_xaxes(title_text="parameter value", row=2, col=1)
    fig.update_yaxes(title_text="density over survivors", type="log", dtick=1, row=2, col=1)
    fig.update_xaxes(showticklabels=False, title_text="28 × 28 input pixels",
                     constrain="domain", row=2, col=2)
    fig.update_yaxes(showticklabels=False, scaleanchor="x3", constrain="domain", row=2, col=2)
    fig.update_layout(font=_FONT, template="plotly_white",
                      coloraxis={"colorscale": "Viridis", "cmin": 0, "cmax": 1,
                                 "colorbar": {"title": {"text": "kept"}, "thickness": 12,
                                              "xanchor": "left"}})
    fig.plotly_relayout(_prune_layout(narrow=False))
    controls = [("dropdown", "dataset", [DATASET_LABELS.get(d, d) for d in datasets]),
                ("dropdown", "model", [METHOD_LABELS.get(m, m) for m in methods]),
                ("slider", "fraction removed", [f"{f:.0%}" for f in amounts])]
    return controlled_html(fig, controls, lambda i: describe(*i), initial,
                           include_plotlyjs=_include_plotlyjs(),
                           narrow=_prune_layout(narrow=True))


def _prune_layout(narrow: bool) -> dict:
    """Geometry of the prune explorer (relayout paths): the accuracy curve above the
    histogram and the pixel map side by side, or (``narrow``) the three stacked."""
    if narrow:
        (curve, histogram, pixels), plot_px = _stack((210, 180, 230), 125)
        x = {"xaxis": [0, 1], "xaxis2": [0, 1], "xaxis3": [0, 0.8]}
        y = {"yaxis": curve, "yaxis2": histogram, "yaxis3": pixels}
        margin = {"l": 55, "r": 10, "t": 2 * MENU_ROW + 52, "b": 175}
        x_title = "parameters removed<br>(log scale of the fraction kept)"
    else:
        (curve, bottom), plot_px = _stack((250, 240), 105)
        x = {"xaxis": [0, 1], "xaxis2": [0, 0.44], "xaxis3": [0.56, 0.9]}
        y = {"yaxis": curve, "yaxis2": bottom, "yaxis3": bottom}
        margin = {"l": 60, "r": 20, "t": MENU_ROW + 62, "b": 190}
        x_title = "parameters removed (log scale of the fraction kept)"
    layout = _panels(margin, plot_px, x, y)
    layout |= {"xaxis.title.text": x_title, "coloraxis.colorbar.x": x["xaxis3"][1] + 0.04,
               "coloraxis.colorbar.y": sum(y["yaxis3"]) / 2,
               "coloraxis.colorbar.len": y["yaxis3"][1] - y["yaxis3"][0]}
    return layout


def _stack(heights: Sequence[float], gap: float) -> tuple[list[list[float]], float]:
    """Panels ``heights`` pixels tall, top first, stacked ``gap`` pixels apart.

    Returns
    -------
    domains : list of [bottom, top]
        Each panel's vertical domain (paper units), top panel first.
    plot_px : float
        The plot area's height in pixels.
    """
    plot_px = sum(heights) + gap * (len(heights) - 1)
    domains, top = [], plot_px
    for height in heights:
        domains.append([(top - height) / plot_px, top / plot_px])
        top -= height + gap
    return domains, plot_px


def _panels(margin: dict, plot_px: float, x: dict, y: dict) -> dict:
    """Relayout paths for a figure of subplots: height and margins, the axes' domains
    (``x``: ``{"xaxis": [left, right], ...}``, ``y`` likewise, in subplot order) and each
    subplot title (annotation ``i`` of subplot ``i``) centred above its panel."""
    layout = {"height": margin["t"] + plot_px + margin["b"]}
    layout |= {f"margin.{side}": px for side, px in margin.items()}
    layout |= {f"{axis}.domain": domain for axis, domain in (x | y).items()}
    for i, (x_domain, y_domain) in enumerate(zip(x.values(), y.values())):
        layout |= {f"annotations[{i}].x": sum(x_domain) / 2,
                   f"annotations[{i}].y": y_domain[1]}
    return layout


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

    fig = make_subplots(rows=1, cols=2,
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
    fig.update_xaxes(title_text="weight w", range=[-0.05, 0.05],       # no tick in the corner
                     tickvals=[-0.04, -0.02, 0, 0.02, 0.04], tickangle=0, col=2)
    fig.update_yaxes(type="log", range=[-6, 3.5], exponentformat="power")
    fig.update_yaxes(title_text="density (log scale)", col=1)
    fig.update_layout(font=_FONT, template="plotly_white",
                      legend={"orientation": "h", "yanchor": "bottom", "x": 0},
                      title={"font": {"size": 14}, "yref": "container", "yanchor": "top"})
    fig.plotly_relayout(_prior_layout(narrow=False))
    controls = [("slider", "π", [f"{v:g}" for v in pis]),
                ("slider", "log σ1", [f"{v:.0f}" for v in s1s]),
                ("slider", "log σ2", [f"{v:.0f}" for v in s2s])]
    return controlled_html(fig, controls, lambda i: describe(*i), initial,
                           include_plotlyjs=_include_plotlyjs(),
                           narrow=_prior_layout(narrow=True))


def _prior_layout(narrow: bool) -> dict:
    """Geometry of the prior explorer (relayout paths): the wide view beside the zoom near
    zero, or (``narrow``) above it; the title, then the legend, in the top margin."""
    if narrow:
        (wide, zoom), plot_px = _stack((230, 190), 100)
        x, y = {"xaxis": [0, 1], "xaxis2": [0, 1]}, {"yaxis": wide, "yaxis2": zoom}
        margin = {"l": 70, "r": 15, "t": 150, "b": 300}
        zoom_title = "density (log scale)"
    else:
        (panel,), plot_px = _stack((250,), 0)
        x, y = {"xaxis": [0, 0.56], "xaxis2": [0.66, 1]}, {"yaxis": panel, "yaxis2": panel}
        margin = {"l": 70, "r": 20, "t": 110, "b": 300}
        zoom_title = None
    layout = _panels(margin, plot_px, x, y)
    return layout | {"yaxis2.title.text": zoom_title,
                     "title.y": 1 - 6 / layout["height"],         # 6 px below the top
                     "legend.y": 1 + 32 / plot_px}               # above the subplot titles


def _nearest(values: Sequence[float], target: float) -> int:
    return int(np.argmin([abs(v - target) for v in values]))
