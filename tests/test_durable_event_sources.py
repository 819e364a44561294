"""Event source mappings and durable functions: each batch starts a durable execution with the batch as its
input, and the mapping waits for it (at most 15 minutes) as it waits for any invocation, on exact virtual
timelines. https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking-esm.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from durable_support import callback_id, create_durable, live, timeline

import lambdalab
from lambdalab.course import execution_role

#: a step per batch, a two-minute wait, then the messages whose body is "bad" are reported failed
BATCH = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration

@durable_execution
def handler(event, context: DurableContext):
    records = event["Records"]
    bodies = context.step(lambda _: [r["body"] for r in records], name="check")
    context.wait(Duration.from_seconds(120), name="settle")
    failed = [r["messageId"] for r, body in zip(records, bodies) if body == "bad"]
    context.step(lambda _: len(records) - len(failed), name="commit")
    return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}
"""

#: waits longer than an execution started by a mapping may last
TOO_LONG = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration

@durable_execution
def handler(event, context: DurableContext):
    context.wait(Duration.from_seconds(1200), name="too-long")
    return "never"
"""

MINUTES_15 = 900


@pytest.fixture(scope="module")
def role(lab: lambdalab.Lab) -> str:
    """Reads SQS and streams, checkpoints: what a durable function behind a mapping needs."""
    return execution_role(
        lab,
        "durable-mapped",
        "AWSLambdaSQSQueueExecutionRole",
        "AWSLambdaKinesisExecutionRole",
        "AWSLambdaDynamoDBExecutionRole",
        "AWSLambdaBasicDurableExecutionRolePolicy",
    )


def _queue(lab: lambdalab.Lab, name: str, **attributes: str) -> tuple[str, str]:
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _story(lab: lambdalab.Lab, uuid: str, since: float) -> list[tuple[float, str, Any]]:
    """The mapping's batch records as (seconds since ``since``, kind, what)."""
    out: list[tuple[float, str, Any]] = []
    for r in lab.trace:
        if r.detail.get("mapping") != uuid or r.kind not in ("sqs-batch", "sqs-batch-result", "sqs-redrive"):
            continue
        what = r.detail.get("outcome") or r.detail.get("reason") or r.detail.get("dlq")
        out.append((round(r.t - since, 3), r.kind, what))
    return out


def _executions(lab: lambdalab.Lab, function: str) -> list[str]:
    """The ARNs of the function's durable executions, in the order they started."""
    return [r.detail["execution"] for r in lab.trace if r.kind == "durable-started" and r.function == function]


def test_an_sqs_batch_starts_a_durable_execution_and_settles_when_it_closes(lab: lambdalab.Lab, role: str) -> None:
    lam, sqs = lab.client("lambda"), lab.client("sqs")
    create_durable(lab, role, "batch", BATCH, seconds=600)
    dlq_url, dlq_arn = _queue(lab, "batch-dlq")
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url, arn = _queue(lab, "batch-in", VisibilityTimeout="300", RedrivePolicy=redrive)
    uuid = lam.create_event_source_mapping(
        FunctionName=live(lab, "batch"),
        EventSourceArn=arn,
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )["UUID"]
    lab.advance(1)
    since = lab.clock.t
    good = sqs.send_message(QueueUrl=url, MessageBody="good")["MessageId"]
    bad = sqs.send_message(QueueUrl=url, MessageBody="bad")["MessageId"]
    lab.run_until_idle()

    # the batch waits for its execution: two minutes; the bad message comes back after its 300 s visibility
    # timeout, fails again in a second execution, and its second receive sends it to the dead-letter queue
    assert _story(lab, uuid, since) == [
        (0, "sqs-batch", "received"),
        (120, "sqs-batch-result", "partial"),
        (300, "sqs-batch", "received"),
        (420, "sqs-batch-result", "partial"),
        (600, "sqs-redrive", dlq_arn),
    ]
    first, second = _executions(lab, "batch")
    assert timeline(lab, first, since) == [
        (0, "durable-started", "sqs"),
        (0, "durable-operation", "START STEP check"),
        (0, "durable-operation", "SUCCEED STEP check"),
        (0, "durable-operation", "START WAIT settle"),
        (0, "durable-invocation", "#1 PENDING"),
        (0, "durable-suspended", "wait"),
        (120, "durable-resumed", "timer"),
        (120, "durable-replay", "check settle"),
        (120, "durable-operation", "START STEP commit"),
        (120, "durable-operation", "SUCCEED STEP commit"),
        (120, "durable-invocation", "#2 SUCCEEDED"),
        (120, "durable-closed", "SUCCEEDED"),
    ]
    # the execution's input is the batch, as the mapping hands it to any function
    execution = lam.get_durable_execution(DurableExecutionArn=first)
    records = json.loads(execution["InputPayload"])["Records"]
    assert [(r["messageId"], r["body"], r["eventSource"]) for r in records] == [
        (good, "good", "aws:sqs"),
        (bad, "bad", "aws:sqs"),
    ]
    assert json.loads(execution["Result"]) == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert json.loads(lam.get_durable_execution(DurableExecutionArn=second)["InputPayload"])["Records"][0]["body"] == (
        "bad"
    )
    got = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["bad"]  # nothing lost: good was deleted, bad is in the DLQ
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages") is None


def test_a_mapping_to_a_durable_functions_bare_name_fails_each_batch_and_the_messages_reach_the_dlq(
    lab: lambdalab.Lab, role: str
) -> None:
    """AWS invokes a durable function only qualified; the mapping's invoke is refused as Invoke refuses it, and the
    batch is handled as any batch whose invoke Lambda refused: nothing runs, nothing is lost."""
    lam, sqs = lab.client("lambda"), lab.client("sqs")
    create_durable(lab, role, "bare", BATCH, seconds=600)
    dlq_url, dlq_arn = _queue(lab, "bare-dlq")
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url, arn = _queue(lab, "bare-in", VisibilityTimeout="300", RedrivePolicy=redrive)
    uuid = lam.create_event_source_mapping(FunctionName="bare", EventSourceArn=arn, BatchSize=10)["UUID"]
    lab.advance(1)
    since = lab.clock.t
    sqs.send_message(QueueUrl=url, MessageBody="good")
    lab.run_until_idle()
    assert _story(lab, uuid, since) == [
        (0, "sqs-batch", "received"),
        (1, "sqs-batch-result", "system-error"),  # refused: the function never ran
        (300, "sqs-batch", "received"),  # back after the visibility timeout, as any failed batch
        (301, "sqs-batch-result", "system-error"),
        (600, "sqs-redrive", dlq_arn),
    ]
    results = [r for r in lab.trace if r.kind == "sqs-batch-result" and r.detail["mapping"] == uuid]
    assert {r.detail["reason"] for r in results} == {
        "InvalidParameterValueException: You cannot invoke a durable function using an unqualified ARN."
    }
    assert _executions(lab, "bare") == []  # no execution started
    got = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["good"]
    lam.delete_event_source_mapping(UUID=uuid)


def test_an_execution_that_outlasts_the_mappings_15_minutes_times_out_and_the_batch_fails(
    lab: lambdalab.Lab, role: str
) -> None:
    lam, sqs = lab.client("lambda"), lab.client("sqs")
    create_durable(lab, role, "too-long", TOO_LONG, seconds=MINUTES_15)
    url, arn = _queue(lab, "too-long-in", VisibilityTimeout="3600")
    uuid = lam.create_event_source_mapping(FunctionName=live(lab, "too-long"), EventSourceArn=arn, BatchSize=1)["UUID"]
    # raised after the mapping exists: an execution the mapping starts still lasts 15 minutes at most
    lam.update_function_configuration(FunctionName="too-long", DurableConfig={"ExecutionTimeout": 3600})
    lab.advance(1)
    since = lab.clock.t
    sqs.send_message(QueueUrl=url, MessageBody="slow")
    lab.run_until_idle(MINUTES_15 + 60)
    assert _story(lab, uuid, since) == [(0, "sqs-batch", "full"), (900, "sqs-batch-result", "function-error")]
    (execution_arn,) = _executions(lab, "too-long")
    assert timeline(lab, execution_arn, since)[-1] == (900, "durable-closed", "TIMED_OUT")
    execution = lam.get_durable_execution(DurableExecutionArn=execution_arn)
    assert execution["Error"]["ErrorMessage"] == "Execution timed out after 900 seconds."
    (result,) = [r for r in lab.trace if r.kind == "sqs-batch-result" and r.detail["mapping"] == uuid]
    assert result.detail["reason"] == "TIMED_OUT"  # the mapping's retry rules take it from here
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_mapping_to_a_durable_function_with_a_longer_execution_timeout_is_refused(
    lab: lambdalab.Lab, role: str
) -> None:
    lam = lab.client("lambda")
    create_durable(lab, role, "week-long", TOO_LONG, timeout_days=7)
    _, arn = _queue(lab, "week-long-in", VisibilityTimeout="300")
    with pytest.raises(ClientError) as refused:
        lam.create_event_source_mapping(FunctionName="week-long", EventSourceArn=arn)
    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidParameterValueException",
        "The durable function week-long has an ExecutionTimeout of 604800 seconds. An event source mapping waits "
        "for each durable execution it starts, at most 900 seconds: set the function's ExecutionTimeout to 900 "
        "seconds or less, or invoke it asynchronously from an intermediary function.",
    )
    lam.update_function_configuration(FunctionName="week-long", DurableConfig={"ExecutionTimeout": MINUTES_15})
    lab.advance(1)
    uuid = lam.create_event_source_mapping(FunctionName="week-long", EventSourceArn=arn)["UUID"]
    lam.update_function_configuration(FunctionName="week-long", DurableConfig={"ExecutionTimeout": MINUTES_15 + 1})
    lab.advance(1)
    with pytest.raises(ClientError) as again:
        lam.update_event_source_mapping(UUID=uuid, BatchSize=5)
    assert again.value.response["Error"]["Code"] == "InvalidParameterValueException"


#: each record's data, after a thirty-second wait
STREAM = """
import base64
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration

@durable_execution
def handler(event, context: DurableContext):
    data = context.step(lambda _: [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]],
                        name="read")
    context.wait(Duration.from_seconds(30), name="settle")
    return data
"""


def test_a_kinesis_shard_waits_for_each_batchs_execution_before_the_next(lab: lambdalab.Lab, role: str) -> None:
    lam, kinesis = lab.client("lambda"), lab.client("kinesis")
    create_durable(lab, role, "shard-reader", STREAM, seconds=MINUTES_15)
    kinesis.create_stream(StreamName="orders", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="orders")["StreamDescription"]["StreamARN"]
    uuid = lam.create_event_source_mapping(
        FunctionName=live(lab, "shard-reader"), EventSourceArn=arn, BatchSize=1, StartingPosition="TRIM_HORIZON"
    )["UUID"]
    lab.advance(1)
    for data in ("a", "b"):
        kinesis.put_record(StreamName="orders", Data=data.encode(), PartitionKey="k")
    lab.run_until_idle()

    batches = [r.detail for r in lab.trace if r.kind == "stream-batch" and r.ids == (uuid,)]
    t0 = batches[0]["start"]
    # one batch at a time on the shard: the second starts when the first one's execution has closed
    assert [(b["start"] - t0, b["duration"], b["outcome"]) for b in batches] == [
        (0, 30, "success"),
        (30, 30, "success"),
    ]
    first, second = _executions(lab, "shard-reader")
    results = [json.loads(lam.get_durable_execution(DurableExecutionArn=a)["Result"]) for a in (first, second)]
    assert results == [["a"], ["b"]]
    assert timeline(lab, second, t0)[0] == (30, "durable-started", "kinesis")


#: the new items' ids, after ten seconds
TABLE = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration

@durable_execution
def handler(event, context: DurableContext):
    ids = context.step(lambda _: [r["dynamodb"]["NewImage"]["id"]["S"] for r in event["Records"]], name="read")
    context.wait(Duration.from_seconds(10), name="settle")
    return ids
"""


def test_a_dynamodb_stream_batch_starts_an_execution_too(lab: lambdalab.Lab, role: str) -> None:
    lam, ddb = lab.client("lambda"), lab.client("dynamodb")
    create_durable(lab, role, "table-reader", TABLE, seconds=MINUTES_15)
    ddb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    stream = ddb.describe_table(TableName="orders")["Table"]["LatestStreamArn"]
    uuid = lam.create_event_source_mapping(
        FunctionName=live(lab, "table-reader"), EventSourceArn=stream, StartingPosition="TRIM_HORIZON"
    )["UUID"]
    lab.advance(1)
    ddb.put_item(TableName="orders", Item={"id": {"S": "o-1"}})
    lab.run_until_idle()

    (batch,) = [r.detail for r in lab.trace if r.kind == "stream-batch" and r.ids == (uuid,)]
    assert (batch["duration"], batch["outcome"]) == (10, "success")
    (execution_arn,) = _executions(lab, "table-reader")
    assert timeline(lab, execution_arn, batch["start"])[0] == (0, "durable-started", "dynamodb")
    assert json.loads(lam.get_durable_execution(DurableExecutionArn=execution_arn)["Result"]) == ["o-1"]


#: waits for a person's approval of the batch
APPROVAL = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution

@durable_execution
def handler(event, context: DurableContext):
    approval = context.create_callback(name="approval")
    return {"approved": approval.result(), "orders": len(event["Records"])}
"""


def test_a_batch_waiting_for_a_callback_lets_the_cell_send_it(lab: lambdalab.Lab, role: str) -> None:
    """The batch's wait for its execution is not work of its own: run_until_idle stops while only the outside
    world can move the execution on, as it does for any durable execution."""
    lam, sqs = lab.client("lambda"), lab.client("sqs")
    create_durable(lab, role, "approver", APPROVAL, seconds=MINUTES_15)
    url, arn = _queue(lab, "approvals-in", VisibilityTimeout="900")
    uuid = lam.create_event_source_mapping(FunctionName=live(lab, "approver"), EventSourceArn=arn)["UUID"]
    lab.advance(1)
    since = lab.clock.t
    sqs.send_message(QueueUrl=url, MessageBody="o-30")
    lab.run_until_idle()
    assert _story(lab, uuid, since) == [(0, "sqs-batch", "received")]
    (execution_arn,) = _executions(lab, "approver")
    lab.advance(60)
    lam.send_durable_execution_callback_success(CallbackId=callback_id(lab, execution_arn, "approval"), Result=b"yes")
    lab.run_until_idle()
    assert _story(lab, uuid, since) == [(0, "sqs-batch", "received"), (60, "sqs-batch-result", "success")]
    assert json.loads(lam.get_durable_execution(DurableExecutionArn=execution_arn)["Result"]) == {
        "approved": "yes",
        "orders": 1,
    }
