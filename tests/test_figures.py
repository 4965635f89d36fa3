"""Every figure function is legible in the book's text column: drawn from the committed
``paper`` results (read as stored, nothing is trained), its smallest text must be at least
9 pt as displayed (:func:`bnnbook.plots.smallest_display_font`), and each method keeps one
colour of its own."""

import json
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from bnnbook import comparison, compression_views, plots, style, uncertainty_views  # noqa: E402
from bnntut import uncertainty  # noqa: E402

PAPER = Path(__file__).resolve().parents[1] / "results" / "paper"
DATASETS = ("mnist", "fashion-mnist")
METHODS = ("sgd", "dropout50", "dropout75", "dropout90", "bbb")
pytestmark = pytest.mark.skipif(not (PAPER / "mnist" / "bbb.json").exists(),
                                reason="the committed paper results are not here")


def _read(path: Path):
    return json.loads(path.read_text()) if path.exists() else None


def _by_method(suffix: str = "") -> dict:
    found = {d: {m: _read(PAPER / d / f"{m}{suffix}.json") for m in METHODS} for d in DATASETS}
    return {d: {m: r for m, r in by_method.items() if r} for d, by_method in found.items()}


pytestmark = pytest.mark.usefixtures("book_style")


def _legible(fig, column_px: float = 676.0):
    size = plots.smallest_display_font(fig, column_px)
    assert size >= 9.0, f"smallest text {size:.1f} pt at display size"


def test_method_colours_are_distinct():
    # one colour per method; the grid points of an equal-budget family share the family's,
    # the points of Blundell et al.'s search space one colour of their own
    from bnntut import methods, presets

    grid = {m for pts in presets.BUDGET.selection["families"].values() for m in pts}
    grid |= set(presets.BLUNDELL_GRID.methods)                  # Blundell's search space
    colours = [c.lower() for m, c in style.METHOD_COLORS.items() if m not in grid]
    colours += [c.lower() for _, c in methods.BUDGET_FAMILIES.values()]
    colours.append(methods.BLUNDELL_GRID_COLOR.lower())
    assert len(set(colours)) == len(colours)
    assert set(style.KL_METHODS.values()) <= set(style.METHOD_COLORS)
    assert style.KL_COLORS["paper"] == style.METHOD_COLORS["bbb"]


def test_prior_figures():
    _legible(plots.prior_figure())
    _legible(plots.prior_grid_figure())
    _legible(plots.kl_weights_figure(600))


def test_result_figures():
    results = _by_method()
    _legible(plots.curves_figure({d: {m: r for m, r in by_method.items() if m != "bbb"}
                                  for d, by_method in results.items()}))
    _legible(plots.weight_histograms_figure(results))
    axes = plots.bbb_distributions(results["mnist"]["bbb"], title="MNIST")
    _legible(axes[0].figure)
    low, high = axes[1].get_xlim()              # σ fills its panel: well under 10⁻⁴ … 1
    assert high / low < 10
    _legible(plots.prune_figure(results))
    _legible(plots.surviving_figure(results))


def test_uncertainty_figures():
    results = _by_method(".uncertainty")
    fig = uncertainty_views.degradation_figure(results)
    _legible(fig)
    assert max(len(ax.lines) for ax in fig.axes) <= len(METHODS) + 1     # + chance line
    record = uncertainty.record_at(results["mnist"]["bbb"], 0.9, "mc")
    _legible(uncertainty_views.diagnostic_figure(record, title="BBB, 90 % removed"))
    _legible(uncertainty_views.diagnostic_grid([("BBB", record), ("BBB again", record)]))


def test_comparison_and_compression_figures():
    criteria = _by_method(".criteria")
    _legible(comparison.criteria_figure(criteria["mnist"], "mnist"))
    _legible(comparison.finetune_figure(_by_method(".finetune")))
    result = _read(PAPER / "compression-cpu.json")
    if result:
        _legible(compression_views.bytes_figure(result, "mnist").figure)
        _legible(compression_views.latency_figure(result).figure)


def test_uncertainty_figures_one_per_dataset_and_method():
    """The chapter's figures: one 2 × 2 degradation figure per training set, and one 2 × 2
    reliability-and-entropy figure per method, filled in that method's colour."""
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Rectangle

    results = _by_method(".uncertainty")
    for dataset, by_method in results.items():
        fig = uncertainty_views.degradation_figure({dataset: by_method})
        _legible(fig)
        assert len(fig.axes) == 4 and fig.get_figheight() <= 6.0
        drawn = {line.get_label(): line.get_color() for ax in fig.axes for line in ax.lines
                 if not line.get_label().startswith("_")}
        assert drawn == {plots.get_method(m).label: style.METHOD_COLORS[m] for m in by_method}
    for method in ("bbb", "sgd"):
        mode = "mc" if method == "bbb" else "deterministic"
        cases = [(f"{a:.0%} removed", uncertainty.record_at(results["mnist"][method], a, mode))
                 for a in (0.0, 0.9)]
        fig = uncertainty_views.diagnostic_grid(cases, "OOD", color=style.METHOD_COLORS[method])
        _legible(fig)
        reliability = [ax for ax in fig.axes if ax.get_xlabel() == "confidence"]
        assert len(reliability) == 2
        bars = [p for p in reliability[0].patches if isinstance(p, Rectangle)]
        assert to_rgba(bars[0].get_facecolor()) == pytest.approx(
            uncertainty_views.tint(style.METHOD_COLORS[method]))
