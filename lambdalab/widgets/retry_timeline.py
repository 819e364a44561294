"""The retry timeline: asynchronous events drawn on the lab's virtual time axis.

One row per event (request id).  A dot per attempt, coloured by outcome (green
success, red function error, orange throttle, grey system error); a dashed line
for each retry wait; a diamond where the event ends (green Success, red
RetriesExhausted, purple EventAgeExceeded) and a square for each delivery to a
destination or DLQ (hollow when the delivery failed).  Built from ``lab.trace``
only, and redrawn as the clock moves: the widget subscribes to the trace.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from .. import trace_kinds as k

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


class RetryTimeline(anywidget.AnyWidget):
    """``RetryTimeline(lab)``: every asynchronous event of the lab (or of ``function``) over virtual time."""

    _esm = """
    const COLOURS = {"success": "#2e7d32", "function-error": "#c62828", "throttle": "#ef6c00", "system-error": "#757575",
                     "Success": "#2e7d32", "RetriesExhausted": "#c62828", "EventAgeExceeded": "#6a1b9a"};
    function fmt(t) { return t >= 3600 ? (t / 3600).toFixed(1) + " h" : t >= 60 ? (t / 60).toFixed(1) + " min" : t.toFixed(0) + " s"; }
    function render({ model, el }) {
      const NS = "http://www.w3.org/2000/svg";
      const root = document.createElement("div");
      root.className = "lambdalab-timeline";
      el.appendChild(root);
      function draw() {
        const items = model.get("items"), rows = model.get("rows"), now = model.get("now"), t0 = model.get("start");
        const W = 760, left = 90, right = 20, rowH = 22, top = 24;
        const end = Math.max(now, t0 + 1, ...items.map(i => i.until || i.t));
        const x = t => left + (W - left - right) * (t - t0) / (end - t0);
        root.innerHTML = "";
        const title = document.createElement("div");
        title.className = "lambdalab-timeline-title";
        title.textContent = model.get("title") + "  (virtual time " + fmt(now - t0) + ")";
        root.appendChild(title);
        const svg = document.createElementNS(NS, "svg");
        const H = top + rowH * Math.max(rows.length, 1) + 26;
        svg.setAttribute("width", W); svg.setAttribute("height", H);
        svg.setAttribute("data-rows", rows.length);
        const add = (tag, attrs, tip) => {
          const e = document.createElementNS(NS, tag);
          for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
          if (tip) { const t = document.createElementNS(NS, "title"); t.textContent = tip; e.appendChild(t); }
          svg.appendChild(e); return e;
        };
        add("line", {x1: left, x2: W - right, y1: H - 20, y2: H - 20, stroke: "#999"});
        for (let k = 0; k <= 4; k++) {
          const t = t0 + (end - t0) * k / 4;
          add("text", {x: x(t), y: H - 6, "font-size": 10, "text-anchor": "middle", fill: "#555"}).textContent = fmt(t - t0);
        }
        add("line", {x1: x(now), x2: x(now), y1: top - 14, y2: H - 20, stroke: "#1565c0", "stroke-dasharray": "2,2", "data-kind": "now"});
        rows.forEach((rid, r) => {
          add("text", {x: 4, y: top + r * rowH + 4, "font-size": 10, fill: "#333"}).textContent = rid.slice(0, 8);
        });
        for (const i of items) {
          const y = top + i.row * rowH;
          if (i.kind === "retry-wait") {
            add("line", {x1: x(i.t), x2: x(i.until), y1: y, y2: y, stroke: "#bbb", "stroke-dasharray": "4,3", "data-kind": "wait"},
                "wait " + fmt(i.delay));
          } else if (i.kind === "async-attempt") {
            add("circle", {cx: x(i.t), cy: y, r: 6, fill: COLOURS[i.outcome] || "#000", "data-kind": "attempt", "data-outcome": i.outcome},
                "attempt " + i.attempt + ": " + i.outcome + " at " + fmt(i.t - t0));
          } else if (i.kind === "async-done") {
            const cx = x(i.t), s = 7;
            add("path", {d: `M${cx} ${y - s} L${cx + s} ${y} L${cx} ${y + s} L${cx - s} ${y} Z`, fill: COLOURS[i.condition] || "#000",
                         "data-kind": "done", "data-condition": i.condition}, i.condition + " after " + i.attempts + " attempt(s)");
          } else if (i.kind === "delivery" || i.kind === "delivery-failed") {
            const ok = i.kind === "delivery", off = i.via === "DLQ" ? 22 : 12;
            add("rect", {x: x(i.t) + off - 5, y: y - 5, width: 10, height: 10, fill: ok ? (i.via === "DLQ" ? "#455a64" : "#1565c0") : "white",
                         stroke: "#1565c0", "data-kind": i.kind, "data-via": i.via},
                (ok ? "delivered to " : "delivery FAILED to ") + i.via + " " + i.target + (i.reason ? ": " + i.reason : ""));
          }
        }
        root.appendChild(svg);
      }
      draw();
      model.on("change:items", draw);
      model.on("change:now", draw);
    }
    export default { render };
    """
    _css = """
    .lambdalab-timeline { font-family: sans-serif; }
    .lambdalab-timeline-title { font-size: 12px; font-weight: bold; margin-bottom: 2px; }
    .lambdalab-timeline circle:hover, .lambdalab-timeline rect:hover { stroke: black; stroke-width: 2; }
    """

    items = traitlets.List(traitlets.Dict()).tag(sync=True)
    rows = traitlets.List(traitlets.Unicode()).tag(sync=True)
    now = traitlets.Float(0.0).tag(sync=True)
    start = traitlets.Float(0.0).tag(sync=True)
    title = traitlets.Unicode("Asynchronous events").tag(sync=True)

    def __init__(
        self, lab: Lab, function: str | None = None, *, limit: int = 40, since: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._lab = lab
        self._function = function
        self._limit = limit
        self._since = lab.clock.t if since is None else since
        self.start = self._since
        if function:
            self.title = f"Asynchronous events of {function}"
        self.refresh()
        lab.trace.subscribe(self._on_record)
        lab.clock.on_move(lambda _now: self._on_move())

    def refresh(self) -> None:
        """Rebuild the state from the whole trace."""
        self._builder = _Builder(self._function, self._limit)
        for r in self._lab.trace:
            if r.t >= self._since:
                self._builder.add(r)
        self.rows = list(self._builder.rows)
        self.items = list(self._builder.items)
        self.now = self._lab.clock.t

    def _on_record(self, record: Record) -> None:
        if record.t >= self._since and self._builder.add(record) is not None:
            self.rows = list(self._builder.rows)  # new lists: traitlets sync on assignment
            self.items = list(self._builder.items)

    def _on_move(self) -> None:
        self.now = self._lab.clock.t

    def counts(self) -> dict[str, int]:
        """How many marks of each kind the timeline draws (for checks and tests)."""
        out: dict[str, int] = {}
        for i in self.items:
            out[i["kind"]] = out.get(i["kind"], 0) + 1
        return out
