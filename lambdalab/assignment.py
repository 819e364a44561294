"""A notebook's exercises as an nbgrader assignment (``lambdalab assign NN``).

The instructor's version (nbgrader's *source*) is built from the exercise catalogue, not from the course
notebook's cells: a locked first cell (the course notebook's own, which makes the lab), then per exercise
its task, ``q.setup()``, an answer cell holding the reference solution between nbgrader's solution markers,
and a graded cell that calls the exercise's own ``check()`` and passes only on :class:`Correct`. nbgrader's
``generate_assignment`` then writes the learners' version, the answers replaced by a stub, and
``autograde`` runs each submission in a fresh kernel: a fresh lab and the virtual clock, so the same
answers get the same marks every time.

Cell metadata follows nbgrader's schema 3 (https://nbgrader.readthedocs.io/en/stable/contributor_guide/metadata.html).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat

from .exercises import Problem, all_problems, module_of

#: what nbgrader calls the assignment for notebook NN
ASSIGNMENT = "lambdalab-{number}"
POINTS_PER_EXERCISE = 1
_DATA_WORD = "../data/"
_CD_FOR_DATA = (
    "# the exercises read ../data/ as the course notebooks do: work one folder down, beside the copied data\n"
    "import os\n\n"
    'if os.path.isdir("data"):\n'
    '    os.makedirs("work", exist_ok=True)\n'
    '    os.chdir("work")\n'
)


def problems_of(number: str) -> list[type[Problem]]:
    """The exercises of notebook ``NN``, in notebook order."""
    return [p for p in all_problems() if module_of(p) == f"ex{number}"]


def _meta(grade_id: str, *, solution: bool = False, grade: bool = False, points: int = 0) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _markdown_of(docstring: str) -> str:
    """A class docstring (reStructuredText literals) as one Markdown paragraph."""
    return " ".join(docstring.split()).replace("``", "`")


def _setup_code(notebook: Any) -> str:
    """The course notebook's code up to and including the cell that makes the lab (the first cell, except in 00)."""
    parts = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        parts.append(cell.source)
        if "lambdalab.Lab(" in cell.source:
            break
    return "\n\n".join(parts)


def build_source(course_notebook: Path, number: str) -> tuple[Any, bool]:
    """The instructor's notebook for notebook ``NN``, and whether its exercises read ``../data/``."""
    problems = problems_of(number)
    if not problems:
        raise ValueError(f"notebook {number} has no exercises (lambdalab/exercises/ex{number}.py)")
    course = nbformat.read(course_notebook, as_version=4)
    needs_data = any(_DATA_WORD in p._solution or _DATA_WORD in p._hint for p in problems)
    v4 = nbformat.v4
    cells = [
        v4.new_markdown_cell(
            f"# Assignment: {course_notebook.stem}\n\nWork through the course notebook `{course_notebook.name}` "
            "first. Run the cell below, then write each answer where it says so, and check it with the cell "
            "after it. `q1.hint()` helps; each answer is graded by the exercise's own `check()`, on a fresh lab.",
            metadata=_meta("intro"),
        ),
        v4.new_code_cell((_CD_FOR_DATA + "\n" if needs_data else "") + _setup_code(course), metadata=_meta("setup")),
    ]
    for i, problem in enumerate(problems, start=1):
        q = f"q{i}"
        module = module_of(problem)
        cells += [
            v4.new_markdown_cell(
                f"## Exercise {i}: {problem.title}\n\n{_markdown_of(problem.__doc__ or '')}",
                metadata=_meta(f"task-{i}"),
            ),
            v4.new_code_cell(
                f"from lambdalab.exercises import {module}\n\n{q} = {module}.{problem.__name__}(lab)\n{q}.setup()",
                metadata=_meta(f"exercise-{i}"),
            ),
            v4.new_code_cell(
                f"### BEGIN SOLUTION\n{problem.solution_code().strip()}\n### END SOLUTION",
                metadata=_meta(f"answer-{i}", solution=True),
            ),
            v4.new_code_cell(
                f"# graded: the exercise's own check, on this lab\noutcome = {q}.check()\nprint(outcome)\n"
                "assert outcome.correct, outcome",
                metadata=_meta(f"check-{i}", grade=True, points=POINTS_PER_EXERCISE),
            ),
        ]
    cells.append(v4.new_code_cell("lab.close()", metadata=_meta("close")))
    notebook = v4.new_notebook(cells=cells, metadata={"kernelspec": course.metadata.get("kernelspec", {})})
    return notebook, needs_data


def course_notebook(notebooks: Path, number: str) -> Path:
    found = sorted(notebooks.glob(f"{number}-*.ipynb"))
    if not found:
        raise ValueError(f"no notebook {number}-*.ipynb in {notebooks}")
    return found[0]


def write_course(course: Path, notebooks: Path, number: str) -> Path:
    """Write the assignment's source into the nbgrader course folder ``course``; returns the notebook's path."""
    path = course_notebook(notebooks, number)
    notebook, needs_data = build_source(path, number)
    folder = course / "source" / ASSIGNMENT.format(number=number)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    nbformat.write(notebook, target)
    if needs_data:
        shutil.copytree(notebooks.parent / "data", folder / "data", dirs_exist_ok=True)
    config = course / "nbgrader_config.py"
    if not config.exists():
        config.write_text(
            "c = get_config()  # noqa: F821 - nbgrader's config loader defines it\n"
            'c.CourseDirectory.course_id = "lambdalab"\n'
            "# a busy machine (a whole room's submissions, a hub) can take long to start a kernel and a lab\n"
            "c.Execute.startup_timeout = 300\n"
            "c.Execute.timeout = 300\n"
            "# a submission whose kernel dies runs once more, from a fresh kernel and a fresh lab\n"
            "c.Execute.execute_retries = 1\n"
        )
    return target


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run an nbgrader command in the course folder, with this Python (nbgrader is the ``grading`` extra)."""
    # nbgrader runs `alembic` by name: the environment's own scripts must come first on PATH
    scripts = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": os.pathsep.join([scripts, os.environ.get("PATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True, text=True, check=False
    )


def assignment_name(number: str) -> str:
    if not re.fullmatch(r"\d\d", number):
        raise ValueError(f"a notebook number has two digits (01, 05), not {number!r}")
    return ASSIGNMENT.format(number=number)
