"""The book's sources: pairing, clean notebooks, one install cell, quick-mode labelling."""

import re
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CHAPTERS = sorted(BOOK.glob("*.py"))


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]


def test_toc_has_a_learn_part_and_a_check_part():
    """The tutorial (Learn) first, the research notes a learner may skip (Check) after it."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    captions = [part["caption"] for part in toc["parts"]]
    assert captions[0] == "Learn" and captions[1].startswith("Check")
    learn = [Path(c["file"]).name for c in toc["parts"][0]["chapters"]]
    assert learn[-1] == "conclusions" and "bayes_by_backprop" in learn


def _cells(notebook):
    return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", [])))
            for c in notebook.cells]


def test_every_toc_entry_exists():
    for entry in _toc_files():
        assert (ROOT / f"{entry}.ipynb").exists() or (ROOT / f"{entry}.md").exists(), entry


def test_intro_lists_every_chapter_in_toc_order():
    """The intro's "Chapter by chapter" table is the reader's map: every chapter of the TOC
    but the bibliography, in the TOC's order."""
    text = (BOOK / "intro.py").read_text()
    listed = re.findall(r"^# \| \{doc\}`(\w+)` \|", text, flags=re.M)
    chapters = [Path(f).name for f in _toc_files()[1:] if Path(f).name != "references"]
    assert listed == chapters


@pytest.mark.parametrize("script", CHAPTERS, ids=lambda p: p.stem)
def test_py_and_ipynb_are_paired_and_in_sync(script):
    notebook = script.with_suffix(".ipynb")
    assert notebook.exists(), f"{notebook.name} is missing: run `jupytext --sync {script}`"
    assert _cells(jupytext.read(script)) == _cells(jupytext.read(notebook)), (
        f"{script.name} and {notebook.name} differ: run `jupytext --sync book/*.py`")


@pytest.mark.parametrize("script", CHAPTERS, ids=lambda p: p.stem)
def test_notebooks_are_output_free(script):
    notebook = jupytext.read(script.with_suffix(".ipynb"))
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None


#: Longest code line the rendered book shows without wrapping it (1280 px, the theme's font).
VISIBLE_CODE_WIDTH = 76


@pytest.mark.parametrize("script", CHAPTERS, ids=lambda p: p.stem)
def test_visible_code_fits_the_rendered_width(script):
    """Code a reader sees (every code cell but removed ones and the Colab install cell)
    has no line the page would wrap."""
    long = []
    for cell in jupytext.read(script).cells:
        tags = cell.metadata.get("tags", [])
        if (cell.cell_type != "code" or "remove-input" in tags or "remove-cell" in tags
                or "google.colab" in cell.source):
            continue
        long += [line for line in cell.source.splitlines() if len(line) > VISIBLE_CODE_WIDTH]
    assert not long, f"{len(long)} visible code line(s) over {VISIBLE_CODE_WIDTH}: {long[:2]}"


def test_install_cell_is_identical_and_names_the_configured_repository():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    install_cells = set()
    for script in CHAPTERS:
        cells = jupytext.read(script).cells
        install = next(c for c in cells if c.cell_type == "code")
        assert "google.colab" in install.source and "hide-cell" in install.metadata["tags"]
        install_cells.add(install.source)
    assert len(install_cells) == 1
    assert (f'REPOSITORY = os.environ.get("BNNTUT_REPOSITORY") or '
            f'"{config["repository"]["url"]}"') in install_cells.pop()


@pytest.mark.parametrize("script", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_labels_quick_mode(script):
    source = script.read_text()
    assert "PRESET = book.start()" in source


@pytest.mark.parametrize("script", CHAPTERS, ids=lambda p: p.stem)
def test_widgets_have_static_fallbacks(script):
    cells = jupytext.read(script).cells
    assert not any("widgets.interact" in c.source for c in cells), "use book.live_widget"
    for i, cell in enumerate(cells):
        if "book.live_widget(" in cell.source:
            # The live widget is for Jupyter and Colab; the book shows a static or
            # kernel-free interactive figure instead.
            assert "remove-cell" in cell.metadata.get("tags", []), "live widget shown in book"
            assert any("fig" in c.source or "interactive." in c.source
                       for c in cells[i + 1:] if c.cell_type == "code")


def test_start_displays_the_banner_in_quick_mode_only(monkeypatch):
    import IPython.display

    from bnnbook import book

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    monkeypatch.setenv("BNNTUT_PRESET", "quick")
    assert book.start() == "quick"
    assert len(shown) == 1 and "QUICK MODE" in shown[0].data
    monkeypatch.setenv("BNNTUT_PRESET", "paper")
    assert book.start() == "paper" and len(shown) == 1


def test_start_shows_tables_whole(monkeypatch):
    import pandas as pd

    from bnnbook import book, report

    monkeypatch.setenv("BNNTUT_PRESET", "paper")
    pd.reset_option("display.max_colwidth")
    try:
        book.start()
        assert all(pd.get_option(o) == v for o, v in report.DISPLAY_OPTIONS.items())
    finally:
        for option in report.DISPLAY_OPTIONS:
            pd.reset_option(option)


def test_banner_only_in_quick_mode(monkeypatch):
    from bnnbook import book

    monkeypatch.setenv("BNNTUT_PRESET", "quick")
    assert "QUICK MODE" in book.banner(book.current_preset()).data
    monkeypatch.setenv("BNNTUT_PRESET", "paper")
    assert book.banner(book.current_preset()) is None
    monkeypatch.setenv("BNNTUT_PRESET", "huge")
    with pytest.raises(ValueError, match="paper, quick"):
        book.current_preset()


def test_bibliography_labels_are_author_year():
    import importlib.util

    from pybtex.database import parse_file

    spec = importlib.util.spec_from_file_location("bnntut_book", ROOT / "_ext" / "bnntut_book.py")
    extension = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extension)
    entries = parse_file(str(ROOT / "references.bib")).entries
    labels = dict(zip(entries, extension.AuthorYearLabels().format_labels(entries.values())))
    assert labels["blundell2015weight"] == "Blundell et al., 2015"
    assert labels["prasad2022compression"] == "Prasad, 2022"
    assert all(re.fullmatch(r"[^,]+, \d{4}", label) for label in labels.values())


def test_rerun_retrains_the_preset_and_points_the_chapter_at_it(monkeypatch, tmp_path):
    from bnnbook import book
    from bnntut import experiment
    from bnntut.cudagraphs import CUDA_GRAPHS_ENV

    monkeypatch.delenv(book.RERUN_ENV, raising=False)
    assert not book.rerun_requested()                    # off unless asked for
    monkeypatch.setenv(book.RERUN_ENV, "yes")
    with pytest.raises(ValueError, match="must be 0 .* or 1"):
        book.rerun_requested()
    monkeypatch.setenv(book.RERUN_ENV, "1")
    assert book.rerun_requested()
    monkeypatch.delenv(CUDA_GRAPHS_ENV, raising=False)
    monkeypatch.setenv(experiment.RESULTS_ENV, str(tmp_path / "committed"))
    calls = []
    folder = book.rerun("quick", tmp_path / "rerun",
                        runner=lambda command, **kw: calls.append((command, kw)))
    (command, kwargs), = calls
    assert command[1:] == ["-m", "bnntut", "reproduce", "--preset", "quick",
                           "--out", str(tmp_path / "rerun"), "--batched", "auto"]
    assert kwargs["check"] and kwargs["env"][CUDA_GRAPHS_ENV] == "1"   # graphed on a GPU
    assert folder == tmp_path / "rerun"
    assert experiment.results_dir() == tmp_path / "rerun"              # later cells read it


def test_reproduce_record_is_the_last_run_of_the_whole_preset(monkeypatch, tmp_path):
    from bnnbook import book
    from bnntut import experiment

    monkeypatch.setenv(experiment.RESULTS_ENV, str(tmp_path))
    assert book.reproduce_record("tiny") is None
    for tag, seconds in (("", 1.0), ("seeds-1", 2.0), ("", 3.0), ("mnist", 4.0)):
        experiment.record_reproduce_run("tiny", [], seconds, device="cpu", tag=tag)
    assert book.reproduce_record("tiny")["total_seconds"] == 3.0
