"""Stream mapping decisions as pure functions: no moto, no clock."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from lambdalab.engines import stream_batching as batching
from lambdalab.engines import stream_errors as errors
from lambdalab.engines import stream_records as shapes
from lambdalab.engines import stream_settings
from lambdalab.engines.attempts import Attempt, Outcome
from lambdalab.engines.filters import matches_any, view
from lambdalab.errors import AwsError
from lambdalab.events import kinesis
from lambdalab.trace import Record
from lambdalab.widgets.shard_view import shard_view_state

KINESIS = "arn:aws:kinesis:us-east-1:123456789012:stream/s"
DDB = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2025-01-06T09:00:00"


def _item(seq: int, key: str = "k", arrival: float = 0.0, size: int = 100) -> shapes.StreamItem:
    return shapes.StreamItem("shardId-000000000000", seq, str(seq), key, arrival, {"n": seq}, size)


# -- errors -----------------------------------------------------------------------------
def test_backoff_doubles_to_a_minute() -> None:
    assert [errors.backoff_delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert errors.backoff_delay(5000) == 60  # a day of retries of a batch that always fails


def test_success_checkpoints_the_whole_batch() -> None:
    assert errors.next_step(Outcome.SUCCESS, size=5, retries_used=0, backoff_round=0) == errors.Step("done", keep=5)


def test_function_error_retries_forever_by_default() -> None:
    step = errors.next_step(Outcome.FUNCTION_ERROR, size=3, retries_used=500, backoff_round=500)
    assert (step.action, step.delay, step.counted) == ("retry", 60.0, True)


def test_retry_limit_discards() -> None:
    assert (
        errors.next_step(Outcome.FUNCTION_ERROR, size=3, retries_used=1, backoff_round=1, max_retries=2).action
        == "retry"
    )
    step = errors.next_step(Outcome.FUNCTION_ERROR, size=3, retries_used=2, backoff_round=2, max_retries=2)
    assert (step.action, step.condition) == ("discard", "RetryAttemptsExhausted")


def test_zero_retries_discards_after_the_first_attempt() -> None:
    assert (
        errors.next_step(Outcome.FUNCTION_ERROR, size=1, retries_used=0, backoff_round=0, max_retries=0).action
        == "discard"
    )


def test_bisect_splits_without_using_a_retry() -> None:
    step = errors.next_step(Outcome.FUNCTION_ERROR, size=4, retries_used=0, backoff_round=0, max_retries=0, bisect=True)
    assert step == errors.Step("bisect")
    assert errors.halves(5) == (3, 2)
    # one record left: bisect cannot help, the retry quota applies
    assert (
        errors.next_step(
            Outcome.FUNCTION_ERROR, size=1, retries_used=0, backoff_round=0, max_retries=0, bisect=True
        ).action
        == "discard"
    )


def test_partial_answer_checkpoints_before_the_lowest_failure() -> None:
    step = errors.next_step(Outcome.PARTIAL, size=5, retries_used=0, backoff_round=0, failed_from=2, bisect=True)
    assert (step.action, step.keep, step.counted) == ("retry", 2, True)


def test_throttles_never_use_up_retries() -> None:
    step = errors.next_step(Outcome.THROTTLE, size=5, retries_used=0, backoff_round=3, max_retries=0)
    assert (step.action, step.counted, step.delay) == ("retry", False, 8.0)


@pytest.mark.parametrize(
    ("answer", "outcome", "failed_from"),
    [
        ({"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}, Outcome.PARTIAL, 1),
        ({"batchItemFailures": [{"itemIdentifier": "1"}]}, Outcome.FUNCTION_ERROR, None),  # nothing before it succeeded
        ({"batchItemFailures": []}, Outcome.SUCCESS, None),
        ({"batchItemFailures": [{"itemIdentifier": "99"}]}, Outcome.INVALID_RESPONSE, None),
    ],
)
def test_a_partial_answer_checkpoints_before_its_lowest_sequence_number(
    answer: object, outcome: Outcome, failed_from: int | None
) -> None:
    attempt = Attempt(Outcome.SUCCESS, payload=json.dumps(answer).encode())
    read, first = errors.read_answer(attempt, ["1", "2", "3"])
    assert (read.outcome, first) == (outcome, failed_from)


def test_an_invalid_answer_is_bisected_like_a_function_error() -> None:
    step = errors.next_step(Outcome.INVALID_RESPONSE, size=4, retries_used=0, backoff_round=0, bisect=True)
    assert step.action == "bisect"


def test_refusals_never_use_up_retries() -> None:
    for outcome in (Outcome.THROTTLE, Outcome.SYSTEM_ERROR):
        step = errors.next_step(outcome, size=2, retries_used=0, backoff_round=0, max_retries=0)
        assert (step.action, step.counted) == ("retry", False)


def test_expired_counts_old_records_at_the_head() -> None:
    assert errors.expired([0, 10, 100], now=70, max_age=60) == 1
    assert errors.expired([0, 10, 100], now=60, max_age=60) == 0  # exactly the maximum age is still fine
    assert errors.effective_max_age(-1) == 86_400
    assert errors.effective_max_age(60, retention=3600) == 60


# -- batching ---------------------------------------------------------------------------------
def test_lanes_keep_a_key_together() -> None:
    assert batching.lane_of("anything", 1) == 0
    lanes = {k: batching.lane_of(k, 4) for k in ("a", "b", "c", "d", "e", "f")}
    assert set(lanes.values()) <= {0, 1, 2, 3}
    assert all(batching.lane_of(k, 4) == v for k, v in lanes.items())


def test_take_stops_at_batch_size_payload_and_window() -> None:
    items = [_item(i, arrival=i * 10.0) for i in range(10)]
    assert batching.take(items, 4) == 4
    assert batching.take(items, 100, limit=300) == 2
    assert batching.take(items, 100, window=30) == 3  # arrivals 0, 10, 20 share the window [0, 30)
    assert batching.take([], 10) == 0
    assert batching.take([_item(0, size=10**7)], 10) == 1  # a batch has at least one record


def test_batching_window_wait() -> None:
    assert batching.batching_wait(3, 10, 5, oldest_read_at=100, now=102) == 3
    assert batching.batching_wait(10, 10, 5, oldest_read_at=100, now=102) == 0
    assert batching.batching_wait(3, 10, 0, oldest_read_at=100, now=102) == 0
    assert batching.window_of(125.0, 60) == (120.0, 180.0)


# -- settings ------------------------------------------------------------------------------
def _error(body: dict[str, object], kind: str = "kinesis", arn: str = KINESIS) -> tuple[str, str]:
    with pytest.raises(AwsError) as exc:
        stream_settings.settings(kind, arn, body, None)
    return exc.value.code, exc.value.message


def test_defaults_in_aws_shape() -> None:
    out = stream_settings.settings("kinesis", KINESIS, {"StartingPosition": "LATEST"}, None)
    assert out == {
        "StartingPosition": "LATEST",
        "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 0,
        "ParallelizationFactor": 1,
        "DestinationConfig": {"OnFailure": {}},
        "FunctionResponseTypes": [],
        "MaximumRecordAgeInSeconds": -1,
        "BisectBatchOnFunctionError": False,
        "MaximumRetryAttempts": -1,
        "TumblingWindowInSeconds": 0,
        "LastProcessingResult": "No records processed",
    }


def test_starting_position_rules() -> None:
    assert _error({}) == (
        "InvalidParameterValueException",
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.",
    )
    assert _error({"StartingPosition": "NOW"})[0] == "ValidationException"
    assert _error({"StartingPosition": "AT_TIMESTAMP"}, "dynamodb", DDB) == (
        "InvalidParameterValueException",
        f"Unsupported starting position for arn type: {DDB}",
    )
    out = stream_settings.settings(
        "kinesis", KINESIS, {"StartingPosition": "AT_TIMESTAMP", "StartingPositionTimestamp": 5}, None
    )
    assert out["StartingPositionTimestamp"] == 5.0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "BatchSize",
            10_001,
            "Value '10001' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal to 10000",
        ),
        (
            "BatchSize",
            0,
            "Value '0' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
        (
            "MaximumBatchingWindowInSeconds",
            301,
            "at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value less than or equal to 300",
        ),
        (
            "ParallelizationFactor",
            11,
            "at 'parallelizationFactor' failed to satisfy constraint: Member must have value less than or equal to 10",
        ),
        (
            "MaximumRetryAttempts",
            -2,
            "at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value greater than or equal to -1",
        ),
        (
            "MaximumRecordAgeInSeconds",
            604_801,
            "at 'maximumRecordAgeInSeconds' failed to satisfy constraint: Member must have value less than or equal to 604800",
        ),
        (
            "TumblingWindowInSeconds",
            901,
            "at 'tumblingWindowInSeconds' failed to satisfy constraint: Member must have value less than or equal to 900",
        ),
    ],
)
def test_ranges(field: str, value: int, message: str) -> None:
    code, text = _error({"StartingPosition": "LATEST", field: value})
    assert code == "ValidationException" and message in text


def test_record_age_between_zero_and_a_minute_is_refused() -> None:
    assert _error({"StartingPosition": "LATEST", "MaximumRecordAgeInSeconds": 30}) == (
        "InvalidParameterValueException",
        "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 (inclusive)",
    )


def test_update_merges_over_current() -> None:
    current = stream_settings.settings("kinesis", KINESIS, {"StartingPosition": "TRIM_HORIZON"}, None)
    out = stream_settings.settings(
        "kinesis",
        KINESIS,
        {
            "MaximumRetryAttempts": 3,
            "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:q"}},
        },
        current,
    )
    assert (out["StartingPosition"], out["MaximumRetryAttempts"], out["DestinationConfig"]) == (
        "TRIM_HORIZON",
        3,
        {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:q"}},
    )


def test_on_success_destination_is_refused() -> None:
    assert _error(
        {"StartingPosition": "LATEST", "DestinationConfig": {"OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:1:q"}}}
    ) == (
        "InvalidParameterValueException",
        "Unsupported DestinationConfig parameter for given event source mapping type.",
    )


def test_bad_filter_pattern() -> None:
    assert _error({"StartingPosition": "LATEST", "FilterCriteria": {"Filters": [{"Pattern": "{not json"}]}}) == (
        "InvalidParameterValueException",
        "Invalid filter pattern definition.",
    )


# -- records ------------------------------------------------------------------------------------
def test_kinesis_record_shape() -> None:
    record = kinesis.record(
        shard="shardId-000000000001",
        seq="7",
        partition_key="pk",
        data_b64="aGk=",
        arrival=1736154000.1234,
        role_arn="arn:aws:iam::123456789012:role/r",
        region="us-east-1",
        stream_arn=KINESIS,
    )
    assert record == {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "pk",
            "sequenceNumber": "7",
            "data": "aGk=",
            "approximateArrivalTimestamp": 1736154000.123,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": "shardId-000000000001:7",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/r",
        "awsRegion": "us-east-1",
        "eventSourceARN": KINESIS,
    }


def test_failure_record_shape() -> None:
    items = [_item(3, arrival=1736154000.5), _item(4, arrival=1736154001.25)]
    record = shapes.failure_record(
        kind="kinesis",
        timestamp=datetime(2025, 1, 6, 9, 0, 5, tzinfo=UTC),
        request_id="r",
        function_arn="arn:f",
        condition="RetryAttemptsExhausted",
        invoke_count=3,
        status_code=200,
        executed_version="$LATEST",
        function_error="Unhandled",
        items=items,
        stream_arn=KINESIS,
    )
    assert list(record) == ["requestContext", "responseContext", "version", "timestamp", "KinesisBatchInfo"]
    assert record["requestContext"] == {
        "requestId": "r",
        "functionArn": "arn:f",
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["timestamp"] == "2025-01-06T09:00:05.000Z"
    assert record["KinesisBatchInfo"] == {
        "shardId": "shardId-000000000000",
        "startSequenceNumber": "3",
        "endSequenceNumber": "4",
        "approximateArrivalOfFirstRecord": "2025-01-06T09:00:00.500Z",
        "approximateArrivalOfLastRecord": "2025-01-06T09:00:01.250Z",
        "batchSize": 2,
        "streamArn": KINESIS,
    }
    ddb = shapes.failure_record(
        kind="dynamodb",
        timestamp=datetime(2025, 1, 6, tzinfo=UTC),
        request_id="",
        function_arn="f",
        condition="RecordAgeExceeded",
        invoke_count=0,
        status_code=200,
        executed_version="$LATEST",
        function_error=None,
        items=items,
        stream_arn=DDB,
    )
    assert "DDBStreamBatchInfo" in ddb and "functionError" not in ddb["responseContext"]


def test_filters_see_kinesis_data_as_json() -> None:
    data = base64.b64encode(json.dumps({"temp": 40}).encode()).decode()
    record = kinesis.record(
        shard="s",
        seq="1",
        partition_key="pk",
        data_b64=data,
        arrival=0,
        role_arn="r",
        region="us-east-1",
        stream_arn=KINESIS,
    )
    assert matches_any([{"data": {"temp": [{"numeric": [">", 30]}]}}], view(record))
    assert not matches_any([{"data": {"temp": [{"numeric": ["<", 30]}]}}], view(record))
    assert matches_any([{"partitionKey": ["pk"]}], view(record))
    assert matches_any([], view(record))


# -- the shard view's state -------------------------------------------------------------------------
def test_shard_view_state_from_trace_records() -> None:
    def batch(t: float, seqs: list[str], outcome: str, attempt: int = 1, split: bool = False) -> Record:
        return Record(
            t,
            "stream-batch",
            "f",
            ("m",),
            {
                "shard": "shardId-000000000000",
                "lane": 0,
                "seqs": seqs,
                "start": t,
                "duration": 1.0,
                "attempt": attempt,
                "outcome": outcome,
                "split": split,
            },
        )

    records = [
        batch(1, ["1", "2"], "function-error"),
        Record(
            2,
            "stream-retry-wait",
            "f",
            ("m",),
            {"shard": "shardId-000000000000", "lane": 0, "delay": 1.0, "until": 3.0},
        ),
        batch(3, ["1", "2"], "function-error", attempt=2),
        Record(
            4,
            "stream-discard",
            "f",
            ("m",),
            {"shard": "shardId-000000000000", "lane": 0, "seqs": ["1", "2"], "condition": "RetryAttemptsExhausted"},
        ),
        Record(4, "stream-delivery", "f", ("m",), {"target": "q"}),
        Record(
            4,
            "stream-batch",
            "f",
            ("other",),
            {"shard": "x", "lane": 0, "seqs": ["9"], "start": 4, "duration": 1.0, "attempt": 1, "outcome": "success"},
        ),
    ]
    state = shard_view_state(records, "m")
    assert state["lanes"] == [{"id": "shardId-000000000000#0", "shard": "shardId-000000000000", "lane": 0}]
    assert [(b["start"], b["end"], b["outcome"], b["attempt"]) for b in state["batches"]] == [
        (1, 2, "function-error", 1),
        (3, 4, "function-error", 2),
    ]
    assert state["waits"] == [{"lane": "shardId-000000000000#0", "start": 2, "end": 3.0}]
    assert state["discards"] == [
        {
            "lane": "shardId-000000000000#0",
            "t": 4,
            "first": "1",
            "last": "2",
            "size": 2,
            "condition": "RetryAttemptsExhausted",
            "sent": True,
        }
    ]
    assert state["t_end"] == 4
    assert len(shard_view_state(records)["lanes"]) == 2


def test_kinesis_sequence_numbers_reach_the_function_in_awss_56_digit_form() -> None:
    """with-kinesis sample event: ``sequenceNumber`` like 49590338271490256608559692538361571095921575989136588898."""
    from lambdalab.events.kinesis import sequence_number as kinesis_sequence_number

    first, tenth = (kinesis_sequence_number("shardId-000000000003", n) for n in ("1", "10"))
    assert len(first) == len(tenth) == 56 and first.startswith("49") and int(first) < int(tenth)
    assert kinesis_sequence_number("shardId-000000000004", "1") != first  # unique across shards
