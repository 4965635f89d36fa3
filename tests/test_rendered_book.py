"""Open the built HTML pages in headless Chromium and read them as a reader would.

Every chapter loads offline, shows its figures, has no error output, renders its math, needs
no horizontal scrolling at 1280 px (and only tables may scroll at 390 px), breaks no word of a
table cell across lines, requests no script from the network, and carries no widget state; the
two interactive figures respond to their sliders, and at both widths none of their titles,
controls or legends overlaps another or leaves the figure.  Screenshots of every page at both
widths, and of every interactive figure, go to ``_build/screenshots/``.

Runs when ``BNNTUT_BOOK_HTML`` names the built book (``.ci/run`` sets it after
``jupyter-book build``); then Chromium and its driver must be installed.
"""

import base64
import os
import re
import shutil
import time
from pathlib import Path

import pytest

HTML = os.environ.get("BNNTUT_BOOK_HTML")
DRIVER = shutil.which("chromedriver")
ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("*.py"))
PAGES = CHAPTERS + ["references"]
WIDTHS = (1280, 390)
#: Chapters with at least this many figures.
MIN_FIGURES = {"intro": 0, "prior": 2, "bayes_by_backprop": 2, "baselines": 2, "weights": 3,
               "pruning": 2, "evaluation": 1, "reproduction_notes": 0, "uncertainty": 2,
               "compression": 2, "fair_comparison": 3, "prunability": 2, "conclusions": 1,
               "toy": 3, "blundell_protocol": 0, "gpu_study": 0,
               "references": 0}
#: Pages whose formulas must be rendered by MathJax.
MATH_PAGES = ("prior", "bayes_by_backprop", "toy", "prunability", "gpu_study")
#: Elements that must fit the column at 1280 px (output blocks, tables, code, display math).
BLOCKS = ("div.cell_output", "div.output", "div.cell_output pre", "div.cell_input pre",
          "article table", "div.highlight pre", "div.math-wrapper", "div.admonition",
          'mjx-container[display="true"]')
#: Raw TeX delimiters that must not survive into the visible text.
RAW_TEX = ("\\(", "\\)", "\\[", "\\]", "$$")
#: Pages with interactive (plotly) figures.
PLOTLY_PAGES = ("prior", "pruning")
#: The parts of a plotly figure that must neither overlap each other nor leave the figure.
PLOTLY_PARTS = {"figure title": ".gtitle", "annotation": ".annotation",
                "dropdown": ".updatemenu-container .updatemenu-header-group",
                "slider": ".slider-container .slider-group", "x-axis title": ".xtitle",
                "y-axis title": ".ytitle", "legend": ".legend", "colour bar": ".colorbar"}

pytestmark = pytest.mark.skipif(not HTML, reason="set BNNTUT_BOOK_HTML to the built book")


@pytest.fixture(scope="module")
def browser():
    if not DRIVER:
        pytest.fail("chromedriver is not installed (Debian: apt-get install chromium-driver)")
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                 "--window-size=1280,2000"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _open(browser, page: str, width: int):
    path = Path(HTML) / "book" / f"{page}.html"
    assert path.exists(), f"{path} was not built"
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": width < 600})
    browser.get(path.as_uri())
    # MathJax typesets asynchronously; wait until it says it is done (or is absent).
    browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
            MathJax.startup.promise.then(() => done(true));
        } else { done(false); }""")


def _screenshot(browser, page: str, width: int) -> None:
    """The whole page: the viewport is made as tall as the page, then captured as it is
    (capturing beyond the viewport shifts some pages sideways)."""
    shots = Path(HTML).parent / "screenshots"
    shots.mkdir(exist_ok=True)
    height = min(browser.execute_script("return document.documentElement.scrollHeight"), 16000)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    browser.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.5)                                   # let the resized page settle
    image = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    (shots / f"{page}-{width}.png").write_bytes(base64.b64decode(image["data"]))


def _overflowing(browser, selectors) -> list[str]:
    return browser.execute_script("""
        const out = [];
        for (const sel of arguments[0]) {
            for (const el of document.querySelectorAll(sel)) {
                if (el.scrollWidth > el.clientWidth + 1 && el.offsetParent !== null) {
                    out.push(sel + ': ' + el.scrollWidth + ' > ' + el.clientWidth + ' px: '
                             + el.innerText.slice(0, 80).replace(/\\s+/g, ' '));
                }
            }
        }
        return out;""", list(selectors))


@pytest.mark.parametrize("page", PAGES)
def test_page_reads_cleanly_at_1280px(browser, page):
    _open(browser, page, 1280)
    assert browser.find_element("css selector", "article h1").text.strip()
    images = browser.find_elements("css selector", "article img")
    broken = [img.get_attribute("src") for img in images
              if not browser.execute_script("return arguments[0].complete && "
                                            "arguments[0].naturalWidth > 0", img)]
    assert not broken, f"images that did not load: {broken}"
    assert len(images) >= MIN_FIGURES[page]
    text = browser.find_element("tag name", "article").text
    for marker in ("Traceback (most recent call last)", "Error:"):
        assert marker not in text
    reprs = re.findall(r"<[^<>]* at 0x[0-9a-f]{6,}>?", text)
    assert not reprs, f"object reprs in the output: {reprs[:3]}"
    assert not browser.find_elements("css selector", ".output.traceback, .output.stderr")
    raw = [d for d in RAW_TEX if d in text]
    assert not raw, f"raw TeX visible on the page: {raw}"
    if page in MATH_PAGES:
        assert browser.find_elements("css selector", "article mjx-container"), "no rendered math"
    assert not browser.find_elements("css selector", "mjx-merror"), "a formula failed to render"
    clipped = _overflowing(browser, BLOCKS)
    assert not clipped, "horizontal scrolling at 1280 px:\n" + "\n".join(clipped)
    _screenshot(browser, page, 1280)


@pytest.mark.parametrize("page", PAGES)
def test_page_wraps_at_390px(browser, page):
    _open(browser, page, 390)
    clipped = _overflowing(browser, ("article p", "article li", "article h1", "article h2"))
    assert not clipped, "text that does not wrap at 390 px:\n" + "\n".join(clipped)
    _screenshot(browser, page, 390)


@pytest.mark.parametrize("page", PAGES)
def test_page_is_offline_and_widget_free(page):
    source = (Path(HTML) / "book" / f"{page}.html").read_text()
    from html.parser import HTMLParser

    class Scripts(HTMLParser):
        def __init__(self):
            super().__init__()
            self.remote, self.widget_state = [], False

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            src = attrs.get("src") or ""
            if tag == "script" and src.startswith(("http:", "https:", "//")):
                self.remote.append(src)
            if tag == "script" and "widget-state" in (attrs.get("type") or ""):
                self.widget_state = True

    scripts = Scripts()
    scripts.feed(source)
    assert not scripts.remote, f"scripts loaded from the network: {scripts.remote}"
    assert not scripts.widget_state, "the page embeds ipywidgets state"
    assert "require.min.js" not in source and "embed-amd" not in source


@pytest.mark.parametrize("page", PAGES)
def test_no_table_cell_is_cut_short(page):
    """pandas marks a cell it cut, or rows and columns it elided, with "..."."""
    import html
    import re

    source = (Path(HTML) / "book" / f"{page}.html").read_text()
    cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", source, flags=re.S)]
    cut = [c for c in cells if c.endswith("...")]
    assert not cut, f"table cells cut short: {cut[:3]}"


def _slider_changes_figure(browser, page: str, slider: int) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    _open(browser, page, 1280)
    figures = browser.find_elements("css selector", "article .plotly-graph-div")
    assert figures, f"{page}: no interactive figure on the page"
    state = """const gd = document.querySelector('article .plotly-graph-div');
               return JSON.stringify(gd.data.map(t => t.y || t.z));"""
    rail = browser.find_elements("css selector", "article .slider-rail-rect")[slider]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", rail)
    time.sleep(1.0)              # let the figure settle at the column's width (it redraws)
    before = browser.execute_script(state)
    rail = browser.find_elements("css selector", "article .slider-rail-rect")[slider]
    ActionChains(browser).move_to_element_with_offset(
        rail, -rail.size["width"] // 2 + 3, 0).click().perform()
    time.sleep(0.5)
    after = browser.execute_script(state)
    assert after != before, f"{page}: moving the slider did not change the figure"


def test_prune_slider_works_without_a_kernel(browser):
    _slider_changes_figure(browser, "pruning", 0)


def test_prior_explorer_works_without_a_kernel(browser):
    _slider_changes_figure(browser, "prior", 2)


def _settled_figures(browser, page: str, width: int) -> int:
    """Open ``page`` at ``width`` and wait until its plotly figures have drawn at the column's
    width (they redraw, and may switch layout, once the page is laid out)."""
    _open(browser, page, width)
    count = len(browser.find_elements("css selector", "article .plotly-graph-div"))
    time.sleep(1.5)
    return count


def _layout_problems(browser) -> list[str]:
    """Overlapping or clipped parts of every plotly figure on the page (DOM rectangles)."""
    return browser.execute_script("""
        const problems = [];
        const figures = document.querySelectorAll('article .plotly-graph-div');
        figures.forEach((gd, n) => {
            const fig = gd.getBoundingClientRect(), parts = [];
            for (const [name, sel] of Object.entries(arguments[0])) {
                gd.querySelectorAll(sel).forEach((el, i) => {
                    const r = el.getBoundingClientRect();
                    const text = (el.textContent || '').slice(0, 40);
                    if (r.width > 0 && r.height > 0) {
                        parts.push({what: `${name} ${i} "${text}"`, r});
                    }
                });
            }
            for (const {what, r} of parts) {
                if (r.left < fig.left - 1 || r.right > fig.right + 1 || r.top < fig.top - 1
                        || r.bottom > fig.bottom + 1) {
                    problems.push(`figure ${n}: ${what} leaves the figure`);
                }
            }
            parts.forEach((a, i) => parts.slice(i + 1).forEach(b => {
                const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
                const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
                if (w > 1 && h > 1) problems.push(`figure ${n}: ${a.what} overlaps ${b.what}`);
            }));
            const column = gd.closest('article').getBoundingClientRect();
            if (fig.right > column.right + 1) problems.push(`figure ${n} is wider than the column`);
            const cell = (gd.closest('.cell_output') || gd.parentElement).getBoundingClientRect();
            if (fig.bottom > cell.bottom + 1) problems.push(`figure ${n} spills out of its cell`);
        });
        return problems;""", PLOTLY_PARTS)


def _figure_screenshots(browser, page: str, width: int) -> None:
    """Each interactive figure whole: the viewport is made taller than the figure first."""
    shots = Path(HTML).parent / "screenshots"
    shots.mkdir(exist_ok=True)
    for n, figure in enumerate(browser.find_elements("css selector",
                                                     "article .plotly-graph-div")):
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": max(1000, figure.size["height"] + 100),
            "deviceScaleFactor": 1, "mobile": width < 600})
        browser.execute_script("arguments[0].scrollIntoView()", figure)
        time.sleep(0.5)
        (shots / f"{page}-figure{n}-{width}.png").write_bytes(figure.screenshot_as_png)


def test_every_interactive_figure_is_checked():
    pages = {page for page in PAGES
             if "plotly-graph-div" in (Path(HTML) / "book" / f"{page}.html").read_text()}
    assert pages == set(PLOTLY_PAGES)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", PLOTLY_PAGES)
def test_interactive_figure_parts_do_not_collide(browser, page, width):
    """No two of the titles, subplot titles, dropdowns, sliders, axis titles, legend and colour
    bar overlap, and none is cut off by the figure's edges."""
    assert _settled_figures(browser, page, width), f"{page}: no interactive figure"
    problems = _layout_problems(browser)
    _figure_screenshots(browser, page, width)
    assert not problems, f"{page} at {width} px:\n" + "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", PAGES)
def test_table_cells_keep_words_whole(browser, page, width):
    """Every word of every table cell lies on one line, or ends a line only at its own hyphen,
    dash or slash ("Fashion-" / "MNIST"), never between two letters."""
    _open(browser, page, width)
    broken = browser.execute_script("""
        const broken = [], BREAK = '\\\\/\\\\u2010-\\\\u2015-';     // slash, hyphens and dashes
        for (const cell of document.querySelectorAll('article td, article th')) {
            const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                // a piece: up to and including a hyphen, dash or slash, or up to a space
                const pieces = new RegExp('[^\\\\s' + BREAK + ']*[' + BREAK + ']+|[^\\\\s' + BREAK
                                          + ']+', 'g');
                for (const piece of node.data.matchAll(pieces)) {
                    const range = document.createRange();
                    range.setStart(node, piece.index);
                    range.setEnd(node, piece.index + piece[0].length);
                    const tops = new Set([...range.getClientRects()]
                        .filter(r => r.width > 0).map(r => Math.round(r.top)));
                    if (tops.size > 1) {
                        broken.push(`"${piece[0]}" in: ${cell.innerText.slice(0, 60)}`);
                    }
                }
            }
        }
        return broken;""")
    assert not broken, f"words broken across lines at {width} px:\n" + "\n".join(broken[:10])
