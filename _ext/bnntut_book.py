"""Sphinx extension of the bnntut book (``_config.yml``: ``sphinx.local_extensions``).

Three jobs, all about the static HTML:

* **Interactive figures without a kernel.** Setting ``$BNNTUT_BOOK_BUILD`` here tells the
  chapters' kernels (started by this build, which inherit its environment) to render
  :mod:`bnnbook.interactive` figures without their JavaScript library and to skip the live
  ipywidgets; pages holding such a figure get plotly.js, copied from the installed ``plotly``
  package into ``_static`` — no CDN, no file copied into the repository.
* **Author–year bibliography labels** matching the author–year citations in the text
  (pybtex's default labels are alphabetic, ``[BCKW15]``).
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle

from bnnbook.book import BOOK_BUILD_ENV
from bnnbook.interactive import PLOTLY_MARKER

PLOTLY_JS = "plotly.min.js"


class AuthorYearLabels(BaseLabelStyle):
    """``Blundell et al., 2015``; ``Guo and Pleiss, 2017``; ``Prasad, 2022``."""

    def format_labels(self, sorted_entries):
        labels = [self._label(entry) for entry in sorted_entries]
        count, seen = Counter(labels), Counter()
        for label in labels:                       # two papers, same label: 2015a, 2015b
            yield label + ("abcdefghijklmnopqrstuvwxyz"[seen[label]] if count[label] > 1 else "")
            seen[label] += 1

    @staticmethod
    def _label(entry) -> str:
        names = [" ".join(p.last_names) for p in entry.persons.get("author", [])]
        who = f"{names[0]} et al." if len(names) > 2 else " and ".join(names) or entry.key
        return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    """``unsrt`` formatting, author–year labels, sorted by author, year and title."""

    default_label_style = "bnntut-author-year"
    default_sorting_style = "author_year_title"


def _plotly_js_path() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / PLOTLY_JS


def _add_plotly_where_used(app, pagename, templatename, context, doctree):
    if PLOTLY_MARKER in context.get("body", ""):
        app.add_js_file(PLOTLY_JS, priority=400)


def _copy_plotly(app, exception):
    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_plotly_js_path(), static / PLOTLY_JS)


def setup(app):
    os.environ[BOOK_BUILD_ENV] = "1"
    register_plugin("pybtex.style.labels", "bnntut-author-year", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "bnntut-author-year", AuthorYearStyle)
    app.connect("html-page-context", _add_plotly_where_used)
    app.connect("build-finished", _copy_plotly)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
