"""Open the built HTML pages in headless Chromium: each chapter loads, shows its figures and
contains no error output.  Runs when ``BNNTUT_BOOK_HTML`` names the built book (``.ci/run``
sets it after ``jupyter-book build``); then Chromium and its driver must be installed."""

import os
import shutil
from pathlib import Path

import pytest

HTML = os.environ.get("BNNTUT_BOOK_HTML")
DRIVER = shutil.which("chromedriver")
ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("*.py"))
#: Chapters with at least this many figures.
MIN_FIGURES = {"intro": 0, "prior": 2, "bayes_by_backprop": 2, "baselines": 2, "weights": 3,
               "pruning": 2, "evaluation": 1, "reproduction_notes": 0, "uncertainty": 2,
               "compression": 2, "fair_comparison": 3}

pytestmark = pytest.mark.skipif(not HTML, reason="set BNNTUT_BOOK_HTML to the built book")


@pytest.fixture(scope="module")
def browser():
    if not DRIVER:
        pytest.fail("chromedriver is not installed (Debian: apt-get install chromium-driver)")
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,2000"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page(browser, chapter):
    page = Path(HTML) / "book" / f"{chapter}.html"
    assert page.exists(), f"{page} was not built"
    browser.get(page.as_uri())
    assert browser.find_element("css selector", "article h1").text.strip()
    images = browser.find_elements("css selector", "article img")
    broken = [img.get_attribute("src") for img in images
              if not browser.execute_script("return arguments[0].complete && "
                                            "arguments[0].naturalWidth > 0", img)]
    assert not broken, f"images that did not load: {broken}"
    assert len(images) >= MIN_FIGURES[chapter]
    text = browser.find_element("tag name", "article").text
    for marker in ("Traceback (most recent call last)", "Error:"):
        assert marker not in text
    assert not browser.find_elements("css selector", ".output.traceback, .output.stderr")
    shots = Path(HTML).parent / "screenshots"
    shots.mkdir(exist_ok=True)
    browser.save_screenshot(str(shots / f"{chapter}.png"))
