"""Runtime families: which family owns a runtime, how it starts, what it says when it cannot."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from runtime_support import spec, zip_files

from lambdalab.credentials import Credentials
from lambdalab.packaging import handler_problem
from lambdalab.runtime import RuntimeFailure, families
from lambdalab.runtime.families import (
    CUSTOM,
    NODE_BOOTSTRAP,
    NODEJS,
    PYTHON,
    Family,
    Host,
    Start,
    cannot_run,
    family_of,
)
from lambdalab.runtime.launchers import Launcher


@dataclass
class StubHost:
    """A machine with Python 3.11.7 and, unless told otherwise, Node.js 20."""

    root: Path
    python: str = "/opt/python/bin/python3"
    python_version: str = "3.11.7"
    node_major: int | None = 20

    def node(self) -> tuple[str, int] | None:
        return None if self.node_major is None else ("/opt/node/bin/node", self.node_major)

    def python_runtime_dir(self) -> Path:
        return self.root / "python-runtime"


@pytest.mark.parametrize(
    ("runtime", "family"),
    [
        ("python3.12", PYTHON),
        ("python3.9", PYTHON),
        ("nodejs20.x", NODEJS),
        ("nodejs22.x", NODEJS),
        ("provided.al2023", CUSTOM),
        ("provided.al2", CUSTOM),
        ("java21", None),
        ("ruby3.3", None),
    ],
)
def test_each_runtime_has_one_family_or_none(runtime: str, family: Family | None) -> None:
    assert family_of(runtime) is family


def test_a_runtime_no_family_owns_is_refused_with_what_the_lab_runs() -> None:
    assert cannot_run("java21") == (
        "The runtime java21 cannot run in lambdalab: this machine runs python3.x, "
        "nodejs*.x (with Node.js installed) and provided.al2/provided.al2023 functions."
    )


def test_node_functions_need_node(tmp_path: Path) -> None:
    assert NODEJS.unavailable("nodejs20.x", StubHost(tmp_path)) is None
    assert NODEJS.unavailable("nodejs20.x", StubHost(tmp_path, node_major=None)) == (
        "The runtime nodejs20.x needs Node.js, which is not installed on this machine "
        "(no 'node' executable on PATH). Install Node.js to run this function."
    )


@pytest.mark.parametrize(
    ("family", "runtime", "notice"),
    [
        (PYTHON, "python3.11", None),
        (PYTHON, "python3.13", "lambdalab: python3.13 is not installed here; running this function on Python 3.11.7"),
        (NODEJS, "nodejs20.x", None),
        (NODEJS, "nodejs22.x", "lambdalab: nodejs22.x is not installed here; running this function on Node.js 20"),
        (CUSTOM, "provided.al2023", None),
    ],
)
def test_the_notice_says_what_stands_in_for_a_missing_version(
    tmp_path: Path, family: Family, runtime: str, notice: str | None
) -> None:
    assert family.start(runtime, "app.handler", tmp_path / "task", StubHost(tmp_path)).notice == notice


def test_how_each_family_starts(tmp_path: Path) -> None:
    host, task = StubHost(tmp_path), tmp_path / "task"
    python = PYTHON.start("python3.11", "app.handler", task, host)
    assert python.argv == ["/opt/python/bin/python3", "-S", "-m", "awslambdaric", "app.handler"]
    assert python.env == {
        "LAMBDA_RUNTIME_DIR": str(host.python_runtime_dir()),
        "PYTHONPATH": str(host.python_runtime_dir()),
    }
    assert python.path == "/opt/python/bin"
    node = NODEJS.start("nodejs20.x", "index.handler", task, host)
    assert node.argv[0] == "/opt/node/bin/node" and node.argv[1].endswith("bootstrap.mjs")
    runtime = NODE_BOOTSTRAP.parent  # Lambda's order: the runtime's node_modules, the runtime, the task root
    assert node.env["NODE_PATH"] == os.pathsep.join(map(str, [runtime / "node_modules", runtime, task]))
    # ``import`` does not read NODE_PATH: it finds the runtime's packages (make setup) by walking up from the task
    assert (runtime / "node_modules").is_dir(), "make setup installs the runtime's node_modules (npm ci)"
    assert (tmp_path / "node_modules").resolve() == (runtime / "node_modules").resolve()
    custom = CUSTOM.start("provided.al2023", "ignored", task, host)
    assert custom.argv == [str(task / "bootstrap")] and custom.path is None


def test_the_python_family_knows_how_awslambdaric_writes_non_ascii() -> None:
    assert PYTHON.escapes_non_ascii("python3.11") and not PYTHON.escapes_non_ascii("python3.13")


class ShellFamily(Family):
    """A made-up runtime: ``shell1.x`` runs the package's ``<file>.sh`` with /bin/sh."""

    name = "shell"
    label = "shell1.x"
    handler_files = ("{}.sh",)
    handler_lookup = "sh runs"

    def owns(self, runtime: str) -> bool:
        return runtime == "shell1.x"

    def start(self, runtime: str, handler: str, task_root: Path, host: Host) -> Start:
        return Start(argv=["/bin/sh", str(task_root / f"{handler.split('.')[0]}.sh")])


def test_adding_a_runtime_is_one_family_and_its_registration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(families, "_FAMILIES", list(families._FAMILIES))
    launcher = Launcher(
        tmp_path,
        endpoint_url="http://127.0.0.1:1",
        region="us-east-1",
        python_executable=sys.executable,
        credentials=Credentials.random(temporary=True),
    )
    with pytest.raises(RuntimeFailure, match="cannot run in lambdalab"):
        launcher.check("shell1.x")
    families.register(ShellFamily())
    launch = launcher.build(
        spec("run.main", zip_files({"run.sh": "echo hi"}), "shell1.x"), api_address="127.0.0.1:1", log_stream_name="s"
    )
    assert launch.argv == ["/bin/sh", f"{launch.cwd}/run.sh"]
    assert launch.env["AWS_EXECUTION_ENV"] == "AWS_Lambda_shell1.x"
    assert handler_problem("shell1.x", "run.main", ["other.sh"]) == (
        "The handler 'run.main' names the file 'run', but the package has no run.sh at its top level "
        "(sh runs run.sh). AWS accepts this package and every invocation then fails with Runtime.ImportModuleError."
    )
    assert "shell1.x functions" in cannot_run("java21")
