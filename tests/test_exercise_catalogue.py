"""Every exercise as a learner meets it: in its notebook's namespace (the notebook's first cell, run as
written), after ``setup()``. The text of ``solution()`` is executed and judged Correct; every attempt of the
exercise's catalogue of mistakes is judged Incorrect with a message naming the mistake; every other correct
form is judged Correct. One lab per notebook, as in the notebook."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pytest

from lambdalab.exercises import Correct, Incorrect, Problem, all_problems

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
BY_MODULE: dict[str, list[type[Problem]]] = {}
for _problem in all_problems():
    BY_MODULE.setdefault(_problem.__module__.rsplit(".", 1)[-1], []).append(_problem)


def _first_cell(module: str) -> str:
    """The notebook's first code cell (what every notebook starts with: imports, the lab, clients, helpers)."""
    path = next(NOTEBOOKS.glob(f"{module[2:]}-*.ipynb"))
    cell = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    return "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))


@contextmanager
def notebook(module: str) -> Iterator[dict[str, Any]]:
    """The namespace of the module's notebook after its first cell, run from the notebooks folder."""
    here = Path.cwd()
    os.chdir(NOTEBOOKS)
    names: dict[str, Any] = {"__name__": "__main__"}
    try:
        exec(_first_cell(module), names)  # noqa: S102 - the notebook's own cell
        yield names
    finally:
        os.chdir(here)
        if "lab" in names:
            names["lab"].close()


def _run(code: str, names: dict[str, Any]) -> None:
    exec(compile(code, "<attempt>", "exec"), names)  # noqa: S102 - the learner's code, as typed


#: notebooks not run here yet: 00 makes its lab after its first cell, 08's solutions are %aws magics
#: (strict, so fixing one makes this list shrink)
NOT_YET = {"ex00", "ex08"}


@pytest.mark.parametrize(
    "module",
    [
        pytest.param(m, marks=pytest.mark.xfail(strict=True, reason="solution needs later names"))
        if m in NOT_YET
        else m
        for m in sorted(BY_MODULE)
    ],
)
def test_solutions_as_written_and_the_catalogue_of_attempts(module: str) -> None:
    with notebook(module) as names:
        for problem in BY_MODULE[module]:
            _judge(problem(names["lab"]), names)


def _judge(q: Problem, names: dict[str, Any]) -> None:
    q.setup()
    for attempt in q.mistakes:
        _run(attempt.code, names)
        outcome = q.check()
        assert isinstance(outcome, Incorrect), (attempt.code, outcome)
        assert attempt.names.lower() in outcome.message.lower(), (attempt.code, outcome)
        _run(attempt.undo, names)
    for attempt in q.correct_forms:
        _run(attempt.code, names)
        assert isinstance(q.check(), Correct), (attempt.code, q.check())
        _run(attempt.undo, names)
        assert not isinstance(q.check(), Correct), f"the undo of {attempt.code!r} left the exercise solved"
    _run(q.solution_code(), names)
    assert isinstance(q.check(), Correct), (q.solution_code(), q.check())


#: the notebooks whose exercises have a catalogue so far; the others are still to be written
CATALOGUED = ("ex01", "ex04", "ex05", "ex07", "ex09", "ex10")


@pytest.mark.parametrize("module", CATALOGUED)
def test_catalogued_exercises_carry_mistakes_and_other_correct_forms(module: str) -> None:
    for problem in BY_MODULE[module]:
        assert len(problem.mistakes) >= 2 and problem.correct_forms, problem.__name__
        assert all(a.names for a in problem.mistakes) and not any(a.names for a in problem.correct_forms)
