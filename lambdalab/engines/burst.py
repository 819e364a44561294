"""A burst of synchronous invocations on the virtual clock: how Lambda scales a function for it.

``lab.burst("fn", 1500, every=0.001)`` issues that many ``RequestResponse`` invokes at
virtual instants.  Each request is placed by the scaling model
(:mod:`.function_scaling`): a provisioned environment, a warm one, a new one (a cold
start) or a throttle (429 with its ``Reason``).  An admitted request runs the
function for real, through Lambda's one invoke path, then holds its environment for
the function's virtual duration (``lab.durations``, one second by default) plus, after
a cold start, :data:`INIT_SECONDS` of init, so the chart repeats exactly run to run.

The environments counted are *virtual*: the lab's real execution environments (a few
processes, :mod:`lambdalab.runtime.pool`) run the requests one after another, so a
burst of 1,500 never starts 1,500 processes.  The requests that arrive at one instant are
placed first, then handed to the runtime together (``BatchInvoker.run_many``): queued on a real
environment's Runtime API, each runs as soon as the one before it answered, with no round
trip through the lab in between; a long batch is dealt out in turn to a few real
environments that run at once (``Runtime.invoke_many``), so requests of one instant may
interleave their side effects, as concurrent requests do on Lambda.  What is drawn (``function-concurrency``
records, :class:`lambdalab.widgets.FunctionConcurrencyChart`) is what Lambda would run.

The burst sees reserved concurrency, the account's unreserved concurrency (as it stands
when the burst starts) and the slots other engines hold on the virtual clock now.

https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html
https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from ..errors import AwsError
from ..trace_kinds import FUNCTION_CONCURRENCY
from .function_scaling import Admission, Fleet

if TYPE_CHECKING:
    from ..clock import Clock
    from ..ports import BatchInvoker, Target
    from ..runtime.types import InvokeResult
    from ..trace import Trace
    from .durations import InFlight, VirtualDurations

#: virtual seconds a cold start's init holds its environment before the handler runs (the lab's figure)
INIT_SECONDS = 0.5


@dataclass(frozen=True)
class BurstRequest:
    """One request of a burst, as its caller saw it."""

    t: float  # virtual seconds since the burst began
    start: str  # provisioned, warm, cold, throttled
    reason: str | None = None  # a throttle's Reason
    status: int = 200  # 429 when throttled
    error: str | None = None  # the function's errorType, if it failed
    init: bool = False  # a cold start (Init Duration in its REPORT)


@dataclass
class Burst:
    """The requests of one burst, in the order they arrived."""

    function: str
    began: float
    requests: list[BurstRequest] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many requests got each start: ``{"cold": 1000, "throttled": 500, ...}``."""
        return dict(Counter(r.start for r in self.requests))

    def reasons(self) -> dict[str, int]:
        """How many throttles gave each Reason."""
        return dict(Counter(r.reason for r in self.requests if r.reason))


class BurstEngine:
    """Issues bursts; keeps the virtual environments of every function (``fleets``)."""

    def __init__(
        self,
        clock: Clock,
        trace: Trace,
        invoker: BatchInvoker,
        durations: VirtualDurations,
        in_flight: InFlight,
        fleet_of: Callable[[str], Fleet],
        reservations: Callable[[], tuple[int, dict[str, int]]],
    ) -> None:
        self.clock, self.trace, self.invoker = clock, trace, invoker
        self.durations, self.in_flight, self.fleet_of = durations, in_flight, fleet_of
        #: the account's unreserved concurrency and every function's reservation, now
        self.reservations = reservations
        self.init_seconds = INIT_SECONDS

    def burst(
        self,
        function_name: str,
        count: int,
        *,
        every: float = 0.0,
        payload: bytes = b"{}",
        qualifier: str | None = None,
    ) -> Burst:
        """Schedule ``count`` requests, one each ``every`` virtual seconds from now; the clock plays them."""
        target = self.invoker.resolve(function_name, qualifier)
        burst = Burst(target.spec.function_name, self.clock.t)
        room = self.reservations()
        if every:
            for i in range(count):
                self.clock.call_later(i * every, partial(self._arrive, burst, target, payload, 1, room))
        elif count:  # all at one instant: placed one by one, then run together
            self.clock.call_later(0.0, partial(self._arrive, burst, target, payload, count, room))
        return burst

    def _arrive(
        self, burst: Burst, target: Target, payload: bytes, count: int, room: tuple[int, dict[str, int]]
    ) -> None:
        """``count`` requests arrive now: each gets an environment or a throttle, then the admitted ones run.

        The first admitted runs at once; after it (the function's code could run) the others are
        handed to the runtime together (``BatchInvoker.run_many``), which runs them one after another in
        the order they came, each for real.  Their results decide only when each gives back its
        environment, a virtual duration later.
        """
        name, spec = target.spec.function_name, target.spec
        unreserved, reserved = room
        fleet = self.fleet_of(name)
        t = self.clock.t - burst.began
        queued: list[tuple[int, Admission]] = []
        refused = True  # until one ran: a refused request gives its environment back before the next comes
        for _ in range(count):
            busy_unreserved = sum(n for fn, n in self.in_flight.items() if fn not in reserved)
            admission = fleet.admit(
                self.clock.t,
                target.executed_version,
                reserved=spec.reserved_concurrency,
                unreserved_room=unreserved - busy_unreserved,
            )
            self._record(name, fleet, admission, ended=False)
            if admission.environment is None:
                burst.requests.append(BurstRequest(t, "throttled", admission.reason, 429))
                continue
            self.in_flight[name] += 1
            burst.requests.append(BurstRequest(t, admission.start, init=admission.start == "cold"))
            if not refused:
                queued.append((len(burst.requests) - 1, admission))
                continue
            [result] = self.invoker.run_many(target, [payload], source="burst")
            refused = isinstance(result, AwsError)
            self._ran(burst, len(burst.requests) - 1, target, fleet, admission, result)
        if queued:
            results = self.invoker.run_many(target, [payload] * len(queued), source="burst")
            for (slot, admission), result in zip(queued, results, strict=True):
                self._ran(burst, slot, target, fleet, admission, result)

    def _ran(
        self,
        burst: Burst,
        slot: int,
        target: Target,
        fleet: Fleet,
        admission: Admission,
        result: InvokeResult | AwsError,
    ) -> None:
        """A request ran (or the runtime refused it, which gives its environment back now)."""
        name, spec, env = target.spec.function_name, target.spec, admission.environment
        assert env is not None
        cold = admission.start == "cold"
        t = burst.requests[slot].t
        if isinstance(result, AwsError):  # the lab's runtime refused it (a runtime it cannot run, ...)
            burst.requests[slot] = BurstRequest(t, admission.start, status=result.status, error=result.code, init=cold)
            self.in_flight[name] -= 1
            fleet.release(env)
            return
        burst.requests[slot] = BurstRequest(t, admission.start, error=result.error_type, init=cold)
        timed_out = result.error_type == "Sandbox.Timedout"
        hold = self.durations.seconds(name, spec.timeout, timed_out) + (self.init_seconds if cold else 0.0)
        self.clock.call_later(hold, partial(self._end, name, fleet, admission))

    def _end(self, name: str, fleet: Fleet, admission: Admission) -> None:
        """A request's virtual duration is over: its environment is free again."""
        assert admission.environment is not None
        self.in_flight[name] -= 1
        fleet.release(admission.environment)
        self._record(name, fleet, admission, ended=True)

    def _record(self, name: str, fleet: Fleet, admission: Admission, *, ended: bool) -> None:
        env = admission.environment
        self.trace.add(
            FUNCTION_CONCURRENCY,
            name,
            start=admission.start,
            reason=admission.reason,
            environment=env.number if env else None,
            in_flight=fleet.in_flight,
            environments=len(fleet.environments),
            provisioned=fleet.provisioned_total,
            ended=ended,
        )
