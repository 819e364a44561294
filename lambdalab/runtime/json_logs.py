"""Lambda's logs in the JSON log format, and log-level filtering.

With ``LoggingConfig.LogFormat`` set to ``JSON`` (advanced logging controls, November
2023) both kinds of log change:

- **System logs** (what Lambda itself writes) become one JSON object per event,
  ``{"time":...,"type":"platform.<event>","record":{...}}``, the records of the
  Telemetry API: ``platform.initStart`` opens an environment, ``platform.start`` and
  ``platform.report`` (durations, memory, ``initDurationMs`` on a cold start, and
  ``status``) frame each invocation, ``platform.initReport`` reports a failed init and
  ``platform.runtimeDone`` the runtime's own end of an invocation.  ``SystemLogLevel``
  filters them: ``runtimeDone`` is DEBUG, the others INFO; ``WARN`` keeps none of
  these.  The lab keeps the platform's error lines (the timeout line, a runtime that
  exited) as they are in both formats: AWS does not document a JSON form for them.
- **Application logs** (what the function writes): the managed runtimes learn the
  format and level from ``AWS_LAMBDA_LOG_FORMAT`` and ``AWS_LAMBDA_LOG_LEVEL`` (the
  Python runtime interface client then writes each ``logging`` record as JSON with
  ``timestamp``, ``level``, ``message``, ``logger`` and ``requestId``).  Lambda filters
  what reaches CloudWatch Logs by ``ApplicationLogLevel``: an event that is a JSON
  object with a ``"level"`` key has that level; any other line (a plain ``print``) or
  an unknown level counts as INFO.

Levels exist only with JSON: AWS refuses them with ``Text``
(:func:`lambdalab.aws.function_config.check_logging`).  A JSON function with no levels
given gets ``INFO`` for both.

https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html
https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

#: application log levels, least severe first (botocore's ApplicationLogLevel)
APPLICATION_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
#: system log levels, least severe first (botocore's SystemLogLevel)
SYSTEM_LEVELS = ("DEBUG", "INFO", "WARN")
#: the level of each platform record Lambda writes to CloudWatch Logs
RECORD_LEVELS = {
    "platform.initStart": "INFO",
    "platform.initReport": "INFO",
    "platform.start": "INFO",
    "platform.runtimeDone": "DEBUG",
    "platform.report": "INFO",
}
#: what other libraries call the levels
_ALIASES = {"WARNING": "WARN", "CRITICAL": "FATAL"}


def stamp(ms: int) -> str:
    """``2026-12-06T19:32:06.123Z``: epoch milliseconds as the records' ``time``."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def record(ms: int, kind: str, body: dict[str, Any]) -> str:
    """One system log event: ``{"time", "type", "record"}``."""
    return json.dumps({"time": stamp(ms), "type": kind, "record": body}, separators=(",", ":"))


def severity(level: str, levels: tuple[str, ...] = APPLICATION_LEVELS) -> int:
    """The rank of ``level`` among ``levels`` (case and aliases forgiven); INFO's when it is not a level."""
    name = _ALIASES.get(level.upper(), level.upper())
    return levels.index(name) if name in levels else levels.index("INFO")


def system_allows(kind: str, system_level: str | None) -> bool:
    """Whether a platform record of ``kind`` passes ``SystemLogLevel`` (INFO when not given)."""
    wanted = severity(system_level or "INFO", SYSTEM_LEVELS)
    return severity(RECORD_LEVELS.get(kind, "INFO"), SYSTEM_LEVELS) >= wanted


def application_level(message: str) -> str | None:
    """The level of a line the function wrote (None: not a leveled JSON object, so INFO)."""
    text = message.strip()
    if not text.startswith("{"):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    value = doc.get("level") if isinstance(doc, dict) else None
    return value if isinstance(value, str) else None


def application_allows(message: str, application_level_setting: str | None) -> bool:
    """Whether a line the function wrote passes ``ApplicationLogLevel`` (INFO when not given)."""
    wanted = severity(application_level_setting or "INFO")
    return severity(application_level(message) or "INFO") >= wanted


def is_platform_record(message: str) -> bool:
    """A system log event in the JSON format (written by the lab, never by a function)."""
    return message.startswith('{"time":"') and '"type":"platform.' in message[:80]


def init_start(ms: int, *, runtime_version: str, runtime_version_arn: str, function_name: str, version: str) -> str:
    return record(
        ms,
        "platform.initStart",
        {
            "initializationType": "on-demand",
            "phase": "init",
            "runtimeVersion": runtime_version,
            "runtimeVersionArn": runtime_version_arn,
            "functionName": function_name,
            "functionVersion": version,
        },
    )


def init_report(ms: int, *, duration_ms: float, status: str, error_type: str | None) -> str:
    body: dict[str, Any] = {"initializationType": "on-demand", "phase": "init", "status": status}
    if error_type:
        body["errorType"] = error_type
    body["metrics"] = {"durationMs": round(duration_ms, 3)}
    return record(ms, "platform.initReport", body)


def start(ms: int, request_id: str, version: str) -> str:
    return record(ms, "platform.start", {"requestId": request_id, "version": version})


def runtime_done(ms: int, request_id: str, *, status: str, duration_ms: float) -> str:
    body = {"requestId": request_id, "status": status, "metrics": {"durationMs": round(duration_ms, 3)}}
    return record(ms, "platform.runtimeDone", body)


def report(
    ms: int,
    request_id: str,
    *,
    status: str,
    error_type: str | None,
    duration_ms: float,
    billed_ms: int,
    memory_size: int,
    max_memory_used: int,
    init_duration_ms: float | None,
) -> str:
    metrics: dict[str, Any] = {
        "durationMs": round(duration_ms, 3),
        "billedDurationMs": billed_ms,
        "memorySizeMB": memory_size,
        "maxMemoryUsedMB": max_memory_used,
    }
    if init_duration_ms is not None:
        metrics["initDurationMs"] = round(init_duration_ms, 3)
    body: dict[str, Any] = {"requestId": request_id, "metrics": metrics, "status": status}
    if error_type:
        body["errorType"] = error_type
    return record(ms, "platform.report", body)
