"""Re-run notebooks in place, the way they are committed (``make notebooks``).

Each notebook runs top to bottom in a fresh kernel from the notebooks folder;
outputs are kept (GitHub shows them) and the per-cell execution timestamps are
dropped, so a re-run changes only what the notebook really prints.  A view is
committed as its static SVG only: no widget state and no widget part in its
output, so JupyterLab (before the cell runs again), GitHub, nbviewer and
``nbconvert`` all show the picture; running the cell draws the live view.

    python scripts/execute_notebooks.py                 # every notebook
    python scripts/execute_notebooks.py 04 07           # those whose name starts so
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
WIDGET = "application/vnd.jupyter.widget-view+json"


def run(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        store_widget_state=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    commit_views(nb)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def commit_views(nb: nbformat.NotebookNode) -> None:
    """Keep each view's static SVG and drop its widget part: without a kernel JupyterLab would
    show "model not found" for the widget instead of the picture beside it."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET in data and "image/svg+xml" in data:
                del data[WIDGET]


def main(prefixes: list[str]) -> int:
    paths = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not prefixes or p.name.startswith(tuple(prefixes)))
    for path in paths:
        print(f"{path.name}: {run(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
