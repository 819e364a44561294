"""The SQS mapping's decisions as pure functions: no moto, no clock."""

from __future__ import annotations

import json

import pytest

from lambdalab.aws import moto_sqs
from lambdalab.engines import attempts, sqs_batching, sqs_errors, sqs_scaling, sqs_settings
from lambdalab.engines.attempts import Attempt, Outcome
from lambdalab.errors import AwsError
from lambdalab.events import sqs as sqs_event

IDS = ("m1", "m2", "m3")


def _returned(doc: object) -> Attempt:
    """A successful attempt that answered ``doc``."""
    return Attempt(Outcome.SUCCESS, payload=json.dumps(doc).encode())


# -- errors ---------------------------------------------------------------------------
def test_success_deletes_the_whole_batch() -> None:
    verdict = sqs_errors.decide(IDS, _returned(None), report_failures=False)
    assert verdict == sqs_errors.Verdict(Outcome.SUCCESS, IDS, ())


def test_function_error_returns_every_message() -> None:
    attempt = Attempt(Outcome.FUNCTION_ERROR, function_error="Unhandled", error="ValueError", payload=b"{}")
    verdict = sqs_errors.decide(IDS, attempt, report_failures=True)
    assert (verdict.outcome, verdict.delete, verdict.retry, verdict.reason) == ("function-error", (), IDS, "ValueError")


def test_partial_response_retries_only_the_named_messages() -> None:
    verdict = sqs_errors.decide(IDS, _returned({"batchItemFailures": [{"itemIdentifier": "m2"}]}), report_failures=True)
    assert (verdict.outcome, verdict.delete, verdict.retry) == ("partial", ("m1", "m3"), ("m2",))


def test_partial_response_is_ignored_without_report_batch_item_failures() -> None:
    verdict = sqs_errors.decide(
        IDS, _returned({"batchItemFailures": [{"itemIdentifier": "m2"}]}), report_failures=False
    )
    assert verdict.outcome == "success" and verdict.delete == IDS


def test_an_invalid_partial_response_fails_the_whole_batch() -> None:
    verdict = sqs_errors.decide(IDS, _returned({"batchItemFailures": [{"itemIdentifier": "m9"}]}), report_failures=True)
    assert (verdict.outcome, verdict.delete, verdict.retry) == ("invalid-response", (), IDS)
    assert verdict.reason == "itemIdentifier 'm9' is not a messageId of this batch"


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (AwsError("TooManyRequestsException", "Rate Exceeded.", 429), "throttle"),
        (AwsError("ResourceNotFoundException", "Function not found", 404), "system-error"),
    ],
)
def test_a_refused_invocation_returns_every_message(error: AwsError, outcome: str) -> None:
    verdict = sqs_errors.decide(IDS, attempts.refused(error), report_failures=True)
    assert (verdict.outcome, verdict.retry, verdict.reason) == (outcome, IDS, f"{error.code}: {error.message}")


def test_redrive_after_max_receive_count() -> None:
    assert [moto_sqs.should_redrive(n, 3) for n in range(5)] == [False, False, False, True, True]
    assert not moto_sqs.should_redrive(99, None)


# -- scaling ----------------------------------------------------------------------------
def test_concurrency_ramps_from_five_by_300_a_minute_to_1250_concurrent_invokes() -> None:
    """services-sqs-scaling (current page): +300 concurrent invokes a minute, at most 1,250 per mapping."""
    assert [sqs_scaling.ramp(s) for s in (0, 0.5, 1, 2, 60, 120, 199, 249, 1000)] == [
        5,
        5,
        10,
        15,
        305,
        605,
        1000,
        1250,
        1250,
    ]


def test_the_2022_rate_was_60_a_minute() -> None:
    assert [sqs_scaling.ramp(s, rate_per_minute=60) for s in (0, 1, 30, 60)] == [5, 6, 35, 65]


def test_maximum_concurrency_caps_the_ramp() -> None:
    assert sqs_scaling.limit(600, maximum_concurrency=50) == 50
    assert sqs_scaling.limit(0, maximum_concurrency=2) == 2


def test_ramp_steps_on_whole_seconds() -> None:
    assert sqs_scaling.next_step(0) == 1 and sqs_scaling.next_step(2.25) == 0.75


# -- batching -----------------------------------------------------------------------------
def _batch(n: int, opened_at: float = 0.0) -> sqs_batching.OpenBatch:
    batch = sqs_batching.OpenBatch(opened_at=opened_at)
    for i in range(n):
        batch.add({"messageId": str(i)}, None, 10)
    return batch


def test_a_batch_goes_when_full_when_its_window_ends_or_at_once_without_window() -> None:
    assert sqs_batching.ready(_batch(10), now=0, batch_size=10, window=5) == "full"
    assert sqs_batching.ready(_batch(3), now=4.9, batch_size=10, window=5) is None
    assert sqs_batching.ready(_batch(3), now=5, batch_size=10, window=5) == "window"
    assert sqs_batching.ready(_batch(3), now=0, batch_size=10, window=0) == "received"
    assert sqs_batching.ready(_batch(0), now=99, batch_size=10, window=5) is None


def test_payload_limit_closes_a_batch() -> None:
    batch = _batch(1)
    assert batch.fits(100) and not batch.fits(sqs_batching.PAYLOAD_LIMIT)
    assert sqs_batching.OpenBatch(opened_at=0).fits(sqs_batching.PAYLOAD_LIMIT * 2)  # a lone record always fits


def test_record_shape_is_lambdas() -> None:
    rec = sqs_event.record(
        message_id="id",
        receipt_handle="rh",
        body="hi",
        receive_count=2,
        sent_ms=1,
        sender_id="S",
        first_receive_ms=3,
        attrs={"color": {"DataType": "String", "StringValue": "red"}},
        md5="m",
        source_arn="arn",
        region="us-east-1",
        group_id="g",
        dedup_id="d",
        sequence_number="7",
    )
    assert rec == {
        "messageId": "id",
        "receiptHandle": "rh",
        "body": "hi",
        "attributes": {
            "ApproximateReceiveCount": "2",
            "SentTimestamp": "1",
            "SenderId": "S",
            "ApproximateFirstReceiveTimestamp": "3",
            "SequenceNumber": "7",
            "MessageGroupId": "g",
            "MessageDeduplicationId": "d",
        },
        "messageAttributes": {
            "color": {"stringValue": "red", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
        },
        "md5OfBody": "m",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn",
        "awsRegion": "us-east-1",
    }


# -- settings ------------------------------------------------------------------------------
def test_defaults() -> None:
    assert sqs_settings.settings({}, None, fifo=False) == {
        "BatchSize": 10,
        "MaximumBatchingWindowInSeconds": 0,
        "FunctionResponseTypes": [],
    }


@pytest.mark.parametrize(
    ("body", "fifo", "code", "message"),
    [
        (
            {"BatchSize": 11},
            False,
            "InvalidParameterValueException",
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
        ),
        (
            {"BatchSize": 10_001, "MaximumBatchingWindowInSeconds": 1},
            False,
            "ValidationException",
            "1 validation error detected: Value '10001' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal to 10000",
        ),
        ({"BatchSize": 0}, False, "ValidationException", None),
        ({"MaximumBatchingWindowInSeconds": 301}, False, "ValidationException", None),
        (
            {"MaximumBatchingWindowInSeconds": 1},
            True,
            "InvalidParameterValueException",
            "Batching window is not supported for FIFO queues",
        ),
        ({"BatchSize": 11, "MaximumBatchingWindowInSeconds": 1}, True, "InvalidParameterValueException", None),
        ({"FunctionResponseTypes": ["Everything"]}, False, "ValidationException", None),
        ({"ScalingConfig": {"MaximumConcurrency": 1}}, False, "ValidationException", None),
        ({"ScalingConfig": {"MaximumConcurrency": 1001}}, False, "ValidationException", None),
        (
            {"StartingPosition": "LATEST"},
            False,
            "InvalidParameterValueException",
            "StartingPosition is not valid for SQS event sources.",
        ),
        (
            {"ParallelizationFactor": 2},
            False,
            "InvalidParameterValueException",
            "ParallelizationFactor is not valid for SQS event sources.",
        ),
        (
            {"FilterCriteria": {"Filters": [{"Pattern": "{"}]}},
            False,
            "InvalidParameterValueException",
            "Invalid filter pattern definition.",
        ),
    ],
)
def test_refused_settings(body: dict, fifo: bool, code: str, message: str | None) -> None:
    with pytest.raises(AwsError) as exc:
        sqs_settings.settings(body, None, fifo=fifo)
    assert exc.value.code == code
    if message:
        assert exc.value.message == message


def test_update_keeps_current_values_and_empty_scaling_config_removes_it() -> None:
    current = sqs_settings.settings(
        {"BatchSize": 100, "MaximumBatchingWindowInSeconds": 5, "ScalingConfig": {"MaximumConcurrency": 3}},
        None,
        fifo=False,
    )
    assert current["ScalingConfig"] == {"MaximumConcurrency": 3}
    updated = sqs_settings.settings({"ScalingConfig": {}}, current, fifo=False)
    assert "ScalingConfig" not in updated and updated["BatchSize"] == 100
