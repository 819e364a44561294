"""A function's concurrency through a burst of synchronous requests, over virtual time.

Four step lines, drawn from ``function-concurrency`` records (``lab.burst``): requests in
flight (filled), the function's execution environments (busy or idle: they stay after
their request), how many of those are provisioned (dashed), and the requests throttled so
far (dotted).  A line of environments above the requests in flight is warm capacity; a
throttle line that climbs while the others stay flat is a limit reached (the title gives
each Reason).

https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import trace_kinds as k
from .scene import nice_ticks, time_axis
from .trace_view import TraceView

if TYPE_CHECKING:
    from ..lab import Lab
    from ..trace import Record

SERIES = ("in_flight", "environments", "provisioned", "throttled")
LEGEND = [
    {"type": "line", "tone": "info", "width": 2, "label": "requests in flight"},
    {"type": "line", "tone": "ok", "width": 2, "label": "execution environments"},
    {"type": "line", "tone": "warn", "width": 2, "dash": "6,4", "label": "provisioned environments"},
    {"type": "line", "tone": "error", "width": 2, "dash": "2,3", "label": "requests throttled so far"},
]


def function_series(records: Iterable[Record], function: str | None = None) -> dict[str, Any]:
    """Step series ``[[t, value], ...]`` of each line, the peak in flight, the throttles by Reason, the end."""
    series: dict[str, list[list[float]]] = {name: [] for name in SERIES}
    reasons: Counter[str] = Counter()
    end = 0.0
    for r in records:
        if r.kind != k.FUNCTION_CONCURRENCY or (function and r.function != function):
            continue
        view = r.view(k.FunctionConcurrency)
        end = max(end, r.t)
        if view["reason"]:
            reasons[view["reason"]] += 1
        values = {
            "in_flight": view["in_flight"],
            "environments": view["environments"],
            "provisioned": view["provisioned"],
            "throttled": sum(reasons.values()),
        }
        for name, value in values.items():
            points = series[name]
            if points and points[-1][0] == r.t:
                points[-1][1] = value
            elif not points or points[-1][1] != value:
                points.append([r.t, value])
    peak = max((v for _, v in series["in_flight"]), default=0)
    return {**series, "peak": peak, "reasons": dict(reasons), "end": end}


def function_scene(series: dict[str, Any], start: float, title: str) -> dict[str, Any]:
    """The chart's scene; time counts from the burst's first request (``start`` when there is none yet)."""
    top = max([5, *(v for name in SERIES for _, v in series[name])])
    yticks = [t for t in nice_ticks(0, top, 5) if t == int(t)]
    if yticks[-1] < top:
        yticks.append(yticks[-1] + (yticks[1] - yticks[0] if len(yticks) > 1 else 1))
    start = min([t for name in SERIES for t, _ in series[name]], default=start)
    tones = {"in_flight": "info", "environments": "ok", "provisioned": "warn", "throttled": "error"}
    dashes = {"provisioned": "6,4", "throttled": "2,3"}
    marks = [
        {
            "type": "step",
            "points": [[t - start, v] for t, v in series[name]],
            "tone": tones[name],
            "width": 2,
            "area": name == "in_flight",
            "dash": dashes.get(name),
            "cls": name.replace("_", "-"),
            "tip": entry["label"],
        }
        for name, entry in zip(SERIES, LEGEND, strict=True)
        if series[name]
    ]
    throttles = ", ".join(f"{n} {reason}" for reason, n in sorted(series["reasons"].items()))
    return {
        "kind": "chart",
        "cls": "lambdalab-function-concurrency",
        "title": f"{title} (peak {series['peak']} in flight{'; throttled: ' + throttles if throttles else ''})",
        "marks": marks,
        "x": time_axis(0, max(series["end"] - start, 1.0), "virtual seconds since the burst began"),
        "y": {"hi": yticks[-1], "ticks": yticks, "label": "requests / environments"},
        "legend": LEGEND,
    }


class FunctionConcurrencyChart(TraceView):
    """``FunctionConcurrencyChart(lab, function)``: a function's requests and environments through ``lab.burst``."""

    kinds = frozenset({k.FUNCTION_CONCURRENCY})

    def __init__(self, lab: Lab, function: str | None = None, *, since: float | None = None, **kwargs: Any) -> None:
        self.title = f"Concurrency of {function}" if function else "Function concurrency"
        self.series: dict[str, Any] = {}
        super().__init__(lab, function, since=since, **kwargs)

    def _publish(self, records: list[Record]) -> None:
        self.series = function_series(records, self._function)
        self.scene = function_scene(self.series, self._since, self.title)

    @property
    def peak(self) -> int:
        """The most requests in flight at once."""
        self.flush()
        return int(self.series["peak"])
