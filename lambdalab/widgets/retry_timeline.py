"""The retry timeline: asynchronous events drawn on the lab's virtual time axis.

One row per event, labelled with its payload (the request id on hover).  A
glyph per attempt, shaped and coloured by outcome (circle success, cross function
error, triangle throttle, ring system error); a dashed line for each retry wait;
beside the last attempt, never under it, how the event ended (tick Success, square
RetriesExhausted, hourglass EventAgeExceeded) and each delivery (arrow to a
destination, diamond to the DLQ, red arrow when sending failed).  When attempts
crowd (throttle retries a second apart on a minute's axis) the time axis turns
square-root, so each attempt stays visible.  Built from ``lab.trace`` only, and
redrawn as the clock moves: the widget subscribes to the trace.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import trace_kinds as k
from .scene import fmt_time, legend_for, shorten, time_axis
from .trace_view import TraceView

if TYPE_CHECKING:
    from ..lab import Lab
    from ..trace import Record

KINDS = (k.ASYNC_QUEUED, k.ASYNC_ATTEMPT, k.RETRY_WAIT, k.ASYNC_DONE, k.DELIVERY, k.DELIVERY_FAILED)


class _Builder:
    """Turns trace records, one at a time, into timeline items."""

    def __init__(self, function: str | None, limit: int) -> None:
        self.function = function
        self.limit = limit
        self.rows: list[str] = []
        self.previews: dict[str, str] = {}
        self._index: dict[str, int] = {}
        self.items: list[dict[str, Any]] = []

    def add(self, r: Record) -> dict[str, Any] | None:
        if r.kind not in KINDS or not r.ids or (self.function and r.function != self.function):
            return None
        rid = r.ids[0]
        row = self._index.get(rid)
        if row is None:
            if r.kind != k.ASYNC_QUEUED or len(self.rows) >= self.limit:
                return None
            row = self._index[rid] = len(self.rows)
            self.rows.append(rid)
            self.previews[rid] = str(r.view(k.AsyncQueued).get("preview", ""))
        item: dict[str, Any] = {"t": r.t, "kind": r.kind, "row": row, "id": rid, "function": r.function}
        if r.kind == k.ASYNC_ATTEMPT:
            attempt = r.view(k.AsyncAttempt)
            item.update(attempt=attempt.get("attempt"), outcome=attempt.get("outcome"))
        elif r.kind == k.RETRY_WAIT:
            wait = r.view(k.RetryWait)
            item.update(until=wait.get("until"), delay=wait.get("delay"))
        elif r.kind == k.ASYNC_DONE:
            done = r.view(k.AsyncDone)
            item.update(condition=done.get("condition"), attempts=done.get("attempts"))
        elif r.kind == k.DELIVERY:
            sent = r.view(k.Delivery)
            item.update(via=sent.get("via"), target=str(sent.get("target", "")).split(":")[-1], reason=None)
        elif r.kind == k.DELIVERY_FAILED:
            failed = r.view(k.DeliveryFailed)
            item.update(
                via=failed.get("via"), target=str(failed.get("target", "")).split(":")[-1], reason=failed.get("reason")
            )
        self.items.append(item)
        return item


def timeline_items(
    records: Iterable[Record], function: str | None = None, limit: int = 40
) -> tuple[list[dict[str, Any]], list[str]]:
    """The widget's state from trace records: (items, row ids), the first ``limit`` events only."""
    builder = _Builder(function, limit)
    for r in records:
        builder.add(r)
    return builder.items, builder.rows


_ATTEMPT = {  # outcome -> shape, tone
    "success": ("circle", "ok"),
    "function-error": ("cross", "error"),
    "throttle": ("triangle", "warn"),
    "system-error": ("ring", "muted"),
}
_END = {  # condition -> shape, tone
    "Success": ("check", "ok"),
    "RetriesExhausted": ("square", "error"),
    "EventAgeExceeded": ("hourglass", "warn"),
}
LEGEND: list[dict[str, Any]] = [
    {"type": "glyph", "shape": "circle", "tone": "ok", "label": "attempt succeeded"},
    {"type": "glyph", "shape": "cross", "tone": "error", "label": "function error"},
    {"type": "glyph", "shape": "triangle", "tone": "warn", "label": "throttled"},
    {"type": "glyph", "shape": "ring", "tone": "muted", "label": "system error"},
    {"type": "span", "tone": "muted", "dash": "4,3", "label": "waiting to retry"},
    {"type": "glyph", "shape": "check", "tone": "ok", "label": "ended: Success"},
    {"type": "glyph", "shape": "square", "tone": "error", "label": "ended: RetriesExhausted"},
    {"type": "glyph", "shape": "hourglass", "tone": "warn", "label": "ended: EventAgeExceeded"},
    {"type": "glyph", "shape": "arrow", "tone": "info", "label": "sent to a destination"},
    {"type": "glyph", "shape": "diamond", "tone": "ink", "label": "sent to the DLQ"},
    {"type": "glyph", "shape": "arrow", "tone": "error", "label": "sending failed"},
    {"type": "line", "tone": "info", "width": 1, "dash": "2,2", "label": "now"},
]
#: attempts closer than this fraction of the axis get a square-root time scale (throttle retries 1 s apart)
CROWDED = 0.05


def _crowded(items: list[dict[str, Any]], span: float) -> bool:
    last: dict[int, float] = {}
    for i in items:
        if i["kind"] == k.ASYNC_ATTEMPT:
            if i["row"] in last and i["t"] - last[i["row"]] < CROWDED * span:
                return True
            last[i["row"]] = i["t"]
    return False


def timeline_scene(
    items: list[dict[str, Any]], rows: list[str], previews: dict[str, str], start: float, now: float, title: str
) -> dict[str, Any]:
    """The timeline's scene: a row per event (its payload), a glyph per attempt, the end and deliveries beside it."""
    marks: list[dict[str, Any]] = []
    after: dict[tuple[int, float], int] = {}  # marks drawn right of an attempt at the same moment
    for i in items:
        t, row, kind = i["t"] - start, i["row"], i["kind"]
        if kind == k.RETRY_WAIT:
            marks.append({"type": "span", "row": row, "t0": t, "t1": i["until"] - start, "tone": "muted",
                          "cls": "wait", "data": {"kind": "wait"}, "tip": f"waiting {fmt_time(i['delay'])}"})  # fmt: skip
        elif kind == k.ASYNC_ATTEMPT:
            shape, tone = _ATTEMPT.get(i["outcome"], ("ring", "muted"))
            marks.append({"type": "glyph", "row": row, "t": t, "shape": shape, "tone": tone, "cls": "attempt",
                          "data": {"kind": "attempt", "outcome": i["outcome"]},
                          "tip": f"attempt {i['attempt']}: {i['outcome']} at {fmt_time(t)}"})  # fmt: skip
        elif kind in (k.ASYNC_DONE, k.DELIVERY, k.DELIVERY_FAILED):
            n = after[(row, t)] = after.get((row, t), 0) + 1
            if kind == k.ASYNC_DONE:
                shape, tone = _END.get(i["condition"], ("square", "muted"))
                data = {"kind": "done", "condition": i["condition"]}
                tip = f"{i['condition']} after {i['attempts']} attempt(s), at {fmt_time(t)}"
            else:
                ok = kind == k.DELIVERY
                shape, tone = ("diamond", "ink") if i["via"] == "DLQ" and ok else ("arrow", "info" if ok else "error")
                data = {"kind": kind, "via": i["via"]}
                tip = ("sent to " if ok else "sending FAILED to ") + f"{i['via']} {i['target']}"
                tip += f": {i['reason']}" if i.get("reason") else ""
            marks.append({"type": "glyph", "row": row, "t": t, "dx": 14 * n, "shape": shape, "tone": tone,
                          "cls": data["kind"], "data": data, "tip": tip})  # fmt: skip
    end = max([1.0] + [i.get("until", i["t"]) - start for i in items])
    legend = legend_for(marks, LEGEND[:-1])
    if now - start < end:  # the clock is still inside the picture: show where
        marks.append({"type": "vline", "t": now - start, "tone": "info", "cls": "now", "data": {"kind": "now"},
                      "tip": f"now: {fmt_time(now - start)}"})  # fmt: skip
        legend = legend_for(marks, LEGEND)
    sqrt = _crowded(items, end)
    label = "time since the timeline was created" + (
        " (square-root scale: the first seconds spread out)" if sqrt else ""
    )
    scene_rows = [
        {"id": rid, "label": shorten(previews.get(rid) or rid[:8]), "tip": f"request id {rid}"} for rid in rows
    ]
    return {
        "kind": "rows",
        "cls": "lambdalab-timeline",
        "title": f"{title}: {len(rows)} event(s)",
        "rows": scene_rows,
        "marks": marks,
        "x": time_axis(0, end, label, sqrt=sqrt),
        "legend": legend,
    }


class RetryTimeline(TraceView):
    """``RetryTimeline(lab)``: every asynchronous event of the lab (or of ``function``) over virtual time."""

    kinds = frozenset(KINDS)

    def __init__(
        self, lab: Lab, function: str | None = None, *, limit: int = 40, since: float | None = None, **kwargs: Any
    ) -> None:
        self._limit = limit
        self.title = f"Asynchronous events of {function}" if function else "Asynchronous events"
        self._items: list[dict[str, Any]] = []
        self._rows: list[str] = []
        super().__init__(lab, function, since=since, **kwargs)

    def _publish(self, records: list[Record]) -> None:
        builder = _Builder(self._function, self._limit)
        for r in records:
            builder.add(r)
        self._items, self._rows = builder.items, builder.rows
        self.scene = timeline_scene(builder.items, builder.rows, builder.previews, self._since, self.now, self.title)

    def _on_move(self) -> None:
        drawn = any(m["type"] == "vline" for m in self.scene["marks"])
        if drawn or (self._items and self.now - self._since < float(self.scene["x"]["hi"])):
            self._dirty = True  # the "now" line moves across the picture (or leaves it)
        self.flush()

    @property
    def items(self) -> list[dict[str, Any]]:
        """The timeline's items (attempts, waits, ends, deliveries), oldest first."""
        self.flush()
        return list(self._items)

    @property
    def rows(self) -> list[str]:
        """The request ids of the events, one per row."""
        self.flush()
        return list(self._rows)

    @property
    def now(self) -> float:
        """The lab's virtual time."""
        return float(self._lab.clock.t)

    def counts(self) -> dict[str, int]:
        """How many marks of each kind the timeline draws (for checks and tests)."""
        out: dict[str, int] = {}
        for i in self.items:
            out[i["kind"]] = out.get(i["kind"], 0) + 1
        return out
