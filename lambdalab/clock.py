"""The virtual clock: the only source of time inside lambdalab.

A discrete-event scheduler in the simpy manner: a heap of ``(time, seq, entry)``
where ``seq`` breaks ties so that two runs of the same notebook do the same
things in the same order.  Engines are written as *processes*: generators that
``yield`` a number of seconds (or a :class:`Wait`) and are resumed by the clock
when that much virtual time has passed, or ``yield`` a :class:`Signal` (simpy's
``Event``) and are resumed when something happens.  Nothing here sleeps or
starts threads.

One thread moves time at a time: ``advance`` and ``run_until_idle`` called from two
threads take turns (the second waits for the first to finish), so no entry runs
twice and no two engines act at once.  Scheduling is safe from any thread.

``run_until_idle`` stops when no *busy* entry is left.  A retry waiting its turn,
a message inside its visibility timeout or an open batching window is busy; a
poller that found nothing, or a recurring schedule, is not.  A process waiting
only for a signal is not work either: the signal firing is (each waiting process
resumes at that instant as a busy entry, in the order they began to wait).
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

#: Where virtual time starts in every lab, so that timestamps repeat run to run.
EPOCH = datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)


class Signal:
    """Something a process can wait for, that happens once (simpy's ``Event``).

    ``succeed(value)`` fires it: every process waiting for it resumes at that virtual
    instant, in the order they began to wait, and receives ``value`` from its ``yield``.
    A process that yields a signal already fired resumes at once.  Safe to fire from
    any thread (a function's own SDK call may be what happened).
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._waiting: list[_Pause] = []
        self.triggered = False
        self.value: Any = None

    def succeed(self, value: Any = None) -> None:
        """Fire the signal; a second call is a mistake (it happens once)."""
        self._clock._fire(self, value)

    def __repr__(self) -> str:
        return f"<Signal {'fired' if self.triggered else 'waiting'}>"


@dataclass(frozen=True)
class Wait:
    """What a process yields: resume me after ``seconds`` of virtual time.

    ``busy=False`` when the wait is not work (an idle poll).  ``wake_on`` resumes the
    process sooner, when the first of those signals fires; ``seconds=math.inf`` waits
    for the signals only.
    """

    seconds: float
    busy: bool = True
    wake_on: tuple[Signal, ...] = ()


Yielded = float | int | Wait | Signal
Process = Generator[Yielded, Any, None]


@dataclass(order=True)
class _Entry:
    at: float
    seq: int
    action: Callable[[], None] = field(compare=False)
    busy: bool = field(compare=False, default=True)
    cancelled: bool = field(compare=False, default=False)
    done: bool = field(compare=False, default=False)


@dataclass(eq=False)
class _Pause:
    """A process suspended at a ``yield``: resumed once, by its timeout or a signal."""

    gen: Process
    signals: tuple[Signal, ...]
    timeout: _Entry | None = None
    wakeup: _Entry | None = None
    resumed: bool = False


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
        # held by the one thread moving time (re-entrant: an action may advance the clock itself)
        self._driver = threading.RLock()

    # -- reading -------------------------------------------------------------
    @property
    def t(self) -> float:
        """Seconds of virtual time since the lab started."""
        return self._t

    @property
    def now(self) -> datetime:
        """Virtual now, a timezone-aware UTC datetime (what moto reads as now)."""
        return self.start + timedelta(seconds=self.t)

    def on_move(self, listener: Callable[[datetime], None]) -> None:
        """Call ``listener(now)`` whenever the clock moves time on (widgets redraw)."""
        self._listeners.append(listener)

    # -- scheduling ----------------------------------------------------------
    def call_later(self, delay: float, action: Callable[[], None], *, busy: bool = True) -> Timer:
        """Run ``action`` after ``delay`` virtual seconds."""
        if delay < 0:
            raise ValueError("delay must be >= 0")
        return Timer(self, self._schedule(delay, action, busy=busy))

    def _schedule(self, delay: float, action: Callable[[], None], *, busy: bool) -> _Entry:
        with self._lock:
            entry = _Entry(self.t + delay, next(self._seq), action, busy)
            heapq.heappush(self._heap, entry)
            self._busy += busy
            self._scheduled()
        return entry

    def _scheduled(self) -> None:
        """Called (under the lock) after an entry is added: a clock that waits for its next entry wakes."""

    def _cancel(self, entry: _Entry) -> None:
        with self._lock:
            if not (entry.cancelled or entry.done):
                entry.cancelled = True
                self._busy -= entry.busy

    def process(self, gen: Process, *, delay: float = 0.0, busy: bool = True) -> None:
        """Start a generator process; it runs first after ``delay`` seconds."""
        self.call_later(delay, lambda: self._step(gen, None), busy=busy)

    def process_now(self, gen: Process) -> None:
        """Run a process's first step now, in the caller; it goes on on the clock.

        For a process whose first step must happen before the caller goes on (a batch
        that takes its concurrency slot as it starts).
        """
        self._step(gen, None)

    def signal(self) -> Signal:
        """A new one-shot :class:`Signal` on this clock."""
        return Signal(self)

    def _step(self, gen: Process, value: Any) -> None:
        try:
            yielded = gen.send(value)
        except StopIteration:
            return
        if isinstance(yielded, Signal):
            wait = Wait(math.inf, wake_on=(yielded,))
        else:
            wait = yielded if isinstance(yielded, Wait) else Wait(float(yielded))
        pause = _Pause(gen, wait.wake_on)
        with self._lock:
            fired = next((s for s in wait.wake_on if s.triggered), None)
            if fired is not None:
                pause.wakeup = self._schedule(0.0, partial(self._resume, pause, fired.value), busy=True)
                return
            for signal in wait.wake_on:
                signal._waiting.append(pause)
            if wait.seconds != math.inf:
                pause.timeout = self._schedule(wait.seconds, partial(self._resume, pause, None), busy=wait.busy)

    def _fire(self, signal: Signal, value: Any) -> None:
        with self._lock:
            if signal.triggered:
                raise RuntimeError("this signal has already fired (a Signal happens once)")
            signal.triggered, signal.value = True, value
            waiting, signal._waiting = signal._waiting, []
            for pause in waiting:
                if pause.wakeup is None and not pause.resumed:
                    pause.wakeup = self._schedule(0.0, partial(self._resume, pause, value), busy=True)

    def _resume(self, pause: _Pause, value: Any) -> None:
        """The first of a pause's timeout and signals to come resumes it; the others are dropped."""
        with self._lock:
            if pause.resumed:
                return
            pause.resumed = True
            for entry in (pause.timeout, pause.wakeup):
                if entry is not None:
                    self._cancel(entry)
            for signal in pause.signals:
                if pause in signal._waiting:
                    signal._waiting.remove(pause)
        self._step(pause.gen, value)

    # -- running -------------------------------------------------------------
    def next_due(self) -> float | None:
        """Virtual time of the next live entry, or None when nothing is scheduled."""
        with self._lock:
            while self._heap and self._heap[0].cancelled:
                heapq.heappop(self._heap)
            return self._heap[0].at if self._heap else None

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
        if t > self._t:
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
        """Move virtual time forward ``seconds``, running everything that falls due.

        Called from two threads at once, the second waits for the first, then advances from there.
        """
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._driver:
            target = self.t + seconds
            self._run_due(target, stop_when_idle=False)
            self._move_to(target)

    def run_until_idle(self, max_seconds: float = 86_400.0) -> float:
        """Run until no busy entry is left, or ``max_seconds`` have passed.

        Returns the virtual seconds that passed.  Waits for another thread moving the clock first.
        """
        with self._driver:
            start = self.t
            self._run_due(start + max_seconds, stop_when_idle=True)
            if self.busy():
                self._move_to(start + max_seconds)
            return self.t - start
