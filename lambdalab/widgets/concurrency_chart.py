"""Concurrency over virtual time for an SQS mapping: batches in flight, and the limit they may reach.

A filled blue step line counts invocations in flight (a batch occupies a slot
from its start until its result); a dashed orange line, drawn on top so that it
shows while the batches ramp up along it, is the mapping's limit: five at
first, growing each second while messages wait (300 a minute today, 60 in the
2022 documentation), capped by ``ScalingConfig.MaximumConcurrency``, back to five
when the queue runs dry.  Drawn from ``lab.trace`` only (``sqs-concurrency`` and
``sqs-scale`` records).

https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import trace_kinds as k
from .scene import nice_ticks, time_axis
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


LEGEND = [
    {"type": "line", "tone": "info", "width": 2, "label": "batches in flight"},
    {"type": "line", "tone": "warn", "width": 2.5, "dash": "6,4", "label": "the mapping's concurrency limit"},
]


def concurrency_scene(series: dict[str, Any], start: float, title: str) -> dict[str, Any]:
    """The chart's scene: in-flight batches as a filled step line, the limit dashed on top of it.

    Time counts from the pollers' first record (``start`` when there is none yet), as the notebook's tables do.
    """
    ymax = max(5, series["peak"], *(v for _, v in series["limit"]))
    yticks = [t for t in nice_ticks(0, ymax, 5) if t == int(t)]
    if yticks[-1] < ymax:  # the top tick above the peak
        yticks.append(yticks[-1] + (yticks[1] - yticks[0] if len(yticks) > 1 else 1))
    start = min([t for t, _ in series["limit"] + series["in_flight"]], default=start)
    rel = [[[t - start, v] for t, v in series[name]] for name in ("in_flight", "limit")]
    marks = [
        {"type": "step", "points": rel[0], "tone": "info", "width": 2, "area": True, "cls": "in-flight",
         "tip": f"batches in flight (peak {series['peak']})"},
        {"type": "step", "points": rel[1], "tone": "warn", "width": 2.5, "dash": "6,4", "cls": "limit",
         "tip": "the mapping's concurrency limit"},
    ]  # fmt: skip
    return {
        "kind": "chart",
        "cls": "lambdalab-concurrency",
        "title": f"{title} (peak {series['peak']})",
        "marks": marks,
        "x": time_axis(0, series["end"] - start, "seconds since the pollers started"),
        "y": {"hi": yticks[-1], "ticks": yticks, "label": "concurrent batches"},
        "legend": LEGEND,
    }


class ConcurrencyChart(TraceView):
    """``ConcurrencyChart(lab, function)``: concurrent SQS batches of a function over virtual time."""

    kinds = frozenset(KINDS)

    def __init__(self, lab: Lab, function: str | None = None, *, since: float | None = None, **kwargs: Any) -> None:
        self.title = f"Concurrent SQS batches of {function}" if function else "Concurrent SQS batches"
        self.series: dict[str, Any] = {}
        super().__init__(lab, function, since=since, **kwargs)

    def _publish(self, records: list[Record]) -> None:
        self.series = concurrency_series(records, self._function)
        self.scene = concurrency_scene(self.series, self._since, self.title)

    @property
    def peak(self) -> int:
        """The most batches in flight at once."""
        self.flush()
        return int(self.series["peak"])
