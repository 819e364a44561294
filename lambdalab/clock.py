"""The virtual clock: the only source of time inside lambdalab.

A discrete-event scheduler in the simpy manner: a heap of ``(time, seq, entry)``
where ``seq`` breaks ties so that two runs of the same notebook do the same
things in the same order.  Engines are written as *processes*: generators that
``yield`` a number of seconds (or a :class:`Wait`) and are resumed by the clock
when that much virtual time has passed.  Nothing here sleeps or starts threads.

``run_until_idle`` stops when no *busy* entry is left.  A retry waiting its turn,
a message inside its visibility timeout or an open batching window is busy; a
poller that found nothing, or a recurring schedule, is not.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

#: Where virtual time starts in every lab, so that timestamps repeat run to run.
EPOCH = datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Wait:
    """What a process yields: resume me after ``seconds`` of virtual time."""

    seconds: float
    busy: bool = True


Yielded = float | int | Wait
Process = Generator[Yielded, None, object]


@dataclass(order=True)
class _Entry:
    at: float
    seq: int
    action: Callable[[], None] = field(compare=False)
    busy: bool = field(compare=False, default=True)
    cancelled: bool = field(compare=False, default=False)
    done: bool = field(compare=False, default=False)


class Timer:
    """Handle on a scheduled action; ``cancel()`` stops it from running."""

    def __init__(self, clock: Clock, entry: _Entry) -> None:
        self._clock = clock
        self._entry = entry

    @property
    def at(self) -> float:
        return self._entry.at

    def cancel(self) -> None:
        self._clock._cancel(self._entry)


class Clock:
    """Virtual time in seconds since :data:`EPOCH`, advanced only on request."""

    def __init__(self, start: datetime = EPOCH) -> None:
        self.start = start
        self._t = 0.0
        self._heap: list[_Entry] = []
        self._seq = itertools.count()
        self._listeners: list[Callable[[datetime], None]] = []
        self._probes: list[Callable[[], bool]] = []
        self._busy = 0  # live busy entries, so "is there work?" costs nothing
        # engines run in the thread that moves the clock, but a function's own SDK calls
        # (arriving on server threads) may schedule wake-ups meanwhile
        self._lock = threading.RLock()

    # -- reading -------------------------------------------------------------
    @property
    def t(self) -> float:
        """Seconds of virtual time since the lab started."""
        return self._t

    @property
    def now(self) -> datetime:
        """Virtual now, a timezone-aware UTC datetime."""
        return self.start + timedelta(seconds=self._t)

    def on_move(self, listener: Callable[[datetime], None]) -> None:
        """Call ``listener(now)`` whenever virtual time moves (moto follows this)."""
        self._listeners.append(listener)

    # -- scheduling ----------------------------------------------------------
    def call_later(self, delay: float, action: Callable[[], None], *, busy: bool = True) -> Timer:
        """Run ``action`` after ``delay`` virtual seconds."""
        if delay < 0:
            raise ValueError("delay must be >= 0")
        with self._lock:
            entry = _Entry(self._t + delay, next(self._seq), action, busy)
            heapq.heappush(self._heap, entry)
            self._busy += busy
        return Timer(self, entry)

    def _cancel(self, entry: _Entry) -> None:
        with self._lock:
            if not (entry.cancelled or entry.done):
                entry.cancelled = True
                self._busy -= entry.busy

    def process(self, gen: Process, *, delay: float = 0.0, busy: bool = True) -> None:
        """Start a generator process; it runs first after ``delay`` seconds."""
        self.call_later(delay, lambda: self._step(gen), busy=busy)

    def _step(self, gen: Process) -> None:
        try:
            yielded = next(gen)
        except StopIteration:
            return
        wait = yielded if isinstance(yielded, Wait) else Wait(float(yielded))
        self.call_later(wait.seconds, lambda: self._step(gen), busy=wait.busy)

    # -- running -------------------------------------------------------------
    def pending(self) -> Iterator[float]:
        """Times of the live entries (for inspection and tests)."""
        with self._lock:
            return iter([e.at for e in sorted(self._heap) if not e.cancelled])

    def busy(self) -> bool:
        """True while some scheduled entry represents outstanding work (or a probe sees some)."""
        return self._busy > 0 or any(probe() for probe in self._probes)

    def add_busy_probe(self, probe: Callable[[], bool]) -> None:
        """Count ``probe() is True`` as outstanding work: e.g. records written to a stream
        that its idle poller (a non-busy entry) has not read yet."""
        self._probes.append(probe)

    def _move_to(self, t: float) -> None:
        if t != self._t:
            self._t = t
            now = self.now
            for listener in self._listeners:
                listener(now)

    def _run_due(self, until: float, *, stop_when_idle: bool) -> None:
        while True:
            if stop_when_idle and not self.busy():
                return
            with self._lock:
                if not self._heap or self._heap[0].at > until:
                    return
                entry = heapq.heappop(self._heap)
                if entry.cancelled:
                    continue
                entry.done = True
                self._busy -= entry.busy
            self._move_to(entry.at)
            entry.action()

    def advance(self, seconds: float) -> None:
        """Move virtual time forward ``seconds``, running everything that falls due."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        target = self._t + seconds
        self._run_due(target, stop_when_idle=False)
        self._move_to(target)

    def run_until_idle(self, max_seconds: float = 86_400.0) -> float:
        """Run until no busy entry is left, or ``max_seconds`` have passed.

        Returns the virtual seconds that passed.
        """
        start = self._t
        self._run_due(start + max_seconds, stop_when_idle=True)
        if self.busy():
            self._move_to(start + max_seconds)
        return self._t - start

    def run_now(self) -> None:
        """Run whatever is due at the current instant (delay 0 entries)."""
        self._run_due(self._t, stop_when_idle=False)
