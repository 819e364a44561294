"""Every exercise of every notebook: not attempted first, a typical mistake is caught,
and the reference solution passes."""

from __future__ import annotations

import pytest

import lambdalab
from lambdalab.exercises import Correct, Incorrect, NotAttempted, Problem, RunIt, all_problems, module_of

PROBLEMS = all_problems()


def test_every_exercise_module_is_registered() -> None:
    modules = {module_of(p) for p in PROBLEMS}
    assert {"ex00", "ex01", "ex02", "ex03"} <= modules


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: f"{module_of(p)}.{p.__name__}")
def test_not_attempted_then_wrong_then_solved(problem: type[Problem]) -> None:
    # GIVEN a fresh lab with what the exercise starts from
    with lambdalab.Lab() as lab:
        q = problem(lab)
        q.setup()
        # WHEN nothing was done THEN the check says so
        assert isinstance(q.check(), NotAttempted)
        # WHEN a typical mistake is made THEN the check says what is wrong
        if q.attempt_wrong():
            outcome = q.check()
            assert isinstance(outcome, Incorrect), outcome
            assert outcome.message
        # WHEN the reference solution runs THEN the check passes
        q.solve()
        assert isinstance(q.check(), Correct), q.check()


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.__name__)
def test_hint_and_solution_render(problem: type[Problem]) -> None:
    assert problem._hint and problem._solution
    assert problem.title in problem.hint(problem.__new__(problem))._repr_markdown_()


def test_outcomes_render_the_same_text_every_time() -> None:
    outcome = Incorrect("Title", "fix <this>")
    assert repr(outcome) == "Title - Incorrect: fix <this>"
    assert "fix &lt;this&gt;" in outcome._repr_html_()
    assert outcome._repr_markdown_() == "**Title - Incorrect**\n\nfix <this>"
    assert not outcome.correct and Correct("Title").correct
    assert repr(RunIt("Title", "now invoke it")) == "Title - Set up - now run it: now invoke it"
    assert not RunIt("Title").correct
