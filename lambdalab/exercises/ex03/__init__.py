"""Exercises for ``03-sync-invoke``, one module per concept: the handler contract (:mod:`.alb_handler`),
timeouts (:mod:`.timeouts`), a handler that calls AWS (:mod:`.sdk_calls`).

They register as they are imported, so the imports keep the notebook's order (tests/test_exercise_layout.py).
"""

from __future__ import annotations

from .alb_handler import EchoPath, alb_event

# isort: split
from .timeouts import TimeoutAtTwoSeconds

# isort: split
from .sdk_calls import SendToQueue

__all__ = ["EchoPath", "SendToQueue", "TimeoutAtTwoSeconds", "alb_event"]
