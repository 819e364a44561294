"""Exercises for the notebooks, checked against the lab's AWS state.

::

    from lambdalab.exercises import ex01
    q1 = ex01.TrustPolicy(lab)
    q1.check()      # Not attempted / Incorrect (what to fix) / Set up - now run it / Correct
    q1.hint()
    q1.solution()

Each notebook ``NN-topic`` has a module ``exNN`` (or a package ``exNN`` with a
module per concept, as ``ex03``); :func:`all_problems` finds every exercise of
every such module, so the tests pick up new ones by themselves.
"""

from __future__ import annotations

import importlib
import pkgutil

from .core import (
    Attempt,
    Correct,
    Incorrect,
    NextStep,
    NotAttempted,
    Outcome,
    Problem,
    RunIt,
    Text,
    module_of,
    registered,
)

__all__ = [
    "Attempt",
    "Correct",
    "Incorrect",
    "NextStep",
    "NotAttempted",
    "Outcome",
    "Problem",
    "RunIt",
    "Text",
    "all_problems",
    "module_of",
    "modules",
]


def modules() -> list[str]:
    """Names of the exercise modules (``ex00``, ``ex01``, ...), in order."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("ex") and m.name[2:].isdigit())


def all_problems() -> list[type[Problem]]:
    """Every exercise class of every exercise module, in notebook order."""
    for name in modules():
        importlib.import_module(f"{__name__}.{name}")
    order = {name: i for i, name in enumerate(modules())}
    found = [p for p in registered() if module_of(p) in order]
    return sorted(found, key=lambda p: order[module_of(p)])
