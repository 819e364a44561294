"""Reading Lambda's log lines back: where an invocation starts, how it ended, what it was billed.

Both log formats (``LoggingConfig.LogFormat``):

- **Text**: ``START RequestId: <id> Version: <v>``, the function's lines, ``END`` and
  ``REPORT RequestId: <id>\\tDuration: ...\\tBilled Duration: 2 ms\\tMemory Size: 128 MB\\t...``
  with ``Init Duration`` after a cold start and ``Status: timeout`` / ``Status: error`` (with
  ``Error Type``) when the platform ended it.  A handler that raised leaves its runtime's error
  line: Python's ``[ERROR] ValueError: ...``, Node.js's ``ERROR\\tInvoke Error \\t{"errorType":...}``.
- **JSON**: ``{"type": "platform.start", "record": {"requestId", "version"}}`` and
  ``{"type": "platform.report", "record": {"requestId", "status", "errorType", "metrics":
  {"billedDurationMs", "memorySizeMB", "initDurationMs"}}}``; the function's own error is a JSON
  line with ``"level": "ERROR"`` and its ``errorType``.

https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html
https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html
https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_START = re.compile(r"START RequestId: (\S+) Version: (\S+)")
_REPORT = re.compile(r"REPORT RequestId: (\S+)")
_FIELD = re.compile(r"([A-Za-z ]+): ([^\t]+)")
_PY_ERROR = re.compile(r"\[ERROR\] (?:Runtime\.)?([A-Za-z_.]+)")
_NODE_ERROR = re.compile(r"\tERROR\tInvoke Error \t(\{.*\})", re.S)
#: the error a REPORT's status stands for when it names none
TIMED_OUT = "Sandbox.Timedout"


@dataclass(frozen=True)
class Start:
    request_id: str
    version: str


@dataclass(frozen=True)
class Report:
    request_id: str
    billed_ms: int
    memory_mb: int
    cold: bool
    error: str | None  # what the platform says ended it (a timeout, a runtime that failed), else None


@dataclass(frozen=True)
class Failure:
    """The runtime's line for a handler that raised."""

    error_type: str


Line = Start | Report | Failure | None


def parse(message: str) -> Line:
    """What one log event says about its invocation (None: the function's own output)."""
    if message.startswith("{"):
        try:
            document = json.loads(message)
        except ValueError:
            return None
        return _json(document) if isinstance(document, dict) else None
    if start := _START.match(message):
        return Start(start.group(1), start.group(2))
    if report := _REPORT.match(message):
        fields = {name.strip(): value.strip() for name, value in _FIELD.findall(message.split("\t", 1)[-1])}
        status = fields.get("Status")
        error = TIMED_OUT if status == "timeout" else fields.get("Error Type", "Runtime.Unknown") if status else None
        return Report(
            report.group(1),
            billed_ms=int(fields.get("Billed Duration", "0 ms").split()[0]),
            memory_mb=int(fields.get("Memory Size", "128 MB").split()[0]),
            cold="Init Duration" in fields,
            error=error,
        )
    if found := _PY_ERROR.search(message):
        return Failure(found.group(1).rstrip(".:"))
    if found := _NODE_ERROR.search(message):
        try:
            return Failure(str(json.loads(found.group(1)).get("errorType", "Error")))
        except ValueError:
            return Failure("Error")
    return None


def _json(document: dict[str, Any]) -> Line:
    record = document.get("record")
    kind = document.get("type")
    if kind == "platform.start" and isinstance(record, dict):
        return Start(str(record.get("requestId", "")), str(record.get("version", "$LATEST")))
    if kind == "platform.report" and isinstance(record, dict):
        metrics = record.get("metrics") or {}
        status = record.get("status", "success")
        error = None if status == "success" else TIMED_OUT if status == "timeout" else record.get("errorType")
        return Report(
            str(record.get("requestId", "")),
            billed_ms=int(metrics.get("billedDurationMs", 0)),
            memory_mb=int(metrics.get("memorySizeMB", 128)),
            cold="initDurationMs" in metrics,
            error=str(error or "Runtime.Unknown") if status != "success" else None,
        )
    if document.get("level") == "ERROR" and document.get("errorType"):
        return Failure(str(document["errorType"]))
    return None
