"""Notebook 01's exercises as an nbgrader assignment: the learners' version holds no solution, and nbgrader's
autograde gives a solved submission full marks and an unsolved one zero, each on a fresh lab in a fresh kernel.
The solved submission's answers are the exercises' own solutions, typed into the learners' version."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from lambdalab import assignment
from lambdalab.cli import main

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NUMBER = "01"
NAME = assignment.ASSIGNMENT.format(number=NUMBER)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("course")
    assert main(["assign", NUMBER, "--course", str(folder)]) == 0
    return folder


def _released(course: Path) -> Path:
    return next((course / "release" / NAME).glob("*.ipynb"))


def test_the_learners_version_has_a_stub_where_each_solution_was(course: Path) -> None:
    released = nbformat.read(_released(course), as_version=4)
    answers = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("solution")]
    checks = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade")]
    problems = assignment.problems_of(NUMBER)
    assert len(answers) == len(checks) == len(problems) == 3
    for cell, problem in zip(answers, problems, strict=True):
        assert "raise NotImplementedError()" in cell.source
        assert problem.solution_code().strip().splitlines()[0] not in cell.source
    for cell, problem in zip(checks, problems, strict=True):
        assert cell.metadata["nbgrader"]["points"] == assignment.POINTS_PER_EXERCISE
        assert ".check()" in cell.source and "assert outcome.correct" in cell.source, problem


def _submit(course: Path, learner: str, solved: bool) -> None:
    released = _released(course)
    notebook = nbformat.read(released, as_version=4)
    if solved:
        answers = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
        for cell, problem in zip(answers, assignment.problems_of(NUMBER), strict=True):
            cell.source = problem.solution_code()
    folder = course / "submitted" / learner / NAME
    folder.mkdir(parents=True)
    for extra in released.parent.iterdir():
        if extra != released:
            shutil.copytree(extra, folder / extra.name) if extra.is_dir() else shutil.copy(extra, folder)
    nbformat.write(notebook, folder / released.name)


def test_autograde_gives_full_marks_to_the_solutions_and_zero_to_the_stubs(course: Path) -> None:
    _submit(course, "solved", solved=True)
    _submit(course, "unsolved", solved=False)
    done = assignment.nbgrader(course, "autograde", NAME, "--create")
    assert done.returncode == 0, done.stdout + done.stderr
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "lambdalab") as gradebook:
        solved = gradebook.find_submission(NAME, "solved")
        unsolved = gradebook.find_submission(NAME, "unsolved")
        assert solved.max_score == unsolved.max_score == 3 * assignment.POINTS_PER_EXERCISE
        assert (solved.score, unsolved.score) == (solved.max_score, 0)
