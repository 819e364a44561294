"""Write the course site as static HTML from what MyST serves (a ``build.render`` site template).

``myst build --html`` starts its content server and runs this with ``CONTENT_CDN`` (the
server's URL) and ``BUILD_DIRECTORY`` (where the pages go). MyST has already parsed the
markdown and the committed notebooks into its AST (https://mystmd.org/spec); this walks that
AST and writes ``index.html`` plus one ``<slug>.html`` per page, with a table of contents.

Notebook outputs are shown as they were committed: a view's static picture
(``image/svg+xml``) where its output carries one, else HTML, PNG or text. Python's standard
library only: the template needs nothing installed.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import urllib.request
from pathlib import Path
from typing import Any

CDN = os.environ.get("CONTENT_CDN", "")
OUT = Path(os.environ.get("BUILD_DIRECTORY", "_build/html"))
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: the mime types shown, best first (one per output, as JupyterLab does)
MIME_ORDER = ("image/svg+xml", "text/html", "image/png", "text/markdown", "text/plain")
WIDGET = "application/vnd.jupyter.widget-view+json"
STYLE = """
body{margin:0;font:16px/1.55 system-ui,sans-serif;color:#1d2329;display:flex}
nav{width:260px;flex:none;padding:16px;border-right:1px solid #ddd;height:100vh;position:sticky;top:0;overflow:auto}
nav a{display:block;padding:3px 0;color:#245;text-decoration:none}nav a.here{font-weight:bold}
main{max-width:980px;padding:16px 32px;min-width:0}
pre{background:#f6f8fa;padding:8px 12px;overflow:auto;font-size:13px;border-radius:4px}
code{font-size:90%}.cell-input pre{border-left:3px solid #4a79c4}
.output{margin:4px 0 16px 0;overflow:auto}.output pre{background:#fff;border-left:3px solid #bbb}
.output.error pre{background:#fdeeee}.widget-placeholder{border:1px dashed #999;padding:6px 10px;color:#555}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px}
"""


def fetch_json(path: str) -> Any:
    with urllib.request.urlopen(CDN + path) as response:
        return json.load(response)


def fetch_text(path: str) -> str:
    with urllib.request.urlopen(CDN + path) as response:
        return str(response.read().decode())


def href(url: str) -> str:
    """A MyST internal page URL (``/05-sqs``) as a link to the static file (``05-sqs.html``)."""
    if url.startswith("/") and not url.startswith("//"):
        page, _, anchor = url[1:].partition("#")
        return (page or "index") + ".html" + ("#" + anchor if anchor else "")
    return url


def children(node: dict[str, Any]) -> str:
    return "".join(render(child) for child in node.get("children") or [])


SIMPLE = {"paragraph": "p", "emphasis": "em", "strong": "strong", "blockquote": "blockquote", "tableCell": "td",
          "tableRow": "tr", "listItem": "li", "delete": "del", "subscript": "sub", "superscript": "sup"}  # fmt: skip


def render(node: dict[str, Any]) -> str:
    """One MyST AST node as HTML (unknown nodes show their children)."""
    kind = node.get("type", "")
    if kind == "text":
        return html.escape(node.get("value", ""))
    if kind in SIMPLE:
        tag = "th" if kind == "tableCell" and node.get("header") else SIMPLE[kind]
        return f"<{tag}>{children(node)}</{tag}>"
    if kind == "heading":
        ident = node.get("html_id") or node.get("identifier") or ""
        return f'<h{node["depth"]} id="{html.escape(ident)}">{children(node)}</h{node["depth"]}>'
    if kind == "inlineCode":
        return f"<code>{html.escape(node.get('value', ''))}</code>"
    if kind == "code":
        css = "cell-input" if node.get("executable") else "code"
        lang = html.escape(node.get("lang") or "")
        return f'<div class="{css}"><pre><code class="language-{lang}">{html.escape(node.get("value", ""))}</code></pre></div>'
    if kind in ("link", "crossReference"):
        url = node.get("url") or ("#" + node.get("html_id", "") if node.get("html_id") else "")
        return f'<a href="{html.escape(href(url))}">{children(node)}</a>'
    if kind == "list":
        tag = "ol" if node.get("ordered") else "ul"
        return f"<{tag}>{children(node)}</{tag}>"
    if kind == "table":
        return f"<table>{children(node)}</table>"
    if kind == "thematicBreak":
        return "<hr>"
    if kind == "break":
        return "<br>"
    if kind == "html":
        return str(node.get("value", ""))
    if kind == "image":
        return f'<img src="{html.escape(node.get("url", ""))}" alt="{html.escape(node.get("alt", ""))}">'
    if kind == "outputs":
        return f'<div class="outputs">{children(node)}</div>'
    if kind == "output":
        return render_output(node.get("jupyter_data") or {})
    return children(node)


def mime_content(part: dict[str, Any]) -> str:
    """A mime part's text: inline, or (for large ones) a file MyST wrote beside the pages."""
    if "content" in part:
        return str(part["content"])
    return fetch_text(str(part["path"]))


def render_output(output: dict[str, Any]) -> str:
    """One notebook output as committed: stream, error, or the best mime type of a bundle."""
    kind = output.get("output_type")
    if kind == "stream":
        return f'<div class="output stream"><pre>{html.escape(ANSI.sub("", str(output.get("text", ""))))}</pre></div>'
    if kind == "error":
        trace = ANSI.sub("", "\n".join(output.get("traceback") or []))
        return f'<div class="output error"><pre>{html.escape(trace)}</pre></div>'
    data: dict[str, Any] = output.get("data") or {}
    for mime in MIME_ORDER:
        if mime not in data:
            continue
        if mime == "text/plain" and WIDGET in data:
            return (
                '<div class="output widget-placeholder" data-mime-type="widget">'
                "An interactive view: it draws in JupyterLab (this output was committed without a static picture)</div>"
            )
        text = mime_content(data[mime])
        if mime == "image/svg+xml":
            return f'<div class="output view-svg" data-mime-type="{mime}">{text}</div>'
        if mime == "text/html":
            return f'<div class="output" data-mime-type="{mime}">{text}</div>'
        if mime == "image/png":
            return f'<div class="output"><img src="data:image/png;base64,{text}" alt="output"></div>'
        return f'<div class="output" data-mime-type="{mime}"><pre>{html.escape(text)}</pre></div>'
    return ""


def page_html(title: str, body: str, nav: list[tuple[str, str]], here: str, site_title: str) -> str:
    links = "".join(
        f'<a href="{slug}.html"{" class=here" if slug == here else ""}>{html.escape(text)}</a>' for slug, text in nav
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} - '
        f"{html.escape(site_title)}</title><style>{STYLE}</style></head><body><nav><b>{html.escape(site_title)}</b>"
        f"{links}</nav><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )


def main() -> int:
    config = fetch_json("/config.json")
    project = config["projects"][0]
    index = project["index"]
    slugs = [index] + [page["slug"] for page in project["pages"] if page.get("slug")]
    pages = {slug: fetch_json(f"/content/{slug}.json") for slug in slugs}
    titles = {slug: pages[slug]["frontmatter"].get("title") or slug for slug in slugs}
    nav = [("index" if slug == index else slug, titles[slug]) for slug in slugs]
    OUT.mkdir(parents=True, exist_ok=True)
    for slug in slugs:
        name = "index" if slug == index else slug
        body = render(pages[slug]["mdast"])
        text = page_html(titles[slug], body, nav, name, project.get("title") or "")
        (OUT / f"{name}.html").write_text(text)
    print(f"wrote {len(slugs)} pages to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
