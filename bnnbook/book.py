"""Helpers the chapters share: which preset to show, loading results, labelling quick mode.

The rendered book uses the ``paper`` preset (committed full runs).  CI executes the chapters
with ``BNNTUT_PRESET=quick``; every page then carries a visible QUICK MODE banner.
"""

from __future__ import annotations

import os
import sys

from bnntut import experiment
from bnntut.presets import PRESETS, get_preset

PRESET_ENV = "BNNTUT_PRESET"
#: Set by the book's Sphinx extension (``_ext/bnntut_book.py``) for the kernels of a book build:
#: interactive figures then leave plotly.js to the page, and live widgets are not created.
BOOK_BUILD_ENV = "BNNTUT_BOOK_BUILD"


def current_preset() -> str:
    """``$BNNTUT_PRESET`` (default ``paper``), checked against the known presets."""
    name = os.environ.get(PRESET_ENV, "paper")
    if name not in PRESETS:
        raise ValueError(f"{PRESET_ENV}={name!r} is not a preset; allowed: {', '.join(PRESETS)}")
    return name


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


def building_book() -> bool:
    """True in a kernel started by the book build (``$BNNTUT_BOOK_BUILD``)."""
    return os.environ.get(BOOK_BUILD_ENV) == "1"


def live_widget(function, controls):
    """``ipywidgets.interact(function, **controls())`` in Jupyter and Colab; nothing in the
    book build, whose static pages have no kernel to drive a widget: the chapters show a
    :mod:`bnnbook.interactive` figure there instead.

    ``controls`` is a function returning ``{argument: widget}``, so that no widget is even
    created in the book build (a created widget's state would be embedded in the page).
    """
    if building_book():
        return None
    import ipywidgets

    return ipywidgets.interact(function, **controls())


def start() -> str:
    """Set a chapter up and return its preset name.

    Applies the book's plot style and table options (no cell cut short), reads the preset
    from ``$BNNTUT_PRESET`` (see :func:`current_preset`), runs the fused kernels eagerly
    where the preset says ``"compile": False`` (``quick``) and, outside ``paper``, displays
    the QUICK MODE banner at once — wherever in the cell it is called, so the label cannot be
    lost by a later line.
    """
    from IPython.display import display

    from . import plots, report

    plots.use_style()
    report.use_table_options()
    preset = current_preset()
    if not get_preset(preset).compile:
        from bnntut import fastmath

        fastmath.set_compile(False)
    label = banner(preset)
    if label is not None:
        display(label)
    return preset


def banner(preset: str):
    """A Markdown admonition labelling quick-mode output; ``None`` (nothing shown) for
    ``paper``."""
    from IPython.display import Markdown

    if preset == "paper":
        return None
    return Markdown(
        f":::{{admonition}} QUICK MODE ({preset})\n:class: warning\n\n"
        f"{get_preset(preset).description} "
        "Numbers and figures on this page are smoke-test output, not results.\n:::")


def reproduce_record(preset: str, device_type: str = "cpu") -> dict | None:
    """The record of the last ``reproduce`` run of ``preset`` (total and per-model wall time),
    or ``None`` when there is none."""
    from bnntut import storage

    path = experiment.results_dir() / preset / f"reproduce-{device_type}.json"
    return storage.read_json(path) if path.exists() else None


def load_results(preset: str, datasets=None, methods=None, **kwargs) -> dict:
    """``{dataset: {method: result}}`` for a preset, via :func:`bnntut.experiment.run`
    (committed results load instantly; missing ones are trained)."""
    spec = get_preset(preset)
    return {d: {m: experiment.run(d, m, preset, **kwargs) for m in (methods or spec.methods)}
            for d in (datasets or spec.datasets)}


def glue(name: str, value, display: bool = False) -> None:
    """``myst_nb.glue`` when available (the book build), else a no-op (Colab, plain Jupyter)."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return
    myst_glue(name, value, display=display)


def markdown(text: str):
    """Display Markdown (tables, notes) in Jupyter, Colab and the book."""
    from IPython.display import Markdown

    return Markdown(text)
