"""Real-time playback (``lambdalab server``): the clock follows the wall clock times a speed.

No test asserts on wall time: virtual times are read from a fake wall clock, or asserted as
"no earlier than", and real waits are guards that only fail a test that hangs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from lambdalab.clock import EPOCH, Process
from lambdalab.realtime_clock import RealtimeClock

GUARD = 30.0  # real seconds after which a hung test fails


class FakeWall:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_virtual_time_is_the_wall_clock_times_the_speed() -> None:
    wall = FakeWall()
    clock = RealtimeClock(speed=60, wall=wall)
    assert clock.t == 0
    wall.now += 2.5
    assert clock.t == 150 and clock.now == EPOCH + timedelta(seconds=150)
    # an advance jumps ahead; the wall clock takes over again once it catches up
    clock.advance(100)
    assert clock.t == 250
    wall.now += 1
    assert clock.t == 250
    wall.now += 1
    assert clock.t == 270


@pytest.fixture
def running() -> Iterator[RealtimeClock]:
    clock = RealtimeClock(speed=3600)  # an hour per real second
    thread = threading.Thread(target=clock.run, daemon=True)
    thread.start()
    yield clock
    clock.stop()
    thread.join(GUARD)
    assert not thread.is_alive(), "run() did not return after stop()"


def test_run_plays_entries_in_order_no_earlier_than_their_time(running: RealtimeClock) -> None:
    # GIVEN a retry process waiting 60, then 120 virtual seconds
    log: list[tuple[float, float]] = []
    done = threading.Event()

    def retrying() -> Process:
        for delay in (60, 120):
            due = running.t + delay
            yield delay
            log.append((due, running.t))
        done.set()

    running.process(retrying())
    # WHEN real time passes (a few hundredths of a second at this speed)
    assert done.wait(GUARD)
    # THEN each step ran, in order, at or after its virtual due time
    assert len(log) == 2 and all(ran >= due for due, ran in log)
    assert log[1][0] >= log[0][1] + 120


def test_work_from_another_thread_wakes_the_waiting_loop_at_once() -> None:
    # GIVEN a clock at real speed, running with nothing scheduled (it waits, without polling)
    clock = RealtimeClock(speed=1)
    thread = threading.Thread(target=clock.run, daemon=True)
    thread.start()
    try:
        # WHEN a request on another thread schedules work due now, and fires a signal a process waits for
        ran, resumed = threading.Event(), threading.Event()
        arrived = clock.signal()

        def waiter() -> Process:
            yield arrived
            resumed.set()

        clock.call_later(0, ran.set)
        assert ran.wait(GUARD)  # THEN the loop runs it (a loop asleep until the next entry never would)
        clock.call_later(0, lambda: clock.process(waiter()))
        arrived_later = threading.Timer(0.05, arrived.succeed)
        arrived_later.start()
        assert resumed.wait(GUARD)
    finally:
        clock.stop()
        thread.join(GUARD)
    assert not thread.is_alive()


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError, match="speed"):
        RealtimeClock(speed=0)
