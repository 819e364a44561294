"""docs/instructors.md stays in step with the course: its list of mistakes is what the exercise catalogues
hold (regenerate with scripts/instructor_guide.py), and its table has a row for every notebook."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from lambdalab.exercises import all_problems, module_of

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "instructors.md"


def _generator() -> object:
    spec = importlib.util.spec_from_file_location("instructor_guide", ROOT / "scripts" / "instructor_guide.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["instructor_guide"] = module
    spec.loader.exec_module(module)
    return module


def test_the_guide_lists_the_mistakes_of_the_catalogues_as_generated() -> None:
    generator: object = _generator()
    out_of_step = (
        "an exercise catalogue changed: run `python scripts/instructor_guide.py` and commit docs/instructors.md"
    )
    assert generator.main(["--check"]) == 0, out_of_step  # type: ignore[attr-defined]


def test_the_generated_list_names_every_exercise_and_every_mistake() -> None:
    text = GUIDE.read_text()
    for problem in all_problems():
        assert f"`{module_of(problem)}.{problem.__name__}`" in text
        for attempt in problem.mistakes:
            assert f"naming `{attempt.names}`" in text, (
                f"{problem.__name__}: {attempt.names!r} (run scripts/instructor_guide.py)"
            )


def test_the_guide_has_a_row_for_every_notebook() -> None:
    rows = {line.split("|")[1].strip() for line in GUIDE.read_text().splitlines() if line.startswith("| ")}
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        assert notebook.stem in rows, f"docs/instructors.md has no row for {notebook.stem}"
