"""Every view's static picture (``image/svg+xml``, drawn in Python) shows the marks of its synced state.

Each view is built over a handful of trace records; the SVG is parsed and its marks
counted by kind and compared with the state the JavaScript draws from.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from lambdalab.clock import Clock
from lambdalab.trace import Record
from lambdalab.widgets import BatchView, ConcurrencyChart, RetryTimeline, ShardView
from lambdalab.widgets.scene import GLYPHS, PALETTE, nice_ticks, scene_svg, sqrt_ticks
from lambdalab.widgets.trace_view import TraceView

SVG = "{http://www.w3.org/2000/svg}"


class _Trace(list[Record]):
    def subscribe(self, listener: Callable[[Record], None]) -> None:
        pass


def lab_of(*records: Record) -> Any:
    return SimpleNamespace(clock=Clock(), trace=_Trace(records))


def marks(view: TraceView) -> tuple[ET.Element, Counter[str]]:
    """The view's SVG, parsed, and how many elements of each class it holds."""
    bundle, _ = view._repr_mimebundle_()
    assert bundle["text/plain"] == view.scene["title"]
    assert "application/vnd.jupyter.widget-view+json" in bundle  # the live view stays
    root = ET.fromstring(bundle["image/svg+xml"])
    return root, Counter(c for e in root.iter() for c in (e.get("class") or "").split())


def labels(root: ET.Element) -> list[str]:
    return [(e.text or "").strip() for e in root.iter(f"{SVG}text") if "row-label" in (e.get("class") or "")]


def legend(root: ET.Element) -> list[str]:
    return [
        "".join(t.itertext()) for g in root.iter(f"{SVG}g") if g.get("class") == "legend" for t in g.iter(f"{SVG}text")
    ]


def shape_of(element: ET.Element) -> str:
    """Which glyph a path draws (the shapes carry the outcome for colour-blind readers)."""
    d = element.get("d", "")
    return next(
        name
        for name, (path, filled) in GLYPHS.items()
        if d.endswith(path) and filled == ("fill:none" not in (element.get("style") or ""))
    )


def test_batch_view_svg_matches_its_state() -> None:
    recv = {"mapping": "m", "bodies": ["order-1", "poison"]}
    lab = lab_of(
        Record(0, "sqs-receive", "f", ("a", "b"), recv),
        Record(0, "sqs-batch", "f", ("a", "b"), {"mapping": "m", "batch": "b1", "size": 2, "reason": "received"}),
        Record(1, "sqs-batch-result", "f", ("a", "b"), {"mapping": "m", "batch": "b1", "outcome": "partial", "failed": ["b"]}),
        Record(1, "sqs-deleted", "f", ("a",), {"mapping": "m"}),
        Record(1, "sqs-returned", "f", ("b",), {"mapping": "m", "visible_at": 10}),
        Record(10, "sqs-receive", "f", ("b",), {"mapping": "m", "bodies": ["poison"]}),
        Record(10, "sqs-batch", "f", ("b",), {"mapping": "m", "batch": "b2", "size": 1, "reason": "received"}),
        Record(11, "sqs-batch-result", "f", ("b",), {"mapping": "m", "batch": "b2", "outcome": "function-error"}),
        Record(20, "sqs-redrive", "f", ("b",), {"mapping": "m", "receive_count": 2}),
    )  # fmt: skip
    view = BatchView(lab, "f")
    root, count = marks(view)
    state = view.state
    assert count["batch"] == sum(len(b["ids"]) for b in state["batches"]) == 3
    assert count["dlq"] == view.statuses()["in DLQ"] == 1
    assert count["deleted"] == view.statuses()["processed"] == 1
    assert count["returned"] == 1
    assert labels(root) == [m["body"] for m in state["messages"]] == ["order-1", "poison"]
    # the failed message's boxes are hollow (not only red): a shape difference as well as a colour
    boxes = [e for e in root.iter(f"{SVG}rect") if e.get("class") == "batch"]
    assert ["fill-opacity" in (e.get("style") or "") for e in boxes] == [False, True, True]
    assert "moved to the DLQ" in legend(root)
    ticks = ["".join(e.itertext()) for e in root.iter(f"{SVG}text") if e.get("class") == "tick"]
    assert ticks == ["0 s", "5 s", "10 s", "15 s", "20 s"]


def test_concurrency_chart_svg_draws_both_lines_limit_on_top() -> None:
    lab = lab_of(
        Record(0, "sqs-scale", "f", (), {"mapping": "m", "limit": 5}),
        Record(0, "sqs-concurrency", "f", (), {"mapping": "m", "in_flight": 5}),
        Record(1, "sqs-scale", "f", (), {"mapping": "m", "limit": 10}),
        Record(1, "sqs-concurrency", "f", (), {"mapping": "m", "in_flight": 10}),
        Record(2, "sqs-concurrency", "f", (), {"mapping": "m", "in_flight": 0}),
    )
    chart = ConcurrencyChart(lab, "f")
    root, count = marks(chart)
    assert count["in-flight"] == count["limit"] == 1
    paths = [e for e in root.iter(f"{SVG}path") if e.get("class") in ("in-flight", "limit")]
    assert [p.get("class") for p in paths] == ["in-flight", "limit"]  # the limit is drawn last: on top
    assert paths[0].get("d", "").count("V") == len(chart.series["in_flight"]) - 1
    assert paths[1].get("d", "").count("V") == len(chart.series["limit"]) - 1
    assert "dasharray" in (paths[1].get("style") or "")
    assert chart.scene["title"].endswith("(peak 10)")
    assert legend(root) == ["batches in flight", "the mapping's concurrency limit"]


def test_retry_timeline_svg_shapes_attempts_and_keeps_the_end_beside_the_last_attempt() -> None:
    lab = lab_of(
        Record(0, "async-queued", "f", ("req-1",), {"qualifier": "$LATEST", "size": 9, "preview": '{"id": 2}'}),
        Record(0, "async-attempt", "f", ("req-1",), {"attempt": 1, "outcome": "function-error"}),
        Record(0, "retry-wait", "f", ("req-1",), {"delay": 60, "until": 60}),
        Record(60, "async-attempt", "f", ("req-1",), {"attempt": 2, "outcome": "throttle"}),
        Record(61, "async-attempt", "f", ("req-1",), {"attempt": 3, "outcome": "function-error"}),
        Record(61, "async-done", "f", ("req-1",), {"condition": "RetriesExhausted", "attempts": 3}),
        Record(61, "delivery", "f", ("req-1",), {"via": "DLQ", "target": "arn:aws:sqs:us-east-1:1:dlq"}),
    )
    timeline = RetryTimeline(lab, "f")
    root, count = marks(timeline)
    attempts = [e for e in root.iter(f"{SVG}path") if e.get("data-kind") == "attempt"]
    assert len(attempts) == timeline.counts()["async-attempt"] == 3
    assert [shape_of(e) for e in attempts] == ["cross", "triangle", "cross"]
    done = [e for e in root.iter(f"{SVG}path") if e.get("data-kind") == "done"]
    assert [shape_of(e) for e in done] == ["square"] and count["delivery"] == 1
    x_of = lambda e: float(e.get("d", "M0 0")[1:].split()[0])  # noqa: E731
    assert x_of(done[0]) > x_of(attempts[-1]) + 10  # beside the last attempt, not under it
    assert labels(root) == ['{"id": 2}']
    assert "RetriesExhausted" in "".join(legend(root))


def test_retry_timeline_spreads_throttle_attempts_a_second_apart() -> None:
    records = [Record(0, "async-queued", "f", ("r",), {"qualifier": "$LATEST", "size": 2, "preview": "{}"})]
    records += [
        Record(t, "async-attempt", "f", ("r",), {"attempt": n, "outcome": "throttle"})
        for n, t in enumerate((0, 1, 3, 7, 15, 31), 1)
    ]
    records.append(Record(60, "async-done", "f", ("r",), {"condition": "EventAgeExceeded", "attempts": 6}))
    timeline = RetryTimeline(lab_of(*records), "f")
    root, _ = marks(timeline)
    xs = [float(e.get("d", "")[1:].split()[0]) for e in root.iter(f"{SVG}path") if e.get("data-kind") == "attempt"]
    assert timeline.scene["x"]["scale"] == "sqrt"
    assert min(b - a for a, b in zip(xs, xs[1:], strict=False)) >= 14  # glyphs 12 px wide never overlap
    assert [shape_of(e) for e in root.iter(f"{SVG}path") if e.get("data-kind") == "done"] == ["hourglass"]


def test_shard_view_svg_matches_its_state() -> None:
    shard = {"shard": "shardId-000000000000", "lane": 0}
    lab = lab_of(
        Record(1, "stream-batch", "f", ("m",), {**shard, "seqs": ["1", "2"], "start": 1, "duration": 1.0, "attempt": 1, "outcome": "function-error"}),
        Record(2, "stream-retry-wait", "f", ("m",), {**shard, "delay": 1.0, "until": 3.0}),
        Record(3, "stream-batch", "f", ("m",), {**shard, "seqs": ["1"], "start": 3, "duration": 1.0, "attempt": 2, "outcome": "success", "split": True}),
        Record(4, "stream-discard", "f", ("m",), {**shard, "seqs": ["2"], "condition": "RetryAttemptsExhausted"}),
        Record(4, "stream-batch", "f", ("other",), {**shard, "seqs": ["9"], "start": 4, "duration": 1.0, "attempt": 1, "outcome": "success"}),
    )  # fmt: skip
    view = ShardView(lab, "m")
    root, count = marks(view)
    assert count["batch"] == len(view.state["batches"]) == 2
    assert count["discard"] == len(view.state["discards"]) == 1 and count["wait"] == 1
    heights = [e.get("height") for e in root.iter(f"{SVG}rect") if e.get("class") == "batch"]
    assert heights == ["12", "6"]  # half of a bisected batch: half height
    assert labels(root) == ["shard 0"]


@pytest.mark.parametrize("width", [360, 720, 1200])
def test_every_colour_comes_from_the_svgs_own_style_sheet_on_its_own_background(width: int) -> None:
    timeline = RetryTimeline(
        lab_of(Record(0, "async-queued", "f", ("r",), {"qualifier": "$LATEST", "size": 2, "preview": "{}"})), "f"
    )
    svg = scene_svg(timeline.scene, width)
    root = ET.fromstring(svg)
    assert root.get("width") == str(width)
    used = set()
    for e in root.iter():
        for part in (e.get("style") or "").split(";"):
            if part.split(":")[0] in ("fill", "stroke"):
                value = part.split(":", 1)[1]
                assert value == "none" or value.startswith("var(--ll-"), part
                used.add(value)
    (sheet,) = [e.text or "" for e in root.iter(f"{SVG}style")]
    light, dark = sheet.split("@media (prefers-color-scheme: dark)")
    for tone, (jp, lo, hi) in PALETTE.items():  # JupyterLab's variable first, else the scheme's own value
        assert f"--ll-{tone}:var({jp},{lo})" in light and f"--ll-{tone}:var({jp},{hi})" in dark
    assert used <= {"none"} | {f"var(--ll-{tone})" for tone in PALETTE}
    paper = next(root.iter(f"{SVG}rect"))  # painted first, under everything: the picture's own background
    assert (paper.get("class"), paper.get("width"), paper.get("style")) == ("paper", str(width), "fill:var(--ll-paper)")


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("scheme", [1, 2], ids=["light", "dark"])
def test_every_tone_reads_on_the_paper_of_its_scheme(scheme: int) -> None:
    """WCAG contrast: text 4.5:1, marks 3:1, grid lines visible (1.4:1) on the static SVG's background."""
    paper = _luminance(PALETTE["paper"][scheme])
    least = {"ink": 4.5, "muted": 4.5, "ok": 3.0, "error": 3.0, "warn": 3.0, "info": 3.0, "faint": 1.4}
    for tone, wanted in least.items():
        lum = _luminance(PALETTE[tone][scheme])
        contrast = (max(lum, paper) + 0.05) / (min(lum, paper) + 0.05)
        assert contrast >= wanted, (tone, round(contrast, 2))


def test_ticks_are_round() -> None:
    assert nice_ticks(0, 21) == [0, 5, 10, 15, 20]
    assert nice_ticks(93, 96) == [93, 93.5, 94, 94.5, 95, 95.5, 96]
    assert nice_ticks(0, 3600) == [0, 600, 1200, 1800, 2400, 3000, 3600]
    assert sqrt_ticks(60) == [0, 1, 5, 15, 30, 60]


def test_a_title_too_long_for_the_width_is_cut_and_whole_on_hover() -> None:
    timeline = RetryTimeline(
        lab_of(Record(0, "async-queued", "f", ("r",), {"qualifier": "$LATEST", "size": 2, "preview": "{}"})), "f"
    )
    scene = {**timeline.scene, "title": "Concurrency of thumbnails (peak 1000 in flight; throttled: 200 " * 2}
    wide, narrow = (next(ET.fromstring(scene_svg(scene, w)).iter(f"{SVG}text")) for w in (1600, 360))
    assert wide.text == " ".join(scene["title"].split()) and wide.find(f"{SVG}title") is None
    assert narrow.text is not None and narrow.text.endswith("…") and len(narrow.text) * 7.4 <= 360 - 8
    assert narrow.findtext(f"{SVG}title") == scene["title"]
