"""Real wall-clock time for execution environments.

Lambda hands each invocation a deadline in epoch milliseconds
(``Lambda-Runtime-Deadline-Ms``, https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html)
and functions compare it with their own clock.  The lab freezes Python's
``time.time`` and even ``time.clock_gettime`` to *virtual* time (time-machine),
so this module asks the C library directly: subprocesses live in real time.
Durations are measured with :func:`time.monotonic`, which time-machine leaves alone.
"""

from __future__ import annotations

import ctypes
import time
from datetime import UTC, datetime

_CLOCK_REALTIME = 0


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


_libc = ctypes.CDLL(None, use_errno=True)
_clock_gettime = _libc.clock_gettime
_clock_gettime.argtypes = [ctypes.c_int, ctypes.POINTER(_Timespec)]
_clock_gettime.restype = ctypes.c_int


def epoch_seconds() -> float:
    """Seconds since the Unix epoch from the real clock (never virtual time)."""
    ts = _Timespec()
    if _clock_gettime(_CLOCK_REALTIME, ctypes.byref(ts)) != 0:  # pragma: no cover
        raise OSError(ctypes.get_errno(), "clock_gettime failed")
    return ts.tv_sec + ts.tv_nsec / 1e9


def epoch_ms_at(monotonic_time: float) -> int:
    """The real epoch milliseconds of a :func:`time.monotonic` instant."""
    return int((epoch_seconds() + (monotonic_time - time.monotonic())) * 1000)


def iso_now() -> str:
    """Real time as Lambda prints it in logs: ``2025-01-06T09:00:00.123Z``."""
    dt = datetime.fromtimestamp(epoch_seconds(), UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def log_date() -> str:
    """Today's real date as a log stream name starts: ``2025/01/06``."""
    return datetime.fromtimestamp(epoch_seconds(), UTC).strftime("%Y/%m/%d")
