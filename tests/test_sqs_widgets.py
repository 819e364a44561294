"""The batch view and the concurrency chart: their state, from Python, built from the trace only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqs_support import setup, sqs_role

import lambdalab
from lambdalab.trace import Record
from lambdalab.widgets.batch_view import BatchView, batch_view_state
from lambdalab.widgets.concurrency_chart import ConcurrencyChart, concurrency_series

pytestmark = pytest.mark.fake_runtime


def test_batch_view_state_from_records() -> None:
    m = "m"
    records = [
        Record(0, "sqs-receive", "f", ("a", "b"), {"mapping": m, "bodies": ["A", "B"], "counts": [1, 1]}),
        Record(0, "sqs-batch", "f", ("a", "b"), {"mapping": m, "batch": "b1", "size": 2, "reason": "received"}),
        Record(
            1, "sqs-batch-result", "f", ("a", "b"), {"mapping": m, "batch": "b1", "outcome": "partial", "failed": ["b"]}
        ),
        Record(1, "sqs-deleted", "f", ("a",), {"mapping": m, "batch": "b1"}),
        Record(1, "sqs-returned", "f", ("b",), {"mapping": m, "batch": "b1", "visible_at": 30}),
        Record(5, "invoke", "f", ("x",)),
        Record(30, "sqs-redrive", "f", ("b",), {"mapping": m, "receive_count": 1}),
        Record(31, "sqs-receive", "g", ("z",), {"mapping": "other", "bodies": ["Z"]}),
    ]
    state = batch_view_state(records, "f")
    assert [(x["id"], x["status"], x["receives"]) for x in state["messages"]] == [
        ("a", "processed", 1),
        ("b", "in DLQ", 1),
    ]
    assert state["batches"] == [
        {
            "id": "b1",
            "t": 0,
            "end": 1,
            "size": 2,
            "reason": "received",
            "outcome": "partial",
            "ids": ["a", "b"],
            "failed": ["b"],
        }
    ]
    assert [k["kind"] for k in state["marks"]] == ["deleted", "returned", "dlq"]
    assert state["end"] == 30
    assert state["messages"][1]["history"] == [
        "0 s: received (receive #1)",
        "0 s: in batch b1 of 2 (received)",
        "1 s: batch b1 partial: this one failed",
        "1 s: left in the queue; visible again at 30 s",
        "30 s: moved to the dead-letter queue after 1 receives",
    ]


def test_concurrency_series_from_records() -> None:
    records = [
        Record(0, "sqs-scale", "f", (), {"mapping": "m", "limit": 5}),
        Record(0, "sqs-concurrency", "f", (), {"mapping": "m", "in_flight": 1}),
        Record(0, "sqs-concurrency", "f", (), {"mapping": "m", "in_flight": 2}),
        Record(1, "sqs-scale", "f", (), {"mapping": "m", "limit": 10}),
        Record(2, "sqs-concurrency", "f", (), {"mapping": "m", "in_flight": 0}),
    ]
    assert concurrency_series(records) == {
        "in_flight": [[0, 2], [2, 0]],
        "limit": [[0, 5], [1, 10]],
        "peak": 2,
        "end": 2,
    }


@pytest.fixture(scope="module")
def role(lab: lambdalab.Lab) -> str:
    return sqs_role(lab)


def FLAKY(event: Any, context: Any) -> None:
    if any(r["body"] == "poison" for r in event["Records"]):
        raise ValueError("poison")


def test_views_follow_the_lab(lab: lambdalab.Lab, role: str) -> None:
    s = setup(lab, role, FLAKY, visibility=10, max_receive=2, BatchSize=1)
    view, chart = BatchView(lab, s.function), ConcurrencyChart(lab, s.function)
    assert view.state["messages"] == [] and chart.series["peak"] == 0
    ok, poison = s.send("fine", "poison")
    lab.run_until_idle(300)
    assert view.statuses() == {"processed": 1, "in DLQ": 1}
    b1, b2 = (b["id"] for b in view.state["batches"] if poison in b["ids"])
    t = s.start - view.start  # the history counts from the view's start, as its axis does
    assert view.history(poison) == [
        f"{t:g} s: received (receive #1)",
        f"{t:g} s: in batch {b1} of 1 (full)",
        f"{t + 1:g} s: batch {b1} function-error",
        f"{t + 1:g} s: left in the queue; visible again at {t + 10:g} s",
        f"{t + 10:g} s: received (receive #2)",
        f"{t + 10:g} s: in batch {b2} of 1 (full)",
        f"{t + 11:g} s: batch {b2} function-error",
        f"{t + 11:g} s: left in the queue; visible again at {t + 20:g} s",
        f"{t + 20:g} s: moved to the dead-letter queue after 2 receives",
    ]
    assert chart.peak == 2
    assert chart.series["in_flight"][-1][1] == 0
    json.dumps(view.state), json.dumps(chart.series)  # plain JSON for the front end
