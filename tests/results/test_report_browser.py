"""The report of a small real sweep, opened in headless Chromium through Selenium.

What a reader sees: every figure loads (``naturalWidth > 0``, counted against the PNG files
on disk), every link inside the report resolves (anchors to an element of the page,
relative links to a file of the report that the browser then opens), and the console stays
free of errors. A screenshot of the page is saved in the test's temp dir.

Needs Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs them when
missing and it runs as root); without them the test skips, saying so, unless
``NNSWEEPS_REQUIRE_BROWSER=1`` (``make test-browser``) makes that a failure.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

TINY_MOONS = """name = "tiny-moons"
task = "moons"
[params]
hidden = [[3], [4, 4]]
activation = "tanh"
epochs = 20
seed = [0, 1]
"""
INSTALL = "apt-get install chromium chromium-driver (or run `make test-browser` as root)"


def _browser_paths():
    """(chromium, chromedriver) paths, or skip (or fail, when required) naming what lacks."""
    browser = next(filter(None, map(shutil.which, ("chromium", "chromium-browser",
                                                   "google-chrome"))), None)
    driver = shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", browser), ("chromedriver", driver))
               if path is None]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install -e '.[test]')")
    if missing:
        reason = f"headless browser test needs {' and '.join(missing)}: {INSTALL}"
        if os.environ.get("NNSWEEPS_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return browser, driver


@pytest.fixture
def chrome(tmp_path):
    """A headless Chromium driven by the system's chromedriver (no driver downloads)."""
    browser, driver_path = _browser_paths()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _sweeps(*args, cwd):
    done = subprocess.run([sys.executable, "-m", "sweeps", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def report(tmp_path):
    """``sweeps run`` a four-job moons sweep, then ``sweeps report`` it; the report dir."""
    (tmp_path / "tiny.toml").write_text(TINY_MOONS)
    _sweeps("run", "tiny.toml", "--out", "run", "--jobs", "1", "--quiet", cwd=tmp_path)
    _sweeps("report", "run", cwd=tmp_path)
    return tmp_path / "run" / "report"


IMAGES = """return Array.from(document.images, img => ({
    src: img.getAttribute('src'), complete: img.complete, width: img.naturalWidth}));"""
LINKS = "return Array.from(document.links, a => a.getAttribute('href'));"


def _errors(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def _wait_loaded(driver):
    from selenium.webdriver.support.ui import WebDriverWait

    # Figures below the fold load lazily (only once scrolled near): ask for all of them
    # now, so that "every image loaded" is checked for every image of the page.
    driver.execute_script("Array.from(document.images).forEach(i => i.loading = 'eager')")
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
        and d.execute_script("return Array.from(document.images).every(i => i.complete)"))


def test_the_report_opens_in_chromium_with_every_image_and_link(chrome, report, tmp_path):
    index = report / "index.html"
    chrome.get(index.as_uri())
    _wait_loaded(chrome)
    assert "tiny-moons" in chrome.title

    images = chrome.execute_script(IMAGES)
    on_disk = sorted(p.relative_to(report).as_posix() for p in report.rglob("*.png"))
    assert sorted(img["src"] for img in images) == on_disk and len(on_disk) >= 3
    broken = [img["src"] for img in images if not (img["complete"] and img["width"] > 0)]
    assert not broken, f"images that did not load: {broken}"

    hrefs = chrome.execute_script(LINKS)
    anchors = [h[1:] for h in hrefs if h.startswith("#")]
    files = [h for h in hrefs if not h.startswith("#")]
    assert anchors and files
    missing_ids = [a for a in anchors
                   if not chrome.execute_script("return !!document.getElementById(arguments[0])",
                                                a)]
    assert not missing_ids, f"anchors with no element: {missing_ids}"
    for href in files:
        parts = urlsplit(href)
        assert not (parts.scheme or parts.netloc), f"link leaves the report: {href}"
        target = (report / unquote(parts.path)).resolve()
        assert target.is_file() and target.is_relative_to(report.resolve()), href

    errors = _errors(chrome)  # reading the log empties it
    assert not errors, errors
    shot = tmp_path / "report.png"
    height = chrome.execute_script("return document.documentElement.scrollHeight")
    chrome.set_window_size(1400, min(height + 100, 8000))
    assert chrome.save_screenshot(str(shot)) and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Follow each linked page of the report in the browser: each opens without an error.
    for href in sorted({h for h in files if h.endswith(".html")}):
        chrome.get((report / href).as_uri())
        _wait_loaded(chrome)
        assert chrome.find_elements("css selector", "table"), href
        errors = _errors(chrome)
        assert not errors, (href, errors)
    assert Path(shot).stat().st_size > 10_000  # a page with figures, not a blank window
