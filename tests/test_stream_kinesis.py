"""Kinesis mappings end to end: API, ordering, retries, bisect, record age, partial answers,
on-failure records, parallelization, starting positions, a second consumer (exact timelines;
functions on the FakeRuntime).

Timelines: a mapping created at t0 is Enabled at t0+1 and reads at once; every
invocation lasts 1 virtual second; retries wait 1, 2, 4, ... seconds (cap 60).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from stream_support import batches, events, function, kinesis_stream, mapping, messages, put, queue, stream_role
from support import create_python

import lambdalab
from lambdalab.events.kinesis import sequence_number as kinesis_sequence_number

pytestmark = pytest.mark.fake_runtime

#: the first record of shard 0, as Lambda numbers it in the event
FIRST = "49" + "0" * 53 + "1"


@pytest.fixture(scope="module")
def role(lab: lambdalab.Lab) -> str:
    return stream_role(lab)


# -- the API -----------------------------------------------------------------------------------
def test_create_answers_in_aws_shape(lab: lambdalab.Lab, role: str) -> None:
    _, arn = kinesis_stream(lab)
    fn = function(lab, role)
    got = lab.client("lambda").create_event_source_mapping(
        FunctionName=fn, EventSourceArn=arn, StartingPosition="LATEST"
    )
    got.pop("ResponseMetadata")
    assert {k: v for k, v in got.items() if k not in ("UUID", "LastModified", "EventSourceMappingArn")} == {
        "StartingPosition": "LATEST",
        "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 0,
        "ParallelizationFactor": 1,
        "EventSourceArn": arn,
        "FunctionArn": lab.arn("lambda", f"function:{fn}"),
        "LastProcessingResult": "No records processed",
        "State": "Creating",
        "StateTransitionReason": "User action",
        "DestinationConfig": {"OnFailure": {}},
        "FunctionResponseTypes": [],
        "MaximumRecordAgeInSeconds": -1,
        "BisectBatchOnFunctionError": False,
        "MaximumRetryAttempts": -1,
        "TumblingWindowInSeconds": 0,
    }
    lab.advance(1)
    assert lab.client("lambda").get_event_source_mapping(UUID=got["UUID"])["State"] == "Enabled"


def test_second_mapping_of_the_same_pair_conflicts(lab: lambdalab.Lab, role: str) -> None:
    _, arn = kinesis_stream(lab)
    fn = function(lab, role)
    uuid, _ = mapping(lab, fn, arn)
    with pytest.raises(ClientError) as exc:
        mapping(lab, fn, arn)
    assert exc.value.response["Error"]["Message"] == (
        f'The event source arn (" {arn} ") and function (" {fn} ") provided mapping already exists. '
        f"Please update or delete the existing mapping with UUID {uuid}"
    )


def test_role_must_read_the_stream(lab: lambdalab.Lab, role_arn: str) -> None:
    _, arn = kinesis_stream(lab)
    with pytest.raises(ClientError) as exc:
        mapping(lab, create_python(lab, role_arn), arn)
    assert (
        exc.value.response["Error"]["Message"]
        == "The function execution role does not have permissions to call GetRecords on Kinesis"
    )


def test_role_must_reach_the_destination(lab: lambdalab.Lab) -> None:
    reader = stream_role(lab, "reader-only", destinations=False)
    _, arn = kinesis_stream(lab)
    _, queue_arn = queue(lab)
    with pytest.raises(ClientError) as exc:
        mapping(lab, function(lab, reader), arn, DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    assert exc.value.response["Error"] == {
        "Code": "InvalidParameterValueException",
        "Message": "The function execution role does not have permissions to call SendMessage on SQS",
    } | {k: v for k, v in exc.value.response["Error"].items() if k not in ("Code", "Message")}


def test_validation_reaches_the_learner(lab: lambdalab.Lab, role: str) -> None:
    _, arn = kinesis_stream(lab)
    with pytest.raises(ClientError) as exc:
        lab.client("lambda").create_event_source_mapping(FunctionName=function(lab, role), EventSourceArn=arn)
    assert "Value null at 'startingPosition'" in exc.value.response["Error"]["Message"]


# -- ordering -------------------------------------------------------------------------------------
def test_records_processed_in_order_per_shard(lab: lambdalab.Lab, role: str) -> None:
    stream, arn = kinesis_stream(lab, shards=3)
    written = put(lab, stream, [(f"key-{i % 7}", f"r{i}") for i in range(30)])
    uuid, t0 = mapping(lab, function(lab, role), arn, BatchSize=4)
    lab.run_until_idle(600)
    got = batches(lab, uuid, t0)
    for shard in {s for s, _ in written}:
        seen = [seq for _, s, seqs, _ in got if s == shard for seq in seqs]
        assert seen == [seq for s, seq in written if s == shard]
        times = [t for t, s, _, _ in got if s == shard]
        assert times == [1.0 + i for i in range(len(times))]  # one batch per second, back to back
    assert all(outcome == "success" for *_, outcome in got)
    assert lab.client("lambda").get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "OK"


def test_records_stay_readable_by_another_consumer(lab: lambdalab.Lab, role: str) -> None:
    stream, arn = kinesis_stream(lab)
    put(lab, stream, [("a", f"r{i}") for i in range(5)])
    first, _ = mapping(lab, function(lab, role), arn)
    lab.run_until_idle(600)
    second, _ = mapping(lab, function(lab, role), arn)
    lab.run_until_idle(600)
    assert (
        [seqs for _, _, seqs, _ in batches(lab, first)]
        == [seqs for _, _, seqs, _ in batches(lab, second)]
        == [["1", "2", "3", "4", "5"]]
    )
    kin = lab.client("kinesis")
    it = kin.get_shard_iterator(StreamName=stream, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    assert [r["Data"] for r in kin.get_records(ShardIterator=it)["Records"]] == [f"r{i}".encode() for i in range(5)]


def test_latest_skips_what_was_there(lab: lambdalab.Lab, role: str) -> None:
    stream, arn = kinesis_stream(lab)
    put(lab, stream, [("a", "old")])
    uuid, t0 = mapping(lab, function(lab, role), arn, StartingPosition="LATEST")
    lab.advance(1)
    lab.advance(2.5)
    put(lab, stream, [("a", "new")])
    lab.run_until_idle(600)
    assert batches(lab, uuid, t0) == [(4.0, "shardId-000000000000", ["2"], "success")]


def test_at_timestamp_starts_at_the_first_record_arriving_then(lab: lambdalab.Lab, role: str) -> None:
    stream, arn = kinesis_stream(lab)
    put(lab, stream, [("a", "before")])
    lab.advance(10)
    cut = lab.clock.now.timestamp()
    put(lab, stream, [("a", "after-1"), ("a", "after-2")])
    uuid, _ = mapping(lab, function(lab, role), arn, StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=cut)
    lab.run_until_idle(600)
    assert [seqs for _, _, seqs, _ in batches(lab, uuid)] == [["2", "3"]]


def test_event_records_in_aws_shape(lab: lambdalab.Lab, role: str) -> None:
    def source(event: Any, context: Any) -> None:
        context.log("EVENT" + json.dumps(event) + "\n")

    stream, arn = kinesis_stream(lab)
    fn = create_python(lab, role, source)
    arrival = lab.clock.now.timestamp()
    put(lab, stream, [("pk", "hello")])
    mapping(lab, fn, arn)
    lab.run_until_idle(600)
    logs = lab.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{fn}")["events"]
    event = json.loads(next(e["message"] for e in logs if e["message"].startswith("EVENT"))[5:])
    assert event == {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "pk",
                    # AWS's 56-digit form (with-kinesis sample event); moto's own number is 1
                    "sequenceNumber": FIRST,
                    "data": base64.b64encode(b"hello").decode(),
                    "approximateArrivalTimestamp": round(arrival, 3),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{FIRST}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": role,
                "awsRegion": "us-east-1",
                "eventSourceARN": arn,
            }
        ]
    }


def test_a_sequence_number_lambda_gave_reads_the_record_back_from_the_stream(lab: lambdalab.Lab) -> None:
    """A consumer of an on-failure record can read the records back with the numbers it names."""
    stream, _ = kinesis_stream(lab)
    put(lab, stream, [("k", "first"), ("k", "second")])
    kin = lab.client("kinesis")
    it = kin.get_shard_iterator(
        StreamName=stream,
        ShardId="shardId-000000000000",
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=kinesis_sequence_number("shardId-000000000000", "2"),
    )["ShardIterator"]
    assert [r["Data"] for r in kin.get_records(ShardIterator=it)["Records"]] == [b"second"]


# -- errors ----------------------------------------------------------------------------------------
def test_retry_limit_then_on_failure_record_and_the_shard_moves_on(lab: lambdalab.Lab, role: str) -> None:
    stream, arn = kinesis_stream(lab)
    url, queue_arn = queue(lab)
    fn = function(lab, role)
    arrived = lab.clock.now
    put(lab, stream, [("a", "ok-1"), ("a", "poison"), ("a", "ok-2")])
    uuid, t0 = mapping(
        lab, fn, arn, MaximumRetryAttempts=2, DestinationConfig={"OnFailure": {"Destination": queue_arn}}
    )
    lab.advance(4)
    put(lab, stream, [("a", "later")])
    lab.run_until_idle(600)
    assert batches(lab, uuid, t0) == [
        (1.0, "shardId-000000000000", ["1", "2", "3"], "function-error"),
        (3.0, "shardId-000000000000", ["1", "2", "3"], "function-error"),  # after 1 s
        (6.0, "shardId-000000000000", ["1", "2", "3"], "function-error"),  # after 2 s
        (7.0, "shardId-000000000000", ["4"], "success"),  # the shard moves on
    ]
    assert [(t, d["condition"], d["seqs"]) for t, d in events(lab, uuid, "stream-discard", t0)] == [
        (7.0, "RetryAttemptsExhausted", ["1", "2", "3"])
    ]
    [record] = messages(lab, url)
    request_id = [r.detail["request_id"] for r in lab.trace.where("stream-batch") if uuid in r.ids][2]
    stamp = arrived.strftime("%Y-%m-%dT%H:%M:%S.") + f"{arrived.microsecond // 1000:03d}Z"
    assert record == {
        "requestContext": {
            "requestId": request_id,
            "functionArn": lab.arn("lambda", f"function:{fn}"),
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 3,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": record["timestamp"],
        "KinesisBatchInfo": {
            "shardId": "shardId-000000000000",
            "startSequenceNumber": kinesis_sequence_number("shardId-000000000000", "1"),
            "endSequenceNumber": kinesis_sequence_number("shardId-000000000000", "3"),
            "approximateArrivalOfFirstRecord": stamp,
            "approximateArrivalOfLastRecord": stamp,
            "batchSize": 3,
            "streamArn": arn,
        },
    }
    assert lab.client("lambda").get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "OK"


def test_failing_batch_reports_problem(lab: lambdalab.Lab, role: str) -> None:
    stream, arn = kinesis_stream(lab)
    put(lab, stream, [("a", "poison")])
    uuid, _ = mapping(lab, function(lab, role), arn, MaximumRetryAttempts=1)
    lab.advance(2)
    assert (
        lab.client("lambda").get_event_source_mapping(UUID=uuid)["LastProcessingResult"]
        == "PROBLEM: Function call failed"
    )
    lab.run_until_idle(600)


def test_bisect_narrows_down_to_the_poison_record(lab: lambdalab.Lab, role: str) -> None:
    stream, arn = kinesis_stream(lab)
    put(lab, stream, [("a", "ok"), ("a", "ok"), ("a", "poison"), ("a", "ok"), ("a", "ok")])
    uuid, t0 = mapping(lab, function(lab, role), arn, MaximumRetryAttempts=1, BisectBatchOnFunctionError=True)
    lab.run_until_idle(600)
    assert [(t, seqs, outcome) for t, _, seqs, outcome in batches(lab, uuid, t0)] == [
        (1.0, ["1", "2", "3", "4", "5"], "function-error"),
        (2.0, ["1", "2", "3"], "function-error"),  # halves run at once: a split is not a retry
        (3.0, ["1", "2"], "success"),
        (4.0, ["3"], "function-error"),
        (6.0, ["3"], "function-error"),  # its one retry, after 1 s
        (7.0, ["4", "5"], "success"),
    ]
    assert [(t, d["seqs"], d["condition"], d["attempts"]) for t, d in events(lab, uuid, "stream-discard", t0)] == [
        (7.0, ["3"], "RetryAttemptsExhausted", 2)
    ]


def test_record_age_ends_the_retries(lab: lambdalab.Lab, role: str) -> None:
    stream, arn = kinesis_stream(lab)
    url, queue_arn = queue(lab)
    put(lab, stream, [("a", "poison")])
    uuid, t0 = mapping(
        lab,
        function(lab, role),
        arn,
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    lab.run_until_idle(600)
    assert [t for t, *_ in batches(lab, uuid, t0)] == [1.0, 3.0, 6.0, 11.0, 20.0, 37.0]  # waits 1, 2, 4, 8, 16
    assert [(t, d["condition"]) for t, d in events(lab, uuid, "stream-discard", t0)] == [(70.0, "RecordAgeExceeded")]
    [record] = messages(lab, url)
    assert (record["requestContext"]["condition"], record["requestContext"]["approximateInvokeCount"]) == (
        "RecordAgeExceeded",
        6,
    )


def test_partial_answer_retries_from_the_lowest_failure(lab: lambdalab.Lab, role: str) -> None:
    stream, arn = kinesis_stream(lab)
    put(lab, stream, [("a", "ok"), ("a", "ok"), ("a", "poison"), ("a", "ok")])
    uuid, t0 = mapping(
        lab,
        function(lab, role, mode="partial"),
        arn,
        MaximumRetryAttempts=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    lab.run_until_idle(600)
    assert [(t, seqs, outcome) for t, _, seqs, outcome in batches(lab, uuid, t0)] == [
        (1.0, ["1", "2", "3", "4"], "partial"),
        (
            3.0,
            ["3", "4"],
            "function-error",
        ),  # checkpointed after 2; retried after 1 s; its first record fails: all of it failed
    ]
    assert [(t, d["seqs"]) for t, d in events(lab, uuid, "stream-checkpoint", t0)] == [(2.0, ["1", "2"])]
    assert [(t, d["seqs"]) for t, d in events(lab, uuid, "stream-discard", t0)] == [(4.0, ["3", "4"])]


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("", "success"),
        ([], "success"),
        ("done", "invalid-response"),
        ({"batchItemFailures": [{"itemIdentifier": "9"}]}, "invalid-response"),
    ],
)
def test_an_answer_is_read_as_for_sqs(lab: lambdalab.Lab, role: str, answer: Any, outcome: str) -> None:
    stream, arn = kinesis_stream(lab)
    put(lab, stream, [("a", "ok"), ("a", "ok")])
    fn = function(lab, role, source=lambda event, context: answer)
    uuid, t0 = mapping(lab, fn, arn, MaximumRetryAttempts=0, FunctionResponseTypes=["ReportBatchItemFailures"])
    lab.run_until_idle(600)
    assert [(t, seqs, got) for t, _, seqs, got in batches(lab, uuid, t0)] == [(1.0, ["1", "2"], outcome)]
    kept = "stream-checkpoint" if outcome == "success" else "stream-discard"
    assert [(t, d["seqs"]) for t, d in events(lab, uuid, kept, t0)] == [(2.0, ["1", "2"])]


def test_s3_destination_gets_the_record_and_the_payload(lab: lambdalab.Lab, role: str) -> None:
    stream, arn = kinesis_stream(lab)
    lab.client("s3").create_bucket(Bucket="stream-failures")
    put(lab, stream, [("a", "poison")])
    uuid, _ = mapping(
        lab,
        function(lab, role),
        arn,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::stream-failures"}},
    )
    lab.run_until_idle(600)
    [key] = [o["Key"] for o in lab.client("s3").list_objects_v2(Bucket="stream-failures")["Contents"]]
    assert key.startswith(f"aws/lambda/{uuid}/shardId-000000000000/")
    doc = json.loads(lab.client("s3").get_object(Bucket="stream-failures", Key=key)["Body"].read())
    assert doc["payload"]["Records"][0]["kinesis"]["data"] == base64.b64encode(b"poison").decode()


# -- parallelization -------------------------------------------------------------------------------
def test_parallel_lanes_keep_order_per_key_and_a_failing_key_blocks_only_its_lane(
    lab: lambdalab.Lab, role: str
) -> None:
    stream, arn = kinesis_stream(lab)
    keys = [f"user-{i}" for i in range(6)]
    put(lab, stream, [(keys[i % 6], "poison" if i == 0 else f"r{i}") for i in range(24)])
    uuid, t0 = mapping(lab, function(lab, role), arn, ParallelizationFactor=3, BatchSize=2, MaximumRetryAttempts=2)
    lab.run_until_idle(600)
    got = [r.detail for r in lab.trace.where("stream-batch") if uuid in r.ids]
    assert len({d["lane"] for d in got}) > 1
    assert len({d["start"] for d in got}) < len(got)  # lanes overlap in time
    done = [seq for d in got if d["outcome"] == "success" for seq in d["seqs"]]
    discarded = [seq for r in lab.trace.where("stream-discard") if uuid in r.ids for seq in r.detail["seqs"]]
    assert sorted(done + discarded, key=int) == [str(i) for i in range(1, 25)]
    by_key: dict[str, list[int]] = {}
    for i in range(24):
        by_key.setdefault(keys[i % 6], []).append(i + 1)
    for key, seqs in by_key.items():
        order = [int(s) for s in done + discarded if int(s) in seqs]
        processed = [int(s) for d in got if d["outcome"] == "success" for s in d["seqs"] if int(s) in seqs]
        assert processed == sorted(processed), key
        assert sorted(order) == seqs


def test_filters_skip_records(lab: lambdalab.Lab, role: str) -> None:
    stream, arn = kinesis_stream(lab)
    put(lab, stream, [("a", json.dumps({"temp": t})) for t in (10, 40, 20, 50)])
    uuid, _ = mapping(
        lab,
        function(lab, role),
        arn,
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"data": {"temp": [{"numeric": [">", 30]}]}})}]},
    )
    lab.run_until_idle(600)
    assert [seqs for _, _, seqs, _ in batches(lab, uuid)] == [["2", "4"]]


def test_tumbling_window_carries_state_and_ends_with_a_final_invoke(lab: lambdalab.Lab, role: str) -> None:
    def source(event: Any, context: Any) -> dict[str, Any]:
        state = dict(event["state"])
        state["n"] = state.get("n", 0) + len(event["Records"])
        return {"state": state}

    stream, arn = kinesis_stream(lab)
    lab.advance(60 - lab.clock.now.timestamp() % 60)  # at the start of a minute
    put(lab, stream, [("a", "1"), ("a", "2")])
    uuid, t0 = mapping(lab, create_python(lab, role, source), arn, TumblingWindowInSeconds=60, BatchSize=2)
    lab.advance(5)
    put(lab, stream, [("a", "3")])
    lab.run_until_idle(600)
    got = [(round(t), seqs) for t, _, seqs, _ in batches(lab, uuid, t0)]
    assert got == [(1, ["1", "2"]), (6, ["3"]), (60, [])]
    [(_, final)] = events(lab, uuid, "stream-window-final", t0)
    assert final["state"] == {"n": 3}
