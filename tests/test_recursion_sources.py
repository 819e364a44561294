"""Recursive loops through SNS, S3 and Lambda itself: each stopped at a function's 17th run, its event
at the function's dead-letter queue or on-failure destination; with Allow the loop runs on.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

import lambdalab
from lambdalab import trace_kinds as k
from lambdalab.course import execution_role, make_queue
from lambdalab.engines import recursion

#: publishes each message it gets back to the topic it is subscribed to (until the hop reaches a limit)
PUBLISH = """import json, os
import boto3

sns = boto3.client("sns")

def handler(event, context):
    body = json.loads(event["Records"][0]["Sns"]["Message"])
    if body["hop"] < body["until"]:
        body["hop"] += 1
        sns.publish(TopicArn=os.environ["TOPIC_ARN"], Message=json.dumps(body))
"""

#: writes the next object of the chain to the bucket that notifies it (``hop/0000``, ``hop/0001``, ...)
WRITE = """import os
import boto3

s3 = boto3.client("s3")

def handler(event, context):
    s3_part = event["Records"][0]["s3"]
    hop = int(s3_part["object"]["key"].split("/")[1])
    if hop < int(os.environ["UNTIL"]):
        s3.put_object(Bucket=s3_part["bucket"]["name"], Key=f"hop/{hop + 1:04d}", Body=b"")
"""

#: invokes the other function of the pair asynchronously with the next hop
PASS_ON = """import json, os
import boto3

lam = boto3.client("lambda")

def handler(event, context):
    if event["hop"] < event["until"]:
        body = {"hop": event["hop"] + 1, "until": event["until"]}
        lam.invoke(FunctionName=os.environ["OTHER"], InvocationType="Event", Payload=json.dumps(body))
"""

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.fixture(scope="module")
def loop_lab() -> Iterator[lambdalab.Lab]:
    with lambdalab.Lab() as lab:
        yield lab


def _function(lab: lambdalab.Lab, name: str, code: str, env: dict[str, str], **extra: Any) -> str:
    role = execution_role(lab, f"{name}-role", "AWSLambdaBasicExecutionRole", inline={"all": ALLOW_ALL})
    created = lab.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": lambdalab.zip_files({"app.py": code})},
        Timeout=10,
        Environment={"Variables": env},
        **extra,
    )
    return str(created["FunctionArn"])


def _sns_loop(lab: lambdalab.Lab, name: str) -> tuple[str, str]:
    """``name`` subscribed to the topic ``name`` it publishes to, with a DLQ; the topic ARN and the DLQ's URL."""
    topic = lab.client("sns").create_topic(Name=name)["TopicArn"]
    dlq_url, dlq_arn = make_queue(lab, f"{name}-dlq")
    arn = _function(lab, name, PUBLISH, {"TOPIC_ARN": topic}, DeadLetterConfig={"TargetArn": dlq_arn})
    lab.client("lambda").add_permission(
        FunctionName=name,
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    lab.client("sns").subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    return topic, dlq_url


def _runs(lab: lambdalab.Lab, name: str, t0: float) -> list[float]:
    return [r.t - t0 for r in lab.trace if r.kind == k.INVOKE and r.function == name]


def _stopped(lab: lambdalab.Lab, name: str) -> list[Any]:
    return [r for r in lab.trace if r.kind == k.RECURSION_STOPPED and r.function == name]


def _messages(lab: lambdalab.Lab, url: str) -> list[dict[str, Any]]:
    got = lab.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return list(got.get("Messages", []))


def test_an_sns_loop_stops_at_the_17th_run_and_its_event_reaches_the_dlq(loop_lab: lambdalab.Lab) -> None:
    topic, dlq_url = _sns_loop(loop_lab, "echo")
    t0 = loop_lab.clock.t
    loop_lab.client("sns").publish(TopicArn=topic, Message=json.dumps({"hop": 0, "until": 1000}))
    loop_lab.run_until_idle()
    assert _runs(loop_lab, "echo", t0) == [0.0] * 16  # each publish queues the next event at once
    [stopped] = _stopped(loop_lab, "echo")
    assert stopped.view(k.RecursionStopped) == {"count": 17, "source": "async"} and stopped.t == t0
    request_id = stopped.ids[0]
    [push] = [r for r in loop_lab.trace.where(k.PUSH, "echo") if r.ids == (request_id,)]
    assert push.view(k.Push)["source"] == "sns"  # the stopped event came from the topic
    attempts = [r.view(k.AsyncAttempt) for r in loop_lab.trace.where(k.ASYNC_ATTEMPT, "echo") if r.ids == stopped.ids]
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [(1, "recursive-loop")]  # never retried
    [done] = [r.view(k.AsyncDone) for r in loop_lab.trace.where(k.ASYNC_DONE, "echo") if r.ids == stopped.ids]
    assert done == {"condition": "RetriesExhausted", "attempts": 1}
    [letter] = _messages(loop_lab, dlq_url)
    assert json.loads(json.loads(letter["Body"])["Records"][0]["Sns"]["Message"])["hop"] == 16
    attributes = {key: value["StringValue"] for key, value in letter["MessageAttributes"].items()}
    assert attributes == {
        "RequestID": request_id,
        "ErrorCode": "400",
        "ErrorMessage": "RecursiveInvocationException: Lambda has detected your function being invoked in a "
        "recursive loop with other AWS resources and stopped your function's invocation.",
    }


def test_an_s3_loop_stops_at_the_17th_run_and_its_event_reaches_the_on_failure_destination(
    loop_lab: lambdalab.Lab,
) -> None:
    s3 = loop_lab.client("s3")
    s3.create_bucket(Bucket="rewriter")
    failed_url, failed_arn = make_queue(loop_lab, "rewriter-failed")
    arn = _function(loop_lab, "rewriter", WRITE, {"UNTIL": "1000"})
    lam = loop_lab.client("lambda")
    lam.put_function_event_invoke_config(
        FunctionName="rewriter", DestinationConfig={"OnFailure": {"Destination": failed_arn}}
    )
    lam.add_permission(
        FunctionName="rewriter",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::rewriter",
    )
    s3.put_bucket_notification_configuration(
        Bucket="rewriter",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    t0 = loop_lab.clock.t
    s3.put_object(Bucket="rewriter", Key="hop/0000", Body=b"")
    loop_lab.run_until_idle()
    assert _runs(loop_lab, "rewriter", t0) == [0.0] * 16
    [stopped] = _stopped(loop_lab, "rewriter")
    assert stopped.view(k.RecursionStopped)["count"] == 17 and stopped.t == t0
    [record] = [json.loads(m["Body"]) for m in _messages(loop_lab, failed_url)]
    assert record["requestContext"]["requestId"] == stopped.ids[0]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"]["statusCode"] == 400
    assert record["requestPayload"]["Records"][0]["s3"]["object"]["key"] == "hop/0016"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="rewriter")["Contents"]]
    assert keys == [f"hop/{n:04d}" for n in range(17)]  # the 16 runs wrote 16 objects; the 17th never ran


def test_two_functions_invoking_each_other_stop_at_the_first_ones_17th_run(loop_lab: lambdalab.Lab) -> None:
    _, dlq_arn = make_queue(loop_lab, "ping-dlq")
    dlq_url = loop_lab.client("sqs").get_queue_url(QueueName="ping-dlq")["QueueUrl"]
    _function(loop_lab, "ping", PASS_ON, {"OTHER": "pong"}, DeadLetterConfig={"TargetArn": dlq_arn})
    _function(loop_lab, "pong", PASS_ON, {"OTHER": "ping"})
    t0 = loop_lab.clock.t
    loop_lab.client("lambda").invoke(
        FunctionName="ping", InvocationType="Event", Payload=json.dumps({"hop": 0, "until": 1000})
    )
    loop_lab.run_until_idle()
    # each function counts its own runs in the chain: ping runs hops 0, 2, ... 30, pong 1, 3, ... 31
    assert (_runs(loop_lab, "ping", t0), _runs(loop_lab, "pong", t0)) == ([0.0] * 16, [0.0] * 16)
    [stopped] = _stopped(loop_lab, "ping")
    assert stopped.view(k.RecursionStopped) == {"count": 17, "source": "async"} and not _stopped(loop_lab, "pong")
    [letter] = _messages(loop_lab, dlq_url)
    assert json.loads(letter["Body"]) == {"hop": 32, "until": 1000}


def test_a_synchronous_invoke_deep_in_a_chain_answers_recursive_invocation_exception(
    loop_lab: lambdalab.Lab,
) -> None:
    _function(loop_lab, "deep", PASS_ON, {"OTHER": "deep"})
    lam = loop_lab.client("lambda")
    key = recursion.function_key(lam.get_function(FunctionName="deep")["Configuration"]["FunctionArn"])

    def invoke_after(runs: int, operation: str = "Invoke") -> dict[str, Any]:
        """Call ``operation`` on ``deep`` as a function whose chain has run ``deep`` ``runs`` times would."""

        def add_header(request: Any, **_: Any) -> None:  # what the SDK inside a function sends
            request.headers["X-Amzn-Trace-Id"] = f"Root=1-abc;Parent=def;Sampled=0;Lineage={key}:{runs}"

        lam.meta.events.register(f"before-sign.lambda.{operation}", add_header)
        call = lam.invoke if operation == "Invoke" else lam.invoke_with_response_stream
        try:
            return dict(call(FunctionName="deep", Payload=json.dumps({"hop": 0, "until": 0})))
        finally:
            lam.meta.events.unregister(f"before-sign.lambda.{operation}", add_header)

    assert invoke_after(15)["StatusCode"] == 200  # the 16th run goes ahead
    for operation in ("Invoke", "InvokeWithResponseStream"):
        with pytest.raises(ClientError) as caught:
            invoke_after(16, operation)
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        error = caught.value.response["Error"]
        assert (error["Code"], error["Message"]) == ("RecursiveInvocationException", recursion.STOPPED_MESSAGE)
    stopped = [r.view(k.RecursionStopped) for r in _stopped(loop_lab, "deep")]
    assert stopped == [{"count": 17, "source": "Invoke"}, {"count": 17, "source": "InvokeWithResponseStream"}]


def test_with_allow_an_sns_loop_runs_past_the_17th_run(loop_lab: lambdalab.Lab) -> None:
    topic, dlq_url = _sns_loop(loop_lab, "allowed-echo")
    loop_lab.client("lambda").put_function_recursion_config(FunctionName="allowed-echo", RecursiveLoop="Allow")
    t0 = loop_lab.clock.t
    loop_lab.client("sns").publish(TopicArn=topic, Message=json.dumps({"hop": 0, "until": 24}))
    loop_lab.run_until_idle()
    assert _runs(loop_lab, "allowed-echo", t0) == [0.0] * 25  # the body's own limit ends it, not Lambda
    assert not _stopped(loop_lab, "allowed-echo") and not _messages(loop_lab, dlq_url)
