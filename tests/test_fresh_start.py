"""Starting a notebook afresh, and keeping a learner's notebook clean (docs/instructors.md, "Resets and updates").

- A notebook opened and saved through Jupyter's contents API (what JupyterLab's save goes through) is
  byte-identical to the committed file: opening a course notebook does not make it differ from the course,
  so nbgitpuller has nothing of the learner's to merge in a notebook they only read.
- In a live kernel, running the first cell again does not start afresh: the open lab refuses a second one
  and says why. Restarting the kernel does: the new lab has none of the old one's resources, its clock at 0
  and its trace empty.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager
from jupyter_server.services.contents.filemanager import FileContentsManager

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_saved_through_the_contents_api_is_byte_identical(path: Path, tmp_path: Path) -> None:
    shutil.copy(path, tmp_path / path.name)
    contents = FileContentsManager(root_dir=str(tmp_path))
    model = contents.get(path.name, content=True, type="notebook")
    contents.save({"type": "notebook", "format": "json", "content": model["content"]}, path.name)
    assert (tmp_path / path.name).read_bytes() == path.read_bytes()


FIRST_CELL = 'import lambdalab\nlab = lambdalab.Lab()\niam = lab.client("iam")'
WORK = (
    'iam.create_role(RoleName="lambda-exec", AssumeRolePolicyDocument="{}")\n'
    "lab.advance(3600)\n"
    'print(len(iam.list_roles()["Roles"]), lab.clock.t)'
)
STATE = 'print(len(iam.list_roles()["Roles"]), repr(lab.clock.t), len(list(lab.trace)))'


@pytest.fixture
def kernel() -> Iterator[KernelManager]:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    try:
        yield manager
    finally:
        manager.shutdown_kernel(now=True)


def _run(manager: KernelManager, code: str) -> str:
    """Run code in the kernel and return what it printed, or its error's name and text."""
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=300)
        out: list[str] = []

        def keep(msg: dict[str, object]) -> None:
            content = msg["content"]
            assert isinstance(content, dict)
            if msg["msg_type"] == "stream":
                out.append(str(content["text"]))
            elif msg["msg_type"] == "error":
                out.append(f"{content['ename']}: {content['evalue']}")

        client.execute_interactive(code, output_hook=keep, timeout=300)
        return "".join(out).strip()
    finally:
        client.stop_channels()


def test_restarting_the_kernel_starts_afresh_and_running_the_first_cell_again_does_not(
    kernel: KernelManager,
) -> None:
    assert _run(kernel, FIRST_CELL) == ""
    roles, t = _run(kernel, WORK).split()
    assert int(roles) == 1 and float(t) == 3600
    again = _run(kernel, FIRST_CELL)
    assert again.startswith("LabError: Another Lab is already open in this Python process"), again
    kernel.restart_kernel(now=True)
    assert _run(kernel, FIRST_CELL) == ""
    assert _run(kernel, STATE).split() == ["0", "0.0", "0"]
    assert _run(kernel, "lab.close()") == ""
