"""Notebook 05 in a real browser: JupyterLab + Debian's chromium via Playwright.

Runs every cell, then checks that no cell shows an error and that both kinds of
view rendered: the batch views (poison message: 3 failing batches of 3; partial
responses: 3 batches) and the two concurrency charts.  Clicking a message shows
its history.  A screenshot goes to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from test_browser import ARTIFACTS, CHROMIUM, ROOT, _free_port, _wait_http

NOTEBOOK = "05-sqs-event-source-mapping.ipynb"
EXPECTED_BATCH_BOXES = 3 * 3 + 3 + 1 + 1  # poison demo: 3 messages in 3 batches; partial demo: 3, then 1 and 1

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)")


def test_notebook_05_renders_the_batch_view_and_the_concurrency_chart(tmp_path: Path) -> None:
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
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_text("Run All Cells", exact=True).click()
            page.wait_for_function(
                "() => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];"
                " return p.length && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }",
                timeout=90_000,
            )
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
            tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t.split("\n")[0]]
            assert tracebacks == []
            page.wait_for_selector(".lambdalab-batch-view svg", timeout=15_000)
            assert page.locator(".lambdalab-batch-view").count() == 2
            page.wait_for_function(
                f"() => document.querySelectorAll('.lambdalab-batch-view rect.batch').length === {EXPECTED_BATCH_BOXES}",
                timeout=15_000,
            )
            assert page.locator(".lambdalab-batch-view .dlq").count() == 3 + 1
            assert page.locator(".lambdalab-concurrency").count() == 2
            page.wait_for_function(
                "() => [...document.querySelectorAll('.lambdalab-concurrency path.in-flight')]"
                ".every(p => (p.getAttribute('d') || '').length > 100)",
                timeout=15_000,
            )
            first = page.locator(".lambdalab-batch-view").first
            first.locator("text.message").nth(1).click()
            history = first.locator(".lambdalab-batch-history").inner_text()
            assert "poison" in history and "moved to the dead-letter queue after 3 receives" in history
            ARTIFACTS.mkdir(exist_ok=True)
            first.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "05-batch-view.png"), full_page=False)
            page.locator(".lambdalab-concurrency").first.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "05-concurrency.png"), full_page=False)
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
