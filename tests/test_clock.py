"""The virtual clock: exact timelines, deterministic ties, idle detection."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

import pytest

from lambdalab.clock import EPOCH, Clock, Process, Wait


def test_processes_resume_at_exact_virtual_times() -> None:
    clock = Clock()
    log: list[tuple[str, float]] = []

    def retrying(name: str) -> Process:
        for delay in (60, 120):
            log.append((name, clock.t))
            yield delay
        log.append((name, clock.t))

    clock.process(retrying("a"))
    clock.run_until_idle()
    assert log == [("a", 0.0), ("a", 60.0), ("a", 180.0)]


def test_ties_run_in_the_order_they_were_scheduled() -> None:
    clock = Clock()
    log: list[str] = []
    for name in "cab":
        clock.call_later(5, partial(log.append, name))
    clock.advance(5)
    assert log == ["c", "a", "b"]


def test_advance_moves_now_even_when_nothing_is_due() -> None:
    clock = Clock()
    seen: list[datetime] = []
    clock.on_move(seen.append)
    clock.advance(90)
    assert clock.t == 90
    assert clock.now == EPOCH + timedelta(seconds=90)
    assert seen == [EPOCH + timedelta(seconds=90)]


def test_run_until_idle_ignores_entries_that_are_not_work() -> None:
    clock = Clock()
    ticks: list[float] = []

    def schedule() -> Process:  # a recurring schedule does not keep the lab busy
        while True:
            ticks.append(clock.t)
            yield Wait(60, busy=False)

    clock.process(schedule(), busy=False)
    clock.call_later(150, lambda: ticks.append(-1))
    elapsed = clock.run_until_idle()
    assert elapsed == 150
    assert ticks == [0.0, 60.0, 120.0, -1]


def test_run_until_idle_stops_at_max_seconds() -> None:
    clock = Clock()
    clock.call_later(1000, lambda: None)
    assert clock.run_until_idle(max_seconds=10) == 10
    assert clock.busy()


def test_cancelled_timer_never_runs() -> None:
    clock = Clock()
    log: list[int] = []
    timer = clock.call_later(1, lambda: log.append(1))
    timer.cancel()
    clock.advance(2)
    assert log == []
    assert not clock.busy()


def test_time_only_moves_forward() -> None:
    with pytest.raises(ValueError):
        Clock().advance(-1)


# -- signals: waiting for something to happen ------------------------------------------------


def test_a_signal_wakes_every_waiting_process_in_the_order_they_began_to_wait() -> None:
    # GIVEN three processes waiting for one signal, and a fourth that fires it at t=5
    clock = Clock()
    arrived = clock.signal()
    log: list[tuple[str, float, object]] = []

    def waiter(name: str) -> Process:
        got = yield arrived
        log.append((name, clock.t, got))

    def sender() -> Process:
        yield 5
        arrived.succeed("hello")

    for name in "cab":
        clock.process(waiter(name))
    clock.process(sender())
    # WHEN the clock runs
    elapsed = clock.run_until_idle()
    # THEN each waiter resumes at t=5 with the value, in the order it began to wait
    assert log == [("c", 5.0, "hello"), ("a", 5.0, "hello"), ("b", 5.0, "hello")]
    assert elapsed == 5


def test_waiting_for_a_signal_is_not_work_but_its_firing_is() -> None:
    # GIVEN a process waiting only for a signal
    clock = Clock()
    arrived = clock.signal()
    log: list[float] = []

    def waiter() -> Process:
        yield arrived
        log.append(clock.t)

    clock.process(waiter())
    # THEN the clock is idle: nothing scheduled, nothing to run
    assert clock.run_until_idle() == 0 and not clock.busy() and log == []
    # WHEN the signal fires from outside the clock (an API call)
    clock.advance(30)
    arrived.succeed()
    # THEN the clock has work at this instant, and the waiter runs without time moving
    assert clock.busy() and list(clock.pending()) == [30.0]
    assert clock.run_until_idle() == 0
    assert log == [30.0]


def test_a_signal_fires_once_and_a_late_waiter_resumes_at_once() -> None:
    clock = Clock()
    done = clock.signal()
    done.succeed(7)
    with pytest.raises(RuntimeError, match="already fired"):
        done.succeed(8)
    log: list[tuple[float, object]] = []

    def late() -> Process:
        yield 2
        got = yield done
        log.append((clock.t, got))

    clock.process(late())
    assert clock.run_until_idle() == 2
    assert log == [(2.0, 7)]


def test_a_wait_ends_at_its_timeout_or_at_the_first_signal_whichever_comes_first() -> None:
    # GIVEN a poller that looks every 20 s (not work) unless messages arrive sooner
    clock = Clock()
    signals = [clock.signal()]
    log: list[tuple[float, object]] = []

    def poller() -> Process:
        while len(log) < 4:
            got = yield Wait(20, busy=False, wake_on=(signals[-1],))
            log.append((clock.t, got))

    def arrive(value: str) -> None:  # a signal happens once: the next arrival is a new one
        signals[-1].succeed(value)
        signals.append(clock.signal())

    def arrivals() -> Process:
        yield 7
        arrive("arrived")
        yield 30  # t=37: the poller woke at 7, looked again at 27, now waits until 47
        arrive("again")

    clock.process(poller(), busy=False)
    clock.process(arrivals())
    clock.advance(100)
    # THEN it woke at 7 (signal), 27 (timeout), 37 (signal), 57 (timeout); the cancelled timeouts never ran
    assert log == [(7.0, "arrived"), (27.0, None), (37.0, "again"), (57.0, None)]
    assert not clock.busy()


def test_a_timeout_and_a_signal_at_the_same_instant_resume_the_process_once() -> None:
    # GIVEN a process waiting 5 s or for a signal, and the signal fired at t=5 too
    clock = Clock()
    kick = clock.signal()
    log: list[tuple[float, object]] = []

    def waiter() -> Process:
        got = yield Wait(5, wake_on=(kick,))
        log.append((clock.t, got))
        yield kick  # the signal has fired: resumes at once
        log.append((clock.t, "again"))

    clock.process(waiter())
    clock.call_later(5, kick.succeed)
    clock.run_until_idle()
    # THEN the timeout, scheduled first, resumed it; the signal did not resume it twice
    assert log == [(5.0, None), (5.0, "again")]


def test_process_now_runs_a_process_first_step_in_the_caller() -> None:
    clock = Clock()
    log: list[tuple[str, float]] = []

    def batch() -> Process:
        log.append(("start", clock.t))
        yield 3
        log.append(("end", clock.t))

    clock.process_now(batch())
    assert log == [("start", 0.0)]
    clock.run_until_idle()
    assert log == [("start", 0.0), ("end", 3.0)]


# -- one driver at a time ---------------------------------------------------------------------


def test_two_threads_moving_the_clock_take_turns() -> None:
    # GIVEN 200 entries whose actions take a little real time, and notice any overlap
    clock = Clock()
    running, overlaps, ran = [0], [0], []
    guard = threading.Lock()

    def action(n: int) -> None:
        with guard:
            running[0] += 1
            overlaps[0] += running[0] > 1
        time.sleep(0.0005)
        ran.append((n, clock.t))
        with guard:
            running[0] -= 1

    for n in range(200):
        clock.call_later(n % 50, partial(action, n))
    # WHEN one thread advances in steps while another runs until idle
    errors: list[BaseException] = []

    def drive(move: Callable[[], object]) -> None:
        try:
            move()
        except BaseException as err:  # noqa: BLE001 - the test reports it
            errors.append(err)

    def step() -> None:
        for _ in range(60):
            clock.advance(1)

    threads = [
        threading.Thread(target=drive, args=(step,)),
        threading.Thread(target=drive, args=(clock.run_until_idle,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # THEN no two actions ran at once, each ran once, and time never went back
    assert errors == [] and overlaps == [0]
    assert sorted(n for n, _ in ran) == list(range(200))
    times = [t for _, t in ran]
    assert times == sorted(times)
