"""A real browser for the notebook checks: JupyterLab on 127.0.0.1 and Debian's chromium
driven by Playwright (never a downloaded browser build).

One JupyterLab and one browser serve every check of a test module; each check opens
its notebook in a fresh page, runs all cells and hands the page back.  A screenshot
is kept in test-artifacts/ whether the check passes or fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]  # fmt: skip
ERRORS = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']"
ALL_RAN = (
    "() => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];"
    " return p.length > 0 && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.2)
    raise TimeoutError(url)


class Session:
    """JupyterLab serving a copy of the notebooks, and a browser to drive it."""

    def __init__(self, browser: Any, base: str, token: str) -> None:
        self.browser = browser
        self.base = base
        self.token = token

    @contextmanager
    def notebook(self, name: str, *, timeout_s: float = 120) -> Iterator[Any]:
        """Open ``name``, run all its cells, yield the page; screenshot at the end."""
        page = self.browser.new_page(viewport={"width": 1400, "height": 1000})
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / (Path(name).stem + ".png")
        try:
            page.goto(f"{self.base}/lab/tree/{name}?reset&token={self.token}")
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
            page.locator(".jp-Notebook").first.click()
            page.keyboard.press("Escape")
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_text("Run All Cells", exact=True).click()
            page.wait_for_function(ALL_RAN, timeout=timeout_s * 1000)
            tracebacks = [
                t for t in page.locator(ERRORS).all_inner_texts() if "Traceback" in t or "Error" in t.split("\n")[0]
            ]
            assert tracebacks == [], tracebacks
            yield page
        finally:
            try:
                page.screenshot(path=str(shot), full_page=False)
            finally:
                page.close()


@contextmanager
def session(tmp: Path) -> Iterator[Session]:
    """Start JupyterLab (loopback only) and chromium; stop both, and every kernel, at the end."""
    from playwright.sync_api import sync_playwright

    work = tmp / "kit"
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    (work / "data").symlink_to(ROOT / "data")
    port, token = _free_port(), uuid.uuid4().hex
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp / "cfg"), "JUPYTER_RUNTIME_DIR": str(tmp / "rt"),
           "JUPYTER_DATA_DIR": str(tmp / "data")}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work / 'notebooks'}",
         "--allow-root", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=work / "notebooks", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_http(f"{base}/api/status?token={token}", 60)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield Session(browser, base, token)
            finally:
                browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and the kernels it started
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
