"""Exercises for ``11-durable-functions``, one module per concept: deterministic replay (:mod:`.replay`), a callback
that may never come (:mod:`.callback_timeout`), a callback completed from a cell (:mod:`.callback_success`).

They register as they are imported, so the imports keep the notebook's order (tests/test_exercise_layout.py).
"""

from __future__ import annotations

from .replay import FixNonDeterminism

# isort: split
from .callback_timeout import TimeOutTheApproval

# isort: split
from .callback_success import PayFromACell

__all__ = ["FixNonDeterminism", "PayFromACell", "TimeOutTheApproval"]
