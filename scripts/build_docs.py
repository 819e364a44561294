"""Build the course website (``make docs``) into docs/_build/html.

Jupyter Book 2 (MyST) builds the pages from docs/index.md, the committed notebooks in
order (as committed, with their outputs: nothing is executed), a reference page of the
sample events in data/events/, generated here, and the instructors' guides (GUIDES). The
pages are written by the site template in docs/theme/ (MyST's own themes are downloaded at build time, which this kit never does).

    python scripts/build_docs.py            # -> docs/_build/html/index.html
    python scripts/build_docs.py --out DIR  # somewhere else (the test builds into a tmp dir)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
#: the guides in docs/ that the site carries after the notebooks and the events, those that exist
GUIDES = ("instructors.md", "grading.md", "classroom.md")


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def events_page() -> str:
    """The reference page of data/events/: what each sample event is, and its JSON."""
    lines = [
        "# Sample events",
        "",
        "The events in `data/events/` are the shapes AWS services hand a function, as the notebooks and",
        "`lambdalab` use them (for example `sam local invoke`-style tests of a handler).",
        "",
    ]
    for path in sorted((ROOT / "data" / "events").glob("*.json")):
        event = json.loads(path.read_text())
        records = event.get("Records") if isinstance(event, dict) else None
        source = ""
        if records:
            source = records[0].get("eventSource") or records[0].get("EventSource") or ""
        elif isinstance(event, dict):
            source = event.get("source") or ("requestContext" in event and "an HTTP request") or ""
        lines += [f"## {path.name}", ""]
        if source:
            lines += [f"From: `{source}`", ""]
        lines += ["```json", json.dumps(event, indent=2), "```", ""]
    return "\n".join(lines)


def myst_yml(pages: list[str]) -> str:
    toc = "\n".join(f"    - file: {page}" for page in pages)
    return f"version: 1\nproject:\n  title: lambdalab\n  toc:\n{toc}\nsite:\n  template: ./theme\n"


def stage(src: Path) -> None:
    """The book's sources in one folder: landing page, notebooks, events page, template."""
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    shutil.copy(DOCS / "index.md", src / "index.md")
    shutil.copytree(DOCS / "theme", src / "theme", ignore=shutil.ignore_patterns("__pycache__"))
    pages = ["index.md"]
    for nb in notebooks():
        shutil.copy(nb, src / nb.name)
        pages.append(nb.name)
    (src / "events.md").write_text(events_page())
    pages.append("events.md")
    for guide in GUIDES:
        if (DOCS / guide).exists():
            shutil.copy(DOCS / guide, src / guide)
            pages.append(guide)
    (src / "myst.yml").write_text(myst_yml(pages))


def build(out: Path) -> None:
    src = out.parent / "src"
    stage(src)
    env = dict(os.environ, HOST="127.0.0.1")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    subprocess.run([sys.executable, "-m", "jupyter_book", "build", "--html", "--ci"], cwd=src, env=env, check=True)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(src / "_build" / "html", out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS / "_build" / "html")
    args = parser.parse_args()
    build(args.out.resolve())
    print(f"the site: {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
