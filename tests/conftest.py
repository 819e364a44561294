"""Shared fixtures: one lab per test module (starting a lab costs most of a second)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from support import LAMBDA_TRUST

import lambdalab


@pytest.fixture(scope="module")
def lab() -> Iterator[lambdalab.Lab]:
    with lambdalab.Lab() as lab:
        yield lab


@pytest.fixture(scope="module")
def role_arn(lab: lambdalab.Lab) -> str:
    """An execution role Lambda can assume, with the basic execution policy."""
    iam = lab.client("iam")
    arn = iam.create_role(RoleName="lambda-basic", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    iam.attach_role_policy(
        RoleName="lambda-basic", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    )
    return str(arn)
