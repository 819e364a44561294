"""Real wall-clock time for execution environments.

Lambda hands each invocation a deadline in epoch milliseconds
(``Lambda-Runtime-Deadline-Ms``, https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html)
and functions compare it with their own clock, so everything handed to a function
process is real time, never the lab's virtual time (which only moto follows, see
:mod:`lambdalab.aws.moto_clock`).  Durations are measured with :func:`time.monotonic`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def epoch_seconds() -> float:
    """Seconds since the Unix epoch from the real clock (never virtual time)."""
    return time.time()


def epoch_ms_at(monotonic_time: float) -> int:
    """The real epoch milliseconds of a :func:`time.monotonic` instant."""
    return int((epoch_seconds() + (monotonic_time - time.monotonic())) * 1000)


def iso_now() -> str:
    """Real time as Lambda prints it in logs: ``2025-01-06T09:00:00.123Z``."""
    return _iso(epoch_seconds())


def iso_of_ms(epoch_ms: int) -> str:
    """Epoch milliseconds as Lambda prints them in logs, so a line and its log event agree."""
    seconds, ms = divmod(epoch_ms, 1000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms:03d}Z"


def _iso(seconds: float) -> str:
    dt = datetime.fromtimestamp(seconds, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
