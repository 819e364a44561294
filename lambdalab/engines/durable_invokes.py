"""Chained invokes of durable executions: ``context.invoke`` runs another function, and the caller waits for it.

``context.invoke(function_name, payload)`` checkpoints a CHAINED_INVOKE operation (action START, with
``ChainedInvokeOptions``: the target's name or ARN, optionally qualified, and a tenant id) and suspends the
invocation (the JavaScript SDK's ``context.invoke(name, funcId, input)`` checkpoints the same operation).
Lambda then invokes the target on the execution's behalf, records its answer in the execution's
state and invokes the caller again, which reads the result (or raises ``InvokeError``). The caller uses no
compute meanwhile. Here, on the clock:

- the target is resolved when the START is checkpointed: a name that is not a function's (or not a function
  name at all) fails the operation in the checkpoint's own answer, ``ResourceNotFoundException``, and the
  handler raises at once without suspending;
- a **plain** target runs once, a synchronous invocation through the lab's Invoke path at this instant: its
  answer is the operation's result; a function error (including ``Sandbox.Timedout`` at the function's
  timeout) fails the operation with that error;
- a **durable** target (one with a ``DurableConfig``) starts its own execution, with its own invocations,
  waits and retries on the same clock, and the operation closes when that execution does: ``SUCCEEDED``
  with its result, ``FAILED`` with its error, ``TIMED_OUT`` (``ChainedInvoke.Timeout``) when it outlives
  its execution timeout, ``STOPPED`` when it is stopped;
- a chained invoke's input, and a plain target's answer, are capped at 1 MiB (the checkpoint's validation
  caps the input).

The figures, error types and messages are those of AWS's testing runner
(``aws-durable-execution-sdk-python-testing``, its ``child_dispatcher``), whose checkpoint processing the lab
already uses; the SDK of this version has no caller-side timeout for an invoke. A plain target named without a
qualifier runs ``$LATEST``; a durable one must be named with a version, an alias or ``$LATEST``, as for any invoke
of a durable function: unqualified, the operation fails in its own checkpoint with
``InvalidParameterValueException`` "You cannot invoke a durable function using an unqualified ARN."
(https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking.html#durable-invoking-qualified-arns).

https://docs.aws.amazon.com/lambda/latest/dg/durable-functions.html
https://docs.aws.amazon.com/lambda/latest/api/API_ChainedInvokeOptions.html
https://docs.aws.amazon.com/lambda/latest/api/API_ChainedInvokeStartedDetails.html
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python.lambda_service import ErrorObject, OperationStatus
from aws_durable_execution_sdk_python_testing.checkpoint.effects import ChainedInvokeStarted
from aws_durable_execution_sdk_python_testing.child_dispatcher import (
    INVALID_FUNCTION_ARN_MESSAGE_FORMAT,
    chained_invoke_timeout_error,
    parse_function_target,
    result_outcome,
)

from ..errors import AwsError, unqualified_durable
from ..trace_kinds import DURABLE_CHAINED_INVOKE

if TYPE_CHECKING:
    from ..aws.durable_config import DurableSettings
    from ..clock import Clock
    from ..ports import Ids, Invoker, Target
    from ..runtime.types import InvokeResult
    from ..trace import Trace
    from .durable_runs import DurableRun

#: a chained invoke's outcome: the operation's status, its result, its error
Outcome = tuple[OperationStatus, str | None, ErrorObject | None]


class DurableInvokes:
    """The chained-invoke half of :class:`~lambdalab.engines.durable_engine.DurableEngine`."""

    ids: Ids
    clock: Clock
    trace: Trace
    invoker: Invoker
    runs: dict[str, DurableRun]
    _lock: threading.RLock
    #: the durable settings of a function (None: a plain function)
    settings_of: Callable[[str], DurableSettings | None]

    def _stamp(self, run: DurableRun) -> datetime:
        raise NotImplementedError

    def _wake_up(self, run: DurableRun, reason: str) -> None:
        raise NotImplementedError

    def start(
        self, target: Target, settings: DurableSettings, payload: bytes, name: str | None, how: str
    ) -> DurableRun:
        raise NotImplementedError

    def _preflight(self, function_name: str) -> ErrorObject | None:
        """The error that fails a chained invoke in its own checkpoint (None: the target exists)."""
        try:
            parsed = parse_function_target(function_name)
        except (ValueError, TypeError):
            return ErrorObject(INVALID_FUNCTION_ARN_MESSAGE_FORMAT.format(function_name), None, None, None)
        try:
            target = self.invoker.resolve(parsed.name, parsed.qualifier)
        except AwsError as err:
            return ErrorObject(err.message, err.code, None, None)
        if target.qualifier is None and self.settings_of(target.spec.function_name) is not None:
            refused = unqualified_durable()
            return ErrorObject(refused.message, refused.code, None, None)
        return None

    def _invoke_started(self, run: DurableRun, effect: ChainedInvokeStarted) -> None:
        """A CHAINED_INVOKE was checkpointed: run its target at this instant, once the caller's invocation ends."""
        self.clock.call_later(0, lambda: self._dispatch(run, effect))

    def _dispatch(self, run: DurableRun, effect: ChainedInvokeStarted) -> None:
        if run.execution.is_complete:
            return
        parsed = parse_function_target(effect.function_name)
        payload = (effect.payload if effect.payload is not None else "{}").encode()
        try:
            target = self.invoker.resolve(parsed.name, parsed.qualifier)
        except AwsError as err:  # deleted since the checkpoint
            self._answered(run, effect, (OperationStatus.FAILED, None, ErrorObject(err.message, err.code, None, None)))
            return
        settings = self.settings_of(target.spec.function_name)
        if settings is not None:
            child = self.start(target, settings, payload, None, "ChainedInvoke")
            with self._lock:
                child.parent = (run.arn, effect.operation_id)
                child.execution.parent_execution_arn = run.arn
                run.execution.record_chained_invoke_child(effect.operation_id, child.arn)
            self._trace(run, effect, "STARTED", target_execution=child.arn)
            return
        request_id = self.ids.new_id()
        self._trace(run, effect, "STARTED", request_id=request_id)
        try:
            result = self.invoker.run(target, payload, source="durable-invoke", request_id=request_id)
        except AwsError as err:  # throttled, or refused
            outcome: Outcome = (OperationStatus.FAILED, None, ErrorObject(err.message, err.code, None, None))
        else:
            outcome = plain_outcome(result)
        self._answered(run, effect, outcome, request_id=request_id)

    def _child_closed(self, child: DurableRun) -> None:
        """A durable target's execution closed: its outcome is the caller's operation's."""
        if child.parent is None:
            return
        parent = self.runs.get(child.parent[0])
        if parent is None:
            return
        named = child.target.spec.function_name + (f":{child.target.qualifier}" if child.target.qualifier else "")
        effect = ChainedInvokeStarted(
            parent.arn, child.parent[1], named, None, None
        )  # the target as the caller named it
        self._answered(parent, effect, child_outcome(child), target_execution=child.arn)

    def _answered(self, run: DurableRun, effect: ChainedInvokeStarted, outcome: Outcome, **ids: Any) -> None:
        """Record the target's answer in the caller's state, and invoke the caller again."""
        status, result, error = outcome
        with self._lock:
            ex = run.execution
            if ex.is_complete:  # the caller closed meanwhile: its end stands
                return
            _, op = ex.find_operation(effect.operation_id)
            if op.status is not OperationStatus.STARTED:
                return
            ex.complete_chained_invoke(effect.operation_id, status, result, error, now=self._stamp(run))
        self._trace(run, effect, status.value, error=error.type or error.message if error else None, **ids)
        self._wake_up(run, "invoke")

    def _trace(self, run: DurableRun, effect: ChainedInvokeStarted, outcome: str, **detail: Any) -> None:
        _, op = run.execution.find_operation(effect.operation_id)
        self.trace.add(
            DURABLE_CHAINED_INVOKE,
            run.target.spec.function_name,
            (run.arn,),
            execution=run.arn,
            operation=effect.operation_id,
            name=op.name,
            target=effect.function_name,
            target_execution=detail.get("target_execution"),
            request_id=detail.get("request_id"),
            outcome=outcome,
            error=detail.get("error"),
        )


def plain_outcome(result: InvokeResult) -> Outcome:
    """A plain target's one invocation as the operation's outcome: its answer, or its function error."""
    try:
        body = result.payload.decode()
    except UnicodeDecodeError:
        return OperationStatus.FAILED, None, ErrorObject.from_message("CHAINED_INVOKE response could not be decoded.")
    if result.function_error:
        try:
            data: Any = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return OperationStatus.FAILED, None, ErrorObject.from_message(body or "Chained invoke failed.")
        error = ErrorObject(
            data.get("errorMessage"), data.get("errorType"), data.get("errorData"), data.get("stackTrace")
        )
        return OperationStatus.FAILED, None, error
    checked = result_outcome(body or None)  # at most 1 MiB
    if checked.error is not None:
        return OperationStatus.FAILED, None, checked.error
    return OperationStatus.SUCCEEDED, checked.result, None


def child_outcome(child: DurableRun) -> Outcome:
    """A durable target's closed execution as the operation's outcome (as AWS's testing runner maps it)."""
    ex = child.execution
    closing = ex.result
    status = child.status
    if status == "SUCCEEDED":
        return OperationStatus.SUCCEEDED, closing.result if closing else None, None
    if status == "TIMED_OUT":  # no payload: a fixed error type and the target's execution timeout
        return OperationStatus.TIMED_OUT, None, chained_invoke_timeout_error(child.settings.execution_timeout)
    error = closing.error if closing and closing.error else None
    if status == "STOPPED":
        return OperationStatus.STOPPED, None, error
    return OperationStatus.FAILED, None, error or ErrorObject.from_message("Chained invoke failed.")
