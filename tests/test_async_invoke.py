"""Asynchronous invoke end to end: the queue, the retry timeline, event age, destinations, DLQ.

Exact virtual timelines (AWS's "about 1 and 2 minutes" is exactly 60 s and 120 s here), with
functions on the FakeRuntime (helpers in ``async_support``).
"""

from __future__ import annotations

import json

import pytest
from async_support import attempt_times, drain, invoke_event, make_function, make_queue, request_id

import lambdalab

pytestmark = pytest.mark.fake_runtime


def test_event_invoke_answers_202_at_once_and_runs_when_the_clock_runs(lab: lambdalab.Lab) -> None:
    name = make_function(lab)
    resp = invoke_event(lab, name, {"n": 1})
    assert resp["StatusCode"] == 202
    assert resp["Payload"].read() == b""
    rid = request_id(resp)
    assert attempt_times(lab, rid) == []
    start = lab.clock.t
    lab.run_until_idle()
    assert [t - start for t in attempt_times(lab, rid)] == [0]
    done = [r for r in lab.trace.where("async-done") if r.ids == (rid,)]
    assert done[0].detail["condition"] == "Success"
    invokes = [r for r in lab.trace.where("invoke", source="async") if r.ids == (rid,)]
    assert len(invokes) == 1


def test_failing_function_is_attempted_at_0_60_180_and_record_says_retries_exhausted(lab: lambdalab.Lab) -> None:
    name = make_function(lab)
    url, arn = make_queue(lab, "failures-default")
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    rid = request_id(invoke_event(lab, name, {"fail": True, "n": 7}))
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


def test_maximum_retry_attempts_zero_means_one_attempt(lab: lambdalab.Lab) -> None:
    name = make_function(lab)
    url, arn = make_queue(lab, "failures-zero")
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    rid = request_id(invoke_event(lab, name, {"fail": True}))
    start = lab.clock.t
    lab.run_until_idle()
    assert [t - start for t in attempt_times(lab, rid)] == [0]
    (msg,) = drain(lab, url)
    assert json.loads(msg["Body"])["requestContext"]["approximateInvokeCount"] == 1


def test_a_throttled_event_backs_off_while_reserved_concurrency_is_used_up(lab: lambdalab.Lab) -> None:
    """Throttles (429) are retried with a backoff from 1 s, doubling (invocation-async-error-handling);
    each invocation holds one of its function's slots for its virtual duration."""
    name = make_function(lab, Timeout=30)
    lab.client("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    lab.durations[name] = 10.0
    first, second, third = (request_id(invoke_event(lab, name, {"n": n})) for n in range(3))
    start = lab.clock.t
    lab.run_until_idle()
    assert [t - start for t in attempt_times(lab, first)] == [0]  # holds the one slot until 10 s
    assert [t - start for t in attempt_times(lab, second)] == [0, 1, 3, 7, 15]  # then holds it until 25 s
    assert [t - start for t in attempt_times(lab, third)] == [0, 1, 3, 7, 15, 31]
    conditions = [r.detail["condition"] for r in lab.trace.where("async-done") if r.ids[0] in (first, second, third)]
    assert conditions == ["Success"] * 3


def test_a_throttled_event_ends_event_age_exceeded_with_a_429_record(lab: lambdalab.Lab) -> None:
    name = make_function(lab, Timeout=300)
    url, arn = make_queue(lab, "failures-age")
    client = lab.client("lambda")
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    client.put_function_event_invoke_config(
        FunctionName=name, MaximumEventAgeInSeconds=60, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    lab.durations[name] = 200.0  # the first event keeps the slot past the second one's maximum age
    invoke_event(lab, name, {"n": 1})
    rid = request_id(invoke_event(lab, name, {"n": 2}))
    start = lab.clock.t
    lab.run_until_idle()
    assert [t - start for t in attempt_times(lab, rid)] == [0, 1, 3, 7, 15, 31]
    assert {r.detail["outcome"] for r in lab.trace.where("async-attempt") if r.ids == (rid,)} == {"throttle"}
    (done,) = [r for r in lab.trace.where("async-done") if r.ids == (rid,)]
    assert done.t - start == 60 and done.detail["condition"] == "EventAgeExceeded"
    (msg,) = drain(lab, url)
    record = json.loads(msg["Body"])
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["responseContext"]["statusCode"] == 429


def test_reserved_concurrency_zero_sends_events_to_the_dlq_and_destination_without_retries(lab: lambdalab.Lab) -> None:
    """ "When you set reserved concurrency to zero for an asynchronously invoked function, Lambda begins
    sending new events to the configured dead-letter queue or the on-failure event destination, without
    any retries" (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html)."""
    dlq_url, dlq_arn = make_queue(lab, "zero-dlq")
    url, arn = make_queue(lab, "zero-failures")
    name = make_function(lab, DeadLetterConfig={"TargetArn": dlq_arn})
    client = lab.client("lambda")
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    client.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}})
    rid = request_id(invoke_event(lab, name, {"n": 2}))
    start = lab.clock.t
    lab.run_until_idle()
    assert [t - start for t in attempt_times(lab, rid)] == [0]  # no retries, no six hours of backoff
    (done,) = [r for r in lab.trace.where("async-done") if r.ids == (rid,)]
    assert done.t == start and done.detail["condition"] == "RetriesExhausted"
    (msg,) = drain(lab, url)
    record = json.loads(msg["Body"])
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestPayload"] == {"n": 2} and record["responseContext"]["statusCode"] == 429
    (dead,) = drain(lab, dlq_url)
    assert json.loads(dead["Body"]) == {"n": 2}
    assert dead["MessageAttributes"]["ErrorCode"]["StringValue"] == "429"
    client.delete_function_concurrency(FunctionName=name)


def test_success_destination_gets_the_return_value(lab: lambdalab.Lab) -> None:
    name = make_function(lab)
    url, arn = make_queue(lab, "successes")
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    rid = request_id(invoke_event(lab, name, {"n": 3}))
    lab.run_until_idle()
    (msg,) = drain(lab, url)
    record = json.loads(msg["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["requestId"] == rid
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"ok": 3}
