"""Re-run notebooks in place, the way they are committed (``make notebooks``).

Each notebook runs top to bottom in a fresh kernel from the notebooks folder;
outputs are kept (GitHub shows them) and the per-cell execution timestamps are
dropped, so a re-run changes only what the notebook really prints.  No widget
state is stored: a view's output carries its own static SVG, which GitHub,
nbviewer and ``nbconvert`` show (with a stored state nbconvert would pick the
widget, which needs a kernel, over the picture).

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
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(prefixes: list[str]) -> int:
    paths = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not prefixes or p.name.startswith(tuple(prefixes)))
    for path in paths:
        print(f"{path.name}: {run(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
