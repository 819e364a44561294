"""Scaling and concurrency: account concurrency, the scaling rate, reserved and provisioned concurrency, bursts.

https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html,
https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html,
https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html,
https://docs.aws.amazon.com/lambda/latest/api/API_GetAccountSettings.html
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from support import LAMBDA_TRUST, create_python, echo

import lambdalab
from lambdalab import trace_kinds as k
from lambdalab.engines.function_scaling import SCALING_LIMIT, Fleet, ScalingBudget
from lambdalab.errors import ACCOUNT_LIMIT, RESERVED_LIMIT
from lambdalab.runtime import FakeRuntime
from lambdalab.widgets import FunctionConcurrencyChart

pytestmark = pytest.mark.fake_runtime


@pytest.fixture
def fresh() -> Iterator[lambdalab.Lab]:
    """A lab of its own: bursts leave virtual environments behind."""
    with lambdalab.Lab(runtime=FakeRuntime()) as lab:
        yield lab


def _role(lab: lambdalab.Lab) -> str:
    iam = lab.client("iam")
    return str(iam.create_role(RoleName="burst", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"])


def _concurrency(lab: lambdalab.Lab, name: str) -> list[tuple[float, str, int, int]]:
    return [
        (
            r.t,
            r.view(k.FunctionConcurrency)["start"],
            r.view(k.FunctionConcurrency)["in_flight"],
            r.view(k.FunctionConcurrency)["environments"],
        )
        for r in lab.trace
        if r.kind == k.FUNCTION_CONCURRENCY and r.function == name and not r.view(k.FunctionConcurrency)["ended"]
    ]


# -- the pure model ----------------------------------------------------------------------------------------


def test_the_scaling_budget_refills_100_a_second_and_never_beyond_1000() -> None:
    budget = ScalingBudget()
    assert sum(budget.take(0.0) for _ in range(1200)) == 1000
    assert sum(budget.take(1.0) for _ in range(200)) == 100  # one second: 100 more
    assert sum(budget.take(60.0) for _ in range(1200)) == 1000  # a long pause saves up no more than 1,000


def test_provisioned_environments_serve_first_then_warm_then_cold() -> None:
    fleet = Fleet()
    fleet.provision("1", 2)
    starts = [fleet.admit(0.0, "1", reserved=None, unreserved_room=100) for _ in range(3)]
    assert [a.start for a in starts] == ["provisioned", "provisioned", "cold"]
    fleet.release(starts[2].environment)  # type: ignore[arg-type]
    assert fleet.admit(0.0, "1", reserved=None, unreserved_room=100).start == "warm"
    assert fleet.admit(0.0, "2", reserved=None, unreserved_room=100).start == "cold"  # another version's are not reused
    assert fleet.admit(0.0, "1", reserved=4, unreserved_room=100).reason == RESERVED_LIMIT
    assert Fleet().admit(0.0, "1", reserved=None, unreserved_room=0).reason == ACCOUNT_LIMIT


# -- bursts on the virtual clock ---------------------------------------------------------------------------


def test_a_burst_past_the_account_concurrency_is_throttled_with_its_reason(fresh: lambdalab.Lab) -> None:
    fresh.account_concurrency = 50  # 1,000 by default: the same rule, fewer requests to play
    name = create_python(fresh, _role(fresh), echo)
    assert fresh.client("lambda").get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 50
    burst = fresh.burst(name, 60)
    assert burst.counts() == {"cold": 50, "throttled": 10}
    assert burst.reasons() == {ACCOUNT_LIMIT: 10}
    assert all(r.status == 429 for r in burst.requests[50:])
    records = _concurrency(fresh, name)
    assert records[49] == (0.0, "cold", 50, 50) and records[50] == (0.0, "throttled", 50, 50)
    assert fresh.clock.t == 1.5  # one virtual second of work after a 0.5 s init
    chart = FunctionConcurrencyChart(fresh, name, since=0.0)
    assert chart.peak == 50 and chart.series["throttled"][-1] == [0.0, 10]
    assert chart.series["in_flight"][-1] == [1.5, 0] and chart.series["environments"][-1] == [0.0, 50]
    assert chart.scene["title"] == f"Concurrency of {name} (peak 50 in flight; throttled: 10 {ACCOUNT_LIMIT})"
    svg = chart.svg()
    assert all(f'class="{cls}"' in svg for cls in ("in-flight", "environments", "throttled"))
    again = fresh.burst(name, 50)  # the environments are warm now
    assert again.counts() == {"warm": 50}


def test_with_a_raised_quota_the_scaling_rate_adds_1000_environments_per_10_seconds(fresh: lambdalab.Lab) -> None:
    fresh.account_concurrency = 3000
    fresh.durations["steady"] = 30.0
    name = create_python(fresh, _role(fresh), echo, FunctionName="steady", Timeout=60)
    burst = fresh.burst(name, 1500, every=0.002)  # 1,500 requests in 3 virtual seconds
    # the budget: 1,000 at first, 100 more a second; 500 requests a second use it up at t = 2.498 s
    assert burst.counts() == {"cold": 1299, "throttled": 201}
    assert burst.reasons() == {SCALING_LIMIT: 201}
    first = next(r for r in burst.requests if r.start == "throttled")
    assert (burst.requests.index(first), first.t) == (1249, 2.498)
    later = [r.start for r in burst.requests[1250:]]  # then one new environment each 0.01 s: every fifth request
    assert later.count("cold") == 50 and later[0::5] == ["cold"] * 50


def test_reserved_concurrency_caps_a_burst(fresh: lambdalab.Lab) -> None:
    name = create_python(fresh, _role(fresh), echo)
    lam = fresh.client("lambda")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 995
    burst = fresh.burst(name, 8, every=0.1)
    assert [r.start for r in burst.requests] == ["cold"] * 5 + ["throttled"] * 3
    assert burst.reasons() == {RESERVED_LIMIT: 3}
    assert [round(t, 9) for t, *_ in _concurrency(fresh, name)] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]


def test_provisioned_concurrency_goes_ready_on_the_clock_and_serves_without_init(fresh: lambdalab.Lab) -> None:
    lam = fresh.client("lambda")
    name = create_python(fresh, _role(fresh), echo)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    put = lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=3)
    assert (
        put["Status"],
        put["RequestedProvisionedConcurrentExecutions"],
        put["AllocatedProvisionedConcurrentExecutions"],
    ) == (
        "IN_PROGRESS",
        3,
        0,
    )
    assert put["LastModified"] == "2025-01-06T09:00:00.000+0000"
    fresh.advance(59)
    assert lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")["Status"] == "IN_PROGRESS"
    fresh.advance(1)
    ready = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert (ready["Status"], ready["AvailableProvisionedConcurrentExecutions"]) == ("READY", 3)
    [listed] = lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
    assert listed["FunctionArn"].endswith(f":function:{name}:live")
    statuses = [
        (r.t, r.view(k.ProvisionedConcurrency)["status"]) for r in fresh.trace if r.kind == k.PROVISIONED_CONCURRENCY
    ]
    assert statuses == [(0.0, "IN_PROGRESS"), (60.0, "READY")]
    for qualifier in ("live", "$LATEST"):  # a plain Invoke: the alias's environment was initialised at READY
        tail = base64.b64decode(lam.invoke(FunctionName=name, Qualifier=qualifier, LogType="Tail")["LogResult"])
        assert (b"\tInit Duration: 100.00 ms\t" in tail) is (qualifier == "$LATEST")

    burst = fresh.burst(name, 5, qualifier="live")
    assert [(r.start, r.init) for r in burst.requests] == [("provisioned", False)] * 3 + [("cold", True)] * 2
    assert fresh.burst(name, 2).counts() == {"cold": 2}  # $LATEST has no provisioned environments
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert fresh.burst(name, 5, qualifier="live").counts() == {"warm": 5}  # the environments stay, on demand now


def test_provisioned_concurrency_api_errors(fresh: lambdalab.Lab) -> None:
    lam = fresh.client("lambda")
    name = create_python(fresh, _role(fresh), echo)
    with pytest.raises(ClientError) as caught:
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert caught.value.response["Error"]["Message"] == (
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
    )
    version = lam.publish_version(FunctionName=name)["Version"]
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountUsage"]["FunctionCount"] == 1 and settings["AccountUsage"]["TotalCodeSize"] > 0


def test_a_burst_runs_real_code_in_a_few_real_environments() -> None:
    with lambdalab.Lab() as lab:  # the subprocess runtime
        source = "def handler(event, context):\n    return event['n'] * 2\n"
        name = create_python(lab, _role(lab), source)
        burst = lab.burst(name, 50, payload={"n": 21})
        assert burst.counts() == {"cold": 50} and not [r for r in burst.requests if r.error]
        invokes = [r for r in lab.trace if r.kind == k.INVOKE and r.function == name]
        assert len(invokes) == 50 and {r.view(k.Invoke)["source"] for r in invokes} == {"burst"}
        assert len(lab.runtime.environments()) == 1  # 50 virtual environments, one real one
