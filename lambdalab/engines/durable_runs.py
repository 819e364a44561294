"""One durable execution as the lab keeps it, and the pure decisions about it.

The execution's state (its operations, checkpoint tokens, the watermark of what the handler has seen) is
the ``Execution`` of AWS's own testing package, ``aws-durable-execution-sdk-python-testing``: the lab
reuses its checkpoint processing and validation rather than write its own (see
:mod:`lambdalab.engines.durable_engine` for why). Around it, a :class:`DurableRun` holds what the lab adds:
the function version it runs, its settings, its timers on the virtual clock, and who waits for it.

The decisions here read operations and return values; nothing here moves time or calls a function:

- :func:`next_wake`: when the clock must resume a suspended execution (the earliest wait that ends or
  step retry that falls due);
- :func:`waiting_for`: what a suspended execution waits for, in words for the trace;
- :func:`replayed`: the operations an invocation finds already finished (the SDK skips them: replay);
- :func:`answer`: what a caller waiting for the execution (a synchronous Invoke, an event source mapping) is
  answered;
- :func:`read_output`: what an invocation answered (``SUCCEEDED``, ``FAILED``, ``PENDING``), or why the answer
  is not one.

https://docs.aws.amazon.com/lambda/latest/dg/durable-functions.html
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python.lambda_service import (
    DurableExecutionInvocationOutput,
    ErrorObject,
    InvocationStatus,
    Operation,
    OperationStatus,
    OperationType,
)

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python_testing.execution import Execution

    from ..aws.durable_config import DurableSettings
    from ..clock import Signal, Timer
    from ..ports import Target

#: operation statuses after which the SDK replays an operation from its checkpoint instead of running it
FINISHED = frozenset(
    {
        OperationStatus.SUCCEEDED,
        OperationStatus.FAILED,
        OperationStatus.CANCELLED,
        OperationStatus.TIMED_OUT,
        OperationStatus.STOPPED,
    }
)


@dataclass
class DurableRun:
    """A durable execution: the testing package's state plus the lab's timers and waiters."""

    execution: Execution
    target: Target
    settings: DurableSettings
    name: str
    payload: bytes
    started_at: float  # virtual seconds
    #: the last time written into the execution's state (see DurableEngine._stamp)
    stamp: datetime
    #: invocations so far, and the one running (0: none)
    invocations: int = 0
    running: int = 0
    #: something changed while an invocation ran: invoke again when it ends
    rerun: bool = False
    #: consecutive invocations that crashed, timed out or answered nonsense
    failed_attempts: int = 0
    wake: Timer | None = None
    deadline: Timer | None = None
    #: each open callback's timeout and heartbeat timers, by callback id
    callback_timers: dict[str, dict[str, Timer]] = field(default_factory=dict)
    #: the caller's execution ARN and CHAINED_INVOKE operation, when this execution is a chained invoke's target
    parent: tuple[str, str] | None = None
    #: set when the execution closes (a synchronous Invoke waits for it)
    closed: threading.Event = field(default_factory=threading.Event)
    #: fired on the clock when the execution closes (an event source mapping's batch waits for it)
    done: Signal | None = None
    #: seconds the execution may last: its ExecutionTimeout, or less when an event source mapping started it
    timeout: int = 0

    @property
    def arn(self) -> str:
        return self.execution.durable_execution_arn

    @property
    def status(self) -> str:
        return self.execution.current_status().value


def next_wake(operations: list[Operation]) -> datetime | None:
    """The earliest moment a wait ends or a step's retry falls due (None: nothing is timed)."""
    moments: list[datetime] = []
    for op in operations:
        if op.operation_type is OperationType.WAIT and op.status is OperationStatus.STARTED and op.wait_details:
            if op.wait_details.scheduled_end_timestamp is not None:
                moments.append(op.wait_details.scheduled_end_timestamp)
        elif op.operation_type is OperationType.STEP and op.status is OperationStatus.PENDING and op.step_details:
            if op.step_details.next_attempt_timestamp is not None:
                moments.append(op.step_details.next_attempt_timestamp)
    return min(moments) if moments else None


def waiting_for(operations: list[Operation]) -> list[str]:
    """What a suspended execution waits for: ``wait``, ``retry``, ``callback``, ``invoke``, each once, in order."""
    found: list[str] = []
    for op in operations:
        kind = None
        if op.operation_type is OperationType.WAIT and op.status is OperationStatus.STARTED:
            kind = "wait"
        elif op.operation_type is OperationType.STEP and op.status is OperationStatus.PENDING:
            kind = "retry"
        elif op.operation_type is OperationType.CALLBACK and op.status is OperationStatus.STARTED:
            kind = "callback"
        elif op.operation_type is OperationType.CHAINED_INVOKE and op.status is OperationStatus.STARTED:
            kind = "invoke"
        if kind and kind not in found:
            found.append(kind)
    return found


def replayed(operations: list[Operation]) -> list[Operation]:
    """The operations an invocation is handed already finished: the SDK returns their results without running them."""
    return [op for op in operations if op.operation_type is not OperationType.EXECUTION and op.status in FINISHED]


def label(op: Operation) -> str:
    """How the trace and the views name an operation: its name, else its type and id."""
    return op.name or f"{op.operation_type.value.lower()} {op.operation_id[:8]}"


def answer(run: DurableRun, waited: float) -> tuple[bytes, str | None]:
    """What a caller waiting for the execution is answered: the result, or an error document and its errorType.

    A run still open after the ``waited`` seconds answers ``Sandbox.Timedout``; it goes on.
    """
    result = run.execution.result
    if run.closed.is_set() and run.status == "SUCCEEDED" and result is not None:
        return (result.result or "null").encode(), None
    if not run.closed.is_set():
        error = {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"The durable execution {run.arn} is still running after {waited:g} seconds, the longest "
            "a synchronous invocation waits. It goes on: follow it with GetDurableExecution.",
        }
    else:
        failure = result.error if result is not None and result.error else ErrorObject.from_message(run.status)
        error = {"errorType": failure.type or run.status, "errorMessage": failure.message or ""}
    return json.dumps(error).encode(), error["errorType"]


def read_output(payload: bytes) -> DurableExecutionInvocationOutput | ErrorObject:
    """The invocation's answer, or the error Lambda records when the handler did not answer as the SDK does.

    A durable handler returns ``{"Status": "SUCCEEDED" | "FAILED" | "PENDING", ...}``; a plain handler (one
    without ``@durable_execution``) returns anything else.
    """
    try:
        data: Any = json.loads(payload or b"null")
        output = DurableExecutionInvocationOutput.from_dict(data)
    except (ValueError, TypeError, AttributeError, KeyError):
        return ErrorObject.from_message(
            "The function's response is not a durable execution output: is its handler decorated with "
            "@durable_execution (Python) or wrapped in withDurableExecution (Node.js)?"
        )
    if output.status is InvocationStatus.FAILED and output.result is not None:
        return ErrorObject.from_message("Cannot provide a Result for FAILED status.")
    if output.status is InvocationStatus.SUCCEEDED and output.error is not None:
        return ErrorObject.from_message("Cannot provide an Error for SUCCEEDED status.")
    return output
