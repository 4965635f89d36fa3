"""The book's size targets, measured on the built pages by the shared ``bookread`` tool:
Learn (with the intro) in an evening, each research note short, every paragraph light on
numbers, no object reprs, little hidden code, a visible BBB training loop.  Runs when
``$BNNTUT_BOOK_HTML`` names a built book (as for ``test_rendered_book.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = os.environ.get("BNNTUT_BOOK_HTML")
TOOL = ROOT.parent / "shared" / "tools" / "bookread.py"

pytestmark = pytest.mark.skipif(not HTML or not TOOL.exists(),
                                reason="needs a built book (BNNTUT_BOOK_HTML) and bookread")

LEARN_MINUTES, CHECK_CHAPTER_MINUTES, BOOK_MINUTES = 70, 15, 150
NUMBERS_PER_PARAGRAPH, HIDDEN_CODE_LINES, CHAPTER_LINES = 8, 800, 600


@pytest.fixture(scope="module")
def measures() -> dict:
    out = subprocess.run([sys.executable, str(TOOL), str(ROOT), HTML], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def test_learn_reads_in_an_evening_and_the_book_in_two_and_a_half_hours(measures):
    parts = measures["parts"]
    learn = parts["root"] + parts["Learn"]
    assert learn <= LEARN_MINUTES, f"Learn takes {learn:.0f} min"
    assert measures["total_minutes"] <= BOOK_MINUTES
    check = [p for p in measures["pages"] if p["part"].startswith("Check")]
    assert check and all(p["minutes"] <= CHECK_CHAPTER_MINUTES for p in check), check


def test_prose_code_and_output_limits(measures):
    assert measures["max_numbers_in_paragraph"] <= NUMBERS_PER_PARAGRAPH, \
        measures["worst_paragraph"]
    assert measures["reprs"] == 0
    assert measures["hidden_code_lines"] <= HIDDEN_CODE_LINES
    assert measures["longest_chapter_source"][0] <= CHAPTER_LINES
    assert measures["visible_bbb_training_loop"]
