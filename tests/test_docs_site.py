"""The course website (``make docs``): Jupyter Book 2 builds it from the committed notebooks,
and a real browser (Debian's chromium via Playwright) opens the landing page and notebook 05.

The build runs MyST's Node.js CLI (the ``docs`` extra, ``jupyter-book``); it downloads nothing.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
SQS = ROOT / "notebooks" / "05-sqs-event-source-mapping.ipynb"
WIDGET = "application/vnd.jupyter.widget-view+json"


def _slug(notebook: Path) -> str:
    """MyST's page name for a notebook: its file name without the number."""
    return notebook.stem.split("-", 1)[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "html"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_docs.py"), "--out", str(out)], check=True)
    return out


def test_the_site_has_the_landing_page_every_notebook_and_the_events(site: Path) -> None:
    landing = (site / "index.html").read_text()
    for notebook in NOTEBOOKS:
        assert (site / f"{_slug(notebook)}.html").exists(), notebook.name
        assert f'href="{_slug(notebook)}.html"' in landing, notebook.name
    assert "make lab" in landing and "make test" in landing
    events = (site / "events.html").read_text()
    for event in sorted((ROOT / "data" / "events").glob("*.json")):
        assert event.name in events
        first_key = next(iter(json.loads(event.read_text())))
        assert f"&quot;{first_key}&quot;" in events, event.name


def test_notebook_pages_keep_the_committed_outputs_in_order(site: Path) -> None:
    page = (site / f"{_slug(SQS)}.html").read_text()
    nb = nbformat.read(SQS, as_version=4)
    streams = [o["text"] for c in nb.cells if c.cell_type == "code" for o in c.outputs if o["output_type"] == "stream"]
    assert streams, "notebook 05 prints something"
    positions = [page.find(html.escape(text.splitlines()[0])) for text in streams]
    assert -1 not in positions
    assert positions == sorted(positions)


def _views(notebook: Path) -> tuple[int, int]:
    """How many of the notebook's outputs are views: (with a static SVG, without one)."""
    nb = nbformat.read(notebook, as_version=4)
    views = [
        o["data"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if WIDGET in o.get("data", {}) or "lambdalab-static" in o.get("data", {}).get("image/svg+xml", "")
    ]
    with_svg = sum("image/svg+xml" in data for data in views)
    return with_svg, len(views) - with_svg


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _open(browser: Any, path: Path) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(path.as_uri())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"docs-{path.stem}.png"), full_page=False)
    return page


def test_the_browser_shows_the_landing_page_and_follows_its_link_to_notebook_05(site: Path, browser: Any) -> None:
    page = _open(browser, site / "index.html")
    try:
        assert page.locator("main h1").inner_text() == "lambdalab"
        assert page.locator("main table tr").count() == len(NOTEBOOKS) + 1
        page.locator(f"main a[href='{_slug(SQS)}.html']").first.click()
        page.wait_for_url(f"**/{_slug(SQS)}.html")
        assert "SQS" in page.locator("main h1").inner_text()
    finally:
        page.close()


def test_the_browser_shows_notebook_05_with_its_outputs_and_views(site: Path, browser: Any) -> None:
    nb = nbformat.read(SQS, as_version=4)
    page = _open(browser, site / f"{_slug(SQS)}.html")
    try:
        code_cells = sum(c.cell_type == "code" for c in nb.cells)
        assert page.locator(".cell-input").count() == code_cells
        assert page.locator(".output.stream pre").first.is_visible()
        with_svg, without = _views(SQS)
        assert with_svg + without > 0, "notebook 05 shows views"
        # each view draws its committed static picture; one committed without it shows a note instead
        assert page.locator(".view-svg svg").count() == with_svg
        assert page.locator(".widget-placeholder").count() == without
        if with_svg:
            assert page.locator(".view-svg svg").first.is_visible()
    finally:
        page.close()


def test_the_site_carries_the_instructor_guide_and_the_grading_page(site: Path) -> None:
    landing = (site / "index.html").read_text()
    for page, words in (("instructors", "Resets and updates"), ("grading", "nbgrader autograde")):
        assert f'href="{page}.html"' in landing, page
        assert words in (site / f"{page}.html").read_text(), page
