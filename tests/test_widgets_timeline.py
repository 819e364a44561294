"""The retry timeline widget's state, from Python: built from the trace, updated as the clock moves."""

from __future__ import annotations

import json

import pytest
from async_support import invoke_event, make_function, make_queue

import lambdalab
from lambdalab.trace import Record
from lambdalab.widgets import RetryTimeline, timeline_items

pytestmark = pytest.mark.fake_runtime


def test_items_from_records_without_a_lab() -> None:
    records = [
        Record(0, "async-queued", "f", ("a",)),
        Record(0, "async-attempt", "f", ("a",), {"attempt": 1, "outcome": "function-error"}),
        Record(0, "retry-wait", "f", ("a",), {"delay": 60, "until": 60}),
        Record(0, "invoke", "f", ("a",)),
        Record(1, "async-attempt", "g", ("b",), {"attempt": 1, "outcome": "success"}),  # never queued here: skipped
        Record(60, "async-attempt", "f", ("a",), {"attempt": 2, "outcome": "success"}),
        Record(60, "async-done", "f", ("a",), {"condition": "Success", "attempts": 2}),
        Record(60, "delivery", "f", ("a",), {"via": "OnSuccess", "target": "arn:aws:sqs:us-east-1:1:ok"}),
    ]
    items, rows = timeline_items(records)
    assert rows == ["a"]
    assert [(i["t"], i["kind"]) for i in items] == [
        (0, "async-queued"),
        (0, "async-attempt"),
        (0, "retry-wait"),
        (60, "async-attempt"),
        (60, "async-done"),
        (60, "delivery"),
    ]
    assert items[2]["until"] == 60 and items[5]["target"] == "ok"


def test_widget_follows_the_trace_and_the_clock(lab: lambdalab.Lab) -> None:
    name = make_function(lab)
    _, arn = make_queue(lab, "timeline-failed")
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    widget = RetryTimeline(lab, name)
    assert widget.items == [] and widget.now == lab.clock.t
    invoke_event(lab, name, {"fail": True})
    assert widget.counts() == {"async-queued": 1}
    start = lab.clock.t
    lab.advance(61)
    assert widget.now == start + 61
    assert [i["outcome"] for i in widget.items if i["kind"] == "async-attempt"] == ["function-error", "function-error"]
    lab.run_until_idle()
    counts = widget.counts()
    assert (
        counts["async-attempt"] == 3
        and counts["retry-wait"] == 2
        and counts["async-done"] == 1
        and counts["delivery"] == 1
    )
    assert [i["t"] - start for i in widget.items if i["kind"] == "async-attempt"] == [0, 60, 180]
    json.dumps(widget.items)  # the state is plain JSON for the front end


def test_widget_filters_by_function_and_limits_rows(lab: lambdalab.Lab) -> None:
    a, b = make_function(lab), make_function(lab)
    widget = RetryTimeline(lab, a, limit=2)
    for n in range(3):
        invoke_event(lab, a, {"n": n})
    invoke_event(lab, b, {"n": 9})
    lab.run_until_idle()
    assert len(widget.rows) == 2
    assert {i["function"] for i in widget.items} == {a}
