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


def test_throttled_event_backs_off_and_ends_event_age_exceeded(lab: lambdalab.Lab) -> None:
    name = make_function(lab)
    url, arn = make_queue(lab, "failures-age")
    client = lab.client("lambda")
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    client.put_function_event_invoke_config(
        FunctionName=name, MaximumEventAgeInSeconds=60, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    rid = request_id(invoke_event(lab, name, {"n": 1}))
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
