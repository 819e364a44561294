"""One exercise layout in every notebook (notebook 00 states it): the task in markdown, a setup cell, an empty
answer cell, then check / hint / solution; hint and solution show nothing until the learner runs them."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from lambdalab.exercises import all_problems, module_of

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
#: notebooks written before the layout was settled and brought to it; newer ones follow it as they grow
LAID_OUT = sorted(p for p in NOTEBOOKS.glob("0[0-8]-*.ipynb"))
SETUP = re.compile(r"^(q\d) = ex(\d\d)\.(\w+)\(lab\)$", re.MULTILINE)


@pytest.mark.parametrize("path", LAID_OUT, ids=lambda p: p.name[:2])
def test_every_exercise_is_task_setup_answer_check_hint_solution(path: Path) -> None:
    cells = nbformat.read(path, as_version=4).cells
    found = []
    for i, cell in enumerate(cells):
        match = SETUP.search(cell.source) if cell.cell_type == "code" else None
        if not match:
            continue
        q, number, name = match.groups()
        found.append(name)
        assert number == path.name[:2], (path.name, name)
        assert cells[i - 1].cell_type == "markdown" and "### Exercise" in cells[i - 1].source, (name, "task")
        assert f"{q}.setup()" in cell.source, (name, "setup")
        follow = [c.source.strip() for c in cells[i + 1 : i + 5]]
        assert follow == ["# Your answer here", f"{q}.check()", f"{q}.hint()", f"{q}.solution()"], (name, follow)
        for hidden in cells[i + 3 : i + 5]:
            assert "skip-execution" in hidden.metadata.get("tags", []) and not hidden.get("outputs"), (name, "shown")
    module = f"ex{path.name[:2]}"
    expected = [p.__name__ for p in all_problems() if module_of(p) == module]
    assert found == expected, f"{path.name} sets up {found}, its module has {expected}"


def test_notebook_00_says_how_exercises_work() -> None:
    text = "\n".join(c.source for c in nbformat.read(LAID_OUT[0], as_version=4).cells if c.cell_type == "markdown")
    for step in ("setup", "your answer", "check()", "hint()", "solution()", "Set up - now run it", "worked answer"):
        assert step in text, step
