"""Every exercise as a learner meets it: in an IPython shell holding its notebook's namespace (the notebook's
cell that makes the lab, and the cells before it, run as written, magics included), after ``setup()``. The text
of ``solution()`` is executed as shown and judged Correct; every attempt of the exercise's catalogue of mistakes
is judged Incorrect with a message naming the mistake; every other correct form is judged Correct. One lab per
notebook, as in the notebook."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from lambdalab.cli_magic import register_if_ipython
from lambdalab.exercises import Correct, Incorrect, Problem, all_problems, module_of

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
BY_MODULE: dict[str, list[type[Problem]]] = {}
for _problem in all_problems():
    BY_MODULE.setdefault(module_of(_problem), []).append(_problem)


def _opening_cells(module: str) -> list[str]:
    """The notebook's code cells up to the one that makes the lab (imports, the lab, clients, helpers)."""
    path = next(NOTEBOOKS.glob(f"{module[2:]}-*.ipynb"))
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    last = next(i for i, source in enumerate(cells) if "lambdalab.Lab(" in source)
    return cells[: last + 1]


def _shell() -> InteractiveShell:
    """The one IPython shell of this process (no history file), as a kernel would run cells."""
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    register_if_ipython()  # what `import lambdalab` does in a kernel: this process imported it before the shell
    return shell


@contextmanager
def notebook(module: str) -> Iterator[InteractiveShell]:
    """A shell whose namespace is the module's notebook after the cell that makes its lab, in the notebooks folder."""
    here = Path.cwd()
    os.chdir(NOTEBOOKS)
    shell = _shell()
    shell.reset(new_session=False)
    try:
        for source in _opening_cells(module):
            _run(shell, source)
        yield shell
    finally:
        os.chdir(here)
        lab = shell.user_ns.get("lab")
        if lab is not None:
            lab.close()
        shell.reset(new_session=False)


def _run(shell: InteractiveShell, code: str) -> None:
    """Run a cell as a kernel would (magics and all); fail the test with its exception."""
    result = shell.run_cell(code, silent=True)
    result.raise_error()


@pytest.mark.parametrize("module", sorted(BY_MODULE))
def test_solutions_as_written_and_the_catalogue_of_attempts(module: str) -> None:
    with notebook(module) as shell:
        for problem in BY_MODULE[module]:
            _judge(problem(shell.user_ns["lab"]), shell)


def _judge(q: Problem, shell: InteractiveShell) -> None:
    shell.user_ns["exercise"] = q  # the undo of an attempt may start the exercise again
    q.setup()
    for attempt in q.mistakes:
        _run(shell, attempt.code)
        outcome = q.check()
        assert isinstance(outcome, Incorrect), (attempt.code, outcome)
        assert attempt.names.lower() in outcome.message.lower(), (attempt.code, outcome)
        _run(shell, attempt.undo)
    for attempt in q.correct_forms:
        _run(shell, attempt.code)
        assert isinstance(q.check(), Correct), (attempt.code, q.check())
        _run(shell, attempt.undo)
        assert not isinstance(q.check(), Correct), f"the undo of {attempt.code!r} left the exercise solved"
    _run(shell, q.solution_code())
    assert isinstance(q.check(), Correct), (q.solution_code(), q.check())


@pytest.mark.parametrize("problem", all_problems(), ids=lambda p: f"{module_of(p)}.{p.__name__}")
def test_every_exercise_carries_three_mistakes_and_two_other_correct_forms(problem: type[Problem]) -> None:
    assert len(problem.mistakes) >= 3 and len(problem.correct_forms) >= 2, problem.__name__
    assert all(a.names for a in problem.mistakes) and not any(a.names for a in problem.correct_forms)
    named = [a.names.lower() for a in problem.mistakes]
    assert len(set(named)) == len(named), f"two mistakes of {problem.__name__} are named alike"
    forms = {a.code for a in problem.correct_forms} | {problem.solution_code()}
    assert len(forms) == len(problem.correct_forms) + 1, f"a correct form of {problem.__name__} repeats another"
