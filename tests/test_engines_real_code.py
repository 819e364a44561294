"""Every engine once more with real function code (execution environments, awslambdaric).

The engines' timeline tests run their functions on the FakeRuntime; these run the same
paths end to end with Python source in a subprocess, and read what the function itself
printed to CloudWatch Logs or returned.
"""

from __future__ import annotations

import json
from typing import Any

import stream_support
from async_support import HANDLER, drain, invoke_event, make_function, make_queue, request_id
from sqs_support import setup, sqs_role
from support import create_python

import lambdalab

PRINT_EVENT = "import json\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event))\n"


def printed(lab: lambdalab.Lab, function: str) -> list[Any]:
    """The events the function printed (``EVENT {...}`` lines of its log group)."""
    logs = lab.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
    return [json.loads(e["message"].split("EVENT ", 1)[1]) for e in logs if "EVENT " in e["message"]]


def test_async_retries_a_real_failing_function_and_records_its_error(lab: lambdalab.Lab) -> None:
    name = make_function(lab, code=HANDLER)
    url, arn = make_queue(lab, "real-failures")
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    rid = request_id(invoke_event(lab, name, {"fail": True, "n": 7}))
    start = lab.clock.t
    lab.run_until_idle()
    assert [r.t - start for r in lab.trace.where("async-attempt") if r.ids == (rid,)] == [0, 60, 180]
    (msg,) = drain(lab, url)
    response = json.loads(msg["Body"])["responsePayload"]
    assert (response["errorType"], response["errorMessage"], response["requestId"]) == ("ValueError", "boom 7", rid)
    assert 'raise ValueError("boom " + str(event.get("n", "")))' in response["stackTrace"][0]


def test_sqs_function_receives_lambdas_event_shape(lab: lambdalab.Lab) -> None:
    s = setup(lab, sqs_role(lab, "real-sqs-role"), PRINT_EVENT)
    [mid] = s.send("hello", MessageAttributes={"color": {"DataType": "String", "StringValue": "red"}})
    lab.run_until_idle(60)
    [event] = printed(lab, s.function)
    [record] = event["Records"]
    assert (record["messageId"], record["body"], record["eventSource"], record["eventSourceARN"]) == (
        mid,
        "hello",
        "aws:sqs",
        s.arn,
    )
    assert record["messageAttributes"]["color"]["stringValue"] == "red"
    assert [r.detail["outcome"] for r in s.records("sqs-batch-result")] == ["success"] and s.waiting() == 0


def test_kinesis_partial_answer_from_real_code(lab: lambdalab.Lab) -> None:
    role = stream_support.stream_role(lab, "real-stream-reader")
    stream, arn = stream_support.kinesis_stream(lab)
    stream_support.put(lab, stream, [("a", "ok"), ("a", "ok"), ("a", "poison"), ("a", "ok")])
    fn = stream_support.function(lab, role, mode="partial", source=stream_support.HANDLER)  # MODE read from os.environ
    uuid, t0 = stream_support.mapping(
        lab, fn, arn, MaximumRetryAttempts=1, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    lab.run_until_idle(600)
    assert [(t, seqs, outcome) for t, _, seqs, outcome in stream_support.batches(lab, uuid, t0)] == [
        (1.0, ["1", "2", "3", "4"], "partial"),
        (3.0, ["3", "4"], "function-error"),
    ]


def test_dynamodb_stream_record_reaches_real_code(lab: lambdalab.Lab) -> None:
    role = stream_support.stream_role(lab, "real-ddb-reader")
    table = "real-table"
    answer = lab.client("dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    fn = create_python(lab, role, PRINT_EVENT)
    stream_support.mapping(lab, fn, answer["TableDescription"]["LatestStreamArn"])
    lab.client("dynamodb").put_item(TableName=table, Item={"id": {"S": "a"}, "n": {"N": "1"}})
    lab.run_until_idle(600)
    [event] = printed(lab, fn)
    assert [(r["eventName"], r["dynamodb"]["NewImage"]) for r in event["Records"]] == [
        ("INSERT", {"id": {"S": "a"}, "n": {"N": "1"}})
    ]


def test_sns_message_reaches_real_code(lab: lambdalab.Lab, role_arn: str) -> None:
    fn = create_python(lab, role_arn, PRINT_EVENT)
    arn = lab.client("lambda").get_function(FunctionName=fn)["Configuration"]["FunctionArn"]
    sns = lab.client("sns")
    topic = sns.create_topic(Name="real-topic")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    lab.client("lambda").add_permission(
        FunctionName=fn,
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    sns.publish(TopicArn=topic, Message="hello")
    lab.run_until_idle()
    [event] = printed(lab, fn)
    assert [(r["EventSource"], r["Sns"]["Message"]) for r in event["Records"]] == [("aws:sns", "hello")]


def test_schedule_invokes_real_code_every_minute(lab: lambdalab.Lab, role_arn: str) -> None:
    fn = create_python(lab, role_arn, PRINT_EVENT)
    arn = lab.client("lambda").get_function(FunctionName=fn)["Configuration"]["FunctionArn"]
    ev = lab.client("events")
    rule = ev.put_rule(Name="real-minute", ScheduleExpression="rate(1 minute)")["RuleArn"]
    ev.put_targets(Rule="real-minute", Targets=[{"Id": "f", "Arn": arn}])
    lab.client("lambda").add_permission(
        FunctionName=fn,
        StatementId="ev",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule,
    )
    lab.advance(120)
    assert [(e["detail-type"], e["resources"]) for e in printed(lab, fn)] == [("Scheduled Event", [rule])] * 2
    ev.remove_targets(Rule="real-minute", Ids=["f"])
    ev.delete_rule(Name="real-minute")
