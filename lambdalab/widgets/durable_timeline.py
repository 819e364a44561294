"""The durable timeline: one durable execution drawn on the lab's virtual time axis.

The first row holds the execution's invocations, a bar each (green: it finished the execution; blue: it
ended PENDING and the execution suspended; red: it failed or crashed). Below, a row per operation (step,
wait, callback, child context), in the order the handler first reached them: a glyph where an invocation
ran it (circle succeeded, cross failed or will retry), a dashed line while a wait, a retry delay or a
callback keeps the execution suspended, a faint ring at each later invocation that replayed it from its
checkpoint instead of running it, and an arrow where a callback came in (blue from a cell or the CLI,
dark from a function; an hourglass when it timed out). A chained invoke (``context.invoke``) draws a band
in its row from when Lambda invoked its target to when the target's answer came back (one instant for a
plain function, the target's whole execution for a durable one): blue while the target runs, green when it
answered a result, red an error. Waits of a week next to steps of a second crowd
the picture, so the time axis turns square-root when they do.

Built from ``lab.trace`` only, and redrawn as the clock moves.

https://docs.aws.amazon.com/lambda/latest/dg/durable-functions.html
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

KINDS = (
    k.DURABLE_STARTED,
    k.DURABLE_INVOCATION,
    k.DURABLE_OPERATION,
    k.DURABLE_REPLAY,
    k.DURABLE_SUSPENDED,
    k.DURABLE_RESUMED,
    k.DURABLE_CALLBACK,
    k.DURABLE_CHAINED_INVOKE,
    k.DURABLE_CLOSED,
)
_INVOCATION_TONE = {"SUCCEEDED": "ok", "PENDING": "info", "FAILED": "error", "ERROR": "error"}
_SENDER = {"client": ("arrow", "info", "a cell or the CLI"), "function": ("arrow", "ink", "a function")}
LEGEND: list[dict[str, Any]] = [
    {"type": "bar", "tone": "info", "style": "solid", "label": "invocation ended PENDING"},
    {"type": "bar", "tone": "ok", "style": "solid", "label": "invocation finished it"},
    {"type": "bar", "tone": "error", "style": "solid", "label": "invocation failed"},
    {"type": "glyph", "shape": "circle", "tone": "ok", "label": "operation succeeded"},
    {"type": "glyph", "shape": "cross", "tone": "error", "label": "failed / to retry"},
    {"type": "glyph", "shape": "ring", "tone": "faint", "label": "replayed from checkpoint"},
    {"type": "span", "tone": "muted", "dash": "4,3", "label": "suspended"},
    {"type": "glyph", "shape": "arrow", "tone": "info", "label": "callback from a cell"},
    {"type": "glyph", "shape": "arrow", "tone": "ink", "label": "callback from a function"},
    {"type": "glyph", "shape": "hourglass", "tone": "warn", "label": "callback timed out"},
    {"type": "bar", "tone": "info", "style": "hollow", "half": True, "label": "invoked function running"},
    {"type": "bar", "tone": "ok", "style": "hollow", "half": True, "label": "invoked function answered"},
    {"type": "bar", "tone": "error", "style": "hollow", "half": True, "label": "invoked function failed"},
]


def execution_rows(records: Iterable[Record], execution: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The execution's records as items, and its row labels (invocations, then operations by first use)."""
    rows: list[str] = ["invocations"]
    index: dict[str, int] = {}
    items: list[dict[str, Any]] = []
    for r in records:
        if r.kind not in KINDS or r.detail.get("execution") != execution:
            continue
        item: dict[str, Any] = {"t": r.t, "kind": r.kind, **r.detail}
        if r.kind == k.DURABLE_OPERATION:
            op = r.view(k.DurableOperation)
            if op["type"] == "EXECUTION":
                continue
            if op["operation"] not in index:
                index[op["operation"]] = len(rows)
                rows.append(op["name"] or f"{op['type'].lower()} {op['operation'][:6]}")
            item["row"] = index[op["operation"]]
        elif r.kind == k.DURABLE_REPLAY:
            item["rows"] = [index[o] for o in r.view(k.DurableReplay)["operations"] if o in index]
        elif r.kind in (k.DURABLE_CALLBACK, k.DURABLE_CHAINED_INVOKE):
            item["row"] = index.get(r.detail["operation"], 0)
        items.append(item)
    return items, rows


def durable_scene(items: list[dict[str, Any]], rows: list[str], start: float, now: float, title: str) -> dict[str, Any]:
    """The timeline's scene (see the module docstring)."""
    marks: list[dict[str, Any]] = []
    opened: dict[int, float] = {}  # row -> when its operation began to keep the execution waiting
    invoked: dict[int, float] = {}  # row -> when its chained invoke's target began to run
    end = 1.0
    for i in items:
        t, kind = i["t"] - start, i["kind"]
        end = max(end, t)
        if kind == k.DURABLE_INVOCATION:
            tone = _INVOCATION_TONE.get(i["outcome"], "muted")
            tip = f"invocation {i['invocation']} at {fmt_time(t)}: {i['outcome']}, {i['replayed']} replayed"
            tip += f" ({i['error']})" if i.get("error") else ""
            marks.append({"type": "bar", "row": 0, "t0": t, "t1": t, "tone": tone, "style": "solid", "cls": "invocation",
                          "data": {"kind": "invocation", "outcome": i["outcome"]}, "tip": tip})  # fmt: skip
        elif kind == k.DURABLE_OPERATION:
            row, action = i["row"], i["action"]
            if action in ("SUCCEED", "FAIL", "RETRY"):
                shape, tone = ("circle", "ok") if action == "SUCCEED" else ("cross", "error")
                marks.append({"type": "glyph", "row": row, "t": t, "shape": shape, "tone": tone, "cls": "operation",
                              "data": {"kind": "operation", "action": action},
                              "tip": f"{rows[row]}: {action} at {fmt_time(t)}"})  # fmt: skip
            if action == "RETRY" or (action == "START" and i["type"] in ("WAIT", "CALLBACK", "CHAINED_INVOKE")):
                opened[row] = t
            elif action in ("SUCCEED", "FAIL"):
                opened.pop(row, None)
        elif kind == k.DURABLE_REPLAY:
            for row in i["rows"]:
                marks.append({"type": "glyph", "row": row, "t": t, "shape": "ring", "tone": "faint", "cls": "replayed",
                              "data": {"kind": "replayed"}, "tip": f"{rows[row]}: replayed from its checkpoint"})  # fmt: skip
        elif kind == k.DURABLE_CALLBACK:
            outcome = i["outcome"]
            if outcome in ("TIMED_OUT", "HEARTBEAT_TIMED_OUT"):
                shape, tone, who = "hourglass", "warn", "the clock"
            else:
                shape, tone, who = _SENDER.get(i["sender"], ("arrow", "muted", i["sender"]))
            marks.append({"type": "glyph", "row": i["row"], "t": t, "dx": -12, "shape": shape, "tone": tone, "cls": "callback",
                          "data": {"kind": "callback", "outcome": outcome, "sender": i["sender"]},
                          "tip": f"callback {outcome} from {who} at {fmt_time(t)}"})  # fmt: skip
        elif kind == k.DURABLE_CHAINED_INVOKE:
            if i["outcome"] == "STARTED":
                invoked[i["row"]] = t
            else:
                marks.append(_invoked(i, invoked.pop(i["row"], t), t))
        elif kind == k.DURABLE_RESUMED:
            for row, since in list(opened.items()):
                marks.append(_suspended(row, since, t, rows))
                del opened[row]
    for row, since in opened.items():  # still waiting: up to now
        marks.append(_suspended(row, since, max(now - start, since), rows))
        end = max(end, now - start)
    for row, since in invoked.items():  # the invoked function still runs
        marks.append(
            _band(row, since, max(now - start, since), "info", "the invoked function is still running", "RUNNING")
        )
    sqrt = _crowded(items, start, end)
    label = "time since the execution started" + (" (square-root scale: the first moments spread out)" if sqrt else "")
    return {
        "kind": "rows",
        "cls": "lambdalab-durable",
        "title": title,
        "rows": [{"id": str(n), "label": shorten(name), "tip": name} for n, name in enumerate(rows)],
        "marks": marks,
        "x": time_axis(0, end, label, sqrt=sqrt),
        "legend": legend_for(marks, LEGEND),
    }


def _suspended(row: int, t0: float, t1: float, rows: list[str]) -> dict[str, Any]:
    return {"type": "span", "row": row, "t0": t0, "t1": t1, "tone": "muted", "cls": "suspended",
            "data": {"kind": "suspended"}, "tip": f"{rows[row]}: suspended for {fmt_time(t1 - t0)}"}  # fmt: skip


def _invoked(i: dict[str, Any], t0: float, t1: float) -> dict[str, Any]:
    """A chained invoke that has its answer: a band from when its target was invoked to when it answered."""
    who = i["target"] + (" (its own durable execution)" if i.get("target_execution") else "")
    tip = f"{who}: invoked at {fmt_time(t0)}, answered {i['outcome']} at {fmt_time(t1)}"
    tip += f" ({i['error']})" if i.get("error") else ""
    return _band(i["row"], t0, t1, "ok" if i["outcome"] == "SUCCEEDED" else "error", tip, i["outcome"])


def _band(row: int, t0: float, t1: float, tone: str, tip: str, outcome: str) -> dict[str, Any]:
    return {"type": "bar", "row": row, "t0": t0, "t1": t1, "tone": tone, "style": "hollow", "half": True,
            "cls": "invoked", "data": {"kind": "invoked", "outcome": outcome}, "tip": tip}  # fmt: skip


def _crowded(items: list[dict[str, Any]], start: float, end: float) -> bool:
    """Do two invocations fall closer than 3% of the axis (a retry after 5 s, on a week's axis)?"""
    times = sorted({i["t"] - start for i in items if i["kind"] == k.DURABLE_INVOCATION})
    return any(b - a < 0.03 * end for a, b in zip(times, times[1:], strict=False))


class DurableTimeline(TraceView):
    """``DurableTimeline(lab, arn)``: one durable execution, its invocations and operations over virtual time."""

    kinds = frozenset(KINDS)

    def __init__(self, lab: Lab, execution: str, **kwargs: Any) -> None:
        self.execution = execution
        self.title = f"Durable execution {execution.split('/')[-2]}"
        self._items: list[dict[str, Any]] = []
        self._rows: list[str] = []
        started = [r.t for r in lab.trace.where(k.DURABLE_STARTED) if r.detail.get("execution") == execution]
        super().__init__(lab, None, since=started[0] if started else None, **kwargs)

    def _wanted(self, record: Record) -> bool:
        return record.kind in self.kinds and record.detail.get("execution") == self.execution

    def _publish(self, records: list[Record]) -> None:
        self._items, self._rows = execution_rows(records, self.execution)
        self.scene = durable_scene(self._items, self._rows, self._since, float(self._lab.clock.t), self.title)

    def _on_move(self) -> None:
        if any(m["cls"] == "suspended" for m in self.scene.get("marks", [])):
            self._dirty = True  # an open wait grows with the clock
        self.flush()

    @property
    def rows(self) -> list[str]:
        """The row labels: ``invocations``, then each operation's name."""
        self.flush()
        return list(self._rows)

    def counts(self) -> dict[str, int]:
        """How many marks of each class the timeline draws (for checks and tests)."""
        self.flush()
        out: dict[str, int] = {}
        for m in self.scene["marks"]:
            out[m["cls"]] = out.get(m["cls"], 0) + 1
        return out
