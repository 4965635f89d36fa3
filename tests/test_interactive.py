"""Kernel-free interactive figures: precomputed states, the prune and prior explorers, and the
book-build switches (no plotly.js inlined, no live widget created)."""

import json
import math
import re

import numpy as np
import pytest
import torch

from bnnbook import book, interactive, plots
from bnntut import compression, experiment, prune


def _spec(html: str) -> dict:
    """The precomputed states that :func:`interactive.controlled_html` embeds."""
    return json.loads(re.search(r"var spec = (\{.*?\});\n", html, re.S).group(1))


def test_controlled_html_stores_every_combination_once(monkeypatch):
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 0]))
    fig.update_layout(height=400, margin={"t": 40, "b": 200})
    calls = []

    def state(index):
        calls.append(index)
        return {"traces": [0], "data": {"y": [[index[0], index[1]]]},
                "layout": {"title.text": str(index)}}

    html = interactive.controlled_html(fig, [("dropdown", "a", ["x", "y"]),
                                             ("slider", "b", ["1", "2", "3"])], state, (0, 0),
                                       include_plotlyjs=False)
    spec = _spec(html)
    assert sorted(calls) == [(i, j) for i in range(2) for j in range(3)]
    assert set(spec["states"]) == {f"{i}-{j}" for i in range(2) for j in range(3)}
    stored = spec["states"]["1-2"]
    assert spec["p"][stored["data"]["y"][0]] == [1.0, 2.0]
    assert stored["layout"] == {"title.text": "(1, 2)"}
    assert interactive.PLOTLY_MARKER in html and "plotly.js v" not in html[:5000]


def test_narrow_layout_stacks_the_dropdowns_and_can_switch_back():
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 0]))
    fig.update_layout(height=400, margin={"t": 80, "b": 120})
    narrow = {"height": 500, "margin.t": 2 * interactive.MENU_ROW + 20, "xaxis.domain": [0, 1]}
    html = interactive.controlled_html(
        fig, [("dropdown", "a", ["x", "y"]), ("dropdown", "b", ["u", "v"]),
              ("slider", "c", ["1", "2"])],
        lambda index: {"traces": [0], "data": {}}, (0, 0, 0), include_plotlyjs=False,
        narrow=narrow)
    wide, narrow = _spec(html)["layouts"].values()
    assert set(wide) == set(narrow)               # every path the narrow layout sets, undone
    assert wide["height"] == 400 and narrow["height"] == 500
    assert wide["updatemenus[0].y"] == wide["updatemenus[1].y"]
    assert wide["updatemenus[0].x"] < wide["updatemenus[1].x"]
    assert narrow["updatemenus[0].x"] == narrow["updatemenus[1].x"]
    assert narrow["updatemenus[0].y"] > narrow["updatemenus[1].y"] > 1


def test_stacked_panels_leave_the_gaps_asked_for():
    domains, plot_px = interactive._stack((200, 100, 100), 50)
    assert plot_px == 500
    assert domains == [[0.6, 1.0], [0.3, 0.5], [0.0, 0.2]]


@pytest.mark.parametrize("layout", [interactive._prune_layout, interactive._prior_layout])
def test_explorer_layouts_stack_their_panels_when_narrow(layout):
    wide, narrow = layout(narrow=False), layout(narrow=True)
    assert set(wide) == set(narrow)
    for geometry in (wide, narrow):
        domains = [v for k, v in geometry.items() if k.endswith(".domain")]
        assert all(0 <= low < high <= 1 for low, high in domains)
    y_domains = [tuple(v) for k, v in narrow.items() if re.fullmatch(r"yaxis\d*\.domain", k)]
    rows = sorted(set(y_domains))
    assert len(rows) == len(y_domains)                                  # one panel a row
    assert all(below[1] < above[0] for below, above in zip(rows, rows[1:]))
    assert narrow["height"] > wide["height"]


def test_controlled_html_refuses_bad_controls():
    import plotly.graph_objects as go

    fig = go.Figure().update_layout(height=300)
    with pytest.raises(ValueError, match="dropdowns before the sliders"):
        interactive.controlled_html(fig, [("slider", "a", ["1"]), ("dropdown", "b", ["x"])],
                                    lambda i: {"traces": [], "data": {}}, (0, 0))
    with pytest.raises(ValueError, match="allowed 'dropdown', 'slider'"):
        interactive.controlled_html(fig, [("knob", "a", ["1"])],
                                    lambda i: {"traces": [], "data": {}}, (0,))


def test_pruned_state_matches_the_package_pruning(net):
    state = interactive.pruned_state(net, "l1", 0.5, bins=20, value_range=(-1.0, 1.0))
    pruned = prune.l1(net, 0.5)
    layers = compression.inference_layers(pruned)
    values = torch.cat([t.flatten() for layer in layers for t in layer])
    survivors = values[values != 0]
    assert state["sparsity"] == pytest.approx(prune.sparsity(pruned), abs=1e-9)
    widths = np.diff(state["edges"])
    assert (state["density"] * widths).sum() * len(survivors) == pytest.approx(
        ((survivors >= -1) & (survivors <= 1)).sum().item())
    kept = (layers[0][0] != 0).double().mean(0).reshape(28, 28).numpy()
    np.testing.assert_allclose(state["pixels_kept"], kept)


def test_prune_explorer_reads_accuracy_from_the_stored_sweep(tiny_preset, tmp_path,
                                                             monkeypatch):
    results_dir = tmp_path / "results"
    monkeypatch.setenv("BNNTUT_RESULTS", str(results_dir))
    results = {"mnist": {m: experiment.run("mnist", m, "tiny", progress=False)
                         for m in ("sgd", "bbb")}}
    html = interactive.prune_explorer("tiny", results)
    spec = _spec(html)
    amounts = [0.0, 0.5, 0.9]                      # the tiny sweep's grid ∩ the explorer's
    assert len(spec["states"]) == 1 * 2 * len(amounts)
    for m, method in enumerate(("sgd", "bbb")):
        sweep = results["mnist"][method]["prune"]["snr" if method == "bbb" else "l1"]
        for f, amount in enumerate(amounts):
            state = spec["states"][f"0-{m}-{f}"]
            accuracy = sweep["accuracy"][sweep["amounts"].index(amount)]
            assert spec["p"][state["data"]["y"][1]] == [pytest.approx(accuracy, abs=1e-4)]
            assert f"test accuracy <b>{accuracy:.4f}</b>" in state["layout"]["annotations[0].text"]


def test_prior_explorer_uses_the_package_density():
    html = interactive.prior_explorer(0.5, 1.0, math.exp(-6), points=51)
    spec = _spec(html)
    grid = interactive.PRIOR_GRID
    assert len(spec["states"]) == math.prod(len(v) for v in grid.values())
    i, j, k = 2, 2, 2                        # π = 0.5, σ1 = e^0, σ2 = e^-6
    state = spec["states"][f"{i}-{j}-{k}"]
    t = np.linspace(-1.0, 1.0, 51)
    w = 3.0 * np.sinh(8 * t) / np.sinh(8)
    expected = plots.prior_density(w, 0.5, 1.0, math.exp(-6))
    mixture, slab, spike = (spec["p"][n] for n in state["data"]["y"][:3])
    np.testing.assert_allclose(mixture, expected["mixture"], rtol=1e-3)
    np.testing.assert_allclose(slab, expected["first"], rtol=1e-3)
    np.testing.assert_allclose(spike, expected["second"], rtol=1e-3, atol=1e-300)


def test_book_build_leaves_plotly_js_to_the_page(monkeypatch):
    monkeypatch.setenv(book.BOOK_BUILD_ENV, "1")
    inside = interactive.prior_explorer(0.5, 1.0, math.exp(-6), points=11)
    monkeypatch.delenv(book.BOOK_BUILD_ENV)
    outside = interactive.prior_explorer(0.5, 1.0, math.exp(-6), points=11)
    assert len(outside) - len(inside) > 1_000_000          # plotly.js inlined only outside


def test_live_widget_creates_nothing_in_the_book_build(monkeypatch):
    created = []
    monkeypatch.setenv(book.BOOK_BUILD_ENV, "1")
    assert book.live_widget(lambda x=1: x, lambda: created.append(1) or {}) is None
    assert not created
    monkeypatch.delenv(book.BOOK_BUILD_ENV)
    book.live_widget(lambda x=1: x, lambda: created.append(1) or {})
    assert created == [1]


def test_quick_mode_runs_the_kernels_eagerly(monkeypatch):
    from bnntut import fastmath

    monkeypatch.setattr("IPython.display.display", lambda *a: None)
    monkeypatch.setenv("BNNTUT_PRESET", "quick")
    try:
        book.start()
        assert not fastmath.compile_enabled()
    finally:
        fastmath.set_compile(None)


def test_chapter_scope():
    from bnnbook.book import chapter_scope
    from bnntut.presets import get_preset

    paper = get_preset("paper")
    assert chapter_scope("paper") == (list(paper.datasets), list(paper.methods), [0, 1, 2])
    assert chapter_scope("quick") == (["mnist"], ["sgd", "bbb"], [0, 1])
