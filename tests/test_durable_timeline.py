"""The durable timeline's scene, from trace records written by hand (the records a real run writes: see
test_durable_functions.py)."""

from __future__ import annotations

from lambdalab import trace_kinds as k
from lambdalab.trace import Trace
from lambdalab.widgets.durable_timeline import durable_scene, execution_rows
from lambdalab.widgets.scene import scene_svg

ARN = "arn:aws:lambda:us-east-1:123456789012:function:order:$LATEST/durable-execution/o-1/e1"
WEEK = 7 * 86_400


def _order_trace() -> Trace:
    now = [0.0]
    trace = Trace(lambda: now[0])

    def op(n: int, op_id: str, kind: str, action: str, name: str) -> None:
        trace.add(k.DURABLE_OPERATION, "order", (ARN,), execution=ARN, invocation=n, operation=op_id, type=kind,
                  action=action, name=name, parent=None)  # fmt: skip

    def invocation(n: int, outcome: str, replayed: int) -> None:
        trace.add(k.DURABLE_INVOCATION, "order", ("r",), execution=ARN, invocation=n, outcome=outcome, error=None,
                  replayed=replayed)  # fmt: skip

    trace.add(k.DURABLE_STARTED, "order", (ARN,), execution=ARN, name="o-1", how="Event")
    op(1, "a", "STEP", "START", "reserve")
    op(1, "a", "STEP", "SUCCEED", "reserve")
    op(1, "b", "CALLBACK", "START", "payment")
    invocation(1, "PENDING", 0)
    trace.add(k.DURABLE_SUSPENDED, "order", (ARN,), execution=ARN, invocation=1, waiting_for=["callback"], until=None)
    now[0] = 3600.0
    trace.add(k.DURABLE_CALLBACK, "order", (ARN,), execution=ARN, operation="b", outcome="SUCCEEDED", sender="client")
    trace.add(k.DURABLE_RESUMED, "order", (ARN,), execution=ARN, reason="callback")
    trace.add(k.DURABLE_REPLAY, "order", (ARN,), execution=ARN, invocation=2, operations=["a", "b"], names=["reserve", "payment"])  # fmt: skip
    op(2, "c", "WAIT", "START", "cool-off")
    invocation(2, "PENDING", 2)
    now[0] = 3600.0 + WEEK
    trace.add(k.DURABLE_RESUMED, "order", (ARN,), execution=ARN, reason="timer")
    trace.add(k.DURABLE_REPLAY, "order", (ARN,), execution=ARN, invocation=3, operations=["a", "b", "c"], names=["reserve", "payment", "cool-off"])  # fmt: skip
    op(3, "d", "STEP", "START", "ship")
    op(3, "d", "STEP", "SUCCEED", "ship")
    invocation(3, "SUCCEEDED", 3)
    trace.add(k.DURABLE_CLOSED, "order", (ARN,), execution=ARN, status="SUCCEEDED", error=None, invocations=3)
    return trace


def test_one_row_for_the_invocations_then_one_per_operation_in_the_order_the_handler_reached_them() -> None:
    items, rows = execution_rows(_order_trace(), ARN)
    assert rows == ["invocations", "reserve", "payment", "cool-off", "ship"]
    scene = durable_scene(items, rows, 0.0, 3600.0 + WEEK, "Durable execution o-1")
    by_class: dict[str, list[dict[str, object]]] = {}
    for mark in scene["marks"]:
        by_class.setdefault(mark["cls"], []).append(mark)
    assert [m["data"]["outcome"] for m in by_class["invocation"]] == ["PENDING", "PENDING", "SUCCEEDED"]  # type: ignore[index]
    assert [(m["row"], m["t"]) for m in by_class["replayed"]] == [(1, 3600), (2, 3600), (1, 3600 + WEEK), (2, 3600 + WEEK), (3, 3600 + WEEK)]  # fmt: skip
    assert [(m["row"], m["t0"], m["t1"]) for m in by_class["suspended"]] == [(2, 0, 3600), (3, 3600, 3600 + WEEK)]
    assert [(m["row"], m["data"]["sender"]) for m in by_class["callback"]] == [(2, "client")]  # type: ignore[index]
    assert scene["x"]["scale"] == "sqrt"  # an hour beside a week: the first invocations would overlap


def test_an_open_wait_is_drawn_up_to_now_and_the_static_picture_shows_every_mark() -> None:
    trace = _order_trace()
    records = [r for r in trace if r.t < 3600]  # the execution waits for its payment
    items, rows = execution_rows(records, ARN)
    scene = durable_scene(items, rows, 0.0, 1800.0, "Durable execution o-1")
    assert [(m["t0"], m["t1"]) for m in scene["marks"] if m["cls"] == "suspended"] == [(0, 1800.0)]
    svg = scene_svg(scene, 720)
    assert svg.count('class="invocation"') == 1 and svg.count('class="suspended"') == 1
    assert "payment" in svg


def _invoke_trace(outcome: str, ran_for: float) -> Trace:
    """An order that pays through another function (``context.invoke``), as a real run records it."""
    now = [0.0]
    trace = Trace(lambda: now[0])
    child = ARN.replace("function:order", "function:payment").replace("o-1/e1", "p-1/e2")

    def invoke(what: str, error: str | None = None) -> None:
        trace.add(k.DURABLE_CHAINED_INVOKE, "order", (ARN,), execution=ARN, operation="b", name="pay", target="payment",
                  target_execution=child if ran_for else None, request_id=None, outcome=what, error=error)  # fmt: skip

    trace.add(k.DURABLE_STARTED, "order", (ARN,), execution=ARN, name="o-1", how="Event")
    trace.add(k.DURABLE_OPERATION, "order", (ARN,), execution=ARN, invocation=1, operation="b", type="CHAINED_INVOKE",
              action="START", name="pay", parent=None)  # fmt: skip
    trace.add(
        k.DURABLE_INVOCATION, "order", ("r",), execution=ARN, invocation=1, outcome="PENDING", error=None, replayed=0
    )
    trace.add(k.DURABLE_SUSPENDED, "order", (ARN,), execution=ARN, invocation=1, waiting_for=["invoke"], until=None)
    invoke("STARTED")
    now[0] = ran_for
    invoke(outcome, None if outcome == "SUCCEEDED" else "ValueError")
    trace.add(k.DURABLE_RESUMED, "order", (ARN,), execution=ARN, reason="invoke")
    trace.add(k.DURABLE_REPLAY, "order", (ARN,), execution=ARN, invocation=2, operations=["b"], names=["pay"])
    return trace


def test_a_chained_invoke_draws_a_band_from_the_targets_invocation_to_its_answer() -> None:
    items, rows = execution_rows(_invoke_trace("SUCCEEDED", 3600.0), ARN)
    assert rows == ["invocations", "pay"]
    scene = durable_scene(items, rows, 0.0, 3600.0, "Durable execution o-1")
    [band] = [m for m in scene["marks"] if m["cls"] == "invoked"]
    assert (band["row"], band["t0"], band["t1"], band["tone"]) == (1, 0, 3600, "ok")
    assert band["tip"] == "payment (its own durable execution): invoked at 0 s, answered SUCCEEDED at 60 min"
    [waited] = [m for m in scene["marks"] if m["cls"] == "suspended"]
    assert (waited["row"], waited["t0"], waited["t1"]) == (1, 0, 3600)  # the caller waited meanwhile
    labels = [e["label"] for e in scene["legend"]]
    assert "invoked function answered" in labels and "invoked function failed" not in labels

    failed = durable_scene(*execution_rows(_invoke_trace("FAILED", 0.0), ARN), 0.0, 10.0, "Durable execution o-1")
    [band] = [m for m in failed["marks"] if m["cls"] == "invoked"]
    assert band["tone"] == "error" and band["tip"].endswith("answered FAILED at 0 s (ValueError)")
    assert scene_svg(failed, 720).count('class="invoked"') == 1


def test_a_target_still_running_is_drawn_up_to_now() -> None:
    records = [r for r in _invoke_trace("SUCCEEDED", 3600.0) if r.t < 3600]
    scene = durable_scene(*execution_rows(records, ARN), 0.0, 1200.0, "Durable execution o-1")
    running = [m for m in scene["marks"] if m["cls"] == "invoked"]
    assert [(m["t0"], m["t1"], m["tone"]) for m in running] == [(0, 1200.0, "info")]
    assert "still running" in running[0]["tip"]
