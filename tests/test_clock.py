"""The virtual clock: exact timelines, deterministic ties, idle detection."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lambdalab.clock import EPOCH, Clock, Wait


def test_processes_resume_at_exact_virtual_times() -> None:
    clock = Clock()
    log: list[tuple[str, float]] = []

    def retrying(name: str):
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
        clock.call_later(5, lambda name=name: log.append(name))
    clock.advance(5)
    assert log == ["c", "a", "b"]


def test_advance_moves_now_even_when_nothing_is_due() -> None:
    clock = Clock()
    seen = []
    clock.on_move(seen.append)
    clock.advance(90)
    assert clock.t == 90
    assert clock.now == EPOCH + timedelta(seconds=90)
    assert seen == [EPOCH + timedelta(seconds=90)]


def test_run_until_idle_ignores_entries_that_are_not_work() -> None:
    clock = Clock()
    ticks: list[float] = []

    def schedule():  # a recurring schedule does not keep the lab busy
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
