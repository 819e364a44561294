"""A scene: what a view draws, as plain JSON, drawn twice from the same state.

Each view turns its trace records into a scene (rows or a chart, marks, a time
axis, a legend).  ``scene.js`` draws the scene live in JupyterLab, as wide as the
output area and again whenever that width changes; :func:`scene_svg` draws the
very same scene in Python as a static SVG, which the view adds to its output
(``image/svg+xml``) so that GitHub, nbviewer, ``nbconvert`` and a docs site show
the picture without a kernel.

Every colour is a JupyterLab CSS variable (``--jp-ui-font-color1``,
``--jp-success-color1``, ...), so a live view follows the light and the dark theme.
The static SVG cannot count on them: JupyterLab, GitHub and ``nbconvert`` show it as
an ``<img>``, which no page style reaches.  So it carries its own style sheet: each
colour a ``--ll-*`` property that takes JupyterLab's variable where there is one (the
SVG inlined in a JupyterLab page) and otherwise a light value, or a dark one under
``prefers-color-scheme: dark``; and it paints its own background in the same scheme,
so its text reads on a light page and on a dark one.  Every outcome has a shape as
well as a colour (circle success, cross error, triangle throttle, diamond dead-letter
queue), so the views read without telling red from green.

https://jupyterlab.readthedocs.io/en/stable/developer/css.html
https://developer.mozilla.org/en-US/docs/Web/CSS/@media/prefers-color-scheme
"""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path
from typing import Any

#: a tone of a mark -> (JupyterLab's variable for it, a value for light pages, one for dark pages)
PALETTE = {
    "ok": ("--jp-success-color1", "#2e7d32", "#66bb6a"),
    "error": ("--jp-error-color1", "#c62828", "#ef5350"),
    "warn": ("--jp-warn-color1", "#e65100", "#ffa726"),
    "info": ("--jp-brand-color1", "#1565c0", "#64b5f6"),
    "ink": ("--jp-ui-font-color1", "#212121", "#e0e0e0"),
    "muted": ("--jp-ui-font-color2", "#616161", "#a8a8a8"),
    "faint": ("--jp-border-color1", "#bdbdbd", "#555555"),
    "paper": ("--jp-layout-color1", "#ffffff", "#1e1e1e"),
}
#: a tone -> its CSS colour in the live view (inside JupyterLab: the theme's variable)
TONES = {tone: f"var({jp}, {light})" for tone, (jp, light, _) in PALETTE.items()}
#: a tone -> its CSS colour in the static SVG (a property of the SVG's own style sheet)
STATIC_TONES = {tone: f"var(--ll-{tone})" for tone in PALETTE}


def static_style() -> str:
    """The static SVG's style sheet: JupyterLab's colours where they exist, else light, or dark in a dark scheme."""
    light = ";".join(f"--ll-{tone}:var({jp},{lo})" for tone, (jp, lo, _) in PALETTE.items())
    dark = ";".join(f"--ll-{tone}:var({jp},{hi})" for tone, (jp, _, hi) in PALETTE.items())
    return f".lambdalab-static{{{light}}}@media (prefers-color-scheme: dark){{.lambdalab-static{{{dark}}}}}"


FONT = "var(--jp-ui-font-family, sans-serif)"

#: glyph shape -> (path relative to the glyph's centre, filled?)
GLYPHS = {
    "circle": ("m-5 0a5 5 0 1 0 10 0a5 5 0 1 0 -10 0z", True),
    "ring": ("m-5 0a5 5 0 1 0 10 0a5 5 0 1 0 -10 0z", False),
    "cross": ("m-4.5 -4.5l9 9m0 -9l-9 9", False),
    "triangle": ("m0 -6l6 10.5h-12z", True),
    "diamond": ("m0 -7l7 7l-7 7l-7 -7z", True),
    "square": ("m-5 -5h10v10h-10z", True),
    "check": ("m-5 0l3.5 4.5l7 -9", False),
    "hourglass": ("m-5 -6h10l-10 12h10z", True),
    "arrow": ("m-6 0h11m-4 -4l4 4l-4 4", False),
}

#: layout, in pixels; scene.js reads the same numbers
LAYOUT = {
    "width": 720,
    "title": 20,
    "row": 22,
    "chart": 170,
    "axis": 34,
    "legend_line": 18,
    "right": 56,
    "char": 6.2,
    "min_tick_gap": 46,
    "title_char": 7.4,
}

#: the static SVG's width: JupyterLab shows it as an <img> it does not shrink to the output area, which is
#: about 590 px wide in a 1024 px window with the file browser open
STATIC_WIDTH = 560

ESM = (Path(__file__).with_name("scene.js").read_text().replace("/*SETTINGS*/", json.dumps({"tones": TONES,
       "glyphs": GLYPHS, "layout": LAYOUT, "font": FONT})))  # fmt: skip
CSS = Path(__file__).with_name("scene.css").read_text()


# -- the scene's axes ---------------------------------------------------------------
_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values covering [lo, hi]: at most about ``count`` of them, on a 1-2-5 or clock step."""
    span = max(hi - lo, 1e-9)
    step = next((s for s in _STEPS if span / s <= count), _STEPS[-1])
    first = math.ceil(lo / step - 1e-9) * step
    ticks, n = [], 0
    while first + n * step <= hi + 1e-9:
        ticks.append(round(first + n * step, 6))
        n += 1
    return ticks


def sqrt_ticks(hi: float) -> list[float]:
    """Ticks for a square-root time axis from 0 to ``hi``: spread evenly where the eye sees them."""
    candidates = [0.0] + [s for s in _STEPS if s >= 1 and s <= hi]
    ticks: list[float] = []
    for t in candidates:
        if not ticks or math.sqrt(t / hi) - math.sqrt(ticks[-1] / hi) >= 0.12:
            ticks.append(t)
    return ticks


def fmt_time(t: float, unit: str | None = None) -> str:
    """``45 s``, ``2 min``, ``1.5 h``: a tick label (in ``unit``, or the one that suits ``t``)."""
    unit = unit or ("h" if abs(t) >= 7200 else "min" if abs(t) >= 120 else "s")
    scaled = {"h": t / 3600, "min": t / 60, "s": t}[unit]
    return f"{round(scaled, 3):g} {unit}"


def time_axis(lo: float, hi: float, label: str, *, sqrt: bool = False) -> dict[str, Any]:
    """A time axis from ``lo`` to ``hi`` (``sqrt``: a square-root scale, ``lo`` must be 0)."""
    hi = max(hi, lo + 1)
    ticks = sqrt_ticks(hi) if sqrt else nice_ticks(lo, hi)
    unit = "h" if hi >= 3 * 3600 else "min" if hi >= 300 else "s"  # one unit along the axis
    return {"lo": lo, "hi": hi, "scale": "sqrt" if sqrt else "linear", "label": label,
            "ticks": [[t, fmt_time(t, unit)] for t in ticks]}  # fmt: skip


def _key(mark: dict[str, Any]) -> tuple[Any, ...]:
    return (mark["type"], mark.get("shape"), mark.get("tone"), mark.get("style"), bool(mark.get("half")))


def legend_for(marks: list[dict[str, Any]], legend: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The legend entries of the marks drawn (a line entry, for a chart's series, always stays)."""
    drawn = {_key(m) for m in marks} | {("span",) for m in marks if m["type"] == "span"}
    return [
        e for e in legend if e["type"] == "line" or _key(e) in drawn or (e["type"] == "span" and ("span",) in drawn)
    ]


def shorten(text: str, n: int = 24) -> str:
    """One line of at most ``n`` characters (a row label)."""
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


# -- geometry (scene.js does the same sums) -------------------------------------------
class _Frame:
    def __init__(self, scene: dict[str, Any], width: int) -> None:
        lay = LAYOUT
        self.scene, self.width = scene, width
        labels = [r["label"] for r in scene.get("rows", [])] or ["0000"]
        self.left = 12 + lay["char"] * max(len(x) for x in labels) if scene["kind"] == "rows" else 44
        self.left = min(self.left, width * 0.35)
        self.plot = max(width - self.left - lay["right"], 40)
        self.top = lay["title"] + (6 if scene["kind"] == "rows" else 24)  # a chart's axis label goes above it
        rows = max(len(scene.get("rows", [])), 1)
        self.body = rows * lay["row"] if scene["kind"] == "rows" else lay["chart"]
        self.axis_y = self.top + self.body
        self.legend = legend_lines(scene.get("legend", []), width)
        self.height = self.axis_y + lay["axis"] + len(self.legend) * lay["legend_line"] + 4

    def x(self, t: float) -> float:
        ax = self.scene["x"]
        f = (t - ax["lo"]) / (ax["hi"] - ax["lo"])
        f = min(max(f, 0.0), 1.0)
        if ax["scale"] == "sqrt":
            f = math.sqrt(f)
        return round(self.left + self.plot * f, 1)

    def row_y(self, row: int) -> float:
        return self.top + row * LAYOUT["row"] + LAYOUT["row"] / 2

    def y(self, v: float) -> float:
        return round(self.axis_y - self.body * v / self.scene["y"]["hi"], 1)


def legend_lines(legend: list[dict[str, Any]], width: int) -> list[list[tuple[float, dict[str, Any]]]]:
    """Legend entries flowed into lines: [[(x, entry), ...], ...]."""
    lines: list[list[tuple[float, dict[str, Any]]]] = []
    x = width + 1.0
    for entry in legend:
        w = 26 + LAYOUT["char"] * len(entry["label"]) + 14
        if x + w > width:
            lines.append([])
            x = 4.0
        lines[-1].append((x, entry))
        x += w
    return lines


def thin_ticks(ticks: list[list[Any]], pos: list[float]) -> list[int]:
    """Indexes of the ticks to label: drop ticks closer than ``min_tick_gap`` pixels to the previous one."""
    keep: list[int] = []
    for i, p in enumerate(pos):
        if not keep or p - pos[keep[-1]] >= LAYOUT["min_tick_gap"]:
            keep.append(i)
    return keep


# -- the static SVG -------------------------------------------------------------------
def _attrs(**kw: Any) -> str:
    return " ".join(f'{k.rstrip("_").replace("_", "-")}="{escape(str(v))}"' for k, v in kw.items() if v is not None)


def _tip(text: str | None) -> str:
    return f"<title>{escape(text)}</title>" if text else ""


def _mark_attrs(mark: dict[str, Any]) -> str:
    data = " ".join(f'data-{k}="{escape(str(v))}"' for k, v in (mark.get("data") or {}).items())
    return (f' class="{escape(mark["cls"])}"' if mark.get("cls") else "") + (f" {data}" if data else "")


def glyph_svg(shape: str, tone: str, cx: float, cy: float, extra: str = "", tip: str | None = None) -> str:
    path, filled = GLYPHS[shape]
    colour = STATIC_TONES[tone]
    paint = f"fill:{colour};stroke:none" if filled else f"fill:none;stroke:{colour};stroke-width:2"
    return f'<path d="M{cx} {cy}{path}" style="{paint}"{extra}>{_tip(tip)}</path>'


def _bar_style(tone: str, style: str) -> str:
    colour = STATIC_TONES[tone]
    if style == "solid":
        return f"fill:{colour};stroke:none"
    if style == "hollow":
        return f"fill:{colour};fill-opacity:0.25;stroke:{colour};stroke-width:1.5"
    return f"fill:none;stroke:{colour};stroke-width:1.5;stroke-dasharray:2,2"


def _line_style(tone: str, width: float = 1.5, dash: str | None = None) -> str:
    return f"fill:none;stroke:{STATIC_TONES[tone]};stroke-width:{width}" + (f";stroke-dasharray:{dash}" if dash else "")


def _step_path(f: _Frame, points: list[list[float]]) -> str:
    if not points:
        return ""
    d = f"M{f.x(points[0][0])} {f.y(points[0][1])}"
    for t, v in points[1:]:
        d += f" H{f.x(t)} V{f.y(v)}"
    return d + f" H{f.x(f.scene['x']['hi'])}"


def _mark_svg(f: _Frame, m: dict[str, Any]) -> str:
    extra = _mark_attrs(m)
    kind = m["type"]
    if kind == "bar":
        cy = f.row_y(m["row"])
        h = 6 if m.get("half") else 12
        x1, x2 = f.x(m["t0"]), f.x(m["t1"])  # a 3 px gap: back-to-back invocations stay apart
        return (f'<rect {_attrs(x=x1, y=cy - h / 2, width=round(max(x2 - x1 - 3, 4), 1), height=h)}'
                f' style="{_bar_style(m["tone"], m.get("style", "solid"))}"{extra}>{_tip(m.get("tip"))}</rect>')  # fmt: skip
    if kind == "span":
        cy = f.row_y(m["row"])
        return (f'<line {_attrs(x1=f.x(m["t0"]), x2=f.x(m["t1"]), y1=cy, y2=cy)}'
                f' style="{_line_style(m["tone"], 1.5, "4,3")}"{extra}>{_tip(m.get("tip"))}</line>')  # fmt: skip
    if kind == "glyph":
        return glyph_svg(m["shape"], m["tone"], f.x(m["t"]) + m.get("dx", 0), f.row_y(m["row"]), extra, m.get("tip"))
    if kind == "vline":
        return (f'<line {_attrs(x1=f.x(m["t"]), x2=f.x(m["t"]), y1=f.top - 4, y2=f.axis_y)}'
                f' style="{_line_style(m["tone"], 1, "2,2")}"{extra}>{_tip(m.get("tip"))}</line>')  # fmt: skip
    if kind == "step":
        d = _step_path(f, m["points"])
        out = ""
        if m.get("area") and d:
            area = d + f" V{f.y(0)} H{f.x(m['points'][0][0])} Z"
            out = f'<path d="{area}" style="fill:{STATIC_TONES[m["tone"]]};fill-opacity:0.2;stroke:none"/>'
        style = _line_style(m["tone"], m.get("width", 2), m.get("dash"))
        return out + f'<path d="{d}" style="{style}"{extra}>{_tip(m.get("tip"))}</path>'
    raise ValueError(f"unknown mark type {kind!r}")


def swatch_svg(entry: dict[str, Any], x: float, cy: float) -> str:
    """The legend's sample of a mark, 20 px wide, centred on ``cy``."""
    kind, tone = entry["type"], entry["tone"]
    if kind == "glyph":
        return glyph_svg(entry["shape"], tone, x + 10, cy)
    if kind == "bar":
        h = 6 if entry.get("half") else 12
        return f'<rect {_attrs(x=x, y=cy - h / 2, width=20, height=h)} style="{_bar_style(tone, entry["style"])}"/>'
    width = entry.get("width", 1.5)
    return f'<line {_attrs(x1=x, x2=x + 20, y1=cy, y2=cy)} style="{_line_style(tone, width, entry.get("dash"))}"/>'


def scene_svg(scene: dict[str, Any], width: int = STATIC_WIDTH) -> str:
    """The scene as a self-contained SVG document (what scene.js draws, at ``width`` pixels)."""
    f = _Frame(scene, width)
    title = shorten(scene["title"], int((width - 8) / LAYOUT["title_char"]))  # the whole title on hover
    ink, muted, faint = STATIC_TONES["ink"], STATIC_TONES["muted"], STATIC_TONES["faint"]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lambdalab-static {escape(scene["cls"])}" '
        f'width="{width}" height="{round(f.height)}" viewBox="0 0 {width} {round(f.height)}" '
        f'style="max-width:100%;height:auto;font-family:{FONT};font-size:11px">',
        f"<style>{static_style()}</style>",
        f'<rect class="paper" width="{width}" height="{round(f.height)}" rx="4" style="fill:{STATIC_TONES["paper"]}"/>',
        f'<text x="4" y="14" style="fill:{ink};font-weight:bold;font-size:12px">{escape(title)}'
        f"{_tip(scene['title'] if title.endswith('…') else None)}</text>",
    ]
    if scene["kind"] == "rows":
        for i, row in enumerate(scene["rows"]):
            cy = f.row_y(i)
            out.append(
                f'<line {_attrs(x1=f.left, x2=f.left + f.plot, y1=cy, y2=cy)} style="stroke:{faint};stroke-width:0.5"/>'
            )
            out.append(f'<text {_attrs(x=4, y=cy + 4)} class="row-label" style="fill:{ink}">'
                       f'{escape(row["label"])}{_tip(row.get("tip"))}</text>')  # fmt: skip
    else:
        ax = scene["y"]
        out.append(f'<line {_attrs(x1=f.left, x2=f.left, y1=f.top, y2=f.axis_y)} style="stroke:{faint}"/>')
        for v in ax["ticks"]:
            out.append(
                f'<text {_attrs(x=f.left - 4, y=f.y(v) + 4)} text-anchor="end" style="fill:{muted}">{v:g}</text>'
            )
            out.append(
                f'<line {_attrs(x1=f.left, x2=f.left + f.plot, y1=f.y(v), y2=f.y(v))} style="stroke:{faint};stroke-width:0.5"/>'
            )
        out.append(f'<text {_attrs(x=4, y=f.top - 10)} style="fill:{muted}">{escape(ax["label"])}</text>')
    out.append(f'<line {_attrs(x1=f.left, x2=f.left + f.plot, y1=f.axis_y, y2=f.axis_y)} style="stroke:{muted}"/>')
    ticks = scene["x"]["ticks"]
    pos = [f.x(t) for t, _ in ticks]
    for i in thin_ticks(ticks, pos):
        out.append(f'<line {_attrs(x1=pos[i], x2=pos[i], y1=f.axis_y, y2=f.axis_y + 4)} style="stroke:{muted}"/>')
        out.append(f'<text {_attrs(x=pos[i], y=f.axis_y + 15)} text-anchor="middle" class="tick" style="fill:{muted}">'
                   f'{escape(ticks[i][1])}</text>')  # fmt: skip
    out.append(f'<text {_attrs(x=f.left + f.plot, y=f.axis_y + 29)} text-anchor="end" style="fill:{muted}">'
               f'{escape(scene["x"]["label"])}</text>')  # fmt: skip
    out.extend(_mark_svg(f, m) for m in scene["marks"])
    for n, line in enumerate(f.legend):
        cy = f.axis_y + LAYOUT["axis"] + n * LAYOUT["legend_line"] + 8
        for x, entry in line:
            out.append(f'<g class="legend">{swatch_svg(entry, x, cy)}'
                       f'<text {_attrs(x=x + 26, y=cy + 4)} style="fill:{ink}">{escape(entry["label"])}</text></g>')  # fmt: skip
    out.append("</svg>")
    return "".join(out)
