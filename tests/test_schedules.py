"""Scheduled EventBridge rules on the virtual clock: exact firing times, the scheduled-event
shape, and schedules that never keep run_until_idle busy (their invocations' retries do); functions
on the FakeRuntime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from support import create_python

import lambdalab
from lambdalab.engines import schedules

pytestmark = pytest.mark.fake_runtime

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)  # a Monday


def minutes(times: list[datetime]) -> list[str]:
    return [t.strftime("%a %H:%M") for t in times]


@pytest.mark.parametrize(
    ("expression", "hours", "expected"),
    [
        ("rate(1 minute)", 0.05, ["Mon 09:01", "Mon 09:02", "Mon 09:03"]),
        ("rate(5 minutes)", 0.25, ["Mon 09:05", "Mon 09:10", "Mon 09:15"]),
        ("rate(1 hour)", 3, ["Mon 10:00", "Mon 11:00", "Mon 12:00"]),
        ("cron(0 * * * ? *)", 3, ["Mon 10:00", "Mon 11:00", "Mon 12:00"]),
        ("cron(0/20 9 * * ? *)", 1, ["Mon 09:20", "Mon 09:40"]),
        ("cron(15 10 ? * MON-FRI *)", 24 * 7, ["Mon 10:15", "Tue 10:15", "Wed 10:15", "Thu 10:15", "Fri 10:15"]),
        ("cron(0 8 1 * ? *)", 24 * 60, ["Sat 08:00", "Sat 08:00"]),  # the 1st of February and of March 2025
    ],
)
def test_fire_times(expression: str, hours: float, expected: list[str]) -> None:
    assert minutes(schedules.fire_times(expression, START, START + timedelta(hours=hours))) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(1 week)",
        "cron(0 * * * * *)",
        "cron(0 * * ? ? *)",
        "cron(61 * * * ? *)",
        "cron(0 * * *)",
        "every minute",
    ],
)
def test_invalid_expressions(expression: str) -> None:
    with pytest.raises(schedules.ScheduleError):
        schedules.parse(expression)


@pytest.fixture(scope="module")
def logger(lab: lambdalab.Lab, role_arn: str) -> tuple[str, str]:
    name = create_python(
        lab, role_arn, lambda event, context: context.log(f"{event}\n"), FunctionName="LogScheduledEvent"
    )
    return name, lab.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def test_per_minute_rule_invokes_every_minute_on_the_virtual_clock(lab: lambdalab.Lab, logger: tuple[str, str]) -> None:
    name, arn = logger
    ev = lab.client("events")
    t0 = lab.clock.t
    rule = ev.put_rule(Name="PerMinuteRule", ScheduleExpression="rate(1 minute)")["RuleArn"]
    ev.put_targets(Rule="PerMinuteRule", Targets=[{"Id": "log", "Arn": arn}])
    lab.client("lambda").add_permission(
        FunctionName=name,
        StatementId="PerMinuteScheduledEvent",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule,
    )
    # a schedule alone is not work: run_until_idle returns at once
    assert lab.run_until_idle() == 0.0
    lab.advance(180)
    assert [r.t - t0 for r in lab.trace.where("schedule") if r.detail["rule"] == rule] == [60.0, 120.0, 180.0]
    pushed = [r for r in lab.trace.where("push", name)]
    assert [r.t - t0 for r in pushed] == [60.0, 120.0, 180.0]
    event = lab.pushed_events[pushed[0].ids[0]]
    assert event == {
        "version": "0",
        "id": pushed[0].detail["source_id"],
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2025-01-06T09:01:00Z",
        "region": "us-east-1",
        "resources": [rule],
        "detail": {},
    }
    assert [r.detail["outcome"] for r in lab.trace.where("async-attempt", name)] == ["success"] * 3
    # disabling stops the events; deleting ends the process
    ev.disable_rule(Name="PerMinuteRule")
    lab.advance(120)
    assert len(lab.trace.where("push", name)) == 3
    ev.enable_rule(Name="PerMinuteRule")
    lab.advance(60)
    assert len(lab.trace.where("push", name)) == 4
    ev.remove_targets(Rule="PerMinuteRule", Ids=["log"])
    ev.delete_rule(Name="PerMinuteRule")
    lab.advance(300)
    assert len(lab.trace.where("push", name)) == 4


def test_hourly_cron_without_permission_is_denied_each_hour(lab: lambdalab.Lab, logger: tuple[str, str]) -> None:
    name, arn = logger
    ev = lab.client("events")
    created = lab.clock.now
    ev.put_rule(Name="hourly", ScheduleExpression="cron(0 * * * ? *)")
    ev.put_targets(Rule="hourly", Targets=[{"Id": "log", "Arn": arn}])
    lab.advance(2 * 3600)
    denied = [r for r in lab.trace.where("invoke-denied", name) if r.detail["source"] == "events"]
    top = created.replace(minute=0, second=0, microsecond=0)
    assert [lab.clock.start + timedelta(seconds=r.t) for r in denied] == [
        top + timedelta(hours=1),
        top + timedelta(hours=2),
    ]
    assert "does not allow events.amazonaws.com" in denied[0].detail["reason"]
    ev.remove_targets(Rule="hourly", Ids=["log"])
    ev.delete_rule(Name="hourly")


def test_retries_of_a_scheduled_invocation_keep_the_lab_busy(lab: lambdalab.Lab, role_arn: str) -> None:
    def boom(event: object, context: object) -> None:
        raise RuntimeError("boom")

    failing = create_python(lab, role_arn, boom)
    arn = lab.client("lambda").get_function(FunctionName=failing)["Configuration"]["FunctionArn"]
    ev = lab.client("events")
    rule = ev.put_rule(Name="every-5", ScheduleExpression="rate(5 minutes)")["RuleArn"]
    ev.put_targets(Rule="every-5", Targets=[{"Id": "f", "Arn": arn}])
    lab.client("lambda").add_permission(
        FunctionName=failing,
        StatementId="ev",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule,
    )
    lab.advance(300)  # the first event: attempt at 300 s
    start = lab.clock.t
    elapsed = lab.run_until_idle()
    # the two retries (60 s, then 120 s later) are work; the next firings (every 300 s) are not
    assert elapsed == 180.0 and start + elapsed == lab.clock.t
    attempts = [r.t for r in lab.trace.where("async-attempt", failing)]
    assert attempts[:3] == [start, start + 60, start + 180]
    ev.remove_targets(Rule="every-5", Ids=["f"])
    ev.delete_rule(Name="every-5")


def test_an_invalid_schedule_is_refused(lab: lambdalab.Lab) -> None:
    with pytest.raises(ClientError) as err:
        lab.client("events").put_rule(Name="bad", ScheduleExpression="rate(1 minutes)")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert err.value.response["Error"]["Message"] == "Parameter ScheduleExpression is not valid."
    assert "bad" not in [r["Name"] for r in lab.client("events").list_rules()["Rules"]]
