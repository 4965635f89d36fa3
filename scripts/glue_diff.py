"""Compare the glued values of two built books, page by page, as the pages show them.

Usage::

    python scripts/glue_diff.py OLD/_build NEW/_build

Reads each build's execution cache (``_build/.jupyter_cache``: which notebook is which page,
and the glued outputs), pairs the values by (page, key) and prints every pair that differs.
Numbers count as equal when the old value rounded to the new one's decimals is the new one
(a value glued raw in one build and as formatted text in the other reads the same on the
page).  Exit status 0 always: the list is for a person to read.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path


def glued(build: Path) -> dict[tuple[str, str], str]:
    """``{(page, key): value}`` of every glued output in ``build``'s execution cache."""
    cache = build / ".jupyter_cache"
    with sqlite3.connect(str(cache / "global.db")) as db:
        pages = {key: Path(uri).stem for key, uri in db.execute("select hashkey, uri from nbcache")}
    out = {}
    for notebook in (cache / "executed").rglob("*.ipynb"):
        page = pages.get(notebook.parent.name, notebook.parent.name)
        for cell in json.loads(notebook.read_text()).get("cells", []):
            for output in cell.get("outputs", []):
                scrap = output.get("metadata", {}).get("scrapbook")
                if scrap:
                    data = output.get("data", {})
                    value = (data.get("application/papermill.record/text/markdown")
                             or data.get("application/papermill.record/text/plain") or "")
                    text = "".join(value) if isinstance(value, list) else value
                    out[(page, scrap["name"])] = text
    return out


def _shown(text: str) -> tuple[float | None, int, str]:
    """``(number, decimals, text)`` of a glued value as a page shows it."""
    plain = str(text).strip().strip("'\"")
    try:
        number = float(plain.replace("−", "-").replace("+", "").rstrip(" %"))
    except ValueError:
        return None, 0, plain
    decimals = len(plain.split(".")[1].rstrip(" %")) if "." in plain else 0
    return number, decimals, plain


def same_as_shown(old: str, new: str) -> bool:
    """Whether two glued values read the same on the page."""
    (a, _, old_text), (b, places, new_text) = _shown(old), _shown(new)
    if old_text == new_text:
        return True
    return a is not None and b is not None and round(a, places) == b


def main(old_build: str, new_build: str) -> None:
    old, new = glued(Path(old_build)), glued(Path(new_build))
    common = sorted(set(old) & set(new))
    differ = [k for k in common if not same_as_shown(old[k], new[k])]
    for page, key in differ:
        print(f"{page}: {key}: {old[(page, key)][:70]!r} -> {new[(page, key)][:70]!r}")
    print(f"{len(common)} glued values on both: {len(common) - len(differ)} read the same, "
          f"{len(differ)} differ; {len(set(old) - set(new))} only in the old build, "
          f"{len(set(new) - set(old))} only in the new")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python scripts/glue_diff.py OLD/_build NEW/_build")
    main(*sys.argv[1:])
