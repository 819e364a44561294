"""`lambdalab lab` opens JupyterLab on loopback at the first notebook."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_lambdalab_lab_serves_the_first_notebook_on_loopback(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),  # where it marks the course's notebooks trusted
        "JUPYTER_TOKEN": "t0ken",
    }
    log = tmp_path / "lab.log"  # a file, not a pipe: a pipe nobody reads fills up and stalls the server
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lambdalab.cli", "lab", "--no-browser", "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        status = _first_notebook_status(port, proc)
        assert status == 200, (
            f"lambdalab lab answered {status} (exit code {proc.poll()}); its output:\n"
            + log.read_text(errors="replace")[-4000:]
        )
        # the URL Jupyter prints (and opens) is the first notebook's own, with the token (masked when it
        # comes from JUPYTER_TOKEN), not the Launcher's
        wanted = f"http://127.0.0.1:{port}/lab/tree/00-start-here.ipynb?token="
        assert _wait_for_text(log, wanted), log.read_text(errors="replace")[-4000:]
        # JupyterLab listens on loopback only
        listening = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout if _has("ss") else ""
        for line in listening.splitlines():
            if f":{port} " in line:
                assert "127.0.0.1:" in line, line
    finally:
        _stop(proc)


def _first_notebook_status(port: int, proc: subprocess.Popen[bytes], seconds: float = 60) -> int | None:
    """The HTTP status of the first notebook once the server answers; None if it never does (or exits)."""
    url = f"http://127.0.0.1:{port}/api/contents/00-start-here.ipynb?content=0&token=t0ken"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            return int(urllib.request.urlopen(url, timeout=2).status)
        except urllib.error.HTTPError as err:
            return err.code
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    return None


def _wait_for_text(log: Path, text: str, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return True
        time.sleep(0.2)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End the server's whole process group, without raising over the test's own failure."""
    with contextlib.suppress(ProcessLookupError):  # the group may be gone already: the assertion says why
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _has(cmd: str) -> bool:
    return any((Path(p) / cmd).exists() for p in os.environ.get("PATH", "").split(":"))


def test_the_course_notebooks_are_trusted_so_their_pictures_show_before_a_cell_runs(tmp_path: Path) -> None:
    import nbformat
    from nbformat.sign import NotebookNotary

    from lambdalab.cli import trust_course

    course = tmp_path / "notebooks"
    course.mkdir()
    for name in ("00-start-here.ipynb", "04-async-invoke-and-destinations.ipynb"):
        (course / name).write_bytes((ROOT / "notebooks" / name).read_bytes())
    mine = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(mine, course / "my-notes.ipynb")
    trusted = trust_course(course, tmp_path / "data")  # a data folder that does not exist yet
    assert trusted == ["00-start-here.ipynb", "04-async-invoke-and-destinations.ipynb"]
    assert trust_course(course, tmp_path / "data") == trusted  # again: nothing changes
    notary = NotebookNotary(data_dir=str(tmp_path / "data"))  # what JupyterLab asks
    signed = {p.name: notary.check_signature(nbformat.read(p, as_version=4)) for p in sorted(course.iterdir())}
    assert signed == {
        "00-start-here.ipynb": True,
        "04-async-invoke-and-destinations.ipynb": True,
        "my-notes.ipynb": False,
    }
