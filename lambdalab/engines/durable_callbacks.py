"""Callbacks of durable executions: completed by a cell or a function, kept alive by heartbeats, timed out by the clock.

``context.create_callback()`` (or ``wait_for_callback``) checkpoints a CALLBACK operation; its id goes to whoever
will answer (a person through an approval page, another system). ``SendDurableExecutionCallbackSuccess`` /
``Failure`` complete it and the execution is invoked again; ``...Heartbeat`` restarts its heartbeat timeout. A
callback's ``timeout`` and ``heartbeat_timeout`` fire on the lab's clock (timers that are not "busy": they wait
for the outside world) and fail the operation with ``Callback.Timeout`` / ``Callback.Heartbeat``; the handler's
next invocation raises ``CallbackTimeoutError``. Sending to a callback that has timed out or is already
closed answers ``CallbackTimeoutException`` (HTTP 400), as the API reference says.

https://docs.aws.amazon.com/lambda/latest/dg/API_SendDurableExecutionCallbackHeartbeat.html
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python.lambda_service import CallbackTimeoutType, ErrorObject, OperationStatus
from aws_durable_execution_sdk_python_testing.token import CallbackToken

from ..errors import AwsError, invalid_parameter, not_found
from ..trace_kinds import DURABLE_CALLBACK

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python_testing.execution import Execution

    from ..clock import Clock
    from ..trace import Trace
    from .durable_runs import DurableRun


class DurableCallbacks:
    """The callback half of :class:`~lambdalab.engines.durable_engine.DurableEngine`."""

    clock: Clock
    trace: Trace
    runs: dict[str, DurableRun]
    _lock: threading.RLock

    def _stamp(self, run: DurableRun) -> datetime:
        raise NotImplementedError

    def _wake_up(self, run: DurableRun, reason: str) -> None:
        raise NotImplementedError

    def _arm_callback(self, run: DurableRun, callback_id: str, options: Any) -> None:
        if options is not None and options.timeout_seconds > 0:
            self._arm(run, callback_id, "timeout", options.timeout_seconds, CallbackTimeoutType.TIMEOUT)
        if options is not None and options.heartbeat_timeout_seconds > 0:
            self._arm(run, callback_id, "heartbeat", options.heartbeat_timeout_seconds, CallbackTimeoutType.HEARTBEAT)

    def _arm(self, run: DurableRun, callback_id: str, which: str, seconds: int, kind: CallbackTimeoutType) -> None:
        """(Re)start one of a callback's timers: its timeout, or its heartbeat timeout."""
        timer = self.clock.call_later(seconds, lambda: self._callback_timed_out(callback_id, kind), busy=False)
        with self._lock:
            old = run.callback_timers.setdefault(callback_id, {}).pop(which, None)
            run.callback_timers[callback_id][which] = timer
        if old is not None:
            old.cancel()

    def callback(
        self, callback_id: str, outcome: str, sender: str, result: bytes | None = None, error: ErrorObject | None = None
    ) -> None:
        """SendDurableExecutionCallbackSuccess / Failure / Heartbeat."""
        run, op_id = self._callback_run(callback_id)
        ex = run.execution
        with self._lock:
            _, op = ex.find_callback_operation(callback_id)
            if op.status is OperationStatus.TIMED_OUT:
                raise AwsError("CallbackTimeoutException", "The callback has timed out.", 400)
            if op.status is not OperationStatus.STARTED or ex.is_complete:  # "expired or ... already been closed"
                raise AwsError("CallbackTimeoutException", "The callback has already been closed.", 400)
            if outcome == "HEARTBEAT":
                options = _callback_options(ex, op_id)
                if options is not None and options.heartbeat_timeout_seconds > 0:
                    seconds = options.heartbeat_timeout_seconds
                    self._arm(run, callback_id, "heartbeat", seconds, CallbackTimeoutType.HEARTBEAT)
            else:
                if outcome == "SUCCEEDED":
                    ex.complete_callback_success(callback_id, result, now=self._stamp(run))
                else:
                    ex.complete_callback_failure(
                        callback_id, error or ErrorObject.from_message(""), now=self._stamp(run)
                    )
                for timer in run.callback_timers.pop(callback_id, {}).values():
                    timer.cancel()
        fn = run.target.spec.function_name
        self.trace.add(
            DURABLE_CALLBACK, fn, (run.arn,), execution=run.arn, operation=op_id, outcome=outcome, sender=sender
        )
        if outcome != "HEARTBEAT":
            self._wake_up(run, "callback")

    def _callback_timed_out(self, callback_id: str, kind: CallbackTimeoutType) -> None:
        try:
            run, op_id = self._callback_run(callback_id)
        except AwsError:
            return
        message = "Callback timed out" if kind is CallbackTimeoutType.TIMEOUT else "Callback timed out on heartbeat"
        with self._lock:
            ex = run.execution
            _, op = ex.find_callback_operation(callback_id)
            if ex.is_complete or op.status is not OperationStatus.STARTED:
                return
            ex.complete_callback_timeout(
                callback_id, ErrorObject(message, kind.value, None, None), now=self._stamp(run)
            )
            for timer in run.callback_timers.pop(callback_id, {}).values():
                timer.cancel()
        outcome = "TIMED_OUT" if kind is CallbackTimeoutType.TIMEOUT else "HEARTBEAT_TIMED_OUT"
        fn = run.target.spec.function_name
        self.trace.add(
            DURABLE_CALLBACK, fn, (run.arn,), execution=run.arn, operation=op_id, outcome=outcome, sender="clock"
        )
        self._wake_up(run, "callback")

    def _callback_run(self, callback_id: str) -> tuple[DurableRun, str]:
        try:
            token = CallbackToken.from_str(callback_id)
        except (ValueError, KeyError, TypeError) as err:
            raise invalid_parameter(f"Invalid callback id: {callback_id}") from err
        with self._lock:
            run = self.runs.get(token.execution_arn)
        if run is None:
            raise not_found(f"Callback {callback_id} not found.")
        return run, token.operation_id


def _callback_options(ex: Execution, operation_id: str) -> Any:
    for update in ex.updates:
        if update.operation_id == operation_id and update.callback_options is not None:
            return update.callback_options
    return None
