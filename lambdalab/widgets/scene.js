// Draws a view's scene (see scene.py, which draws the same scene as a static SVG).
// As wide as the output area, redrawn when that width changes; every colour a JupyterLab CSS variable.
const S = /*SETTINGS*/;
const NS = "http://www.w3.org/2000/svg";
const L = S.layout;

function x_of(scene, left, plot) {
  const ax = scene.x;
  return t => {
    let f = (t - ax.lo) / (ax.hi - ax.lo);
    f = Math.min(Math.max(f, 0), 1);
    if (ax.scale === "sqrt") f = Math.sqrt(f);
    return Math.round((left + plot * f) * 10) / 10;
  };
}

function legendLines(legend, width) {
  const lines = [];
  let x = width + 1;
  for (const entry of legend) {
    const w = 26 + L.char * entry.label.length + 14;
    if (x + w > width) { lines.push([]); x = 4; }
    lines[lines.length - 1].push([x, entry]);
    x += w;
  }
  return lines;
}

function draw(scene, root, width, state) {
  const rows = scene.rows || [];
  const labels = rows.map(r => r.label);
  let left = scene.kind === "rows" ? 12 + L.char * Math.max(4, ...labels.map(l => l.length)) : 44;
  left = Math.min(left, width * 0.35);
  const plot = Math.max(width - left - L.right, 40), top = L.title + (scene.kind === "rows" ? 6 : 24);
  const body = scene.kind === "rows" ? Math.max(rows.length, 1) * L.row : L.chart;
  const axisY = top + body, legend = legendLines(scene.legend || [], width);
  const height = axisY + L.axis + legend.length * L.legend_line + 4;
  const x = x_of(scene, left, plot);
  const rowY = r => top + r * L.row + L.row / 2;
  const y = v => Math.round((axisY - body * v / scene.y.hi) * 10) / 10;

  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", width); svg.setAttribute("height", Math.round(height));
  svg.setAttribute("class", "lambdalab-scene");
  svg.style.fontFamily = S.font; svg.style.fontSize = "11px";
  const add = (tag, attrs, style, tip, parent) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, v);
    if (style) e.setAttribute("style", style);
    if (tip) { const t = document.createElementNS(NS, "title"); t.textContent = tip; e.appendChild(t); }
    (parent || svg).appendChild(e); return e;
  };
  const markAttrs = (m, attrs) => {
    if (m.cls) attrs["class"] = m.cls;
    for (const [k, v] of Object.entries(m.data || {})) attrs["data-" + k] = v;
    return attrs;
  };
  const lineStyle = (tone, w, dash) => `fill:none;stroke:${S.tones[tone]};stroke-width:${w}` + (dash ? `;stroke-dasharray:${dash}` : "");
  const barStyle = (tone, style) => {
    const c = S.tones[tone];
    if (style === "solid") return `fill:${c};stroke:none`;
    if (style === "hollow") return `fill:${c};fill-opacity:0.25;stroke:${c};stroke-width:1.5`;
    return `fill:none;stroke:${c};stroke-width:1.5;stroke-dasharray:2,2`;
  };
  const glyph = (shape, tone, cx, cy, attrs, tip, parent) => {
    const [path, filled] = S.glyphs[shape], c = S.tones[tone];
    attrs.d = `M${cx} ${cy}${path}`;
    return add("path", attrs, filled ? `fill:${c};stroke:none` : `fill:none;stroke:${c};stroke-width:2`, tip, parent);
  };
  const steps = pts => {
    if (!pts.length) return "";
    let d = `M${x(pts[0][0])} ${y(pts[0][1])}`;
    for (const [t, v] of pts.slice(1)) d += ` H${x(t)} V${y(v)}`;
    return d + ` H${x(scene.x.hi)}`;
  };

  const ink = S.tones.ink, muted = S.tones.muted, faint = S.tones.faint;
  const fits = Math.floor((width - 8) / L.title_char), long = scene.title.length > fits;  // the whole title on hover
  add("text", {x: 4, y: 14}, `fill:${ink};font-weight:bold;font-size:12px`, long ? scene.title : null)
    .appendChild(document.createTextNode(long ? scene.title.slice(0, fits - 1) + "\u2026" : scene.title));
  if (scene.kind === "rows") {
    rows.forEach((row, i) => {
      const cy = rowY(i);
      add("line", {x1: left, x2: left + plot, y1: cy, y2: cy}, `stroke:${faint};stroke-width:0.5`);
      const cls = "row-label" + (row.cls ? " " + row.cls : "") + (row.detail ? " clickable" : "");
      const label = add("text", {x: 4, y: cy + 4, "class": cls, "data-id": row.id}, `fill:${row.id === state.selected ? S.tones.info : ink}`, row.tip);
      label.appendChild(document.createTextNode(row.label));
      if (row.detail) label.addEventListener("click", () => { state.selected = row.id; state.redraw(); });
    });
  } else {
    add("line", {x1: left, x2: left, y1: top, y2: axisY}, `stroke:${faint}`);
    for (const v of scene.y.ticks) {
      add("text", {x: left - 4, y: y(v) + 4, "text-anchor": "end"}, `fill:${muted}`).textContent = String(v);
      add("line", {x1: left, x2: left + plot, y1: y(v), y2: y(v)}, `stroke:${faint};stroke-width:0.5`);
    }
    add("text", {x: 4, y: top - 10}, `fill:${muted}`).textContent = scene.y.label;
  }
  add("line", {x1: left, x2: left + plot, y1: axisY, y2: axisY}, `stroke:${muted}`);
  const ticks = scene.x.ticks, pos = ticks.map(t => x(t[0]));
  let last = null;
  ticks.forEach((t, i) => {
    if (last !== null && pos[i] - last < L.min_tick_gap) return;
    last = pos[i];
    add("line", {x1: pos[i], x2: pos[i], y1: axisY, y2: axisY + 4}, `stroke:${muted}`);
    add("text", {x: pos[i], y: axisY + 15, "text-anchor": "middle", "class": "tick"}, `fill:${muted}`).textContent = t[1];
  });
  add("text", {x: left + plot, y: axisY + 29, "text-anchor": "end"}, `fill:${muted}`).textContent = scene.x.label;

  for (const m of scene.marks) {
    if (m.type === "bar") {
      const cy = rowY(m.row), h = m.half ? 6 : 12, x1 = x(m.t0), x2 = x(m.t1);
      add("rect", markAttrs(m, {x: x1, y: cy - h / 2, width: Math.max(x2 - x1 - 3, 4), height: h}), barStyle(m.tone, m.style || "solid"), m.tip);
    } else if (m.type === "span") {
      const cy = rowY(m.row);
      add("line", markAttrs(m, {x1: x(m.t0), x2: x(m.t1), y1: cy, y2: cy}), lineStyle(m.tone, 1.5, "4,3"), m.tip);
    } else if (m.type === "glyph") {
      glyph(m.shape, m.tone, x(m.t) + (m.dx || 0), rowY(m.row), markAttrs(m, {}), m.tip);
    } else if (m.type === "vline") {
      add("line", markAttrs(m, {x1: x(m.t), x2: x(m.t), y1: top - 4, y2: axisY}), lineStyle(m.tone, 1, "2,2"), m.tip);
    } else if (m.type === "step") {
      const d = steps(m.points);
      if (m.area && d) add("path", {d: d + ` V${y(0)} H${x(m.points[0][0])} Z`}, `fill:${S.tones[m.tone]};fill-opacity:0.2;stroke:none`);
      add("path", markAttrs(m, {d}), lineStyle(m.tone, m.width || 2, m.dash), m.tip);
    }
  }
  legend.forEach((line, n) => {
    const cy = axisY + L.axis + n * L.legend_line + 8;
    for (const [lx, e] of line) {
      const g = add("g", {"class": "legend"});
      if (e.type === "glyph") glyph(e.shape, e.tone, lx + 10, cy, {}, null, g);
      else if (e.type === "bar") { const h = e.half ? 6 : 12; add("rect", {x: lx, y: cy - h / 2, width: 20, height: h}, barStyle(e.tone, e.style), null, g); }
      else add("line", {x1: lx, x2: lx + 20, y1: cy, y2: cy}, lineStyle(e.tone, e.width || 1.5, e.dash), null, g);
      add("text", {x: lx + 26, y: cy + 4}, `fill:${ink}`, null, g).textContent = e.label;
    }
  });
  root.replaceChildren(svg);
  if (scene.detail) {
    const panel = document.createElement("pre");
    panel.className = "lambdalab-detail " + scene.detail.cls;
    const row = rows.find(r => r.id === state.selected);
    panel.textContent = row ? row.detail : scene.detail.prompt;
    root.appendChild(panel);
  }
}

function render({ model, el }) {
  const root = document.createElement("div");
  el.appendChild(root);
  let width = 0;
  const state = { selected: null };
  state.redraw = () => {
    const scene = model.get("scene");
    if (!scene || !scene.x) return;
    root.className = "lambdalab-view " + scene.cls;
    draw(scene, root, width, state);
  };
  const measure = () => Math.max(Math.floor(el.getBoundingClientRect().width || el.clientWidth || 0), 320);
  const observer = new ResizeObserver(() => {
    const w = measure();
    if (w !== width) { width = w; state.redraw(); }
  });
  observer.observe(el);
  width = el.clientWidth ? measure() : L.width;
  state.redraw();
  model.on("change:scene", state.redraw);
  return () => { observer.disconnect(); model.off("change:scene", state.redraw); };
}
export default { render };
