"""Real-time playback: a clock whose virtual time follows the wall clock (``lambdalab server``).

simpy's ``RealtimeEnvironment`` idea: the same heap and processes as :class:`~lambdalab.clock.Clock`,
but :meth:`RealtimeClock.run` waits for each entry's moment in real time (``speed`` virtual seconds
per real second) instead of jumping to it.  Virtual now moves continuously, so moto's timestamps
(SQS sent times, visibility timeouts, Kinesis arrivals...) follow the wall clock between entries
too.  Work that arrives from another thread (a request to the lab's endpoint schedules a retry,
a message wakes a poller) wakes the loop at once: it waits on a condition, not on a timer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from .clock import EPOCH, Clock

#: the longest real wait in one go: Ctrl-C delivered to another thread reaches a main thread
#: blocked on a lock only when it wakes (nothing else happens on these wake-ups)
LONGEST_WAIT = 0.5


class RealtimeClock(Clock):
    """Virtual seconds since ``start`` = real seconds since the clock was made, times ``speed``."""

    def __init__(
        self, start: datetime = EPOCH, *, speed: float = 1.0, wall: Callable[[], float] = time.monotonic
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0 (virtual seconds per real second)")
        super().__init__(start)
        self.speed = speed
        self._wall = wall
        self._origin = wall()
        self._wakeup = threading.Condition(self._lock)
        self._stopping = False

    @property
    def t(self) -> float:
        """Virtual seconds since the start: the wall clock's, or later after an ``advance``."""
        return max(self._t, (self._wall() - self._origin) * self.speed)

    def _scheduled(self) -> None:
        self._wakeup.notify_all()  # the new entry may be due before whatever run() waits for

    def run(self) -> None:
        """Run each entry when its time comes, until :meth:`stop` is called (or Ctrl-C)."""
        while True:
            with self._lock:
                while True:
                    if self._stopping:
                        self._stopping = False
                        return
                    due = self.next_due()
                    wait = LONGEST_WAIT if due is None else (due - self.t) / self.speed
                    if wait <= 0:
                        break
                    self._wakeup.wait(min(wait, LONGEST_WAIT))
            with self._driver:
                self._run_due(self.t, stop_when_idle=False)

    def stop(self) -> None:
        """Make :meth:`run` return (from another thread)."""
        with self._lock:
            self._stopping = True
            self._wakeup.notify_all()
