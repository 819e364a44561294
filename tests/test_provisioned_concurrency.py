"""Provisioned concurrency in the data plane: environments initialised ahead serve their qualifier without an init.

https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html,
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html,
https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html (AWS_LAMBDA_INITIALIZATION_TYPE)
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Iterator

import pytest
import requests
from runtime_support import ACCOUNT, REGION, spec, zip_files
from support import create_python

import lambdalab
from lambdalab import trace_kinds as k
from lambdalab.course import execution_role, make_queue
from lambdalab.runtime import FunctionSpec, InvokeResult, SubprocessRuntime

#: prints at init, answers with how its environment was initialised; sleeps ``event["sleep"]`` seconds
SOURCE = """
import os, time
print("init ran:", os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"])

def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]
"""
REPORT = re.compile(
    r"^REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\t"
    r"Max Memory Used: \d+ MB\t(?P<init>Init Duration: [\d.]+ ms\t)?$"
)


def _report(log: str) -> re.Match[str]:
    [line] = [line for line in log.splitlines() if line.startswith("REPORT")]
    match = REPORT.match(line)
    assert match, line
    return match


# -- the runtime ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rt() -> Iterator[SubprocessRuntime]:
    runtime = SubprocessRuntime(endpoint_url="http://127.0.0.1:5999", region=REGION, account_id=ACCOUNT)
    yield runtime
    runtime.close()


def _version(version: str = "1") -> FunctionSpec:
    return spec("app.handler", zip_files({"app.py": SOURCE}), "python3.12", version=version)


def _through(rt: SubprocessRuntime, fn: FunctionSpec, arn: str, event: object = None) -> InvokeResult:
    return rt.invoke(fn, json.dumps(event or {}).encode(), request_id=str(uuid.uuid4()), invoked_function_arn=arn)


def test_provisioned_environments_init_ahead_and_serve_their_qualifier_first(rt: SubprocessRuntime) -> None:
    fn = _version()
    alias = f"{fn.function_arn}:live"
    inits = rt.provision(fn, alias, 2)
    assert [i.error_type for i in inits] == [None, None]
    for init in inits:  # the INIT phase ran now: INIT_START, then the init code's output
        assert init.events[0].message.startswith("INIT_START Runtime Version: python:3.12")
        assert init.events[-1].message == "init ran: provisioned-concurrency"  # after the lab's notice, if any
    assert len({i.log_stream_name for i in inits}) == 2

    first = _through(rt, fn, alias)
    assert json.loads(first.payload) == "provisioned-concurrency"
    assert first.init_duration_ms is None and _report(first.log)["init"] is None
    assert "init ran" not in first.log and not first.log.startswith("INIT_START")
    assert first.log_stream_name in {i.log_stream_name for i in inits}

    other = _through(rt, fn, f"{fn.function_arn}:1")  # the version itself is another qualifier
    assert json.loads(other.payload) == "on-demand"
    assert other.init_duration_ms is not None and _report(other.log)["init"] is not None
    assert "init ran: on-demand" in other.log

    results: dict[int, InvokeResult] = {}

    def worker(i: int) -> None:
        results[i] = _through(rt, fn, alias, {"sleep": 1.0})

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    kinds = sorted((json.loads(r.payload), r.init_duration_ms is None) for r in results.values())
    # two provisioned environments, then a spillover to the on-demand one (warm from the call through :1)
    assert kinds == [("on-demand", True), ("provisioned-concurrency", True), ("provisioned-concurrency", True)]

    rt.deprovision(alias)
    after = _through(rt, fn, alias)
    assert json.loads(after.payload) == "on-demand" and after.log_stream_name == other.log_stream_name


def test_beyond_what_is_made_ahead_a_provisioned_environment_starts_when_needed(rt: SubprocessRuntime) -> None:
    fn = _version()
    alias = f"{fn.function_arn}:busy"
    count = rt._pool.ahead + 1  # noqa: SLF001 - the one environment the lab makes late
    assert len(rt.provision(fn, alias, count)) == rt._pool.ahead  # noqa: SLF001
    results: list[InvokeResult] = []
    lock = threading.Lock()

    def worker() -> None:
        result = _through(rt, fn, alias, {"sleep": 1.5})
        with lock:
            results.append(result)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [json.loads(r.payload) for r in results] == ["provisioned-concurrency"] * count
    assert all(r.init_duration_ms is None and _report(r.log)["init"] is None for r in results)
    late = [r for r in results if r.log_events[0].message.startswith("INIT_START")]
    assert len(late) == 1  # its init went to its log stream, and not to the request's LogResult
    assert "init ran: provisioned-concurrency" in [e.message for e in late[0].log_events]
    assert "init ran" not in late[0].log
    rt.deprovision(alias)


# -- through the Lambda API --------------------------------------------------------------------------------


def _tail(lab: lambdalab.Lab, name: str, **kwargs: str) -> tuple[str, str]:
    resp = lab.client("lambda").invoke(FunctionName=name, LogType="Tail", **kwargs)
    return json.loads(resp["Payload"].read()), base64.b64decode(resp["LogResult"]).decode()


def test_invoke_through_a_ready_alias_has_no_init_duration(lab: lambdalab.Lab) -> None:
    lam, logs = lab.client("lambda"), lab.client("logs")
    role = execution_role(lab, "pc-role", "AWSLambdaSQSQueueExecutionRole")
    name = create_python(lab, role, SOURCE)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=2)
    lab.advance(60)
    group = f"/aws/lambda/{name}"
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 2  # written at allocation, before any request
    for stream in streams:
        messages = [
            e["message"]
            for e in logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])["events"]
        ]
        assert messages[0].startswith("INIT_START Runtime Version: python:3.12")
        assert messages[-1] == "init ran: provisioned-concurrency" and len(messages) <= 3  # the lab's notice, if any

    answer, tail = _tail(lab, name, Qualifier="live")
    assert answer == "provisioned-concurrency" and _report(tail)["init"] is None
    answer, tail = _tail(lab, name)  # $LATEST
    assert answer == "on-demand" and _report(tail)["init"] is not None
    answer, tail = _tail(lab, name, Qualifier="1")  # the version behind the alias, not the alias
    assert answer == "on-demand" and _report(tail)["init"] is not None

    lam.invoke(FunctionName=name, Qualifier="live", InvocationType="Event")
    lab.run_until_idle()
    url, queue_arn = make_queue(lab, "pc-queue")
    lam.create_event_source_mapping(FunctionName=f"{name}:live", EventSourceArn=queue_arn, BatchSize=1)
    lab.client("sqs").send_message(QueueUrl=url, MessageBody="{}")
    lab.advance(5)
    url = lam.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="NONE")["FunctionUrl"]
    for sid, extra in (("url", {"FunctionUrlAuthType": "NONE"}), ("invoke", {"InvokedViaFunctionUrl": True})):
        action = "lambda:InvokeFunctionUrl" if sid == "url" else "lambda:InvokeFunction"
        lam.add_permission(FunctionName=name, Qualifier="live", StatementId=sid, Action=action, Principal="*", **extra)
    assert requests.get(url, timeout=30).json() == "provisioned-concurrency"
    invokes = [r.view(k.Invoke) for r in lab.trace if r.kind == k.INVOKE and r.function == name]
    assert [(i["source"], i["cold"]) for i in invokes] == [
        ("Invoke", False),
        ("Invoke", True),
        ("Invoke", True),
        ("async", False),
        ("sqs", False),
        ("FunctionUrl", False),
    ]

    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    answer, tail = _tail(lab, name, Qualifier="live")
    assert answer == "on-demand" and _report(tail)["init"] is None  # the on-demand environment of :1, warm
    lam.delete_function(FunctionName=name)


def test_an_init_that_fails_at_allocation_fails_the_config(lab: lambdalab.Lab, role_arn: str) -> None:
    lam, logs = lab.client("lambda"), lab.client("logs")
    name = create_python(
        lab, role_arn, "raise RuntimeError('no database')\n\ndef handler(event, context):\n    return 1\n"
    )
    lam.publish_version(FunctionName=name)
    since = lab.clock.t
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=2)
    lab.advance(60)
    config = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    assert (config["Status"], config["StatusReason"], config["AllocatedProvisionedConcurrentExecutions"]) == (
        "FAILED",
        "FUNCTION_ERROR_INIT_FAILURE",
        0,
    )
    records = [r for r in lab.trace.where("provisioned-concurrency", name) if r.t >= since]
    assert [(r.t - since, r.detail["status"]) for r in records] == [(0.0, "IN_PROGRESS"), (60.0, "FAILED")]
    group = f"/aws/lambda/{name}"
    [stream, _] = logs.describe_log_streams(logGroupName=group)["logStreams"]
    messages = [
        e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])["events"]
    ]
    assert messages[0].startswith("INIT_START Runtime Version: python:3.12")
    assert any(m.startswith("[ERROR] RuntimeError: no database\nTraceback") for m in messages)
    report = re.fullmatch(
        r"INIT_REPORT Init Duration: ([\d.]+) ms\tPhase: init\tStatus: error\tError Type: RuntimeError", messages[-1]
    )
    assert report, messages[-1]
    failed = lam.invoke(FunctionName=name, Qualifier="1")  # on demand, failing its init in turn
    assert failed["FunctionError"] == "Unhandled"
    lam.delete_function(FunctionName=name)
