"""Helpers the chapters share: which preset to show, labelling quick mode, glue.

The rendered book uses the ``paper`` preset (committed full runs).  CI executes the chapters
with ``BNNTUT_PRESET=quick``; every page then carries a visible QUICK MODE banner.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bnntut import experiment
from bnntut.cudagraphs import CUDA_GRAPHS_ENV
from bnntut.presets import PRESETS, Preset, get_preset, resolve
from bnntut.switches import env_switch, env_value

PRESET_ENV = "BNNTUT_PRESET"
#: Set by the book's Sphinx extension (``_ext/bnntut_book.py``) for the kernels of a book build:
#: interactive figures then leave plotly.js to the page, and live widgets are not created.
BOOK_BUILD_ENV = "BNNTUT_BOOK_BUILD"
#: ``1`` asks a chapter that offers it to retrain its preset in this runtime (:func:`rerun`)
#: instead of reading the committed results; a reader may set ``RERUN = True`` instead.
RERUN_ENV = "BNNTUT_RERUN"
#: Where :func:`rerun` writes, relative to the chapter's working directory.
RERUN_FOLDER = "results-rerun"


#: What the chapters show of a preset that they compute on the spot (nothing is committed for
#: ``quick``): a slice of each arm beyond the study, so that every chapter runs in about a
#: minute on two CPU cores.  The CLI still runs any arm in full.  A preset not named here is
#: shown whole.
CHAPTER_SCOPES = {"quick": {"datasets": ["mnist"], "methods": ["sgd", "bbb"], "seeds": [0, 1]}}
#: The rows of chapter *What makes a network prunable* computed in quick mode (MNIST, seed 0).
PRUNABILITY_SCOPES = {"quick": {"datasets": ["mnist"], "seeds": [0],
                                "methods": ["bbb", "bbb-kl-uniform", "bbb-lr1e-3",
                                            "bbb-kl-uniform-lr1e-3", "sgd"]}}


def chapter_scope(preset: Preset | str,
                  seeds=(0, 1, 2)) -> tuple[list[str], list[str], list[int]]:
    """``(datasets, methods, seeds)`` that a chapter shows for ``preset`` (a :class:`Preset`
    or its name): all of the preset's datasets and methods and ``seeds``, unless
    :data:`CHAPTER_SCOPES` narrows them (``quick``, to keep CI fast)."""
    spec = resolve(preset)
    scope = CHAPTER_SCOPES.get(spec.name, {})
    return (list(scope.get("datasets", spec.datasets)),
            list(scope.get("methods", spec.methods)), list(scope.get("seeds", seeds)))


def current_preset() -> str:
    """``$BNNTUT_PRESET`` (default ``paper``), checked against the known presets."""
    name = env_value(PRESET_ENV, "paper")
    if name not in PRESETS:
        raise ValueError(f"{PRESET_ENV}={name!r} is not a preset; allowed: {', '.join(PRESETS)}")
    return name


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


def building_book() -> bool:
    """True in a kernel started by the book build (``$BNNTUT_BOOK_BUILD``)."""
    return env_value(BOOK_BUILD_ENV) == "1"


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

    Applies the book's plot style (figures at twice the pixels) and table options (no cell
    cut short), reads the preset
    from ``$BNNTUT_PRESET`` (see :func:`current_preset`), runs the fused kernels eagerly
    where the preset says ``"compile": False`` (``quick``) and, outside ``paper``, displays
    the QUICK MODE banner at once — wherever in the cell it is called, so the label cannot be
    lost by a later line.
    """
    from IPython.display import display

    from . import plots, report

    plots.use_style()
    _sharp_figures()
    report.use_table_options()
    preset = current_preset()
    if not get_preset(preset).compile:
        from bnntut import fastmath

        fastmath.set_compile(False)
    label = banner(preset)
    if label is not None:
        display(label)
    return preset


def _sharp_figures() -> None:
    """Inline figures as PNGs of twice the pixels, shown at their size (sharp on high-DPI
    screens); nothing outside IPython."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


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
    """The record of the last ``reproduce`` run of all of ``preset`` (total and per-model wall
    time) in its timing log (:func:`bnntut.experiment.reproduce_log`), or ``None`` when there
    is none."""
    whole = [r for r in experiment.reproduce_log(preset, device_type) if not r["tag"]]
    return whole[-1] if whole else None


def rerun_requested() -> bool:
    """Whether ``$BNNTUT_RERUN=1`` asks the chapter to retrain its preset (default: no).

    Raises
    ------
    ValueError
        ``$BNNTUT_RERUN`` is set to something other than ``0`` or ``1``.
    """
    return env_switch(RERUN_ENV, off="read the committed results",
                      on="retrain the preset here")


def rerun(preset: str, folder: str | os.PathLike = RERUN_FOLDER, runner=subprocess.run) -> Path:
    """Retrain every model of ``preset`` in this runtime and point the chapter at the result.

    Runs ``python -m bnntut reproduce --preset <preset> --out <folder> --batched auto`` (on a
    GPU when there is one: the models of one shape as one stacked batch, with CUDA graphs
    unless ``$BNNTUT_CUDA_GRAPHS=0``; on the CPU one after another), then sets
    ``$BNNTUT_RESULTS`` to ``folder``, so every later :func:`bnntut.collect.grid` and store
    lookup of this kernel reads the new results.  A rerun that stops resumes from its checkpoints.

    Parameters
    ----------
    preset : str
        The preset to retrain (the chapter's :func:`start` value).
    folder : path-like
        Results folder for the new run (default ``results-rerun`` beside the chapter).
    runner : callable
        ``subprocess.run`` (tests pass a stand-in).

    Returns
    -------
    pathlib.Path
        The absolute results folder now in ``$BNNTUT_RESULTS``.
    """
    folder = Path(folder).resolve()
    env = {**os.environ, CUDA_GRAPHS_ENV: env_value(CUDA_GRAPHS_ENV, "1")}
    runner([sys.executable, "-m", "bnntut", "reproduce", "--preset", preset,
            "--out", str(folder), "--batched", "auto"], env=env, check=True)
    os.environ[experiment.RESULTS_ENV] = str(folder)
    return folder


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
