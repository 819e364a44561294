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


@contextmanager
def running_server(state_dir: Path) -> Iterator[str]:
    """Start ``lambdalab server --speed 60`` with its keys file under ``state_dir``; yields its URL."""
    env = {**os.environ, "LAMBDALAB_STATE_DIR": str(state_dir)}
    command = [sys.executable, "-m", "lambdalab.cli", "server", "--speed", str(SPEED)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield _wait_for_url(process, state_dir / "servers")
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: the server closes its lab and removes its keys file
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _wait_for_url(process: subprocess.Popen[str], folder: Path) -> str:
    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"lambdalab server exited ({process.returncode}):\n{output}")
        for path in folder.glob("*.json") if folder.is_dir() else ():
            try:
                return str(json.loads(path.read_text())["endpoint_url"])
            except (ValueError, KeyError):
                pass  # being written
        time.sleep(0.1)
    raise RuntimeError(f"lambdalab server wrote no keys file in {START_LIMIT:g} s")
