"""The async retry decisions as pure functions: no moto, no clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambdalab.engines import async_policy as p
from lambdalab.engines.attempts import Outcome
from lambdalab.engines.destinations import dlq_attributes, invocation_record, s3_key
from lambdalab.timestamps import iso_millis, lambda_timestamp


def play(outcomes: list[str], *, max_retries: int = 2, max_age: int = 21_600) -> tuple[list[float], str | None, float]:
    """Run a sequence of attempt outcomes through next_step; return attempt times, the condition and the end."""
    t, errors, streak = 0.0, 0, 0
    times: list[float] = []
    for outcome in outcomes:
        times.append(t)
        if outcome == "function-error":
            errors, streak = errors + 1, 0
        elif outcome != "success":
            streak += 1
        step = p.next_step(
            Outcome(outcome),
            function_errors=errors,
            backoff_streak=streak,
            age=t,
            max_retries=max_retries,
            max_age=max_age,
        )
        if step.action == "retry":
            t += step.delay
            continue
        return times, step.condition, t + step.delay
    raise AssertionError("ran out of outcomes")


def test_function_errors_retry_after_60_then_120_seconds() -> None:
    assert play(["function-error"] * 3) == ([0, 60, 180], "RetriesExhausted", 180)


def test_zero_retries_means_one_attempt() -> None:
    assert play(["function-error"], max_retries=0) == ([0], "RetriesExhausted", 0)


def test_one_retry() -> None:
    assert play(["function-error"] * 2, max_retries=1) == ([0, 60], "RetriesExhausted", 60)


def test_success_after_a_failure() -> None:
    assert play(["function-error", "success"]) == ([0, 60], "Success", 60)


def test_throttles_back_off_doubling_until_the_event_is_too_old() -> None:
    times, condition, end = play(["throttle"] * 100, max_age=60)
    assert times == [0, 1, 3, 7, 15, 31]
    assert (condition, end) == ("EventAgeExceeded", 60)


def test_backoff_is_capped_at_five_minutes() -> None:
    assert [p.backoff_delay(n) for n in range(1, 12)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


def test_throttles_do_not_use_up_retries() -> None:
    times, condition, _ = play(["throttle", "throttle", "function-error", "function-error", "function-error"])
    assert times == [0, 1, 3, 63, 183]
    assert condition == "RetriesExhausted"


def test_a_retry_due_after_the_maximum_age_expires_the_event_at_that_age() -> None:
    times, condition, end = play(["function-error"] * 3, max_age=100)
    assert times == [0, 60]
    assert (condition, end) == ("EventAgeExceeded", 100)


def test_a_retry_due_exactly_at_the_maximum_age_still_runs() -> None:
    times, condition, _ = play(["function-error"] * 3, max_age=60)
    assert times == [0, 60]
    assert condition == "EventAgeExceeded"


@given(
    st.lists(st.sampled_from(["function-error", "throttle", "system-error"]), min_size=200, max_size=200),
    st.integers(0, 2),
    st.integers(60, 21_600),
)
def test_every_failing_event_ends_within_its_age_and_retry_budget(outcomes: list[str], retries: int, age: int) -> None:
    times, condition, end = play(outcomes, max_retries=retries, max_age=age)
    assert condition in ("RetriesExhausted", "EventAgeExceeded")
    assert end <= age
    assert sum(1 for o in outcomes[: len(times)] if o == "function-error") <= retries + 1


def test_settings_ranges() -> None:
    assert p.check_settings(2, 60) == []
    assert [f for f, _, _ in p.check_settings(3, 59)] == ["maximumRetryAttempts", "maximumEventAgeInSeconds"]
    assert p.check_settings(-1, 21_601)[1][2] == "Member must have value less than or equal to 21600"


@pytest.mark.parametrize(
    "arn, kind",
    [
        ("arn:aws:sqs:us-east-1:123456789012:q", "sqs"),
        ("arn:aws:sns:us-east-1:123456789012:t", "sns"),
        ("arn:aws:lambda:us-east-1:123456789012:function:f", "lambda"),
        ("arn:aws:events:us-east-1:123456789012:event-bus/default", "events"),
        ("arn:aws:s3:::bucket", "s3"),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/t", None),
        ("arn:aws:s3:::bucket/key", None),
        ("not-an-arn", None),
    ],
)
def test_destination_kinds(arn: str, kind: str | None) -> None:
    assert p.destination_kind(arn) == kind


def test_invocation_record_shape_on_failure() -> None:
    when = datetime(2019, 11, 14, 18, 16, 5, 568_000, tzinfo=UTC)
    record = invocation_record(
        timestamp=when,
        request_id="r",
        function_arn="arn:aws:lambda:us-east-1:1:function:f:$LATEST",
        condition="RetriesExhausted",
        invoke_count=3,
        request_payload=b'{"a": 1}',
        status_code=200,
        executed_version="$LATEST",
        function_error="Unhandled",
        response_payload=b'{"errorMessage": "x"}',
    )
    assert list(record) == [
        "version",
        "timestamp",
        "requestContext",
        "requestPayload",
        "responseContext",
        "responsePayload",
    ]
    assert record["timestamp"] == "2019-11-14T18:16:05.568Z"
    assert record["responseContext"]["functionError"] == "Unhandled"


def test_s3_key_and_timestamp_format() -> None:
    when = datetime(2025, 1, 6, 9, 3, 0, 5_000, tzinfo=UTC)
    assert iso_millis(when) == "2025-01-06T09:03:00.005Z"
    assert lambda_timestamp(when) == "2025-01-06T09:03:00.005+0000"
    assert s3_key("f", when, "u") == "aws/lambda/async/f/2025/01/06/2025-01-06T09.03.00-u"


def test_dlq_error_message_is_cut_at_one_kilobyte() -> None:
    attrs = dlq_attributes("r", 200, "x" * 5000)
    assert len(attrs["ErrorMessage"]["StringValue"]) == 1024
    assert attrs["ErrorCode"] == {"DataType": "Number", "StringValue": "200"}


def test_reserved_concurrency_zero_ends_a_throttled_event_at_once_without_retries() -> None:
    """invocation-async-retain-records: with reserved concurrency 0, new events go to the DLQ or
    on-failure destination "without any retries"; used-up concurrency above zero backs off."""
    zero = p.next_step(Outcome.THROTTLE, function_errors=0, backoff_streak=1, age=0, reserved_concurrency=0)
    assert (zero.action, zero.delay, zero.condition) == ("finish", 0.0, "RetriesExhausted")
    busy = p.next_step(Outcome.THROTTLE, function_errors=0, backoff_streak=1, age=0, reserved_concurrency=1)
    assert (busy.action, busy.delay) == ("retry", 1.0)
