"""1,000 asynchronous events with seeded random failures: each ends in exactly one place.

Successes go to the OnSuccess queue; failures of function A to its OnFailure queue,
failures of function B (no destinations) to its dead-letter queue.  None lost, none twice.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from async_support import make_function, make_queue, queue_bodies

import lambdalab
from lambdalab.runtime import FakeContext, FakeRuntime

N = 1_000


def CODE(event: dict[str, Any], context: FakeContext) -> int:
    if event["fail"]:
        raise RuntimeError("no")
    return event["n"]


def test_a_thousand_events_each_end_in_exactly_one_place() -> None:
    with lambdalab.Lab(runtime=FakeRuntime()) as lab:
        _, ok_arn = make_queue(lab, "ok")
        _, fail_arn = make_queue(lab, "failed")
        _, dlq_arn = make_queue(lab, "dead")
        a = make_function(lab, code=CODE)
        b = make_function(lab, code=CODE, DeadLetterConfig={"TargetArn": dlq_arn})
        client = lab.client("lambda")
        client.put_function_event_invoke_config(
            FunctionName=a,
            MaximumRetryAttempts=0,
            DestinationConfig={"OnSuccess": {"Destination": ok_arn}, "OnFailure": {"Destination": fail_arn}},
        )
        client.put_function_event_invoke_config(
            FunctionName=b, MaximumRetryAttempts=0, DestinationConfig={"OnSuccess": {"Destination": ok_arn}}
        )
        rng = random.Random(1234)
        expected: dict[str, str] = {}
        for n in range(N):
            fail = rng.random() < 0.3
            fn = a if n % 2 else b
            client.invoke(FunctionName=fn, InvocationType="Event", Payload=json.dumps({"n": n, "fail": fail}).encode())
            expected[str(n)] = "ok" if not fail else ("failed" if fn == a else "dead")
        started = time.perf_counter()
        lab.run_until_idle()
        elapsed = time.perf_counter() - started
        seen: dict[str, list[str]] = {}
        for place in ("ok", "failed", "dead"):
            for text in queue_bodies(lab, place):  # moto's receive_message is O(n) a call: read its store
                body = json.loads(text)
                n = body["n"] if place == "dead" else body["requestPayload"]["n"]
                seen.setdefault(str(n), []).append(place)
        assert {n: places for n, places in seen.items() if len(places) > 1} == {}
        assert {n: places[0] for n, places in seen.items()} == expected
        assert lab.trace.where("delivery-failed") == []
        print(f"\n{N} events, {len(lab.trace.where('async-attempt'))} attempts in {elapsed:.2f} s wall")
