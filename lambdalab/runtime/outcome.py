"""What one invocation did in its execution environment, and how Lambda reports it.

An :class:`Outcome` is the environment's account (a response, an error, a
timeout, a crash) with the log events it wrote; :func:`result_of` turns it into
the :class:`InvokeResult` the Invoke API answers with, its log wrapped in START /
END / REPORT (and INIT_REPORT after a failed init: :func:`.logs.invocation_events`).  The
failure texts below are the ones Lambda writes when the function itself could
not answer: the timeout
(https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html),
a runtime that exits or runs out of memory, an answer too large to accept.  Every runtime
of the lab (the subprocess one and the in-process fake) reports through here.
"""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass

from lambdalab.runtime.logs import billed_ms, invocation_events, is_init_start, timeout_line
from lambdalab.runtime.output import as_text
from lambdalab.runtime.realtime import iso_now
from lambdalab.runtime.types import FunctionSpec, InvokeResult, LogEvent

#: what a signal that ended a runtime process is called in "Runtime exited with error: signal: ..."
_SIGNAL_TEXT = {
    signal.SIGKILL: "killed",
    signal.SIGTERM: "terminated",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGINT: "interrupt",
    signal.SIGBUS: "bus error",
}


@dataclass(frozen=True)
class Outcome:
    """What happened to one invocation inside an environment."""

    kind: str  # "response", "error", "init_error", "timeout", "oom", "exit"
    body: bytes
    error_type: str | None
    duration_ms: float
    init_duration_ms: float | None  # set on a cold start only
    max_memory_mb: int
    #: what the runtime wrote before the invocation reached it (a cold start's INIT_START and init output)
    before_start: tuple[LogEvent, ...] = ()
    #: what it wrote during the invocation, the platform's timeout or exit line included
    events: tuple[LogEvent, ...] = ()
    #: whether the runtime got the invocation at all (not: its init failed)
    delivered: bool = True
    #: real time (epoch ms) the invocation started (or failed before it could) and ended
    started_ms: int = 0
    ended_ms: int = 0
    #: the environment's init belongs to its allocation (provisioned concurrency), not to this request:
    #: its output goes to the log stream but not into the log ``LogType=Tail`` reads
    init_ahead: bool = False


def result_of(spec: FunctionSpec, request_id: str, outcome: Outcome, log_stream_name: str = "") -> InvokeResult:
    """The Invoke API's view of an outcome, with its log for the environment's stream ``log_stream_name``."""
    function_error = None if outcome.kind == "response" else "Unhandled"

    def logged(before_start: tuple[LogEvent, ...]) -> tuple[list[LogEvent], float | None]:
        return invocation_events(
            request_id=request_id,
            version=spec.version,
            memory_size=spec.memory_size,
            max_memory_used=outcome.max_memory_mb,
            kind=outcome.kind,
            error_type=outcome.error_type,
            delivered=outcome.delivered,
            before_start=list(before_start),
            events=list(outcome.events),
            started_ms=outcome.started_ms,
            ended_ms=outcome.ended_ms,
            duration_ms=outcome.duration_ms,
            init_duration_ms=outcome.init_duration_ms,
            settings=spec.logging,
        )

    events, reported_init = logged(outcome.before_start)
    tail = logged(())[0] if outcome.init_ahead and outcome.before_start else _without_init_start(events)
    return InvokeResult(
        request_id=request_id,
        payload=outcome.body,
        executed_version=spec.version,
        function_error=function_error,
        error_type=outcome.error_type if function_error else None,
        log=as_text(tail),
        log_events=tuple(events),
        log_stream_name=log_stream_name,
        duration_ms=outcome.duration_ms,
        billed_duration_ms=billed_ms(outcome.duration_ms, reported_init),
        max_memory_used_mb=outcome.max_memory_mb,
        init_duration_ms=outcome.init_duration_ms,
    )


def _without_init_start(events: list[LogEvent]) -> list[LogEvent]:
    """The log ``LogType=Tail`` reads: INIT_START goes to CloudWatch Logs only (runtime-management-identify)."""
    return events[1:] if events and is_init_start(events[0].message) else events


def error_doc(error_type: str, message: str) -> bytes:
    """The response body of a failure the function did not report itself."""
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def error_type_of(body: bytes) -> str | None:
    """The ``errorType`` of an error document, if it has one."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    value = doc.get("errorType") if isinstance(doc, dict) else None
    return value if isinstance(value, str) else None


def response_too_large(size: int, limit: int) -> bytes:
    """The error document of an answer larger than the Runtime API accepts (``Function.ResponseSizeTooLarge``)."""
    message = f"Response payload size ({size} bytes) exceeded maximum allowed payload size ({limit} bytes)."
    return json.dumps({"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"}).encode()


@dataclass(frozen=True)
class Failure:
    """A failure the platform reports for the function: error type, response body, log lines."""

    error_type: str
    body: bytes
    message: str  # one log event of the platform's


def timed_out(request_id: str, timeout: float, stamp: str | None = None) -> Failure:
    """The function ran past its timeout; Lambda stops it (at ``stamp``) and discards the environment."""
    error_type = "Sandbox.Timedout"
    body = error_doc(error_type, f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds")
    return Failure(error_type, body, timeout_line(stamp or iso_now(), request_id, timeout))


def exited(request_id: str, returncode: int | None, *, out_of_memory: bool = False) -> Failure:
    """The runtime process ended (``returncode`` < 0: killed by that signal) or was killed for memory."""
    error_type = "Runtime.OutOfMemory" if out_of_memory else "Runtime.ExitError"
    if out_of_memory or returncode is None or returncode < 0:
        sig = signal.Signals(-returncode) if returncode is not None and returncode < 0 else signal.SIGKILL
        reason = f"signal: {_SIGNAL_TEXT.get(sig, sig.name.lower())}"
    else:
        reason = f"exit status {returncode}"
    message = f"RequestId: {request_id} Error: Runtime exited with error: {reason}"
    return Failure(error_type, error_doc(error_type, message), f"{message}\n{error_type}")
