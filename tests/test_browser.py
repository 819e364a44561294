"""Notebook 04 in a real browser: JupyterLab + Debian's chromium via Playwright.

Runs every cell, then checks that no cell shows an error and that the retry
timelines rendered with the expected attempt marks (3 for "flaky", 6 for
"paused").  A screenshot goes to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "04-async-invoke-and-destinations.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
EXPECTED_ATTEMPTS = 3 + 6

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.2)
    raise TimeoutError(url)


def test_notebook_04_renders_the_retry_timeline(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    work = tmp_path / "notebooks"
    work.mkdir()
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, work / NOTEBOOK)
    port, token = _free_port(), uuid.uuid4().hex
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}", "--ServerApp.open_browser=False",
         "--allow-root", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    browser = None
    try:
        _wait_http(f"http://127.0.0.1:{port}/api/status?token={token}", time.monotonic() + 30)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                      "--disable-sync", "--no-first-run"],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK}?token={token}")
            page.wait_for_selector(".jp-Notebook", timeout=30_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=30_000)
            page.locator(".jp-Notebook").first.click()
            page.keyboard.press("Escape")
            # Run > Run All Cells
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_text("Run All Cells", exact=True).click()
            # the last cell (lab.close()) gets an execution count when all is done
            cells = page.locator(".jp-CodeCell .jp-InputPrompt")
            page.wait_for_function(
                "() => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];"
                " return p.length && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }",
                timeout=45_000,
            )
            assert cells.count() > 5
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
            tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t.split("\n")[0]]
            assert tracebacks == []
            page.wait_for_selector(".lambdalab-timeline svg", timeout=15_000)
            assert page.locator(".lambdalab-timeline").count() == 2
            page.wait_for_function(
                f"() => document.querySelectorAll('.lambdalab-timeline [data-kind=attempt]').length === {EXPECTED_ATTEMPTS}",
                timeout=15_000,
            )
            assert page.locator(".lambdalab-timeline [data-kind=done]").count() == 2
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator(".lambdalab-timeline").first.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "04-retry-timeline.png"), full_page=False)
            browser.close()
            browser = None
    finally:
        if browser is not None:
            browser.close()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
