"""The platform lines Lambda writes around a function's own output.

A new execution environment's log stream opens with ``INIT_START`` (the runtime
version that runs it: runtime-management-identify); what the function prints while
its module loads (the init phase) comes next, before the first ``START``.  Every
invocation is ``START``, the function's output, ``END`` and ``REPORT``: duration,
billed duration, memory and, after a cold start, ``Init Duration``.

- **Init is billed** (since 1 August 2025, for ``.zip`` functions on managed runtimes too:
  AWS Compute Blog, "AWS Lambda standardizes billing for INIT Phase"): on a cold start
  ``Billed Duration`` is ``Init Duration`` plus ``Duration``, rounded up to the next
  millisecond.  Custom runtimes and container images were always billed so.
- **REPORT says how it ended** when the platform ended it: ``Status: timeout`` after a
  timeout (the ``Task timed out after N.NN seconds`` line still comes first), and
  ``Status: error`` with ``Error Type: Runtime.<...>`` when the runtime failed (it
  exited, ran out of memory, could not start).  A handler that raised has no Status.
- **A failed init** is reported by ``INIT_REPORT Init Duration: ... Phase: init
  Status: error Error Type: ...`` (``Status: timeout`` after the 10 s init limit), not
  by a REPORT whose Init Duration is its Duration.  AWS then tries the init once more
  in the invoke phase (a second ``INIT_REPORT`` with ``Phase: invoke``); the lab does
  not: it reports the invocation failed with the first init's error.

Each line is one CloudWatch Logs event.  The exact forms follow logs users have
published from AWS (e.g. ``INIT_START Runtime Version: python:3.13.v14\\tRuntime Version
ARN: arn:aws:lambda:eu-south-1::runtime:7b62...`` on runtime-management-identify).
The lab's runtime versions are its own: ``v1`` of each runtime, with an ARN made from
the runtime's name.

With ``LogFormat`` JSON the same events are JSON records, filtered by the function's
log levels (:mod:`.json_logs`).

https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
https://docs.aws.amazon.com/lambda/latest/dg/runtime-management-identify.html
https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html
https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable

from . import json_logs
from .types import LogEvent, LogSettings


def billed_ms(duration_ms: float, init_duration_ms: float | None = None) -> int:
    """Lambda bills in 1 ms steps, rounding up (never less than 1 ms); a cold start's init is billed too."""
    return max(1, math.ceil(duration_ms + (init_duration_ms or 0.0) - 1e-9))


def runtime_version(runtime: str, region: str) -> tuple[str, str]:
    """The lab's version of ``runtime`` and its ARN: ``("python:3.12.v1", "arn:aws:lambda:<region>::runtime:<hex>")``."""
    match = re.fullmatch(r"(python|nodejs|provided|java|dotnet|ruby)\.?(.*?)(\.x)?", runtime)
    family, number = (match.group(1), match.group(2)) if match else (runtime, "")
    name = f"{family}:{number}.v1" if number else f"{family}.v1"
    digest = hashlib.sha256(f"lambdalab runtime {runtime} v1".encode()).hexdigest()
    return name, f"arn:aws:lambda:{region}::runtime:{digest}"


def init_start_line(runtime: str, region: str) -> str:
    version, arn = runtime_version(runtime, region)
    return f"INIT_START Runtime Version: {version}\tRuntime Version ARN: {arn}"


def init_start_event(
    ms: int, runtime: str, region: str, settings: LogSettings, *, function_name: str, version: str
) -> str | None:
    """The event that opens an environment's stream, in the function's log format (None: filtered out)."""
    if not settings.json:
        return init_start_line(runtime, region)
    if not json_logs.system_allows("platform.initStart", settings.system_level):
        return None
    name, arn = runtime_version(runtime, region)
    return json_logs.init_start(
        ms, runtime_version=name, runtime_version_arn=arn, function_name=function_name, version=version
    )


def is_init_start(message: str) -> bool:
    """Whether an event is the one that opens a stream (``INIT_START`` or ``platform.initStart``)."""
    return message.startswith("INIT_START Runtime Version: ") or (
        json_logs.is_platform_record(message) and '"type":"platform.initStart"' in message[:80]
    )


def init_report_line(init_duration_ms: float, *, status: str, error_type: str | None) -> str:
    """A failed init: ``INIT_REPORT Init Duration: 12.34 ms  Phase: init  Status: error  Error Type: ...``."""
    text = f"INIT_REPORT Init Duration: {init_duration_ms:.2f} ms\tPhase: init\tStatus: {status}"
    return text + (f"\tError Type: {error_type}" if error_type else "")


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def report_line(
    request_id: str,
    *,
    duration_ms: float,
    memory_size: int,
    max_memory_used: int,
    init_duration_ms: float | None,
    status: str | None = None,
    error_type: str | None = None,
) -> str:
    text = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {billed_ms(duration_ms, init_duration_ms)} ms\tMemory Size: {memory_size} MB\t"
        f"Max Memory Used: {max_memory_used} MB\t"
    )
    if init_duration_ms is not None:
        text += f"Init Duration: {init_duration_ms:.2f} ms\t"
    if status:
        text += f"Status: {status}\t"
        if error_type:
            text += f"Error Type: {error_type}\t"
    return text


def timeout_line(stamp: str, request_id: str, timeout: float) -> str:
    """``2025-01-06T09:00:03.012Z <request id> Task timed out after 3.00 seconds``."""
    return f"{stamp} {request_id} Task timed out after {timeout:.2f} seconds"


def invocation_events(
    *,
    request_id: str,
    version: str,
    memory_size: int,
    max_memory_used: int,
    kind: str,
    error_type: str | None,
    delivered: bool,
    before_start: list[LogEvent],
    events: list[LogEvent],
    started_ms: int,
    ended_ms: int,
    duration_ms: float,
    init_duration_ms: float | None,
    settings: LogSettings | None = None,
) -> tuple[list[LogEvent], float | None]:
    """The invocation's whole log as events, and the Init Duration its REPORT shows.

    ``kind`` is how it ended (``response``, ``error``, ``timeout``, ``exit``, ``oom``,
    ``init_error``); ``delivered`` whether the runtime got the event at all (if not,
    the init failed: an ``INIT_REPORT`` says so and the REPORT has no Init Duration).
    Timestamps never go backwards, so CloudWatch Logs keeps this order.
    ``settings``: the function's LoggingConfig (JSON records and level filtering).
    """
    json_format = settings is not None and settings.json
    system = settings.system_level if settings is not None else None

    def platform(ms: int, record_type: str, text: str | None, record: Callable[[], str]) -> list[LogEvent]:
        """One system log event in the function's format (none when SystemLogLevel filters it out)."""
        if not json_format:
            return [LogEvent(ms, text)] if text is not None else []
        return [LogEvent(ms, record())] if json_logs.system_allows(record_type, system) else []

    def application(items: list[LogEvent]) -> list[LogEvent]:
        if not json_format or settings is None:
            return list(items)
        level = settings.application_level
        return [
            e
            for e in items
            if json_logs.is_platform_record(e.message)
            or _platform_text(e.message, request_id)
            or json_logs.application_allows(e.message, level)
        ]

    out = application(before_start)
    reported_init = init_duration_ms
    status: str | None = None
    if kind == "timeout":
        status = "timeout"
    elif kind in ("exit", "oom", "init_error"):
        status = "error"
    if not delivered and kind in ("init_error", "timeout", "exit", "oom"):
        init_status = "timeout" if kind == "timeout" else "error"
        init_error = None if kind == "timeout" else error_type
        init_ms = init_duration_ms or duration_ms
        out += platform(
            started_ms,
            "platform.initReport",
            init_report_line(init_ms, status=init_status, error_type=init_error),
            lambda: json_logs.init_report(started_ms, duration_ms=init_ms, status=init_status, error_type=init_error),
        )
        reported_init = None
    out += platform(
        started_ms,
        "platform.start",
        start_line(request_id, version),
        lambda: json_logs.start(started_ms, request_id, version),
    )
    out += application(events)
    out += platform(
        ended_ms,
        "platform.runtimeDone",
        end_line(request_id),
        lambda: json_logs.runtime_done(ended_ms, request_id, status=status or "success", duration_ms=duration_ms),
    )
    report_error = error_type if status == "error" else None
    text_report = report_line(
        request_id,
        duration_ms=duration_ms,
        memory_size=memory_size,
        max_memory_used=max_memory_used,
        init_duration_ms=reported_init,
        status=status,
        error_type=report_error,
    )
    out += platform(
        ended_ms,
        "platform.report",
        text_report,
        lambda: json_logs.report(
            ended_ms,
            request_id,
            status=status or "success",
            error_type=report_error,
            duration_ms=duration_ms,
            billed_ms=billed_ms(duration_ms, reported_init),
            memory_size=memory_size,
            max_memory_used=max_memory_used,
            init_duration_ms=reported_init,
        ),
    )
    return _in_order(out), reported_init


def _platform_text(message: str, request_id: str) -> bool:
    """A line of the platform's (timeout, runtime exit) or the lab's, never filtered by ApplicationLogLevel."""
    return message.startswith(("RequestId: ", "lambdalab: ")) or f"{request_id} Task timed out after " in message[:120]


def _in_order(events: list[LogEvent]) -> list[LogEvent]:
    """The same events, each stamped no earlier than the one before it."""
    out: list[LogEvent] = []
    last = 0
    for event in events:
        last = max(last, event.timestamp)
        out.append(event if event.timestamp == last else LogEvent(last, event.message))
    return out
