"""A ``lambdalab server`` subprocess for the tests of ``Lab.connect`` (real time, 60x)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SPEED = 60.0
#: generous: a loaded machine starts Python, moto and the lab in a few seconds
START_LIMIT = 120.0
#: as generous for Ctrl-C: the server closes its lab (functions' environments, moto's threads)
STOP_LIMIT = 60.0


@contextmanager
def running_server(state_dir: Path) -> Iterator[str]:
    """Start ``lambdalab server --speed 60`` with its keys file under ``state_dir``; yields its URL."""
    env = {**os.environ, "LAMBDALAB_STATE_DIR": str(state_dir)}
    command = [sys.executable, "-m", "lambdalab.cli", "server", "--speed", str(SPEED)]
    log = state_dir / "server.log"  # a file, not a pipe: a pipe nobody reads would block the server when full
    with log.open("w") as output:
        # Ctrl-C must reach the server even when the tests run where SIGINT is ignored (a background job)
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, preexec_fn=_default_sigint
        )
    try:
        yield _wait_for_url(process, state_dir / "servers", log)
    finally:
        _stop(process, log)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Python then turns Ctrl-C into KeyboardInterrupt


def _stop(process: subprocess.Popen[bytes], log: Path) -> None:
    """Ctrl-C (again every few seconds, as a learner would press it): the server closes its lab and
    removes its keys file.  A server still running after STOP_LIMIT is killed, and the test fails."""
    deadline = time.monotonic() + STOP_LIMIT
    while time.monotonic() < deadline:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue
    process.kill()
    process.wait()
    raise RuntimeError(f"lambdalab server did not stop on Ctrl-C:\n{log.read_text()[-3000:]}")


def _wait_for_url(process: subprocess.Popen[bytes], folder: Path, log: Path) -> str:
    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"lambdalab server exited ({process.returncode}):\n{log.read_text()}")
        for path in folder.glob("*.json") if folder.is_dir() else ():
            try:
                return str(json.loads(path.read_text())["endpoint_url"])
            except (ValueError, KeyError):
                pass  # being written
        time.sleep(0.1)
    raise RuntimeError(f"lambdalab server wrote no keys file in {START_LIMIT:g} s")
