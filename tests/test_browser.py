"""The notebooks' views in a real browser: JupyterLab + Debian's chromium via Playwright.

Each check runs a whole notebook (Run All Cells), requires that no cell shows an
error, then counts what its widgets drew, and checks each view at a 1024 px window
with the file browser open, in the light and the dark theme (it fits its output area,
its text reads).  Screenshots go to test-artifacts/ whether a check passes or fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    ARTIFACTS,
    CHROMIUM,
    DRAW_TIMEOUT_MS,
    Session,
    check_views_fit_and_read,
    open_without_running,
    session,
    set_theme,
    static_pictures,
)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    with session(tmp_path_factory.mktemp("browser")) as s:
        yield s


def test_notebook_04_draws_every_attempt_on_the_retry_timeline(jupyter: Session) -> None:
    with jupyter.notebook("04-async-invoke-and-destinations.ipynb") as page:
        page.wait_for_selector(".lambdalab-timeline svg", timeout=DRAW_TIMEOUT_MS)
        assert page.locator(".lambdalab-timeline").count() == 2
        page.wait_for_function(  # 3 attempts for "flaky", 1 + 5 + 6 for the three "busy" events
            "() => document.querySelectorAll('.lambdalab-timeline [data-kind=attempt]').length === 15",
            timeout=DRAW_TIMEOUT_MS,
        )
        assert page.locator(".lambdalab-timeline [data-kind=done]").count() == 1 + 3
        page.locator(".lambdalab-timeline").first.scroll_into_view_if_needed()
        check_views_fit_and_read(page, ".lambdalab-timeline", "04-retry-timeline")


def test_notebook_05_draws_batches_the_dlq_and_concurrency(jupyter: Session) -> None:
    expected_batch_boxes = 3 * 3 + 3 + 1 + 1  # poison demo: 3 messages in 3 batches; partial demo: 3, then 1 and 1
    with jupyter.notebook("05-sqs-event-source-mapping.ipynb") as page:
        page.wait_for_selector(".lambdalab-batch-view svg", timeout=DRAW_TIMEOUT_MS)
        assert page.locator(".lambdalab-batch-view").count() == 2
        page.wait_for_function(
            f"() => document.querySelectorAll('.lambdalab-batch-view rect.batch').length === {expected_batch_boxes}",
            timeout=DRAW_TIMEOUT_MS,
        )
        assert page.locator(".lambdalab-batch-view .dlq").count() == 3 + 1
        assert page.locator(".lambdalab-concurrency").count() == 2
        page.wait_for_function(
            "() => [...document.querySelectorAll('.lambdalab-concurrency path.in-flight')]"
            ".every(p => (p.getAttribute('d') || '').length > 100)",
            timeout=DRAW_TIMEOUT_MS,
        )
        first = page.locator(".lambdalab-batch-view").first
        first.locator("text.message").nth(1).click()
        history = first.locator(".lambdalab-batch-history").inner_text()
        assert "poison" in history and "moved to the dead-letter queue after 3 receives" in history
        first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "05-batch-view.png"), full_page=False)
        page.locator(".lambdalab-concurrency").first.scroll_into_view_if_needed()
        check_views_fit_and_read(page, ".lambdalab-batch-view", "05-batch-view")
        check_views_fit_and_read(page, ".lambdalab-concurrency", "05-concurrency")


def test_notebook_06_draws_a_lane_per_shard(jupyter: Session) -> None:
    with jupyter.notebook("06-streams.ipynb") as page:
        page.wait_for_selector(".lambdalab-shard-view svg", timeout=DRAW_TIMEOUT_MS)
        assert page.locator(".lambdalab-shard-view svg").count() == 2
        page.wait_for_function(
            "() => document.querySelectorAll('.lambdalab-shard-view rect.batch').length === 12",
            timeout=DRAW_TIMEOUT_MS,
        )
        assert page.locator(".lambdalab-shard-view .discard").count() == 1
        page.locator(".lambdalab-shard-view svg").first.scroll_into_view_if_needed()
        check_views_fit_and_read(page, ".lambdalab-shard-view", "06-shard-view")


@pytest.mark.parametrize(
    ("name", "view", "count", "shot"),
    [
        ("10-operating-functions.ipynb", ".lambdalab-function-concurrency", 3, "10-function-concurrency"),
        ("11-durable-functions.ipynb", ".lambdalab-durable", 2, "11-durable-timeline"),
    ],
)
def test_notebooks_10_and_11_draw_their_views(jupyter: Session, name: str, view: str, count: int, shot: str) -> None:
    with jupyter.notebook(name) as page:
        page.wait_for_selector(f"{view} svg", timeout=DRAW_TIMEOUT_MS)
        page.wait_for_function(  # every view drawn, with its marks
            f"() => document.querySelectorAll('{view} svg').length === {count}"
            f" && [...document.querySelectorAll('{view} svg')].every(s => s.querySelectorAll('path, rect').length > 4)",
            timeout=DRAW_TIMEOUT_MS,
        )
        page.locator(view).first.scroll_into_view_if_needed()
        check_views_fit_and_read(page, view, shot)


#: the committed views of each notebook: every kind (retry timeline, batch view, concurrency chart, shard view,
#: function concurrency chart, durable timeline)
COMMITTED_VIEWS = {
    "04-async-invoke-and-destinations.ipynb": 2,
    "05-sqs-event-source-mapping.ipynb": 4,
    "06-streams.ipynb": 2,
    "10-operating-functions.ipynb": 3,
    "11-durable-functions.ipynb": 2,
}


def test_notebooks_opened_as_committed_show_each_views_picture_in_either_theme(jupyter: Session) -> None:
    """Before any cell runs: every view's committed SVG is drawn whole, on its own background, light or dark."""
    page = jupyter.browser.new_page(viewport={"width": 1024, "height": 900})
    try:
        for name, views in COMMITTED_VIEWS.items():
            open_without_running(jupyter, name, page)
            for theme, light in (("JupyterLab Light", True), ("JupyterLab Dark", False)):
                if page.evaluate("() => document.body.dataset.jpThemeLight") != str(light).lower():
                    set_theme(page, theme)  # the pictures follow it: its color-scheme reaches an <img>'s SVG
                pictures = static_pictures(page)
                assert len(pictures) == views, (name, pictures)
                assert all(p["width"] > 0 and p["overflow"] <= 1 for p in pictures), f"cut at the right: {pictures}"
                assert all((p["paper"] > 0.9) if light else (p["paper"] < 0.2) for p in pictures), (theme, pictures)
                first = page.locator(".jp-OutputArea-output img").first
                first.scroll_into_view_if_needed()
                first.screenshot(path=str(ARTIFACTS / f"{name[:2]}-static-{'light' if light else 'dark'}-1024.png"))
    finally:
        if page.evaluate("() => document.body.dataset.jpThemeLight") == "false":
            set_theme(page, "JupyterLab Light")  # JupyterLab keeps the theme for the next check
        page.close()
