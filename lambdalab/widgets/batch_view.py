"""The batch view: SQS messages along virtual time, the batches they rode in, and how each ended.

One row per message.  Each time a batch carries the message, a box spans the
invocation (from the batch's start to its result), coloured by the batch's
outcome (green success, amber partial, red function error or invalid response,
grey throttle); a dashed line shows the message waiting out its visibility
timeout; the row ends with a green tick (deleted after success), a black diamond
(moved to the dead-letter queue) or a grey cross (filtered out, deleted unseen).
Clicking a row shows that message's history.

Drawn from ``lab.trace`` only (the ``sqs-*`` records of :mod:`lambdalab.engines.sqs_engine`).
``batch_view_state(records)`` is the pure part; :class:`BatchView` the anywidget.

https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import traitlets

from .. import trace_kinds as k
from .trace_view import TraceView

if TYPE_CHECKING:
    from ..lab import Lab
    from ..trace import Record

KINDS = (
    k.SQS_RECEIVE,
    k.SQS_BATCH,
    k.SQS_BATCH_RESULT,
    k.SQS_DELETED,
    k.SQS_RETURNED,
    k.SQS_REDRIVE,
    k.SQS_FILTERED,
    k.SQS_ALREADY_DELETED,
)


def batch_view_state(records: Iterable[Record], function: str | None = None, limit: int = 40) -> dict[str, Any]:
    """Messages (rows), batches and marks from trace records, for one function or all."""
    messages: dict[str, dict[str, Any]] = {}
    batches: dict[str, dict[str, Any]] = {}
    marks: list[dict[str, Any]] = []
    end = 0.0

    def row(mid: str) -> dict[str, Any] | None:
        return messages.get(mid)

    for r in records:
        if r.kind not in KINDS or (function and r.function != function):
            continue
        end = max(end, r.t)
        if r.kind == k.SQS_RECEIVE:
            for i, mid in enumerate(r.ids):
                if mid not in messages:
                    if len(messages) >= limit:
                        continue
                    bodies = r.view(k.SqsReceive).get("bodies") or []
                    messages[mid] = {
                        "id": mid,
                        "row": len(messages),
                        "body": bodies[i] if i < len(bodies) else "",
                        "status": "in flight",
                        "receives": 0,
                        "history": [],
                    }
                seen = messages[mid]
                seen["receives"] += 1
                seen["history"].append(f"{r.t:g} s: received (receive #{seen['receives']})")
        elif r.kind == k.SQS_BATCH:
            d = r.view(k.SqsBatch)
            batches[d["batch"]] = {
                "id": d["batch"],
                "t": r.t,
                "end": None,
                "size": d.get("size"),
                "reason": d.get("reason"),
                "outcome": None,
                "ids": [i for i in r.ids if i in messages],
            }
            for mid in r.ids:
                if (m := row(mid)) is not None:
                    m["history"].append(f"{r.t:g} s: in batch {d['batch']} of {d.get('size')} ({d.get('reason')})")
        elif r.kind == k.SQS_BATCH_RESULT:
            result = r.view(k.SqsBatchResult)
            b = batches.get(result["batch"])
            if b is not None:
                b["end"], b["outcome"], b["failed"] = (
                    r.t,
                    result.get("outcome"),
                    [i for i in result.get("failed", []) if i in messages],
                )
            for mid in r.ids:
                if (m := row(mid)) is not None:
                    failed = mid in (result.get("failed") or [])
                    outcome = result.get("outcome")
                    what = outcome if not failed or outcome != "partial" else "partial: this one failed"
                    m["history"].append(f"{r.t:g} s: batch {result['batch']} {what}")
        elif r.kind in (k.SQS_DELETED, k.SQS_REDRIVE, k.SQS_FILTERED, k.SQS_RETURNED, k.SQS_ALREADY_DELETED):
            for mid in r.ids:
                m = row(mid)
                if m is None and r.kind == k.SQS_FILTERED:
                    continue
                if m is None:
                    continue
                if r.kind == k.SQS_DELETED:
                    m["status"] = "processed"
                    m["history"].append(f"{r.t:g} s: deleted from the queue")
                    marks.append({"kind": "deleted", "t": r.t, "row": m["row"]})
                elif r.kind == k.SQS_REDRIVE:
                    m["status"] = "in DLQ"
                    receives = r.view(k.SqsRedrive).get("receive_count")
                    m["history"].append(f"{r.t:g} s: moved to the dead-letter queue after {receives} receives")
                    marks.append({"kind": "dlq", "t": r.t, "row": m["row"]})
                elif r.kind == k.SQS_FILTERED:
                    m["status"] = "filtered"
                    m["history"].append(f"{r.t:g} s: matched no filter: deleted, never invoked")
                    marks.append({"kind": "filtered", "t": r.t, "row": m["row"]})
                elif r.kind == k.SQS_RETURNED:
                    visible_at = r.view(k.SqsReturned).get("visible_at")
                    m["status"] = "waiting"
                    m["history"].append(f"{r.t:g} s: left in the queue; visible again at {visible_at:g} s")
                    marks.append({"kind": "returned", "t": r.t, "until": visible_at, "row": m["row"]})
                    end = max(end, float(visible_at or 0))
                else:
                    m["history"].append(f"{r.t:g} s: processed again, but another batch had already deleted it")
    rows = sorted(messages.values(), key=lambda m: m["row"])
    return {"messages": rows, "batches": [b for b in batches.values() if b["ids"]], "marks": marks, "end": end}


class BatchView(TraceView):
    """``BatchView(lab, function)``: every SQS message the function's mappings read, batch by batch."""

    _esm = """
    const OUTCOME = {"success": "#2e7d32", "partial": "#f9a825", "function-error": "#c62828",
                     "invalid-response": "#ad1457", "throttle": "#757575", "system-error": "#757575"};
    function render({ model, el }) {
      const NS = "http://www.w3.org/2000/svg";
      const root = document.createElement("div");
      root.className = "lambdalab-batch-view";
      el.appendChild(root);
      let selected = null;
      function draw() {
        const st = model.get("state"), t0 = model.get("start"), msgs = st.messages;
        const W = 760, left = 150, right = 24, rowH = 20, top = 20;
        const end = Math.max(st.end, t0 + 1);
        const x = t => left + (W - left - right) * (t - t0) / (end - t0);
        root.innerHTML = "";
        const title = document.createElement("div");
        title.className = "lambdalab-batch-title";
        title.textContent = model.get("title") + ": " + msgs.length + " messages, " + st.batches.length + " batches";
        root.appendChild(title);
        const svg = document.createElementNS(NS, "svg");
        const H = top + rowH * Math.max(msgs.length, 1) + 24;
        svg.setAttribute("width", W); svg.setAttribute("height", H);
        const add = (tag, attrs, tip) => {
          const e = document.createElementNS(NS, tag);
          for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
          if (tip) { const t = document.createElementNS(NS, "title"); t.textContent = tip; e.appendChild(t); }
          svg.appendChild(e); return e;
        };
        add("line", {x1: left, x2: W - right, y1: H - 18, y2: H - 18, stroke: "#999"});
        for (let k = 0; k <= 4; k++) {
          const t = t0 + (end - t0) * k / 4;
          add("text", {x: x(t), y: H - 5, "font-size": 10, "text-anchor": "middle", fill: "#555"}).textContent = t.toFixed(0) + " s";
        }
        msgs.forEach(m => {
          const y = top + m.row * rowH;
          const label = add("text", {x: 4, y: y + 4, "font-size": 10, fill: m.id === selected ? "#1565c0" : "#333",
                                     "class": "message", "data-id": m.id, cursor: "pointer"}, m.id);
          label.textContent = (m.body || m.id).slice(0, 22);
          label.addEventListener("click", () => { selected = m.id; draw(); });
        });
        for (const b of st.batches) {
          for (const id of b.ids) {
            const m = msgs.find(mm => mm.id === id);
            const y = top + m.row * rowH, x1 = x(b.t), x2 = x(b.end === null ? end : b.end);
            const failed = (b.failed || []).includes(id);
            const colour = b.outcome === "partial" ? (failed ? OUTCOME["function-error"] : OUTCOME.success) : (OUTCOME[b.outcome] || "#90caf9");
            add("rect", {x: x1, y: y - 6, width: Math.max(x2 - x1, 4), height: 12, fill: colour, "class": "batch",
                         "data-batch": b.id, "data-outcome": b.outcome || "running"},
                b.id + " (" + b.size + " messages, " + b.reason + "): " + (b.outcome || "running"));
          }
        }
        for (const k of st.marks) {
          const y = top + k.row * rowH, cx = x(k.t);
          if (k.kind === "returned") {
            add("line", {x1: cx, x2: x(k.until), y1: y, y2: y, stroke: "#888", "stroke-dasharray": "3,3", "class": "returned"},
                "invisible until " + k.until.toFixed(0) + " s");
          } else if (k.kind === "deleted") {
            add("path", {d: `M${cx + 4} ${y} l3 4 l6 -8`, stroke: "#2e7d32", "stroke-width": 2, fill: "none", "class": "deleted"}, "deleted");
          } else if (k.kind === "dlq") {
            add("path", {d: `M${cx + 6} ${y - 6} l6 6 l-6 6 l-6 -6 Z`, fill: "black", "class": "dlq"}, "moved to the DLQ");
          } else if (k.kind === "filtered") {
            add("path", {d: `M${cx} ${y - 4} l8 8 M${cx + 8} ${y - 4} l-8 8`, stroke: "#757575", "stroke-width": 2, "class": "filtered"}, "filtered out");
          }
        }
        root.appendChild(svg);
        const panel = document.createElement("pre");
        panel.className = "lambdalab-batch-history";
        const m = msgs.find(mm => mm.id === selected);
        panel.textContent = m ? (m.id + "  [" + m.status + "]\\n" + m.body + "\\n" + m.history.join("\\n")) : "Click a message to see its history.";
        root.appendChild(panel);
      }
      draw();
      model.on("change:state", draw);
    }
    export default { render };
    """
    _css = """
    .lambdalab-batch-view { font-family: sans-serif; }
    .lambdalab-batch-title { font-size: 12px; font-weight: bold; margin-bottom: 2px; }
    .lambdalab-batch-history { font-size: 11px; background: #f6f6f6; padding: 4px; margin: 2px 0; white-space: pre-wrap; }
    .lambdalab-batch-view rect.batch:hover { stroke: black; }
    """

    state = traitlets.Dict().tag(sync=True)
    title = traitlets.Unicode("SQS batches").tag(sync=True)

    kinds = frozenset(KINDS)

    def __init__(
        self, lab: Lab, function: str | None = None, *, limit: int = 40, since: float | None = None, **kwargs: Any
    ) -> None:
        self._limit = limit
        super().__init__(lab, function, since=since, **kwargs)
        if function:
            self.title = f"SQS batches of {function}"

    def _publish(self, records: list[Record]) -> None:
        self.state = batch_view_state(records, self._function, self._limit)

    def history(self, message_id: str) -> list[str]:
        """What happened to one message (the text shown when its row is clicked)."""
        self.flush()
        for m in self.state["messages"]:
            if m["id"] == message_id:
                return list(m["history"])
        return []

    def statuses(self) -> dict[str, int]:
        """How many messages are processed, in the DLQ, filtered, waiting or in flight."""
        self.flush()
        out: dict[str, int] = {}
        for m in self.state["messages"]:
            out[m["status"]] = out.get(m["status"], 0) + 1
        return out
