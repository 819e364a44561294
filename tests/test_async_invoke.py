"""Asynchronous invoke end to end: the queue, the retry timeline, event age, destinations, DLQ.

Exact virtual timelines (AWS's "about 1 and 2 minutes" is exactly 60 s and 120 s here), with
functions on the FakeRuntime; ``make_function`` deploys HANDLER's source for a lab that runs real code.
"""

from __future__ import annotations

import json

import pytest
from support import create_python

from lambdalab.runtime import FakeRuntime

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
HANDLER = """
import json
def handler(event, context):
    if event.get("fail"):
        raise ValueError("boom " + str(event.get("n", "")))
    return {"ok": event.get("n")}
"""


def handler(event, context):
    """HANDLER as a callable."""
    if event.get("fail"):
        raise ValueError("boom " + str(event.get("n", "")))
    return {"ok": event.get("n")}


ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["sqs:SendMessage", "sns:Publish", "lambda:InvokeFunction", "events:PutEvents", "s3:PutObject"],
            "Resource": "*",
        }
    ],
}


pytestmark = pytest.mark.fake_runtime


_count = iter(range(10_000))


def make_function(lab, *, policy=ALLOW_ALL, code=None, **kw):
    """A function running ``code``: by default HANDLER (its source, or ``handler`` on the FakeRuntime)."""
    n = next(_count)
    iam = lab.client("iam")
    role = iam.create_role(RoleName=f"role-{n}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    if policy:
        iam.put_role_policy(RoleName=f"role-{n}", PolicyName="deliver", PolicyDocument=json.dumps(policy))
    if code is None:
        code = handler if isinstance(lab.runtime, FakeRuntime) else HANDLER
    return create_python(lab, role, code, FunctionName=f"fn-{n}", **kw)


def make_queue(lab, name):
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def drain(lab, url):
    sqs = lab.client("sqs")
    out = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
            "Messages", []
        )
        if not got:
            return out
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        out.extend(got)


def invoke_event(lab, name, event, **kw):
    return lab.client("lambda").invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps(event).encode(), **kw
    )


def attempt_times(lab, request_id):
    return [r.t for r in lab.trace.where("async-attempt") if r.ids == (request_id,)]


def test_event_invoke_answers_202_at_once_and_runs_when_the_clock_runs(lab):
    name = make_function(lab)
    resp = invoke_event(lab, name, {"n": 1})
    assert resp["StatusCode"] == 202
    assert resp["Payload"].read() == b""
    rid = resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert attempt_times(lab, rid) == []
    start = lab.clock.t
    lab.run_until_idle()
    assert [t - start for t in attempt_times(lab, rid)] == [0]
    done = [r for r in lab.trace.where("async-done") if r.ids == (rid,)]
    assert done[0].detail["condition"] == "Success"
    invokes = [r for r in lab.trace.where("invoke", source="async") if r.ids == (rid,)]
    assert len(invokes) == 1


def test_failing_function_is_attempted_at_0_60_180_and_record_says_retries_exhausted(lab):
    name = make_function(lab)
    url, arn = make_queue(lab, "failures-default")
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    rid = invoke_event(lab, name, {"fail": True, "n": 7})["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    start = lab.clock.t
    lab.run_until_idle()
    assert [t - start for t in attempt_times(lab, rid)] == [0, 60, 180]
    waits = [(r.t - start, r.detail["delay"]) for r in lab.trace.where("retry-wait") if r.ids == (rid,)]
    assert waits == [(0, 60), (60, 120)]
    (msg,) = drain(lab, url)
    record = json.loads(msg["Body"])
    assert record["version"] == "1.0"
    assert record["requestContext"] == {
        "requestId": rid,
        "functionArn": lab.arn("lambda", f"function:{name}:$LATEST"),
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == {"fail": True, "n": 7}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorMessage"] == "boom 7"
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["timestamp"].endswith("Z") and len(record["timestamp"]) == len("2019-11-14T18:16:05.568Z")


def test_maximum_retry_attempts_zero_means_one_attempt(lab):
    name = make_function(lab)
    url, arn = make_queue(lab, "failures-zero")
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    rid = invoke_event(lab, name, {"fail": True})["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    start = lab.clock.t
    lab.run_until_idle()
    assert [t - start for t in attempt_times(lab, rid)] == [0]
    (msg,) = drain(lab, url)
    assert json.loads(msg["Body"])["requestContext"]["approximateInvokeCount"] == 1


def test_throttled_event_backs_off_and_ends_event_age_exceeded(lab):
    name = make_function(lab)
    url, arn = make_queue(lab, "failures-age")
    client = lab.client("lambda")
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    client.put_function_event_invoke_config(
        FunctionName=name, MaximumEventAgeInSeconds=60, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    rid = invoke_event(lab, name, {"n": 1})["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    start = lab.clock.t
    lab.run_until_idle()
    assert [t - start for t in attempt_times(lab, rid)] == [0, 1, 3, 7, 15, 31]
    outcomes = {r.detail["outcome"] for r in lab.trace.where("async-attempt") if r.ids == (rid,)}
    assert outcomes == {"throttle"}
    (done,) = [r for r in lab.trace.where("async-done") if r.ids == (rid,)]
    assert done.t - start == 60 and done.detail["condition"] == "EventAgeExceeded"
    (msg,) = drain(lab, url)
    record = json.loads(msg["Body"])
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["responseContext"]["statusCode"] == 429
    client.delete_function_concurrency(FunctionName=name)


def test_success_destination_gets_the_return_value(lab):
    name = make_function(lab)
    url, arn = make_queue(lab, "successes")
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    rid = invoke_event(lab, name, {"n": 3})["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    lab.run_until_idle()
    (msg,) = drain(lab, url)
    record = json.loads(msg["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["requestId"] == rid
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"ok": 3}
