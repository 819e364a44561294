"""How long an invocation lasts on the virtual clock, per function, and how many last now.

A mapping's or an asynchronous event's invocation really runs when it starts, then
holds a concurrency slot for a fixed *virtual* duration: measured durations would
make every timeline and concurrency chart differ run to run.  The default is one
virtual second; ``lab.durations["fn"] = 15.0`` sets one function's.  It never
exceeds the function's timeout, and an invocation that timed out lasts exactly
the timeout.  :class:`InFlight` counts the slots held, per function, for every
engine at once: a function's reserved concurrency is one limit whoever invokes it
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).

https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
"""

from __future__ import annotations

from collections import Counter

#: virtual seconds an invocation lasts unless its function has its own
DEFAULT_SECONDS = 1.0


class VirtualDurations(dict[str, float]):
    """Virtual seconds per function name; :attr:`default` for every other function."""

    def __init__(self, default: float = DEFAULT_SECONDS) -> None:
        super().__init__()
        self.default = default

    def seconds(self, function_name: str, timeout: int, timed_out: bool) -> float:
        """The virtual seconds one invocation of ``function_name`` lasts."""
        if timed_out:
            return float(timeout)
        return min(float(self.get(function_name, self.default)), float(timeout))


class InFlight(Counter[str]):
    """Invocations holding a concurrency slot on the virtual clock now, per function name."""

    def has_room(self, function_name: str, reserved_concurrency: int | None) -> bool:
        """May one more invocation start under the function's reserved concurrency (None: unreserved)?"""
        return reserved_concurrency is None or self[function_name] < reserved_concurrency
