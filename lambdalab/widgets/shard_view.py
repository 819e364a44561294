"""A shard view: one lane per shard (and per parallel lane), batches along virtual time.

Drawn from ``lab.trace`` only (``stream-*`` records of the stream engines):
each invocation is a box from its start to its end, coloured by outcome (green
success, red function error, amber partial answer, grey throttle), hatched when
it came from a bisected batch; retry waits are thin lines; a batch given up on is
a black diamond, marked "sent" when it reached the on-failure destination.

``shard_view_state(records)`` is the pure part (unit-tested); :class:`ShardView`
is the anywidget that shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import anywidget
import traitlets

from .. import trace_kinds as k
from ..trace import Record

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


_ESM = r"""
function render({ model, el }) {
  const NS = "http://www.w3.org/2000/svg";
  const colours = {"success": "#3a9d5d", "function-error": "#d64541", "invalid-response": "#d64541",
                   "partial": "#e0a526", "throttle": "#999", "system-error": "#999"};
  function draw() {
    el.innerHTML = "";
    const lanes = model.get("lanes"), batches = model.get("batches"), waits = model.get("waits"), discards = model.get("discards");
    const t0 = Math.min(...batches.map(b => b.start), ...waits.map(w => w.start), Infinity);
    const start = isFinite(t0) ? t0 : 0;
    const span = Math.max(model.get("t_end") - start, 1);
    const left = 190, width = 640, row = 34, top = 24;
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("class", "lambdalab-shard-view");
    svg.setAttribute("width", left + width + 20);
    svg.setAttribute("height", top + row * Math.max(lanes.length, 1) + 20);
    const x = t => left + (t - start) / span * width;
    const add = (tag, attrs, text) => {
      const n = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
      if (text !== undefined) n.textContent = text;
      svg.appendChild(n); return n;
    };
    add("text", {x: left, y: 14, "font-size": 11, fill: "#555"}, `t = ${start.toFixed(0)} s`);
    add("text", {x: left + width, y: 14, "font-size": 11, fill: "#555", "text-anchor": "end"}, `${(start + span).toFixed(0)} s`);
    const y = {};
    lanes.forEach((lane, i) => {
      y[lane.id] = top + i * row;
      add("text", {x: 4, y: y[lane.id] + 20, "font-size": 12, "font-family": "monospace"},
          lanes.some(l => l.lane > 0) ? `${lane.shard} lane ${lane.lane}` : lane.shard);
      add("line", {x1: left, x2: left + width, y1: y[lane.id] + 16, y2: y[lane.id] + 16, stroke: "#ddd"});
    });
    for (const w of waits) {
      if (!(w.lane in y)) continue;
      add("line", {x1: x(w.start), x2: x(w.end), y1: y[w.lane] + 16, y2: y[w.lane] + 16, stroke: "#d64541", "stroke-dasharray": "3,2"});
    }
    for (const b of batches) {
      const r = add("rect", {x: x(b.start), y: y[b.lane] + 6, width: Math.max(x(b.end) - x(b.start) - 1, 2), height: 20,
        fill: colours[b.outcome] || "#777", "fill-opacity": b.split ? 0.55 : 0.9, stroke: b.split ? "#333" : "none",
        "stroke-dasharray": b.split ? "2,1" : "", class: "batch"});
      const t = document.createElementNS(NS, "title");
      t.textContent = `${b.size} record(s) ${b.first}..${b.last}, attempt ${b.attempt}, ${b.outcome}${b.split ? " (bisected)" : ""}`;
      r.appendChild(t);
    }
    for (const d of discards) {
      if (!(d.lane in y)) continue;
      const cx = x(d.t), cy = y[d.lane] + 16;
      const p = add("polygon", {points: `${cx},${cy - 8} ${cx + 6},${cy} ${cx},${cy + 8} ${cx - 6},${cy}`, fill: "#111", class: "discard"});
      const t = document.createElementNS(NS, "title");
      t.textContent = `${d.size} record(s) ${d.first}..${d.last} given up: ${d.condition}${d.sent ? ", sent to the on-failure destination" : ""}`;
      p.appendChild(t);
    }
    el.appendChild(svg);
  }
  for (const name of ["lanes", "batches", "waits", "discards", "t_end"]) model.on(`change:${name}`, draw);
  draw();
}
export default { render };
"""


class ShardView(anywidget.AnyWidget):  # type: ignore[misc]
    """Batches of a stream mapping along virtual time, a lane per shard; ``refresh()`` redraws."""

    _esm = _ESM
    lanes: traitlets.List[Any] = traitlets.List().tag(sync=True)
    batches: traitlets.List[Any] = traitlets.List().tag(sync=True)
    waits: traitlets.List[Any] = traitlets.List().tag(sync=True)
    discards: traitlets.List[Any] = traitlets.List().tag(sync=True)
    t_end = traitlets.Float(0.0).tag(sync=True)

    def __init__(self, lab: Any, mapping: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lab, self._mapping = lab, mapping
        self.refresh()

    def refresh(self) -> None:
        state = shard_view_state(self._lab.trace, self._mapping)
        for name, value in state.items():
            setattr(self, name, value)
