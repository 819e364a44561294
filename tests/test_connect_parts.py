"""The parts of ``Lab.connect`` that decide alone: log lines read back, the trace built from them,
real-time waiting and the rough bill.  No server, no clock of the machine: fakes for both."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from lambdalab import trace_kinds as k
from lambdalab.errors import LocalOnlyError
from lambdalab.remote import log_lines
from lambdalab.remote.cost import estimate
from lambdalab.remote.log_trace import LogTrace
from lambdalab.remote.naming import RunNames
from lambdalab.remote.waiting import WallClock, wait

RID = "f728b4fa-4248-4e3a-8a5d-2f346baa9455"


def test_text_lines() -> None:
    assert log_lines.parse(f"START RequestId: {RID} Version: 3") == log_lines.Start(RID, "3")
    cold = f"REPORT RequestId: {RID}\tDuration: 1.50 ms\tBilled Duration: 120 ms\tMemory Size: 256 MB\tMax Memory Used: 40 MB\tInit Duration: 118.02 ms\t"
    assert log_lines.parse(cold) == log_lines.Report(RID, 120, 256, cold=True, error=None)
    timeout = f"REPORT RequestId: {RID}\tDuration: 2000.00 ms\tBilled Duration: 2000 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tStatus: timeout\t"
    assert log_lines.parse(timeout) == log_lines.Report(RID, 2000, 128, cold=False, error="Sandbox.Timedout")
    exited = f"REPORT RequestId: {RID}\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tStatus: error\tError Type: Runtime.ExitError\t"
    assert log_lines.parse(exited) == log_lines.Report(RID, 5, 128, cold=False, error="Runtime.ExitError")
    assert log_lines.parse("[ERROR] ValueError: no\nTraceback (most recent call last):") == log_lines.Failure(
        "ValueError"
    )
    assert log_lines.parse("[ERROR] Runtime.ImportModuleError: Unable to import module 'app'") == log_lines.Failure(
        "ImportModuleError"
    )
    node = '2026-12-06T20:00:00.000Z\tabc\tERROR\tInvoke Error \t{"errorType":"TypeError","errorMessage":"x"}'
    assert log_lines.parse(node) == log_lines.Failure("TypeError")
    assert log_lines.parse("hello from the handler") is None


def test_json_lines() -> None:
    start = {"time": "t", "type": "platform.start", "record": {"requestId": RID, "version": "$LATEST"}}
    assert log_lines.parse(json.dumps(start)) == log_lines.Start(RID, "$LATEST")
    metrics = {"durationMs": 1.2, "billedDurationMs": 90, "memorySizeMB": 512, "initDurationMs": 88.1}
    report = {"type": "platform.report", "record": {"requestId": RID, "status": "success", "metrics": metrics}}
    assert log_lines.parse(json.dumps(report)) == log_lines.Report(RID, 90, 512, cold=True, error=None)
    report["record"] = {"requestId": RID, "status": "timeout", "metrics": {"billedDurationMs": 3000}}
    assert log_lines.parse(json.dumps(report)) == log_lines.Report(RID, 3000, 128, False, "Sandbox.Timedout")
    failed = {"level": "ERROR", "errorType": "KeyError", "errorMessage": "'id'", "requestId": RID}
    assert log_lines.parse(json.dumps(failed)) == log_lines.Failure("KeyError")
    assert log_lines.parse('{"level": "INFO", "message": "fine"}') is None
    assert log_lines.parse("{not json") is None


class FakeLogs:
    """CloudWatch Logs' filter_log_events over a list of events, as a paginator."""

    class exceptions:  # noqa: N801 - botocore's spelling
        class ResourceNotFoundException(Exception):
            pass

    def __init__(self) -> None:
        self.groups: dict[str, list[dict[str, Any]]] = {}

    def put(self, group: str, stream: str, stamp: float, message: str) -> None:
        events = self.groups.setdefault(group, [])
        events.append(
            {"eventId": str(len(events)), "logStreamName": stream, "timestamp": int(stamp * 1000), "message": message}
        )

    def get_paginator(self, name: str) -> FakeLogs:
        assert name == "filter_log_events"
        return self

    def paginate(self, logGroupName: str, startTime: int) -> list[dict[str, Any]]:  # noqa: N803
        if logGroupName not in self.groups:
            raise self.exceptions.ResourceNotFoundException(logGroupName)
        return [{"events": [e for e in self.groups[logGroupName] if e["timestamp"] >= startTime]}]


def test_the_trace_reads_invocations_from_the_logs() -> None:
    names = RunNames("3f9a2c")
    clock = WallClock(datetime(2025, 1, 6, tzinfo=UTC), speed=60.0, origin=1000.0, wall=lambda: 1010.0)
    logs = FakeLogs()
    trace = LogTrace(clock, names, lambda: logs, log_lag=0.0)
    trace.api_call("CreateFunction", {"FunctionName": "ll-3f9a2c-orders", "Runtime": "python3.13"}, {})
    trace.api_call("Invoke", {"FunctionName": "ll-3f9a2c-orders"}, {"ResponseMetadata": {"RequestId": "a"}})
    trace.api_call("Invoke", {"InvocationType": "Event"}, {"ResponseMetadata": {"RequestId": "b"}})
    trace.api_call("Invoke", {"InvocationType": "DryRun"}, {"ResponseMetadata": {"RequestId": "c"}})
    group = "/aws/lambda/ll-3f9a2c-orders"
    report = "REPORT RequestId: {}\tDuration: 1.00 ms\tBilled Duration: {} ms\tMemory Size: 1024 MB\tMax Memory Used: 40 MB\t"
    logs.put(group, "s1", 1001.0, "START RequestId: a Version: $LATEST")
    logs.put(group, "s1", 1001.5, report.format("a", 500) + "Init Duration: 100.00 ms\t")
    logs.put(group, "s2", 1002.0, "START RequestId: b Version: $LATEST")  # another environment, at once
    logs.put(group, "s1", 1002.0, "START RequestId: x Version: $LATEST")
    logs.put(group, "s2", 1002.1, "[ERROR] ValueError: no")
    logs.put(group, "s1", 1002.2, report.format("x", 1000))
    logs.put(group, "s2", 1002.5, report.format("b", 1000))

    runs = trace.where(k.INVOKE, "orders")
    assert [
        (r.ids[0], r.view(k.Invoke)["source"], r.view(k.Invoke)["error"], r.view(k.Invoke)["cold"]) for r in runs
    ] == [
        ("a", "sync", None, True),
        ("x", "other", None, False),
        ("b", "async", "ValueError", False),
    ]
    assert runs[0].t == pytest.approx(1.5 * 60)  # the server's clock: 60x the wall clock since it started
    assert [(r.billed_ms, r.memory_mb) for r in trace.reports] == [(500, 1024), (1000, 1024), (1000, 1024)]
    assert len(trace.where(k.INVOKE)) == 3  # read once: nothing is counted twice
    assert trace.where(k.FUNCTION_CREATED, "orders")[0].view(k.FunctionCreated)["runtime"] == "python3.13"
    with pytest.raises(LocalOnlyError, match="'sqs-receive' records"):
        trace.where(k.SQS_RECEIVE)
    with pytest.raises(LocalOnlyError):
        trace.subscribe(lambda record: None)


def test_waiting_draws_a_bar_and_stops_when_done() -> None:
    now = [0.0]
    out = io.StringIO()

    def sleep(seconds: float) -> None:
        now[0] += seconds

    assert not wait(2.0, "advance(120)", out=out, sleep=sleep, wall=lambda: now[0])
    assert now[0] == pytest.approx(2.0)
    assert out.getvalue().endswith("advance(120) [##############################] 2/2 s real time\n")
    now[0] = 0.0
    assert wait(60.0, "idle", done=lambda: now[0] >= 3, out=io.StringIO(), sleep=sleep, wall=lambda: now[0])
    assert now[0] == pytest.approx(3.0)


def test_the_wall_clock_follows_the_speed() -> None:
    wall = [100.0]
    clock = WallClock(datetime(2025, 1, 6, 9, tzinfo=UTC), speed=60.0, origin=100.0, wall=lambda: wall[0])
    wall[0] = 102.0
    assert clock.t == 120.0 and clock.now == datetime(2025, 1, 6, 9, 2, tzinfo=UTC)
    assert clock.real_seconds(600) == 10.0


def test_the_rough_bill() -> None:
    cost = estimate([(1000, 1024), (500, 512)], [(False, 10), (False, 70_000), (True, 1)])
    assert cost.invocations == 2 and cost.gb_seconds == pytest.approx(1.25)
    assert (cost.sqs_requests, cost.sqs_fifo_requests) == (3, 1)  # 70,000 bytes are two 64 KB requests
    assert cost.dollars == pytest.approx(2 * 0.2e-6 + 1.25 * 0.0000166667 + 3 * 0.4e-6 + 0.5e-6)
    assert "https://aws.amazon.com/lambda/pricing/" in str(cost)
