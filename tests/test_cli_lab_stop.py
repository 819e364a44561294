"""`lambdalab lab` stops JupyterLab, and its kernels, when it is told to stop.

A stop signal sent to `lambdalab lab` alone (as `make lab` passes on a SIGTERM, or a
closed terminal sends SIGHUP) must leave no process of its tree and no listening port.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from process_tree import alive, descendants, free_port, listening
from support import wait_for

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "st0p"


def _api(port: int, path: str, method: str = "GET") -> object:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method, headers={"Authorization": f"token {TOKEN}"}, data=None
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read() or b"null")


def _answers(port: int) -> bool:
    try:
        _api(port, "/api/status")
        return True
    except OSError:
        return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stop_signal_ends_jupyterlab_and_its_kernels(tmp_path: Path, stop: signal.Signals) -> None:
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_TOKEN": TOKEN,
    }
    log = tmp_path / "lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lambdalab.cli", "lab", "--no-browser", "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    tree: set[tuple[int, int]] = set()
    try:
        wait_for(lambda: proc.poll() is not None or _answers(port), "JupyterLab never answered", limit=90)
        assert proc.poll() is None, log.read_text(errors="replace")[-4000:]
        kernel = _api(port, "/api/kernels", method="POST")
        assert isinstance(kernel, dict) and kernel["id"]
        # the kernel's process is in the tree: lambdalab -> jupyter-lab -> kernel
        wait_for(lambda: len(descendants(proc.pid)) >= 3, "the kernel's process never started", limit=60)
        tree = descendants(proc.pid)

        os.kill(proc.pid, stop)  # to `lambdalab lab` alone, not to its process group
        code = proc.wait(timeout=90)
        assert code == 0, log.read_text(errors="replace")[-4000:]
        wait_for(lambda: not alive(tree), f"still running after lambdalab lab exited: {alive(tree)}", limit=10)
        assert not listening(port)
    finally:
        with contextlib.suppress(ProcessLookupError):  # only if the test failed: end what is left
            os.killpg(proc.pid, signal.SIGKILL)
        for pid, _ in alive(tree):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)
