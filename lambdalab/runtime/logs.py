"""The platform lines Lambda wraps around an invocation's output.

Every invocation's log is ``START``, the function's output, ``END`` and a
``REPORT`` line with duration, billed duration (rounded up to 1 ms), memory
and, after a cold start, ``Init Duration``.  See
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html and
https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html
"""

from __future__ import annotations

import math


def billed_ms(duration_ms: float) -> int:
    """Lambda bills in 1 ms steps, rounding up (never less than 1 ms)."""
    return max(1, math.ceil(duration_ms - 1e-9))


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}\n"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}\n"


def report_line(
    request_id: str,
    *,
    duration_ms: float,
    memory_size: int,
    max_memory_used: int,
    init_duration_ms: float | None,
) -> str:
    text = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {billed_ms(duration_ms)} ms\tMemory Size: {memory_size} MB\t"
        f"Max Memory Used: {max_memory_used} MB\t"
    )
    if init_duration_ms is not None:
        text += f"Init Duration: {init_duration_ms:.2f} ms\t"
    return text + "\n"


def invocation_log(
    request_id: str,
    version: str,
    output: str,
    *,
    duration_ms: float,
    memory_size: int,
    max_memory_used: int,
    init_duration_ms: float | None,
) -> str:
    """The whole log of one invocation, as ``LogType=Tail`` returns it before truncation."""
    if output and not output.endswith("\n"):
        output += "\n"
    return (
        start_line(request_id, version)
        + output
        + end_line(request_id)
        + report_line(
            request_id,
            duration_ms=duration_ms,
            memory_size=memory_size,
            max_memory_used=max_memory_used,
            init_duration_ms=init_duration_ms,
        )
    )
