"""The SQS event source mapping end to end, on exact virtual timelines (functions on the FakeRuntime)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sqs_support import FAIL, OK, setup, sqs_role

import lambdalab

pytestmark = pytest.mark.fake_runtime


@pytest.fixture(scope="module")
def role(lab: lambdalab.Lab) -> str:
    return sqs_role(lab)


def test_create_answers_with_the_sqs_mapping_shape(lab: lambdalab.Lab, role: str) -> None:
    s = setup(lab, role, OK, BatchSize=5)
    got = lab.client("lambda").get_event_source_mapping(UUID=s.uuid)
    got.pop("ResponseMetadata")
    assert set(got) == {
        "UUID",
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "EventSourceArn",
        "FunctionArn",
        "LastModified",
        "State",
        "StateTransitionReason",
        "FunctionResponseTypes",
        "EventSourceMappingArn",
    }
    assert (got["BatchSize"], got["MaximumBatchingWindowInSeconds"], got["FunctionResponseTypes"]) == (5, 0, [])
    assert (got["State"], got["StateTransitionReason"], got["EventSourceArn"]) == ("Enabled", "USER_INITIATED", s.arn)


def test_filters_and_scaling_config_are_echoed(lab: lambdalab.Lab, role: str) -> None:
    pattern = json.dumps({"body": {"kind": ["order"]}})
    s = setup(
        lab,
        role,
        OK,
        FilterCriteria={"Filters": [{"Pattern": pattern}]},
        ScalingConfig={"MaximumConcurrency": 2},
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    got = lab.client("lambda").get_event_source_mapping(UUID=s.uuid)
    assert got["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    assert got["ScalingConfig"] == {"MaximumConcurrency": 2}
    assert got["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_queue_must_exist(lab: lambdalab.Lab, role: str) -> None:
    from support import create_python

    with pytest.raises(ClientError) as exc:
        lab.client("lambda").create_event_source_mapping(
            FunctionName=create_python(lab, role), EventSourceArn=lab.arn("sqs", "nope")
        )
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "NonExistentQueue" in exc.value.response["Error"]["Message"]


def test_fifo_refuses_a_window_and_large_batches(lab: lambdalab.Lab, role: str) -> None:
    with pytest.raises(ClientError) as exc:
        setup(lab, role, OK, fifo=True, MaximumBatchingWindowInSeconds=2)
    assert exc.value.response["Error"]["Message"] == "Batching window is not supported for FIFO queues"


def test_batches_go_when_full_and_the_rest_at_once_without_a_window(lab: lambdalab.Lab, role: str) -> None:
    s = setup(lab, role, OK)
    ids = s.send(*[f"m{i}" for i in range(25)])
    lab.run_until_idle(60)
    batches = s.records("sqs-batch")
    assert [(r.t - s.start, r.detail["size"], r.detail["reason"]) for r in batches] == [
        (0, 10, "full"),
        (0, 10, "full"),
        (0, 5, "received"),
    ]
    assert [i for r in batches for i in r.ids] == ids
    assert [(t, k) for t, k, _ in s.events("sqs-batch-result", "sqs-deleted")][:2] == [
        (1.0, "sqs-batch-result"),
        (1.0, "sqs-deleted"),
    ]
    assert s.waiting() == 0


def test_window_gathers_messages_until_it_ends(lab: lambdalab.Lab, role: str) -> None:
    s = setup(lab, role, OK, BatchSize=100, MaximumBatchingWindowInSeconds=5)
    first = s.send("a", "b", "c")
    lab.advance(2)
    second = s.send("d", "e")
    lab.run_until_idle(60)
    [batch] = s.records("sqs-batch")
    assert (batch.t - s.start, batch.detail["reason"], batch.ids) == (5, "window", tuple(first + second))


def test_a_full_batch_does_not_wait_for_the_window(lab: lambdalab.Lab, role: str) -> None:
    s = setup(lab, role, OK, BatchSize=20, MaximumBatchingWindowInSeconds=60, visibility=360)
    s.send(*[str(i) for i in range(25)])
    lab.run_until_idle(120)
    assert [(r.t - s.start, r.detail["size"], r.detail["reason"]) for r in s.records("sqs-batch")] == [
        (0, 20, "full"),
        (60, 5, "window"),
    ]


def test_failed_batch_returns_after_visibility_timeout_then_goes_to_the_dlq(lab: lambdalab.Lab, role: str) -> None:
    # GIVEN a queue with a 30 s visibility timeout and maxReceiveCount 3
    s = setup(lab, role, FAIL, visibility=30, max_receive=3)
    [mid] = s.send("poison")
    # WHEN the function fails every time
    lab.run_until_idle(600)
    # THEN three receives 30 s apart, each returning; the fourth look moves it to the DLQ
    assert s.events("sqs-receive", "sqs-batch-result", "sqs-returned", "sqs-redrive") == [
        (0.0, "sqs-receive", (mid,)),
        (1.0, "sqs-batch-result", (mid,)),
        (1.0, "sqs-returned", (mid,)),
        (30.0, "sqs-receive", (mid,)),
        (31.0, "sqs-batch-result", (mid,)),
        (31.0, "sqs-returned", (mid,)),
        (60.0, "sqs-receive", (mid,)),
        (61.0, "sqs-batch-result", (mid,)),
        (61.0, "sqs-returned", (mid,)),
        (90.0, "sqs-redrive", (mid,)),
    ]
    assert [r.detail["counts"] for r in s.records("sqs-receive")] == [[1], [2], [3]]
    assert [r.detail["visible_at"] - s.start for r in s.records("sqs-returned")] == [30, 60, 90]
    assert s.dlq_bodies() == ["poison"] and s.waiting() == 0


def PARTIAL(event: Any, context: Any) -> dict[str, Any]:
    return {
        "batchItemFailures": [
            {"itemIdentifier": r["messageId"]}
            for r in event["Records"]
            if r["body"].startswith("bad") and r["attributes"]["ApproximateReceiveCount"] == "1"
        ]
    }


def test_partial_batch_response_retries_only_failed_messages(lab: lambdalab.Lab, role: str) -> None:
    s = setup(lab, role, PARTIAL, visibility=20, FunctionResponseTypes=["ReportBatchItemFailures"])
    good1, bad, good2 = s.send("ok-1", "bad-1", "ok-2")
    lab.run_until_idle(300)
    assert s.events("sqs-batch-result", "sqs-deleted", "sqs-returned") == [
        (1.0, "sqs-batch-result", (good1, bad, good2)),
        (1.0, "sqs-deleted", (good1, good2)),
        (1.0, "sqs-returned", (bad,)),
        (21.0, "sqs-batch-result", (bad,)),
        (21.0, "sqs-deleted", (bad,)),
    ]
    assert [r.detail["outcome"] for r in s.records("sqs-batch-result")] == ["partial", "success"]


@pytest.mark.parametrize(
    "answer",
    [
        '{"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}',
        '{"batchItemFailures": [{"itemIdentifier": ""}]}',
        '"done"',  # not an object: no batchItemFailures can be read from it
    ],
)
def test_an_invalid_partial_response_fails_the_whole_batch(lab: lambdalab.Lab, role: str, answer: str) -> None:
    s = setup(
        lab,
        role,
        lambda event, context: json.loads(answer),
        visibility=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    ids = s.send("x", "y")
    lab.advance(5)
    [result] = s.records("sqs-batch-result")
    assert (result.detail["outcome"], result.detail["failed"]) == ("invalid-response", ids)


@pytest.mark.parametrize("answer", ['""', "[]", "null", "{}"])
def test_an_empty_answer_is_a_complete_success(lab: lambdalab.Lab, role: str, answer: str) -> None:
    s = setup(
        lab,
        role,
        lambda event, context: json.loads(answer),
        visibility=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    ids = s.send("x", "y")
    lab.advance(5)
    [result] = s.records("sqs-batch-result")
    assert result.detail["outcome"] == "success"
    assert [list(r.ids) for r in s.records("sqs-deleted")] == [list(ids)]


def test_filtered_out_messages_are_deleted_without_an_invocation(lab: lambdalab.Lab, role: str) -> None:
    pattern = json.dumps({"body": {"kind": ["order"]}})
    s = setup(lab, role, OK, FilterCriteria={"Filters": [{"Pattern": pattern}]})
    order, refund, text = s.send(json.dumps({"kind": "order"}), json.dumps({"kind": "refund"}), "plain text")
    lab.run_until_idle(60)
    assert s.events("sqs-filtered", "sqs-batch") == [
        (0.0, "sqs-filtered", (refund, text)),
        (0.0, "sqs-batch", (order,)),
    ]
    assert s.waiting() == 0


def ORDER(event: Any, context: Any) -> None:
    for r in event["Records"]:
        if r["body"] == "A1" and r["attributes"]["ApproximateReceiveCount"] == "1":
            raise ValueError("A1 fails once")


def test_fifo_keeps_group_order_and_holds_a_group_behind_a_failure(lab: lambdalab.Lab, role: str) -> None:
    s = setup(lab, role, ORDER, fifo=True, visibility=30, BatchSize=1)
    a1, a2 = s.send_fifo("A", "A1", "A2")
    b1, b2 = s.send_fifo("B", "B1", "B2")
    lab.run_until_idle(300)
    batches = [(t, ids) for t, _, ids in s.events("sqs-batch")]
    # A1 fails at 0; group B flows (B1 then B2); A2 waits until A1 comes back at 30 and succeeds
    assert batches == [(0.0, (a1,)), (0.0, (b1,)), (1.0, (b2,)), (30.0, (a1,)), (31.0, (a2,))]
    assert s.waiting() == 0


def test_fifo_batch_keeps_order_within_groups(lab: lambdalab.Lab, role: str) -> None:
    s = setup(lab, role, OK, fifo=True)
    ids = s.send_fifo("A", "1", "2", "3") + s.send_fifo("B", "1", "2")
    lab.run_until_idle(60)
    [batch] = s.records("sqs-batch")
    assert batch.ids == tuple(ids)
    [receive] = s.records("sqs-receive")
    assert receive.detail["groups"] == ["A", "A", "A", "B", "B"]


def test_reserved_concurrency_throttles_and_the_batch_returns(lab: lambdalab.Lab, role: str) -> None:
    s = setup(lab, role, OK, reserved=1, visibility=10, BatchSize=1)
    ids = s.send("a", "b")
    lab.run_until_idle(120)
    outcomes = [(t, r.detail["outcome"], r.ids) for r, t in ((r, r.t - s.start) for r in s.records("sqs-batch-result"))]
    assert outcomes == [(0.0, "throttle", (ids[1],)), (1.0, "success", (ids[0],)), (11.0, "success", (ids[1],))]


def test_concurrency_ramps_by_five_a_second_under_a_burst(lab: lambdalab.Lab, role: str) -> None:
    lab.durations["burst-fn"] = 10.0
    from support import create_python

    sqs, lam = lab.client("sqs"), lab.client("lambda")
    url = sqs.create_queue(QueueName="burst", Attributes={"VisibilityTimeout": "120"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    create_python(lab, role, OK, FunctionName="burst-fn", Timeout=30)
    for start in range(0, 200, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(start + i)} for i in range(10)])
    uuid = lam.create_event_source_mapping(FunctionName="burst-fn", EventSourceArn=arn, BatchSize=1)["UUID"]
    t0 = lab.clock.t + 1
    lab.run_until_idle(600)
    started = [r.t - t0 for r in lab.trace.where("sqs-batch") if r.detail["mapping"] == uuid]
    per_second = [started.count(float(s)) for s in range(5)]
    assert per_second == [5, 5, 5, 5, 5]  # 5 at first, then the 5 new slots each second
    limits = [r.detail["limit"] for r in lab.trace.where("sqs-scale") if r.detail["mapping"] == uuid]
    assert limits[:5] == [5, 10, 15, 20, 25]
    assert len(started) == 200


def EVENT(event: Any, context: Any) -> None:
    context.log("EVENT " + json.dumps(event) + "\n")


def test_the_function_receives_lambdas_sqs_event_shape(lab: lambdalab.Lab, role: str) -> None:
    s = setup(lab, role, EVENT)
    [mid] = s.send("hello", MessageAttributes={"color": {"DataType": "String", "StringValue": "red"}})
    lab.run_until_idle(60)
    logs = lab.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{s.function}")["events"]
    [line] = [e["message"] for e in logs if "EVENT " in e["message"]]
    [record] = json.loads(line.split("EVENT ", 1)[1])["Records"]
    assert record["messageId"] == mid and record["body"] == "hello"
    assert (
        record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == s.arn and record["awsRegion"] == lab.region
    )
    assert set(record["attributes"]) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {
        "color": {"stringValue": "red", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    }
    assert record["md5OfBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert record["receiptHandle"].startswith("AQEB")


def test_fifo_records_always_carry_a_sequence_number_growing_in_send_order(lab: lambdalab.Lab, role: str) -> None:
    """FIFO records carry ``SequenceNumber`` (services-sqs / with-sqs example event), also when the queue
    deduplicates by content (no MessageDeduplicationId sent)."""
    s = setup(lab, role, EVENT, fifo=True, BatchSize=10)
    lab.client("sqs").set_queue_attributes(QueueUrl=s.url, Attributes={"ContentBasedDeduplication": "true"})
    sqs = lab.client("sqs")
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=s.url, MessageBody=body, MessageGroupId="g")
    lab.run_until_idle(60)
    logs = lab.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{s.function}")["events"]
    records = [
        r for e in logs if "EVENT " in e["message"] for r in json.loads(e["message"].split("EVENT ", 1)[1])["Records"]
    ]
    numbers = [r["attributes"]["SequenceNumber"] for r in records]
    assert [r["body"] for r in records] == ["a", "b", "c"]
    assert all(n.isdigit() and len(n) == 20 for n in numbers) and numbers == sorted(numbers, key=int)
    assert {r["attributes"]["MessageGroupId"] for r in records} == {"g"}


def test_disabling_stops_polling(lab: lambdalab.Lab, role: str) -> None:
    s = setup(lab, role, OK)
    lab.client("lambda").update_event_source_mapping(UUID=s.uuid, Enabled=False)
    lab.advance(1)
    s.send("later")
    lab.advance(30)
    assert not s.records("sqs-receive") and s.waiting() == 1


# -- "Your function's timeout must be less than or equal to the queue's visibility timeout. Lambda validates
#    this requirement when you create or update an event source mapping" (services-sqs-configure):
#    https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html


def test_queue_visibility_timeout_must_not_be_less_than_the_function_timeout(lab: lambdalab.Lab, role: str) -> None:
    with pytest.raises(ClientError) as exc:
        setup(lab, role, OK, visibility=30, function_timeout=60)
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert (
        exc.value.response["Error"]["Message"]
        == "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds"
    )
    setup(lab, role, OK, visibility=60, function_timeout=60)  # equal is allowed


def test_visibility_rule_is_checked_on_mapping_updates_not_on_function_or_queue_updates(
    lab: lambdalab.Lab, role: str
) -> None:
    lam, sqs = lab.client("lambda"), lab.client("sqs")
    s = setup(lab, role, OK, visibility=30, function_timeout=20)
    lam.update_function_configuration(FunctionName=s.function, Timeout=60)  # AWS does not look at mappings here
    sqs.set_queue_attributes(QueueUrl=s.url, Attributes={"VisibilityTimeout": "10"})  # nor here
    with pytest.raises(ClientError) as exc:
        lam.update_event_source_mapping(UUID=s.uuid, BatchSize=5)
    assert (
        exc.value.response["Error"]["Message"]
        == "Queue visibility timeout: 10 seconds is less than Function timeout: 60 seconds"
    )
    assert lam.get_event_source_mapping(UUID=s.uuid)["BatchSize"] == 10  # the refused update changed nothing
    sqs.set_queue_attributes(QueueUrl=s.url, Attributes={"VisibilityTimeout": "60"})
    assert lam.update_event_source_mapping(UUID=s.uuid, BatchSize=5)["BatchSize"] == 5


def test_a_batching_window_plus_a_long_invocation_outlasting_visibility_delivers_twice(
    lab: lambdalab.Lab, role: str
) -> None:
    # legal at creation (function timeout 20 <= visibility 30), yet window 20 s + invocation 15 s > 30 s:
    # AWS advises six times the function timeout plus the batching window for this reason
    s = setup(lab, role, OK, visibility=30, function_timeout=20, MaximumBatchingWindowInSeconds=20)
    lab.durations[s.function] = 15.0
    [mid] = s.send("charge card 42")
    lab.run_until_idle(200)
    started = [(r.t - s.start, r.ids) for r in s.records("sqs-batch")]
    assert started == [(20, (mid,)), (50, (mid,))]
    assert len(s.records("sqs-already-deleted")) == 1
