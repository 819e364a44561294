"""A shard view: one lane per shard (and per parallel lane), batches along virtual time.

Drawn from ``lab.trace`` only (``stream-*`` records of the stream engines):
each invocation is a box from its start to its end, coloured and styled by
outcome (solid green success, hollow red function error, hollow amber partial
answer, dotted amber throttle), half height when it came from a bisected batch;
retry waits are dashed lines; records given up on are a diamond, whose tooltip
says whether they reached the on-failure destination.  The axis is the lab's
time, as the notebook's printed tables show it.

``shard_view_state(records)`` is the pure part (unit-tested); :class:`ShardView`
is the anywidget that shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import trace_kinds as k
from ..trace import Record
from .scene import legend_for, shorten, time_axis
from .trace_view import TraceView

_KINDS = (k.STREAM_BATCH, k.STREAM_RETRY_WAIT, k.STREAM_DISCARD, k.STREAM_DELIVERY, k.STREAM_DELIVERY_FAILED)


def _lane_id(detail: k.StreamBatch | k.StreamRetryWait | k.StreamDiscard) -> str:
    return f"{detail['shard']}#{detail.get('lane', 0)}"


def shard_view_state(records: Iterable[Record], mapping: str | None = None) -> dict[str, Any]:
    """Lanes, batches, retry waits and discards of one mapping (or all) from trace records."""
    lanes: dict[str, dict[str, Any]] = {}
    batches: list[dict[str, Any]] = []
    waits: list[dict[str, Any]] = []
    discards: list[dict[str, Any]] = []
    t_end = 0.0
    for r in records:
        if r.kind not in _KINDS or (mapping is not None and mapping not in r.ids):
            continue
        t_end = max(t_end, r.t)
        if r.kind == k.STREAM_BATCH:
            d = r.view(k.StreamBatch)
            lane = _lane_id(d)
            lanes.setdefault(lane, {"id": lane, "shard": d["shard"], "lane": d.get("lane", 0)})
            seqs = d["seqs"]
            end = d["start"] + d["duration"]
            t_end = max(t_end, end)
            batches.append(
                {
                    "lane": lane,
                    "start": d["start"],
                    "end": end,
                    "size": len(seqs),
                    "first": seqs[0] if seqs else "",
                    "last": seqs[-1] if seqs else "",
                    "outcome": d["outcome"],
                    "attempt": d["attempt"],
                    "split": bool(d.get("split")),
                    "final": bool(d.get("final")),
                }
            )
        elif r.kind == k.STREAM_RETRY_WAIT:
            wait = r.view(k.StreamRetryWait)
            waits.append({"lane": _lane_id(wait), "start": r.t, "end": wait["until"]})
            t_end = max(t_end, wait["until"])
        elif r.kind == k.STREAM_DISCARD:
            discard = r.view(k.StreamDiscard)
            discards.append(
                {
                    "lane": _lane_id(discard),
                    "t": r.t,
                    "first": discard["seqs"][0],
                    "last": discard["seqs"][-1],
                    "size": len(discard["seqs"]),
                    "condition": discard["condition"],
                    "sent": False,
                }
            )
        elif r.kind == k.STREAM_DELIVERY and discards:
            discards[-1]["sent"] = True
    ordered = sorted(lanes.values(), key=lambda x: (x["shard"], x["lane"]))
    return {"lanes": ordered, "batches": batches, "waits": waits, "discards": discards, "t_end": t_end}


_BAR = {  # outcome -> tone, style
    "success": ("ok", "solid"),
    "function-error": ("error", "hollow"),
    "invalid-response": ("error", "hollow"),
    "partial": ("warn", "hollow"),
    "throttle": ("warn", "dotted"),
    "system-error": ("muted", "dotted"),
}
LEGEND: list[dict[str, Any]] = [
    {"type": "bar", "tone": "ok", "style": "solid", "label": "batch succeeded"},
    {"type": "bar", "tone": "error", "style": "hollow", "label": "function error"},
    {"type": "bar", "tone": "warn", "style": "hollow", "label": "partial batch response"},
    {"type": "bar", "tone": "warn", "style": "dotted", "label": "throttled"},
    {"type": "bar", "tone": "ok", "style": "solid", "half": True, "label": "half of a bisected batch"},
    {"type": "span", "tone": "muted", "dash": "4,3", "label": "waiting to retry"},
    {"type": "glyph", "shape": "diamond", "tone": "ink", "label": "records given up on"},
]


def _lane_label(lane: dict[str, Any], lanes: list[dict[str, Any]]) -> str:
    shard = str(lane["shard"])
    tail = shard.removeprefix("shardId-")
    name = f"shard {int(tail)}" if tail.isdigit() else shorten(shard, 20)
    return f"{name} lane {lane['lane']}" if any(x["lane"] for x in lanes) else name


def shard_scene(state: dict[str, Any], title: str) -> dict[str, Any]:
    """The shard view's scene: a row per lane, a box per invocation, waits and discards, on the lab's time."""
    lanes = state["lanes"]
    row_of = {lane["id"]: i for i, lane in enumerate(lanes)}
    starts = [b["start"] for b in state["batches"]] + [w["start"] for w in state["waits"]]
    lo = min(starts, default=0.0)
    marks: list[dict[str, Any]] = []
    for w in state["waits"]:
        if w["lane"] in row_of:
            marks.append({"type": "span", "row": row_of[w["lane"]], "t0": w["start"], "t1": w["end"], "tone": "muted",
                          "cls": "wait", "tip": f"waiting until {w['end']:g} s"})  # fmt: skip
    for b in state["batches"]:
        tone, style = _BAR.get(b["outcome"], ("muted", "dotted"))
        marks.append({"type": "bar", "row": row_of[b["lane"]], "t0": b["start"], "t1": b["end"], "tone": tone,
                      "style": style, "half": b["split"], "cls": "batch",
                      "data": {"outcome": b["outcome"], "attempt": b["attempt"]},
                      "tip": f"{b['size']} record(s) {b['first']}..{b['last']}, attempt {b['attempt']}, {b['outcome']}"
                      + (" (half of a bisected batch)" if b["split"] else "")})  # fmt: skip
    for d in state["discards"]:
        if d["lane"] in row_of:
            marks.append({"type": "glyph", "row": row_of[d["lane"]], "t": d["t"], "dx": 8, "shape": "diamond",
                          "tone": "ink", "cls": "discard",
                          "tip": f"{d['size']} record(s) {d['first']}..{d['last']} given up: {d['condition']}"
                          + (", sent to the on-failure destination" if d["sent"] else "")})  # fmt: skip
    rows = [{"id": lane["id"], "label": _lane_label(lane, lanes), "tip": f"{lane['shard']} lane {lane['lane']}"}
            for lane in lanes]  # fmt: skip
    return {
        "kind": "rows",
        "cls": "lambdalab-shard-view",
        "title": f"{title}: {len(state['batches'])} invocations on {len(lanes)} lane(s)",
        "rows": rows,
        "marks": marks,
        "x": time_axis(lo, max(state["t_end"], lo + 1), "lab time (s), as in the table above"),
        "legend": legend_for(marks, LEGEND),
    }


class ShardView(TraceView):
    """Batches of a stream mapping along virtual time, a lane per shard (the whole trace unless ``since``)."""

    kinds = frozenset(_KINDS)

    def __init__(self, lab: Any, mapping: str | None = None, *, since: float = 0.0, **kwargs: Any) -> None:
        self._mapping = mapping
        self.title = f"Stream batches of mapping {mapping[:8]}" if mapping else "Stream batches"
        self.state: dict[str, Any] = {}
        super().__init__(lab, None, since=since, **kwargs)

    def _wanted(self, record: Record) -> bool:
        return record.kind in self.kinds and (self._mapping is None or self._mapping in record.ids)

    def _publish(self, records: list[Record]) -> None:
        self.state = shard_view_state(records, self._mapping)
        self.scene = shard_scene(self.state, self.title)
