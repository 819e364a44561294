"""Helpers shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import itertools

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
