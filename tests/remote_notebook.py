"""Run a notebook's code cells through ``lambdalab.Lab.connect(url)`` instead of ``lambdalab.Lab()``.

``python tests/remote_notebook.py NOTEBOOK URL [SKIP]`` runs the code cells in
order in one IPython shell (magics and display work as in Jupyter), in the notebook's folder,
after replacing ``lambdalab.Lab()`` in them by ``lambdalab.Lab.connect(URL)``.  It prints one line
per cell that raised, and per exercise check whose outcome (Correct, Incorrect, ...) differs from the
one committed in the notebook, and exits 1 if there was any.  ``SKIP`` is a JSON list of lines of code,
each found in exactly one cell that needs what only the local lab has.  The last line says how many
exercise outcomes were compared: ``CHECKED <n>``.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

#: how an exercise outcome shows as text: "<title> - <status>[: message]"
STATUSES = ("Correct", "Incorrect", "Not attempted", "Set up - now run it", "Checked only on the local lab")
_OUTCOME = re.compile(r" - (" + "|".join(re.escape(s) for s in STATUSES) + r")(:|$)", re.M)


def code_cells(notebook: Path) -> list[tuple[str, str | None]]:
    """Each code cell's source and the exercise status its committed output shows (if it shows one)."""
    cells = json.loads(notebook.read_text())["cells"]
    found = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        texts = ["".join(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", [])]
        statuses = [m.group(1) for text in texts if (m := _OUTCOME.search(text))]
        found.append(("".join(cell["source"]), statuses[-1] if statuses else None))
    return found


def status_of(value: object) -> str | None:
    match = _OUTCOME.search(repr(value)) if value is not None else None
    return match.group(1) if match else None


def main(notebook_arg: str, url: str, skip_arg: str = "") -> int:
    from IPython.core.interactiveshell import InteractiveShell

    notebook = Path(notebook_arg).resolve()
    os.chdir(notebook.parent)
    shell = InteractiveShell.instance()
    failed = checked = 0
    cells = code_cells(notebook)
    skip = json.loads(skip_arg or "[]")  # a line of code of each cell to leave out
    for line in skip:  # each names exactly one cell, or the list is out of step with the notebook
        if sum(line in source for source, _ in cells) != 1:
            print(f"SKIP LIST: {line!r} matches {sum(line in source for source, _ in cells)} cells, not 1")
            return 1
    for number, (source, committed) in enumerate(cells, 1):
        if any(line in source for line in skip):
            continue
        source = source.replace("lambdalab.Lab()", f"lambdalab.Lab.connect({url!r})")
        began = time.monotonic()
        result = shell.run_cell(source, store_history=True)
        if (took := time.monotonic() - began) > 2:
            print(f"CELL {number} took {took:.1f} s")
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            failed += 1
            print(f"CELL {number} FAILED: {type(error).__name__}: {error}\n{source[:300]}", flush=True)
            if number == 1:
                break  # the set-up cell: nothing after it can run
        elif committed is not None:
            checked += 1
            if status_of(result.result) != committed:
                failed += 1
                print(f"CELL {number} CHECK: {status_of(result.result)!r}, committed {committed!r}: {result.result!r}")
    print(f"CHECKED {checked}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
