"""Helpers shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import itertools
import re
import subprocess
import time

import lambdalab

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}

_names = itertools.count()


def unique(prefix: str = "fn") -> str:
    return f"{prefix}-{next(_names)}"


PY_ECHO = "def handler(event, context):\n    return {'event': event, 'version': context.function_version}\n"


def create_python(lab: lambdalab.Lab, role_arn: str, source: str = PY_ECHO, **extra: object) -> str:
    name = str(extra.pop("FunctionName", unique()))
    lab.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="app.handler",
        Code={"ZipFile": lambdalab.zip_files({"app.py": source})},
        **extra,
    )
    return name


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
