"""Helpers shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import itertools
import re
import subprocess
import time
from collections.abc import Callable
from typing import Any

import lambdalab
from lambdalab.runtime import FakeContext, FakeRuntime

#: a handler for a lab on the FakeRuntime: called in process as handler(event, context)
Handler = Callable[[Any, FakeContext], Any]

LAMBDA_TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}

_names = itertools.count()


def unique(prefix: str = "fn") -> str:
    return f"{prefix}-{next(_names)}"


PY_ECHO = "def handler(event, context):\n    return {'event': event, 'version': context.function_version}\n"


def echo(event: Any, context: FakeContext) -> Any:
    """PY_ECHO as a callable."""
    return {"event": event, "version": context.function_version}


def create_python(lab: lambdalab.Lab, role_arn: str, source: str | Handler | None = None, **extra: object) -> str:
    """A python3.12 function running ``source`` (its app.py), or ``source`` itself on a FakeRuntime lab.

    Without ``source`` it echoes (PY_ECHO, or :func:`echo` on a FakeRuntime).
    """
    name = str(extra.pop("FunctionName", unique()))
    on_fake = isinstance(lab.runtime, FakeRuntime)
    if source is None:
        source = echo if on_fake else PY_ECHO
    if callable(source):
        fake(lab).handle(name, source)
        source = "# this function runs in lambdalab's FakeRuntime\ndef handler(event, context):\n    pass\n"
    elif on_fake:
        raise TypeError("a lab on the FakeRuntime runs Python callables, not source text")
    lab.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="app.handler",
        Code={"ZipFile": lambdalab.zip_files({"app.py": source})},
        **extra,
    )
    return name


def fake(lab: lambdalab.Lab) -> FakeRuntime:
    """The lab's FakeRuntime (its module is marked ``fake_runtime``)."""
    runtime = lab.runtime
    assert isinstance(runtime, FakeRuntime), "mark the module with pytestmark = pytest.mark.fake_runtime"
    return runtime


def read_exports(proc: subprocess.Popen[str], deadline: float) -> tuple[dict[str, str], list[str]]:
    """The ``export AWS_...=...`` lines ``lambdalab server`` prints, up to its Ctrl-C line."""
    lines: list[str] = []
    env: dict[str, str] = {}
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        for key, value in re.findall(r"(AWS_[A-Z_]+)=(\S+)", line):
            env[key] = value
        if "Ctrl-C" in line:
            return env, lines
    raise AssertionError("no exports printed: " + "".join(lines))


def wait_for(condition: Callable[[], object], what: str, limit: float = 20.0) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``limit`` seconds (a bound, not a timing)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)
