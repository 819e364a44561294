"""A real browser for the notebook checks: JupyterLab on 127.0.0.1 and Debian's chromium
driven by Playwright (never a downloaded browser build).

One JupyterLab and one browser serve every check of a test module; each check opens
its notebook in a fresh page, runs all cells and hands the page back.  A screenshot
is kept in test-artifacts/ whether the check passes or fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lambdalab.cli import trust_course

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]  # fmt: skip
ERRORS = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']"
#: where the notebook stands: code cells, how many ran ([n]), how many wait or run ([*]), the kernel's status
PROGRESS = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent);
  const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
  return {cells: prompts.length, ran: prompts.filter(t => /\\[\\d+\\]/.test(t)).length,
          pending: prompts.filter(t => t.includes('*')).length,
          kernel: indicator ? indicator.getAttribute('data-status') : null};
}"""
#: JupyterLab settings of the checks' session (not the user's ~/.jupyter, which parallel runs would share)
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}
#: how long the notebook may go without a single cell finishing before the check gives up
STALL_S = 600.0
#: how long a view may take to draw once its cell has run (it is drawn as soon as it can be)
DRAW_TIMEOUT_MS = 120_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, server: subprocess.Popen[bytes]) -> None:
    """Wait for JupyterLab to answer, however long a busy machine takes; fail if it exits (or after STALL_S)."""
    deadline = time.monotonic() + STALL_S
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except Exception:  # noqa: BLE001 - not up yet
            if server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with status {server.returncode} before it answered") from None
            time.sleep(0.2)
    raise TimeoutError(url)


class Session:
    """JupyterLab serving a copy of the notebooks, and a browser to drive it."""

    def __init__(self, browser: Any, base: str, token: str) -> None:
        self.browser = browser
        self.base = base
        self.token = token

    @contextmanager
    def notebook(self, name: str) -> Iterator[Any]:
        """Open ``name``, run all its cells, yield the page; screenshot at the end.

        No fixed deadline: the check waits for the kernel to go idle with every cell
        run, however long a busy machine takes, and gives up only when no cell has
        finished for :data:`STALL_S` seconds or the kernel died.
        """
        page = self.browser.new_page(viewport={"width": 1400, "height": 1000})
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / (Path(name).stem + ".png")
        try:
            page.goto(f"{self.base}/lab/tree/{name}?reset&token={self.token}", timeout=STALL_S * 1000)  # a busy machine
            page.wait_for_selector(".jp-Notebook", timeout=STALL_S * 1000)
            _wait_for(page, lambda p: p["kernel"] == "idle", "the kernel to start")
            page.locator(".jp-Notebook").first.click()
            page.keyboard.press("Escape")
            # the committed outputs carry execution counts: clear them, so [n] means "ran now"
            page.get_by_role("menuitem", name="Edit", exact=True).click()
            page.get_by_text("Clear Outputs of All Cells", exact=True).click()
            _wait_for(page, lambda p: p["ran"] == 0, "the outputs to clear")
            _run_all_cells(page)
            _wait_for(page, lambda p: p["cells"] > 0 and p["ran"] == p["cells"] and p["kernel"] == "idle", "every cell")
            tracebacks = [
                t for t in page.locator(ERRORS).all_inner_texts() if "Traceback" in t or "Error" in t.split("\n")[0]
            ]
            assert tracebacks == [], tracebacks
            yield page
        finally:
            try:
                failed = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
                if failed.count():  # the screenshot shows the first error, not wherever the notebook stopped
                    failed.first.scroll_into_view_if_needed(timeout=10_000)
                page.screenshot(path=str(shot), full_page=False)
            finally:
                page.close()


def _run_all_cells(page: Any, tries: int = 3) -> None:
    """Run > Run All Cells, again if the notebook has not started within 30 s (a menu click that
    did not take once left a check waiting ten minutes for cells that never ran)."""
    for _ in range(tries):
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()
        try:
            page.wait_for_function(
                f"() => {{ const p = ({PROGRESS})(); return p.ran + p.pending > 0; }}", timeout=30_000
            )
            return
        except Exception:  # noqa: BLE001 - nothing started: open the menu again
            page.keyboard.press("Escape")


def _wait_for(page: Any, done: Callable[[dict[str, Any]], bool], what: str) -> None:
    """Poll the notebook until ``done``; fail if the kernel dies or nothing moves for STALL_S seconds."""
    last, moved = None, time.monotonic()
    while True:
        progress = page.evaluate(PROGRESS)
        if done(progress):
            return
        assert progress["kernel"] != "dead", f"the kernel died waiting for {what}: {progress}"
        state = (progress["ran"], progress["pending"], progress["kernel"])
        if progress["kernel"] == "idle" and progress["pending"] == 0 and 0 < progress["ran"] < progress["cells"]:
            # "Run All" stops at a cell that raised: say which error at once instead of waiting STALL_S
            errors = [t for t in page.locator(ERRORS).all_inner_texts() if t.strip()]
            assert not errors, f"a cell failed waiting for {what} ({progress}):\n" + "\n---\n".join(errors)
        if state != last:
            last, moved = state, time.monotonic()
        assert time.monotonic() - moved < STALL_S, f"no progress in {STALL_S:.0f} s waiting for {what}: {progress}"
        page.wait_for_timeout(500)


@contextmanager
def session(tmp: Path) -> Iterator[Session]:
    """Start JupyterLab (loopback only) and chromium; stop both, and every kernel, at the end."""
    from playwright.sync_api import sync_playwright

    work = tmp / "kit"
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    (work / "data").symlink_to(ROOT / "data")
    trust_course(work / "notebooks", tmp / "data")  # as `lambdalab lab` does: the committed pictures show
    port, token = _free_port(), uuid.uuid4().hex
    settings = tmp / "settings"  # this session's own: no autosave, so a check never rewrites a notebook it ran
    for plugin, values in LAB_SETTINGS.items():
        (settings / plugin).parent.mkdir(parents=True, exist_ok=True)
        (settings / plugin).write_text(json.dumps(values))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp / "cfg"), "JUPYTER_RUNTIME_DIR": str(tmp / "rt"),
           "JUPYTER_DATA_DIR": str(tmp / "data"), "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces")}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work / 'notebooks'}",
         "--allow-root", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=work / "notebooks", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_http(f"{base}/api/status?token={token}", server)
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


#: per view: how far its drawing sticks out right of its output area (px), and the lightness of its text
VIEW_FIT = """(sel) => [...document.querySelectorAll(sel)].map(v => {
  const area = v.closest('.jp-OutputArea-output') || v.parentElement, svg = v.querySelector('svg');
  const label = v.querySelector('text'), rgb = label ? getComputedStyle(label).fill.match(/[\\d.]+/g).map(Number) : [0, 0, 0];
  return {overflow: svg ? svg.getBoundingClientRect().right - area.getBoundingClientRect().right : 1e9,
          width: svg ? svg.getBoundingClientRect().width : 0,
          text: (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255};
})"""


def set_theme(page: Any, theme: str) -> None:
    """Settings > Theme > ``theme`` ("JupyterLab Light" or "JupyterLab Dark"), as a learner picks it."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Settings").click()
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text=theme).first.click()
    light = "true" if "Light" in theme else "false"
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{light}'", timeout=60_000)
    page.wait_for_timeout(500)


def narrow_with_file_browser(page: Any) -> None:
    """A 1024 px window with the file browser open: the narrowest output area the views must fit."""
    page.set_viewport_size({"width": 1024, "height": 900})
    news = page.get_by_role("button", name="No", exact=True)  # JupyterLab's "notified about news?" toast
    if news.count() and news.first.is_visible():
        news.first.click()
    if not page.locator("#filebrowser").is_visible():
        page.keyboard.press("Control+Shift+F")
    page.wait_for_function("() => document.querySelector('#filebrowser')?.offsetWidth > 100", timeout=30_000)
    page.wait_for_timeout(1000)  # the views redraw on resize


def check_views_fit_and_read(page: Any, views: str, name: str) -> None:
    """At 1024 px with the file browser open, and in the dark theme, every view fits and its text reads.

    Screenshots of the first view go to test-artifacts/ (``<name>-light-1024.png``, ``<name>-dark-1024.png``),
    and of the last one too when there are several (``<name>-last-light-1024.png``, ...).
    """
    narrow_with_file_browser(page)
    first = page.locator(views).first
    first.scroll_into_view_if_needed()
    try:
        first.screenshot(path=str(ARTIFACTS / f"{name}-light-1024.png"))  # kept whether the checks pass or not
        _shoot_last(page, views, f"{name}-last-light-1024.png")
        try:  # each view redraws on its own resize event: give a busy machine time before measuring
            page.wait_for_function(f"(sel) => ({VIEW_FIT})(sel).every(f => f.overflow <= 1)", arg=views, timeout=30_000)
        except Exception:  # noqa: BLE001 - the assertion below reports what does not fit
            pass
        fits = page.evaluate(VIEW_FIT, views)
        assert fits and all(f["overflow"] <= 1 for f in fits), fits
        assert all(f["text"] < 0.5 for f in fits), f"light theme: dark text expected {fits}"
        set_theme(page, "JupyterLab Dark")
        first.scroll_into_view_if_needed()
        first.screenshot(path=str(ARTIFACTS / f"{name}-dark-1024.png"))
        _shoot_last(page, views, f"{name}-last-dark-1024.png")
        first.scroll_into_view_if_needed()
        fits = page.evaluate(VIEW_FIT, views)
        assert all(f["overflow"] <= 1 for f in fits), fits
        assert all(f["text"] > 0.5 for f in fits), f"dark theme: light text expected {fits}"
    finally:
        if page.evaluate("() => document.body.dataset.jpThemeLight") == "false":
            set_theme(page, "JupyterLab Light")


def _shoot_last(page: Any, views: str, file: str) -> None:
    """A screenshot of the last of several views (a notebook's later view of the same kind)."""
    if page.locator(views).count() > 1:
        last = page.locator(views).last
        last.scroll_into_view_if_needed()
        last.screenshot(path=str(ARTIFACTS / file))


#: the committed pictures of the views (the static SVGs) drawn in the page: how many, and their background's lightness
STATIC_PICTURES = """() => [...document.querySelectorAll('.jp-OutputArea-output img')]
  .filter(img => img.src.startsWith('data:image/svg+xml') && decodeURIComponent(img.src).includes('lambdalab-static'))
  .map(img => {
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const [r, g, b] = ctx.getImageData(Math.floor(img.naturalWidth / 2), img.naturalHeight - 2, 1, 1).data;  // below the legend
    const cell = img.closest('.jp-Cell');
    const area = img.closest('.jp-OutputArea-output');
    return {key: (cell ? cell.dataset.windowedListIndex : '') + ':' + img.src.length,
            width: img.naturalWidth, overflow: img.getBoundingClientRect().right - area.getBoundingClientRect().right,
            paper: (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255};
  })"""


def open_without_running(session: Session, name: str, page: Any) -> None:
    """``name`` open in ``page`` as committed (no cell run), in a 1024 px window with the file browser open."""
    page.goto(f"{session.base}/lab/tree/{name}?reset&token={session.token}", timeout=STALL_S * 1000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=STALL_S * 1000)
    narrow_with_file_browser(page)


def static_pictures(page: Any) -> list[dict[str, Any]]:
    """Scroll the notebook from top to bottom (JupyterLab draws only the cells in view); every picture drawn."""
    seen: dict[str, dict[str, Any]] = {}
    scroller = "document.querySelector('.jp-WindowedPanel-outer')"
    page.evaluate(f"() => {{ {scroller}.scrollTop = 0; }}")
    while True:
        page.wait_for_timeout(300)  # the cells now in view draw their outputs
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-OutputArea-output img')].every(i => i.complete)"
        )
        for picture in page.evaluate(STATIC_PICTURES):
            seen[picture["key"]] = picture
        at_end = page.evaluate(
            f"() => {{ const o = {scroller}; const end = o.scrollTop + o.clientHeight >= o.scrollHeight - 2;"
            f" o.scrollTop += o.clientHeight * 0.9; return end; }}"
        )
        if at_end:
            return list(seen.values())
