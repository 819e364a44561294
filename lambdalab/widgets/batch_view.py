"""The batch view: SQS messages along virtual time, the batches they rode in, and how each ended.

One row per message, labelled with its body (the message id on hover).  Each
time a batch carries the message, a box spans the invocation (from the batch's
start to its result): solid green when the message's batch succeeded, hollow red
when it failed (for a partial batch response: when this message was reported
failed), dotted amber when throttled; a dashed line shows the message waiting out
its visibility timeout; the row ends with a tick (deleted), a diamond (moved to
the dead-letter queue) or a ring (filtered out, deleted unseen).  A legend says
so under the axis; clicking a row shows that message's history.

Drawn from ``lab.trace`` only (the ``sqs-*`` records of :mod:`lambdalab.engines.sqs_engine`).
``batch_view_state(records)`` is the pure part; :class:`BatchView` the anywidget.

https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import trace_kinds as k
from .scene import legend_for, shorten, time_axis
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


def batch_view_state(
    records: Iterable[Record], function: str | None = None, limit: int = 40, start: float = 0.0
) -> dict[str, Any]:
    """Messages (rows), batches and marks from trace records, for one function or all.

    Each message's history gives times in seconds since ``start`` (the view's), as its axis does.
    """
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
                seen["history"].append(f"{r.t - start:g} s: received (receive #{seen['receives']})")
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
                    m["history"].append(
                        f"{r.t - start:g} s: in batch {d['batch']} of {d.get('size')} ({d.get('reason')})"
                    )
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
                    m["history"].append(f"{r.t - start:g} s: batch {result['batch']} {what}")
        elif r.kind in (k.SQS_DELETED, k.SQS_REDRIVE, k.SQS_FILTERED, k.SQS_RETURNED, k.SQS_ALREADY_DELETED):
            for mid in r.ids:
                m = row(mid)
                if m is None and r.kind == k.SQS_FILTERED:
                    continue
                if m is None:
                    continue
                if r.kind == k.SQS_DELETED:
                    m["status"] = "processed"
                    m["history"].append(f"{r.t - start:g} s: deleted from the queue")
                    marks.append({"kind": "deleted", "t": r.t, "row": m["row"]})
                elif r.kind == k.SQS_REDRIVE:
                    m["status"] = "in DLQ"
                    receives = r.view(k.SqsRedrive).get("receive_count")
                    m["history"].append(f"{r.t - start:g} s: moved to the dead-letter queue after {receives} receives")
                    marks.append({"kind": "dlq", "t": r.t, "row": m["row"]})
                elif r.kind == k.SQS_FILTERED:
                    m["status"] = "filtered"
                    m["history"].append(f"{r.t - start:g} s: matched no filter: deleted, never invoked")
                    marks.append({"kind": "filtered", "t": r.t, "row": m["row"]})
                elif r.kind == k.SQS_RETURNED:
                    visible_at = r.view(k.SqsReturned).get("visible_at")
                    m["status"] = "waiting"
                    m["history"].append(
                        f"{r.t - start:g} s: left in the queue; visible again at {visible_at - start:g} s"
                    )
                    marks.append({"kind": "returned", "t": r.t, "until": visible_at, "row": m["row"]})
                    end = max(end, float(visible_at or 0))
                else:
                    m["history"].append(f"{r.t - start:g} s: processed again, but another batch had already deleted it")
    rows = sorted(messages.values(), key=lambda m: m["row"])
    return {"messages": rows, "batches": [b for b in batches.values() if b["ids"]], "marks": marks, "end": end}


_BAR = {  # a message's outcome in a batch -> tone and style of its box
    "success": ("ok", "solid"),
    "failed": ("error", "hollow"),
    "throttle": ("warn", "dotted"),
    "system-error": ("warn", "dotted"),
    "running": ("info", "hollow"),
}
LEGEND: list[dict[str, Any]] = [
    {"type": "bar", "tone": "ok", "style": "solid", "label": "in a batch that succeeded"},
    {"type": "bar", "tone": "error", "style": "hollow", "label": "in a batch that failed"},
    {"type": "bar", "tone": "warn", "style": "dotted", "label": "throttled"},
    {"type": "bar", "tone": "info", "style": "hollow", "label": "running"},
    {"type": "span", "tone": "muted", "dash": "4,3", "label": "invisible (visibility timeout)"},
    {"type": "glyph", "shape": "check", "tone": "ok", "label": "deleted"},
    {"type": "glyph", "shape": "diamond", "tone": "ink", "label": "moved to the DLQ"},
    {"type": "glyph", "shape": "ring", "tone": "muted", "label": "filtered out, never invoked"},
]


def _message_outcome(batch: dict[str, Any], mid: str) -> str:
    outcome = batch["outcome"]
    if outcome is None:
        return "running"
    if outcome == "partial":
        return "failed" if mid in (batch.get("failed") or []) else "success"
    if outcome in ("function-error", "invalid-response"):
        return "failed"
    return str(outcome)


def batch_scene(state: dict[str, Any], start: float, title: str) -> dict[str, Any]:
    """The batch view's scene: a row per message (its body), a box per batch it rode in, how it ended."""
    messages = state["messages"]
    row_of = {m["id"]: m["row"] for m in messages}
    marks: list[dict[str, Any]] = []
    end = state["end"] - start
    for b in state["batches"]:
        for mid in b["ids"]:
            outcome = _message_outcome(b, mid)
            tone, style = _BAR.get(outcome, ("muted", "dotted"))
            stop = (b["end"] if b["end"] is not None else state["end"]) - start
            marks.append({"type": "bar", "row": row_of[mid], "t0": b["t"] - start, "t1": stop, "tone": tone,
                          "style": style, "cls": "batch", "data": {"batch": b["id"], "outcome": b["outcome"] or "running"},
                          "tip": f"{b['id']} ({b['size']} messages, {b['reason']}): {b['outcome'] or 'running'}"})  # fmt: skip
    for k_ in state["marks"]:
        t, row = k_["t"] - start, k_["row"]
        if k_["kind"] == "returned":
            marks.append({"type": "span", "row": row, "t0": t, "t1": k_["until"] - start, "tone": "muted",
                          "cls": "returned", "tip": f"invisible until {k_['until'] - start:g} s"})  # fmt: skip
        else:
            shape, tone, tip = {"deleted": ("check", "ok", "deleted"), "dlq": ("diamond", "ink", "moved to the DLQ"),
                                "filtered": ("ring", "muted", "filtered out")}[k_["kind"]]  # fmt: skip
            marks.append({"type": "glyph", "row": row, "t": t, "dx": 8, "shape": shape, "tone": tone,
                          "cls": k_["kind"], "tip": f"{tip} at {t:g} s"})  # fmt: skip
    rows = [
        {"id": m["id"], "label": shorten(m["body"] or m["id"]), "cls": "message", "tip": f"message id {m['id']}",
         "detail": f"{m['id']}  [{m['status']}]\n{m['body']}\n" + "\n".join(m["history"])}
        for m in messages
    ]  # fmt: skip
    return {
        "kind": "rows",
        "cls": "lambdalab-batch-view",
        "title": f"{title}: {len(messages)} messages, {len(state['batches'])} batches",
        "rows": rows,
        "marks": marks,
        "x": time_axis(0, end, "seconds since the view was created"),
        "legend": legend_for(marks, LEGEND),
        "detail": {"cls": "lambdalab-batch-history", "prompt": "Click a message to see its history."},
    }


class BatchView(TraceView):
    """``BatchView(lab, function)``: every SQS message the function's mappings read, batch by batch."""

    kinds = frozenset(KINDS)

    def __init__(
        self, lab: Lab, function: str | None = None, *, limit: int = 40, since: float | None = None, **kwargs: Any
    ) -> None:
        self._limit = limit
        self.title = f"SQS batches of {function}" if function else "SQS batches"
        self.state: dict[str, Any] = {}
        super().__init__(lab, function, since=since, **kwargs)

    def _publish(self, records: list[Record]) -> None:
        self.state = batch_view_state(records, self._function, self._limit, self._since)
        self.scene = batch_scene(self.state, self._since, self.title)

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
