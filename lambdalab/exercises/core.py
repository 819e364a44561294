"""The learner's contract for exercises: ``q.check()``, ``q.hint()``, ``q.solution()``.

An exercise is a small class bound to a :class:`~lambdalab.Lab` passed in
explicitly.  ``check()`` looks only at the lab's AWS state (through
``lab.client(...)``) and its trace, never at notebook variables, and answers
with one of four outcomes: :class:`NotAttempted`, :class:`Incorrect` (with a
message naming the mistake and what to fix), :class:`RunIt` (set up correctly,
the next step is to run it) or :class:`Correct`.  Every outcome, hint and
solution renders as Markdown, HTML and plain text with deterministic wording.

Two hooks serve the tests: ``setup()`` creates what the exercise starts from
(idempotent, so a notebook section can also call it to run on its own) and
``solve()`` runs the reference solution.  ``attempt_wrong()`` makes a typical
mistake, so that the tests can show ``check()`` catches it.  ``mistakes`` and
``correct_forms`` are a catalogue of attempts written as the learner would type
them in the notebook (:class:`Attempt`); the tests run each one, and the text of
``solution()`` itself, and judge them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import LocalOnlyError

if TYPE_CHECKING:
    from ..lab import Lab
    from ..remote.connected_lab import ConnectedLab

_REGISTRY: list[type[Problem]] = []


@dataclass(frozen=True)
class Outcome:
    """What ``check()`` found; shows itself in a notebook."""

    status: ClassVar[str] = ""
    colour: ClassVar[str] = "#555"
    title: str
    message: str = ""

    @property
    def correct(self) -> bool:
        return self.status == "Correct"

    def _text(self) -> str:
        return f"{self.status}: {self.message}" if self.message else self.status

    def __str__(self) -> str:
        return self._text()

    def __repr__(self) -> str:
        return f"{self.title} - {self._text()}"

    def _repr_markdown_(self) -> str:
        return f"**{self.title} - {self.status}**" + (f"\n\n{self.message}" if self.message else "")

    def _repr_html_(self) -> str:
        body = "<br>" + html.escape(self.message).replace("\n\n", "<br>") if self.message else ""
        return (
            f'<div style="border-left:4px solid {self.colour};padding:4px 8px">'
            f"<b>{html.escape(self.title)} - {self.status}</b>{body}</div>"
        )


class NotAttempted(Outcome):
    status = "Not attempted"
    colour = "#999"


class Incorrect(Outcome):
    status = "Incorrect"
    colour = "#c33"


class RunIt(Outcome):
    """The configuration is right; what is left is to run it (invoke, publish, run the clock)."""

    status = "Set up - now run it"
    colour = "#c80"


class Correct(Outcome):
    status = "Correct"
    colour = "#393"


class LocalOnly(Outcome):
    """The check needs what only the local lab knows (``Lab.connect`` runs show no such records)."""

    status = "Checked only on the local lab"
    colour = "#57a"


@dataclass(frozen=True)
class Attempt:
    """A learner's attempt, as the code they would type in the exercise's notebook after ``setup()``.

    ``names``: words the check's message must contain, naming the mistake (empty for a correct form);
    ``undo``: code that takes the attempt back, so the next one starts where the exercise does.
    """

    code: str
    names: str = ""
    undo: str = ""


class NextStep(str):
    """What ``_check`` returns when the set-up is right and the learner's next step is to run it."""


@dataclass(frozen=True)
class Text:
    """A hint or a solution: Markdown shown in the notebook, plain text elsewhere."""

    heading: str
    markdown: str

    def __repr__(self) -> str:
        return f"{self.heading}:\n{self.markdown}"

    def _repr_markdown_(self) -> str:
        return f"**{self.heading}**\n\n{self.markdown}"


class Problem:
    """One exercise.  Subclasses set ``title``, ``_hint``, ``_solution`` and implement ``_check``.

    ``_check`` returns ``None`` when nothing was attempted yet, a string saying
    what is wrong, a :class:`NextStep` when the set-up is right but has not run
    yet, or ``True`` when the lab is in the state the exercise asks for.
    """

    title: ClassVar[str] = ""
    _hint: ClassVar[str] = ""
    _solution: ClassVar[str] = ""
    #: typical wrong attempts, each judged Incorrect with a message naming the mistake
    mistakes: ClassVar[tuple[Attempt, ...]] = ()
    #: right attempts that differ from the solution's text, each judged Correct
    correct_forms: ClassVar[tuple[Attempt, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.title:
            _REGISTRY.append(cls)

    def __init__(self, lab: Lab | ConnectedLab) -> None:
        self.lab = lab
        self._done: list[str] = []

    # -- the learner's side -------------------------------------------------------
    def check(self) -> Outcome:
        """Look at the lab and say whether the exercise is done (and what the check itself did to the lab)."""
        self._done = []
        try:
            found = self._check()
        except LocalOnlyError as err:
            return LocalOnly(self.title, f"This check reads what only lambdalab.Lab() records. {err}")
        if found is None:
            return NotAttempted(self.title, "Nothing to check yet. Do the exercise, then run check() again.")
        if found is True:
            return Correct(self.title, self._with_actions(self._congrats()))
        if isinstance(found, NextStep):
            return RunIt(self.title, self._with_actions(str(found)))
        return Incorrect(self.title, self._with_actions(str(found)))

    def _did(self, action: str) -> None:
        """Note something ``_check`` did to the lab (sent a message, moved the clock): the outcome says so."""
        self._done.append(action)

    def _with_actions(self, message: str) -> str:
        if not self._done:
            return message
        said = f"To check, check() {'; then '.join(self._done)}."
        return f"{message}\n\n{said}" if message else said

    def hint(self) -> Text:
        return Text(f"Hint - {self.title}", self._hint)

    def solution(self) -> Text:
        return Text(f"Solution - {self.title}", self._solution)

    @classmethod
    def solution_code(cls) -> str:
        """The Python of the solution's code blocks, as a learner would paste it."""
        blocks = cls._solution.split("```")
        return "\n".join(b.removeprefix("python\n") for b in blocks[1::2] if b.startswith("python"))

    # -- hooks ---------------------------------------------------------------------
    def _check(self) -> bool | str | None:
        raise NotImplementedError

    def _congrats(self) -> str:
        return ""

    def setup(self) -> None:
        """Create what the exercise starts from (idempotent)."""

    def solve(self) -> None:
        """Run the reference solution against the lab."""
        raise NotImplementedError

    def attempt_wrong(self) -> bool:
        """Make a typical mistake in the lab; False if this exercise has none worth testing."""
        return False

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.title}>"


def registered() -> list[type[Problem]]:
    return list(_REGISTRY)


def module_of(problem: type[Problem]) -> str:
    """The exercise module ``exNN`` of a problem: its own module, or the package its module is part of
    (``ex03.timeouts`` is ``ex03``); "" for a problem outside them."""
    return next((part for part in problem.__module__.split(".") if part[:2] == "ex" and part[2:].isdigit()), "")
