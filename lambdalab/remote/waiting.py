"""Time where it cannot be moved: a wall clock (times a server's speed) and waiting with a progress bar.

A local lab jumps its virtual clock; a ``lambdalab server`` plays its clock at ``speed``
virtual seconds per real second, and AWS at one.  :class:`WallClock` reads that time the
way :class:`lambdalab.clock.Clock` reads virtual time (``t``, ``now``), and
:func:`wait` spends the real seconds a virtual span needs, showing how far it has got.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TextIO

#: the longest sleep in one go (a progress bar moves, Ctrl-C is seen)
STEP = 0.25
BAR = 30


class WallClock:
    """``t``: seconds since ``start`` on the endpoint's clock; ``now``: that moment as a datetime."""

    def __init__(
        self, start: datetime, *, speed: float = 1.0, origin: float | None = None, wall: Callable[[], float] = time.time
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.start = start
        self.speed = speed
        self._wall = wall
        self._origin = wall() if origin is None else origin

    @property
    def t(self) -> float:
        return (self._wall() - self._origin) * self.speed

    def t_at(self, wall: float) -> float:
        """This clock's ``t`` when the wall clock (``time.time()``) read ``wall``: a log event's moment."""
        return (wall - self._origin) * self.speed

    @property
    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    def real_seconds(self, seconds: float) -> float:
        """How long ``seconds`` of this clock's time take in real time."""
        return seconds / self.speed

    def __repr__(self) -> str:
        return f"<WallClock {self.now:%Y-%m-%d %H:%M:%S} UTC, {self.speed:g}x real time>"


def wait(
    real_seconds: float,
    what: str,
    *,
    done: Callable[[], bool] | None = None,
    out: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
    wall: Callable[[], float] = time.monotonic,
) -> bool:
    """Wait ``real_seconds`` (or until ``done()``), drawing a bar on ``out``; True if ``done`` came first."""
    out = out or sys.stdout
    began = wall()
    shown = -1  # the bar's filled cells last drawn
    while True:
        elapsed = wall() - began
        if done is not None and done():
            _draw(out, what, elapsed, real_seconds, final=True)
            return True
        if elapsed >= real_seconds:
            _draw(out, what, real_seconds, real_seconds, final=True)
            return False
        if (filled := _filled(elapsed, real_seconds)) != shown:
            shown = filled
            _draw(out, what, elapsed, real_seconds, final=False)
        sleep(min(STEP, real_seconds - elapsed))


def _filled(elapsed: float, total: float) -> int:
    return BAR if total <= 0 else round(min(1.0, elapsed / total) * BAR)


def _draw(out: TextIO, what: str, elapsed: float, total: float, *, final: bool) -> None:
    filled = _filled(elapsed, total)
    line = f"\r{what} [{'#' * filled}{'.' * (BAR - filled)}] {elapsed:.0f}/{total:.0f} s real time"
    out.write(line + ("\n" if final else ""))
    out.flush()
