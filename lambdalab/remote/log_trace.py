"""A trace built from what AWS shows: CloudWatch Logs and the run's own Lambda API calls.

A local lab writes a record whenever something happens; against a ``lambdalab server`` or
AWS the kit only sees what the account shows.  Two sources give records of the same kinds,
with the notebook's own (unprefixed) function names:

- **the Lambda API calls** the run's clients made (function created, updated, deleted;
  event invoke configs, permissions, mappings), recorded when AWS answered them;
- **the functions' log groups** (:mod:`.log_lines` reads both log formats): an ``invoke``
  record per invocation, written at its report (cold after an init; ``error`` from the
  report's status or the runtime's error line).  Its source is ``sync`` or ``async`` when
  the run's own Invoke returned that request id, ``other`` otherwise (a poller or a push).

Every other kind (attempts, retries, batches, deliveries, scaling...) is what only the local
lab knows: asking for it raises :class:`~lambdalab.errors.LocalOnlyError`, which exercise
checks turn into a plain "checked only locally" answer.  CloudWatch Logs shows events a few
seconds late on AWS, so a read waits (up to ``log_lag``) for the invocations the run
started itself.

https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from .. import trace_kinds as k
from ..errors import LocalOnlyError
from ..trace import Record, Trace
from . import log_lines
from .naming import RunNames
from .waiting import WallClock

#: the kinds this trace can show; every other kind is local-only
OBSERVED = frozenset(
    {
        k.FUNCTION_CREATED,
        k.FUNCTION_UPDATED,
        k.FUNCTION_DELETED,
        k.EVENT_INVOKE_CONFIG,
        k.PERMISSION_ADDED,
        k.PERMISSION_REMOVED,
        k.MAPPING_CREATED,
        k.MAPPING_UPDATED,
        k.MAPPING_DELETED,
        k.INVOKE,
    }
)


@dataclass(frozen=True)
class Report:
    """One invocation's REPORT line: what it was billed."""

    function: str
    request_id: str
    billed_ms: int
    memory_mb: int


class LogTrace(Trace):
    """The trace of a connected lab: the run's Lambda API calls and its functions' logs."""

    def __init__(
        self,
        clock: WallClock,
        names: RunNames,
        logs: Callable[[], Any],
        *,
        log_lag: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(lambda: clock.t)
        self._clock = clock
        self._names = names
        self._logs = logs
        self._log_lag = log_lag
        self._sleep = sleep
        self._seen: set[str] = set()  # log event ids already read
        self._next_start: dict[str, int] = {}  # per function: where to read from (ms)
        self._open: dict[str, dict[str, Any]] = {}  # log stream -> the invocation it is running
        self._read_lock = threading.Lock()
        self.functions: set[str] = set()  # the run's functions (unprefixed)
        self.sources: dict[str, str] = {}  # request id -> sync / async, for the run's own Invoke calls
        self.reports: list[Report] = []
        self._given_up: set[str] = set()  # sync invocations whose logs never came within log_lag

    # -- the Lambda API calls of the run ---------------------------------------------------------
    def api_call(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        """Record a Lambda call the run's client made and AWS answered."""
        name = self._names.strip(str(params.get("FunctionName") or parsed.get("FunctionName") or ""))
        qualifier = params.get("Qualifier")
        if operation == "CreateFunction":
            self.functions.add(name)
            self.add(k.FUNCTION_CREATED, name, runtime=params.get("Runtime"))
        elif operation in ("UpdateFunctionCode", "UpdateFunctionConfiguration"):
            self.add(k.FUNCTION_UPDATED, name, what="code" if operation.endswith("Code") else "configuration")
        elif operation == "DeleteFunction":
            self.add(k.FUNCTION_DELETED, name, qualifier=qualifier)
        elif operation.endswith("FunctionEventInvokeConfig") and not operation.startswith(("Get", "List")):
            verbs: dict[str, Literal["put", "update", "delete"]] = {
                "Put": "put",
                "Update": "update",
                "Delete": "delete",
            }
            verb = verbs.get(operation.removesuffix("FunctionEventInvokeConfig"))
            if verb is not None:
                self.add(k.EVENT_INVOKE_CONFIG, name, qualifier=qualifier, operation=verb)
        elif operation == "AddPermission":
            principal, source = str(params.get("Principal", "")), params.get("SourceArn")
            self.add(
                k.PERMISSION_ADDED,
                name,
                (str(params.get("StatementId")),),
                qualifier=qualifier,
                principal=principal,
                source_arn=source,
            )
        elif operation == "RemovePermission":
            self.add(k.PERMISSION_REMOVED, name, (str(params.get("StatementId")),), qualifier=qualifier)
        elif operation in ("CreateEventSourceMapping", "UpdateEventSourceMapping", "DeleteEventSourceMapping"):
            self._mapping(operation, parsed)
        elif operation == "Invoke" and params.get("InvocationType") != "DryRun":  # a dry run runs nothing
            request_id = str(parsed.get("ResponseMetadata", {}).get("RequestId", ""))
            self.sources[request_id] = "async" if params.get("InvocationType") == "Event" else "sync"

    def _mapping(self, operation: str, parsed: dict[str, Any]) -> None:
        name = self._names.strip(str(parsed.get("FunctionArn", "")).split(":")[6] if parsed.get("FunctionArn") else "")
        uuid = (str(parsed.get("UUID", "")),)
        if operation.startswith("Create"):
            source = str(parsed.get("EventSourceArn", ""))
            self.add(k.MAPPING_CREATED, name, uuid, source=source, source_kind=source.split(":")[2] if source else "")
        elif operation.startswith("Update"):
            self.add(k.MAPPING_UPDATED, name, uuid, enabled=parsed.get("State") not in ("Disabled", "Disabling"))
        else:
            self.add(k.MAPPING_DELETED, name, uuid)

    # -- reading ----------------------------------------------------------------------------------
    def where(self, kind: str | None = None, function: str | None = None, **detail: Any) -> list[Record]:
        if kind is not None and kind not in OBSERVED:
            raise LocalOnlyError(
                f"{kind!r} records are written only by the local lab: AWS shows no such event. "
                "Run this on lambdalab.Lab() to see them; here, look at the resources themselves."
            )
        return super().where(kind, function, **detail)

    def __iter__(self) -> Iterator[Record]:
        self.refresh()
        return iter(sorted(super().__iter__(), key=lambda r: r.t))

    def subscribe(self, listener: Callable[[Record], None]) -> None:
        raise LocalOnlyError("Live views follow the local lab's trace as it is written; use lambdalab.Lab() for them.")

    def snapshot(self) -> list[Record]:
        """The records so far, after reading the logs once (no waiting)."""
        self.refresh(wait=False)
        return sorted(super().__iter__(), key=lambda r: r.t)

    def refresh(self, *, wait: bool = True) -> None:
        """Read the functions' new log events; with ``wait``, until the run's own synchronous
        invocations are all there (AWS shows them a few seconds late), for at most ``log_lag`` s."""
        with self._read_lock:
            deadline = time.monotonic() + self._log_lag
            while True:
                for function in sorted(self.functions):
                    self._read(function)
                missing = self._missing()
                if not wait or not missing:
                    return
                if time.monotonic() >= deadline:
                    self._given_up |= missing  # a role that may not write logs: wait for them once only
                    return
                self._sleep(0.5)

    def _missing(self) -> set[str]:
        reported = {r.request_id for r in self.reports}
        return {
            rid
            for rid, source in self.sources.items()
            if source == "sync" and rid not in reported and rid not in self._given_up
        }

    def _read(self, function: str) -> None:
        logs = self._logs()
        group = "/aws/lambda/" + self._names.name(function)
        params: dict[str, Any] = {"logGroupName": group, "startTime": self._next_start.get(function, 0)}
        events: list[dict[str, Any]] = []
        try:
            for page in logs.get_paginator("filter_log_events").paginate(**params):
                events.extend(page.get("events", []))
        except logs.exceptions.ResourceNotFoundException:
            return  # not run yet: Lambda makes the group at the first invocation
        for event in sorted(events, key=lambda e: (e["timestamp"], e.get("ingestionTime", 0))):
            if event["eventId"] in self._seen:
                continue
            self._seen.add(event["eventId"])
            self._next_start[function] = max(self._next_start.get(function, 0), int(event["timestamp"]))
            self._line(function, str(event.get("logStreamName", "")), str(event["message"]), int(event["timestamp"]))

    def _line(self, function: str, stream: str, message: str, stamp_ms: int) -> None:
        """One log event; an environment runs one invocation at a time, so a stream's lines between
        its start and its report are that invocation's."""
        line = log_lines.parse(message)
        if isinstance(line, log_lines.Start):
            self._open[stream] = {"request_id": line.request_id, "version": line.version, "error": None}
        elif isinstance(line, log_lines.Report):
            state = self._open.pop(stream, None)
            if state is None or state["request_id"] != line.request_id:
                state = {"version": "$LATEST", "error": None}
            detail: k.Invoke = {
                "source": self.sources.get(line.request_id, "other"),
                "version": state["version"],
                "error": line.error or state["error"],
                "cold": line.cold,
            }
            t = self._clock.t_at(stamp_ms / 1000)  # Lambda stamps log events with the wall clock
            self._append(Record(t, k.INVOKE, function, (line.request_id,), detail))
            self.reports.append(Report(function, line.request_id, line.billed_ms, line.memory_mb))
        elif isinstance(line, log_lines.Failure) and (state := self._open.get(stream)) is not None:
            state["error"] = state["error"] or line.error_type

    def _append(self, record: Record) -> None:
        with self._lock:
            self._records.append(record)
