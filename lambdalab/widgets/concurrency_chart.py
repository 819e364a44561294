"""Concurrency over virtual time for an SQS mapping: batches in flight, and the limit they may reach.

A blue step line counts invocations in flight (a batch occupies a slot from its
start until its result); a dashed orange line is the mapping's limit: five at
first, growing each second while messages wait (300 a minute today, 60 in the
2022 documentation), capped by ``ScalingConfig.MaximumConcurrency``, back to five
when the queue runs dry.  Drawn from ``lab.trace`` only (``sqs-concurrency`` and
``sqs-scale`` records).

https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
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

KINDS = (k.SQS_CONCURRENCY, k.SQS_SCALE)


def concurrency_series(records: Iterable[Record], function: str | None = None) -> dict[str, Any]:
    """Step series ``[[t, value], ...]`` of in-flight batches and of the limit; the peak; the end."""
    in_flight: list[list[float]] = []
    limit: list[list[float]] = []
    by_mapping: dict[str, int] = {}
    end = 0.0
    for r in records:
        if r.kind not in KINDS or (function and r.function != function):
            continue
        end = max(end, r.t)
        if r.kind == k.SQS_CONCURRENCY:
            concurrency = r.view(k.SqsConcurrency)
            by_mapping[concurrency["mapping"]] = int(concurrency["in_flight"])
            value = sum(by_mapping.values())
            if in_flight and in_flight[-1][0] == r.t:
                in_flight[-1][1] = value
            else:
                in_flight.append([r.t, value])
        else:
            value = r.view(k.SqsScale)["limit"]
            if limit and limit[-1][0] == r.t:
                limit[-1][1] = value
            else:
                limit.append([r.t, value])
    peak = max((v for _, v in in_flight), default=0)
    return {"in_flight": in_flight, "limit": limit, "peak": peak, "end": end}


class ConcurrencyChart(TraceView):
    """``ConcurrencyChart(lab, function)``: concurrent SQS batches of a function over virtual time."""

    _esm = """
    function render({ model, el }) {
      const NS = "http://www.w3.org/2000/svg";
      const root = document.createElement("div");
      root.className = "lambdalab-concurrency";
      el.appendChild(root);
      function draw() {
        const s = model.get("series"), t0 = model.get("start");
        const W = 760, H = 220, left = 44, right = 16, top = 22, bottom = 24;
        const end = Math.max(s.end, t0 + 1);
        const ymax = Math.max(5, s.peak, ...s.limit.map(p => p[1]));
        const x = t => left + (W - left - right) * (t - t0) / (end - t0);
        const y = v => H - bottom - (H - top - bottom) * v / ymax;
        root.innerHTML = "";
        const title = document.createElement("div");
        title.className = "lambdalab-concurrency-title";
        title.textContent = model.get("title") + " (peak " + s.peak + ")";
        root.appendChild(title);
        const svg = document.createElementNS(NS, "svg");
        svg.setAttribute("width", W); svg.setAttribute("height", H);
        const add = (tag, attrs) => {
          const e = document.createElementNS(NS, tag);
          for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
          svg.appendChild(e); return e;
        };
        add("line", {x1: left, x2: W - right, y1: H - bottom, y2: H - bottom, stroke: "#999"});
        add("line", {x1: left, x2: left, y1: top, y2: H - bottom, stroke: "#999"});
        for (let k = 0; k <= 4; k++) {
          const t = t0 + (end - t0) * k / 4, v = Math.round(ymax * k / 4);
          add("text", {x: x(t), y: H - 8, "font-size": 10, "text-anchor": "middle", fill: "#555"}).textContent = (t - t0).toFixed(0) + " s";
          add("text", {x: left - 4, y: y(v) + 3, "font-size": 10, "text-anchor": "end", fill: "#555"}).textContent = v;
        }
        const steps = (pts) => {
          if (!pts.length) return "";
          let d = `M${x(pts[0][0])} ${y(pts[0][1])}`;
          for (let i = 1; i < pts.length; i++) d += ` H${x(pts[i][0])} V${y(pts[i][1])}`;
          return d + ` H${x(end)}`;
        };
        add("path", {d: steps(s.limit), stroke: "#ef6c00", "stroke-dasharray": "5,3", fill: "none", "class": "limit"});
        add("path", {d: steps(s.in_flight), stroke: "#1565c0", "stroke-width": 2, fill: "none", "class": "in-flight"});
        add("text", {x: W - right, y: top - 8, "font-size": 10, "text-anchor": "end", fill: "#555"}).textContent =
          "blue: batches in flight   orange: the mapping's limit";
        root.appendChild(svg);
      }
      draw();
      model.on("change:series", draw);
    }
    export default { render };
    """
    _css = """
    .lambdalab-concurrency { font-family: sans-serif; }
    .lambdalab-concurrency-title { font-size: 12px; font-weight: bold; margin-bottom: 2px; }
    """

    series = traitlets.Dict().tag(sync=True)
    title = traitlets.Unicode("Concurrent SQS batches").tag(sync=True)

    kinds = frozenset(KINDS)

    def __init__(self, lab: Lab, function: str | None = None, *, since: float | None = None, **kwargs: Any) -> None:
        super().__init__(lab, function, since=since, **kwargs)
        if function:
            self.title = f"Concurrent SQS batches of {function}"

    def _publish(self, records: list[Record]) -> None:
        self.series = concurrency_series(records, self._function)

    @property
    def peak(self) -> int:
        """The most batches in flight at once."""
        self.flush()
        return int(self.series["peak"])
