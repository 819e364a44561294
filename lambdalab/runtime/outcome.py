"""What one invocation did in its execution environment, and how Lambda reports it.

An :class:`Outcome` is the environment's account (a response, an error, a
timeout, a crash); :func:`result_of` turns it into the :class:`InvokeResult`
the Invoke API answers with, its log wrapped in START / END / REPORT.  The
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

from lambdalab.runtime.logs import billed_ms, invocation_log
from lambdalab.runtime.realtime import iso_now
from lambdalab.runtime.types import FunctionSpec, InvokeResult

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
    output: str  # what the function and its runtime wrote, failure lines included
    duration_ms: float
    init_duration_ms: float | None  # set on a cold start only
    max_memory_mb: int


def result_of(spec: FunctionSpec, request_id: str, outcome: Outcome) -> InvokeResult:
    """The Invoke API's view of an outcome."""
    function_error = None if outcome.kind == "response" else "Unhandled"
    log = invocation_log(
        request_id,
        spec.version,
        outcome.output,
        duration_ms=outcome.duration_ms,
        memory_size=spec.memory_size,
        max_memory_used=outcome.max_memory_mb,
        init_duration_ms=outcome.init_duration_ms,
    )
    return InvokeResult(
        request_id=request_id,
        payload=outcome.body,
        executed_version=spec.version,
        function_error=function_error,
        error_type=outcome.error_type if function_error else None,
        log=log,
        duration_ms=outcome.duration_ms,
        billed_duration_ms=billed_ms(outcome.duration_ms),
        max_memory_used_mb=outcome.max_memory_mb,
        init_duration_ms=outcome.init_duration_ms,
    )


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
    log: str  # appended to the invocation's output


def timed_out(request_id: str, timeout: float) -> Failure:
    """The function ran past its timeout; Lambda stops it and discards the environment."""
    error_type = "Sandbox.Timedout"
    body = error_doc(error_type, f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds")
    return Failure(error_type, body, f"{iso_now()} {request_id} Task timed out after {timeout:.2f} seconds\n")


def exited(request_id: str, returncode: int | None, *, out_of_memory: bool = False) -> Failure:
    """The runtime process ended (``returncode`` < 0: killed by that signal) or was killed for memory."""
    error_type = "Runtime.OutOfMemory" if out_of_memory else "Runtime.ExitError"
    if out_of_memory or returncode is None or returncode < 0:
        sig = signal.Signals(-returncode) if returncode is not None and returncode < 0 else signal.SIGKILL
        reason = f"signal: {_SIGNAL_TEXT.get(sig, sig.name.lower())}"
    else:
        reason = f"exit status {returncode}"
    message = f"RequestId: {request_id} Error: Runtime exited with error: {reason}"
    return Failure(error_type, error_doc(error_type, message), f"{message}\n{error_type}\n")
