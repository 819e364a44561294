"""Destinations to every target type, the dead-letter queue beside them, and the role's say (on the FakeRuntime)."""

from __future__ import annotations

import json

import pytest
from async_support import drain, invoke_event, make_function, make_queue, request_id, topic_to_queue

import lambdalab

pytestmark = pytest.mark.fake_runtime


def test_sns_success_destination(lab: lambdalab.Lab) -> None:
    name = make_function(lab)
    topic, url = topic_to_queue(lab, "ok-topic")
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": topic}}
    )
    rid = request_id(invoke_event(lab, name, {"n": 5}))
    lab.run_until_idle()
    (msg,) = drain(lab, url)
    record = json.loads(msg["Body"])
    assert record["requestContext"]["requestId"] == rid
    assert record["responsePayload"] == {"ok": 5}
    assert [r.detail["via"] for r in lab.trace.where("delivery") if r.ids == (rid,)] == ["OnSuccess"]


def test_eventbridge_failure_destination(lab: lambdalab.Lab) -> None:
    name = make_function(lab)
    url, qarn = make_queue(lab, "bus-sink")
    events = lab.client("events")
    events.put_rule(Name="lambda-results", EventPattern=json.dumps({"source": ["lambda"]}))
    events.put_targets(Rule="lambda-results", Targets=[{"Id": "q", "Arn": qarn}])
    bus = lab.arn("events", "event-bus/default")
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": bus}}
    )
    rid = request_id(invoke_event(lab, name, {"fail": 1}))
    lab.run_until_idle()
    (msg,) = drain(lab, url)
    event = json.loads(msg["Body"])
    assert event["source"] == "lambda"
    assert event["detail-type"] == "Lambda Function Invocation Result - Failure"
    assert event["detail"]["requestContext"]["requestId"] == rid
    assert event["detail"]["requestContext"]["condition"] == "RetriesExhausted"
    # the bus and the function that ran, as in the events AWS puts on the bus (invocation-async-retain-records)
    assert event["resources"] == [bus, lab.arn("lambda", f"function:{name}:$LATEST")]


def test_lambda_destination_gets_the_record_as_an_async_event(lab: lambdalab.Lab) -> None:
    name = make_function(lab)
    sink = make_function(lab, code=lambda event, context: event)
    url, qarn = make_queue(lab, "sink-out")
    client = lab.client("lambda")
    client.put_function_event_invoke_config(FunctionName=sink, DestinationConfig={"OnSuccess": {"Destination": qarn}})
    client.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": lab.arn("lambda", f"function:{sink}")}}
    )
    rid = request_id(invoke_event(lab, name, {"n": 9}))
    lab.run_until_idle()
    (msg,) = drain(lab, url)
    outer = json.loads(msg["Body"])
    assert outer["requestPayload"]["requestContext"]["requestId"] == rid
    assert outer["responsePayload"]["responsePayload"] == {"ok": 9}
    assert [r.function for r in lab.trace.where("async-queued")][-1] == sink


def test_s3_failure_destination_writes_the_record_under_aws_lambda_async(lab: lambdalab.Lab) -> None:
    name = make_function(lab)
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="failures")
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::failures"}},
    )
    rid = request_id(invoke_event(lab, name, {"fail": 1}))
    lab.run_until_idle()
    (obj,) = s3.list_objects_v2(Bucket="failures")["Contents"]
    day = lab.clock.now.strftime("%Y/%m/%d")
    assert obj["Key"].startswith(f"aws/lambda/async/{name}/{day}/")
    record = json.loads(s3.get_object(Bucket="failures", Key=obj["Key"])["Body"].read())
    assert record["requestContext"]["requestId"] == rid


def test_s3_destination_without_the_bucket_fails_visibly(lab: lambdalab.Lab) -> None:
    name = make_function(lab)
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::no-such-bucket"}},
    )
    rid = request_id(invoke_event(lab, name, {"fail": 1}))
    lab.run_until_idle()
    (failed,) = [r for r in lab.trace.where("delivery-failed") if r.ids == (rid,)]
    assert "NoSuchBucket" in failed.detail["reason"]


def test_without_permission_the_delivery_fails_and_the_trace_says_why(lab: lambdalab.Lab) -> None:
    name = make_function(lab, policy=None)
    url, arn = make_queue(lab, "forbidden")
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    rid = request_id(invoke_event(lab, name, {"n": 1}))
    lab.run_until_idle()
    assert drain(lab, url) == []
    (failed,) = [r for r in lab.trace.where("delivery-failed") if r.ids == (rid,)]
    assert failed.detail["via"] == "OnSuccess"
    assert "sqs:SendMessage" in failed.detail["reason"] and arn in failed.detail["reason"]


def test_dlq_and_failure_destination_both_receive(lab: lambdalab.Lab) -> None:
    dlq_url, dlq_arn = make_queue(lab, "dead-letters")
    dest_url, dest_arn = make_queue(lab, "on-failure")
    name = make_function(lab, DeadLetterConfig={"TargetArn": dlq_arn})
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": dest_arn}}
    )
    rid = request_id(invoke_event(lab, name, {"fail": True, "n": 42}))
    lab.run_until_idle()
    (dead,) = drain(lab, dlq_url)
    assert json.loads(dead["Body"]) == {"fail": True, "n": 42}
    attrs = {k: (v["DataType"], v["StringValue"]) for k, v in dead["MessageAttributes"].items()}
    assert attrs == {
        "RequestID": ("String", rid),
        "ErrorCode": ("Number", "200"),
        "ErrorMessage": ("String", "boom 42"),
    }
    (record,) = drain(lab, dest_url)
    assert json.loads(record["Body"])["requestContext"]["approximateInvokeCount"] == 2
    assert sorted(r.detail["via"] for r in lab.trace.where("delivery") if r.ids == (rid,)) == ["DLQ", "OnFailure"]


def test_sns_dead_letter_topic(lab: lambdalab.Lab) -> None:
    topic, url = topic_to_queue(lab, "dead-topic")
    name = make_function(lab, DeadLetterConfig={"TargetArn": topic})
    lab.client("lambda").put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    invoke_event(lab, name, {"fail": True})
    lab.run_until_idle()
    (msg,) = drain(lab, url)
    assert json.loads(msg["Body"]) == {"fail": True}


def test_dlq_without_permission_fails_visibly(lab: lambdalab.Lab) -> None:
    _, dlq_arn = make_queue(lab, "dead-forbidden")
    name = make_function(
        lab,
        policy={"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}]},
        DeadLetterConfig={"TargetArn": dlq_arn},
    )
    lab.client("lambda").put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    rid = request_id(invoke_event(lab, name, {"fail": True}))
    lab.run_until_idle()
    (failed,) = [r for r in lab.trace.where("delivery-failed") if r.ids == (rid,)]
    assert failed.detail["via"] == "DLQ"


def test_record_function_arn_is_qualified_with_the_executed_version(lab: lambdalab.Lab) -> None:
    name = make_function(lab)
    url, arn = make_queue(lab, "versioned")
    client = lab.client("lambda")
    client.publish_version(FunctionName=name)
    client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    client.put_function_event_invoke_config(
        FunctionName=name, Qualifier="live", DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    invoke_event(lab, name, {"n": 1}, Qualifier="live")
    invoke_event(lab, name, {"n": 2})  # $LATEST has no config: no record
    lab.run_until_idle()
    (msg,) = drain(lab, url)
    record = json.loads(msg["Body"])
    assert record["requestContext"]["functionArn"] == lab.arn("lambda", f"function:{name}:1")
    assert record["responseContext"]["executedVersion"] == "1"
