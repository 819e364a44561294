"""Shared fixtures: one lab per test module (starting a lab costs most of a second).

A module marked ``pytestmark = pytest.mark.fake_runtime`` gets a lab whose functions run
in a :class:`lambdalab.runtime.FakeRuntime` (Python callables, no subprocess): the
engines' timeline tests.  Every other module's lab runs real function code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import settings
from runtime_support import ACCOUNT, ENDPOINT, REGION
from support import LAMBDA_TRUST

import lambdalab
from lambdalab.runtime import FakeRuntime, SubprocessRuntime, sandbox

# Property tests: the same examples every run (no example database, a fixed seed), and no
# per-example deadline, which is a wall-time assertion that a busy machine fails.
settings.register_profile("lambdalab", derandomize=True, deadline=None, database=None)
settings.load_profile("lambdalab")


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest) -> Iterator[lambdalab.Lab]:
    runtime = FakeRuntime() if request.node.get_closest_marker("fake_runtime") else None
    with lambdalab.Lab(runtime=runtime) as lab:
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


@pytest.fixture(params=[True, False], ids=["namespaces", "plain"])
def sandboxed(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[SubprocessRuntime]:
    """A runtime whose environments run in namespaces (where the kernel allows) and, again, without."""
    monkeypatch.setattr(sandbox, "NAMESPACES", request.param)
    with SubprocessRuntime(endpoint_url=ENDPOINT, region=REGION, account_id=ACCOUNT) as rt:
        yield rt
