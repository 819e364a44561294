"""The asynchronous invocation engine on its own: a clock, a trace, fake ports, no lab.

The same timelines as test_async_invoke.py, built in milliseconds: the engine needs
only an invoker, its configs and somewhere to deliver.
"""

from __future__ import annotations

from typing import Any

from engine_support import async_engine

from lambdalab.aws.event_invoke_config import EventInvokeConfig
from lambdalab.runtime import FakeContext, SandboxTimeout


def config(**settings: Any) -> EventInvokeConfig:
    return EventInvokeConfig("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST", 0.0, **settings)


def fails(event: Any, context: FakeContext) -> None:
    raise ValueError("boom " + str(event["n"]))


def test_a_failing_event_is_tried_at_0_60_180_then_goes_to_on_failure() -> None:
    # GIVEN a function that always fails, with an on-failure destination
    rig = async_engine()
    rig.invoker.add("f", fails)
    rig.configs.configs["f"] = config(on_failure="arn:aws:sqs:us-east-1:123456789012:failed")
    # WHEN one event is queued and the clock runs
    rid = rig.submit("f", {"n": 7})
    rig.clock.run_until_idle()
    # THEN three attempts, a minute then two minutes apart, and one record with the function's error
    assert [(r.t, r.detail["outcome"]) for r in rig.trace.where("async-attempt")] == [
        (0.0, "function-error"),
        (60.0, "function-error"),
        (180.0, "function-error"),
    ]
    [(kind, arn, record)] = rig.deliveries.sent
    assert (kind, arn) == ("record", "arn:aws:sqs:us-east-1:123456789012:failed")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["requestId"] == rid
    assert record["responsePayload"]["errorMessage"] == "boom 7"


def test_a_timeout_is_a_function_error_and_the_next_attempt_starts_cold() -> None:
    rig = async_engine()
    calls: list[bool] = []

    def slow_once(event: Any, context: FakeContext) -> str:
        calls.append(True)
        if len(calls) == 1:
            raise SandboxTimeout()
        return "done"

    rig.invoker.add("slow", slow_once, timeout=5)
    rig.submit("slow", {})
    rig.clock.run_until_idle()
    assert [(r.t, r.detail["outcome"]) for r in rig.trace.where("async-attempt")] == [
        (0.0, "function-error"),
        (60.0, "success"),
    ]
    assert [r.detail["cold"] for r in rig.trace.where("invoke")] == [True, True]  # the timed-out environment is gone


def test_a_dead_letter_gets_the_event_itself() -> None:
    rig = async_engine()
    rig.invoker.add("f", fails, dead_letter_arn="arn:aws:sqs:us-east-1:123456789012:dead")
    rig.configs.configs["f"] = config(max_retries=0)
    rig.submit("f", {"n": 1})
    rig.clock.run_until_idle()
    assert rig.deliveries.sent == [("dead-letter", "arn:aws:sqs:us-east-1:123456789012:dead", {"n": 1})]
