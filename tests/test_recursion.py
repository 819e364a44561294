"""Recursive loop detection: the chain of requests through SQS, stopped after 16 invocations unless Allow.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html,
https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionRecursionConfig.html
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

import lambdalab
from lambdalab import trace_kinds as k
from lambdalab.course import execution_role, make_queue
from lambdalab.engines import recursion

#: a function that writes each message it reads back to the queue it reads (until the body's hop reaches a limit)
LOOP = """import json, os
import boto3

sqs = boto3.client("sqs")

def handler(event, context):
    for record in event["Records"]:
        body = json.loads(record["body"])
        if body["hop"] < body["until"]:
            body["hop"] += 1
            sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(body))
"""
SEND = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}


def test_a_chain_counts_each_function_and_stops_the_17th_run() -> None:
    header: str | None = None
    counts: list[tuple[int, bool]] = []
    for _ in range(17):
        hop = recursion.next_hop(header, "arn:aws:lambda:us-east-1:123456789012:function:a", root="1-r", parent="p")
        header, counts = hop.header, [*counts, (hop.count, hop.stopped)]
    assert header is not None
    assert counts[:16] == [(n, False) for n in range(1, 17)] and counts[16] == (17, True)
    assert header.startswith("Root=1-r;Parent=p;Sampled=0;Lineage=")
    other = recursion.next_hop(header, "arn:aws:lambda:us-east-1:123456789012:function:b", root="x", parent="q")
    assert (other.count, other.stopped) == (1, False)  # another function's count starts at 1
    assert sorted(recursion.lineage(other.header).values()) == [1, 17] and "Root=1-r;" in other.header
    allowed = recursion.next_hop(
        header, "arn:aws:lambda:us-east-1:123456789012:function:a", root="r", parent="p", config="Allow"
    )
    assert (allowed.count, allowed.stopped) == (18, False)


@pytest.fixture(scope="module")
def loop_lab() -> Iterator[lambdalab.Lab]:
    with lambdalab.Lab() as lab:
        yield lab


def _loop(lab: lambdalab.Lab, name: str) -> tuple[str, str]:
    """The classic loop: ``name`` reads a queue (with a DLQ after one receive) and writes to it."""
    role = execution_role(lab, f"{name}-role", "AWSLambdaSQSQueueExecutionRole", inline={"send": SEND})
    _, dlq_arn = make_queue(lab, f"{name}-dlq")
    url, arn = make_queue(
        lab,
        name,
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}),
        VisibilityTimeout=30,
    )
    lam = lab.client("lambda")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": lambdalab.zip_files({"app.py": LOOP})},
        Timeout=10,
        Environment={"Variables": {"QUEUE_URL": url}},
    )
    lam.create_event_source_mapping(FunctionName=name, EventSourceArn=arn, BatchSize=1)
    lab.advance(1)
    return url, dlq_arn


def test_the_recursion_config_defaults_to_terminate_and_takes_allow(loop_lab: lambdalab.Lab) -> None:
    lam = loop_lab.client("lambda")
    lam.create_function(
        FunctionName="configured",
        Runtime="python3.12",
        Role=execution_role(loop_lab, "configured-role"),
        Handler="app.handler",
        Code={"ZipFile": lambdalab.zip_files({"app.py": "def handler(e, c):\n    pass\n"})},
    )
    assert lam.get_function_recursion_config(FunctionName="configured")["RecursiveLoop"] == "Terminate"
    assert (
        lam.put_function_recursion_config(FunctionName="configured", RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    )
    assert lam.get_function_recursion_config(FunctionName="configured")["RecursiveLoop"] == "Allow"
    with pytest.raises(ClientError) as caught:
        lam.put_function_recursion_config(FunctionName="configured", RecursiveLoop="Stop")
    assert caught.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'Stop' at 'recursiveLoop' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Allow, Terminate]"
    )


def test_the_classic_loop_stops_after_16_invocations_and_its_message_reaches_the_dlq(loop_lab: lambdalab.Lab) -> None:
    url, dlq_arn = _loop(loop_lab, "looper")
    t0 = loop_lab.clock.t
    loop_lab.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps({"hop": 0, "until": 1000}))
    loop_lab.run_until_idle()
    runs = [r.t - t0 for r in loop_lab.trace if r.kind == k.INVOKE and r.function == "looper"]
    [stopped] = [r for r in loop_lab.trace if r.kind == k.RECURSION_STOPPED and r.function == "looper"]
    # the chain runs through the mapping's five pollers at once, then through ten a second later
    assert runs == [0.0] * 5 + [1.0] * 10 + [2.0]
    assert stopped.view(k.RecursionStopped) == {"count": 17, "source": "sqs"} and stopped.t - t0 == 2.0
    [moved] = [r for r in loop_lab.trace if r.kind == k.SQS_REDRIVE and r.function == "looper"]
    assert moved.view(k.SqsRedrive)["dlq"] == dlq_arn
    dlq_url = loop_lab.client("sqs").get_queue_url(QueueName="looper-dlq")["QueueUrl"]
    [left] = loop_lab.client("sqs").receive_message(QueueUrl=dlq_url, MessageSystemAttributeNames=["AWSTraceHeader"])[
        "Messages"
    ]
    assert json.loads(left["Body"])["hop"] == 16  # the 17th run's message: written by the 16th
    assert "Lineage=" in left["Attributes"]["AWSTraceHeader"]


def test_with_allow_the_loop_runs_on(loop_lab: lambdalab.Lab) -> None:
    url, _ = _loop(loop_lab, "allowed")
    loop_lab.client("lambda").put_function_recursion_config(FunctionName="allowed", RecursiveLoop="Allow")
    loop_lab.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps({"hop": 0, "until": 20}))
    loop_lab.run_until_idle()
    assert len([r for r in loop_lab.trace if r.kind == k.INVOKE and r.function == "allowed"]) == 21
    assert not [r for r in loop_lab.trace if r.kind == k.RECURSION_STOPPED and r.function == "allowed"]


def test_sqs_keeps_the_senders_trace_header_unless_the_message_names_its_own(loop_lab: lambdalab.Lab) -> None:
    sqs = loop_lab.client("sqs")
    url, _ = make_queue(loop_lab, "traced")

    def add_header(request: object, **_: object) -> None:
        request.headers["X-Amzn-Trace-Id"] = "Root=1-abc;Parent=def;Sampled=0"  # type: ignore[attr-defined]

    sqs.meta.events.register("before-sign.sqs.*", add_header)
    try:
        sqs.send_message(QueueUrl=url, MessageBody="one")
        own = {"AWSTraceHeader": {"StringValue": "Root=1-own;Sampled=0", "DataType": "String"}}
        sqs.send_message(QueueUrl=url, MessageBody="two", MessageSystemAttributes=own)
    finally:
        sqs.meta.events.unregister("before-sign.sqs.*", add_header)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["AWSTraceHeader"])
    headers = {m["Body"]: m["Attributes"]["AWSTraceHeader"] for m in got["Messages"]}
    assert headers == {"one": "Root=1-abc;Parent=def;Sampled=0", "two": "Root=1-own;Sampled=0"}


def test_with_allow_the_clock_shows_an_endless_loop_running_on(loop_lab: lambdalab.Lab) -> None:
    url, _ = _loop(loop_lab, "endless")
    lam = loop_lab.client("lambda")
    lam.put_function_recursion_config(FunctionName="endless", RecursiveLoop="Allow")
    t0 = loop_lab.clock.t
    loop_lab.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps({"hop": 0, "until": 1_000_000}))
    loop_lab.advance(4)
    runs = [r.t - t0 for r in loop_lab.trace if r.kind == k.INVOKE and r.function == "endless"]
    # every second more pollers take the chain on: 5, 10, 15, 20, 25 hops, far past the 17th
    assert runs == [0.0] * 5 + [1.0] * 10 + [2.0] * 15 + [3.0] * 20 + [4.0] * 25
    assert not [r for r in loop_lab.trace if r.kind == k.RECURSION_STOPPED and r.function == "endless"]
    # nothing stops it but its owner: the mapping goes, and the queue is emptied
    [mapping] = lam.list_event_source_mappings(FunctionName="endless")["EventSourceMappings"]
    lam.delete_event_source_mapping(UUID=mapping["UUID"])
    loop_lab.run_until_idle()
    loop_lab.client("sqs").purge_queue(QueueUrl=url)
