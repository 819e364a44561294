"""How a durable execution closes, and how long it is kept: its end, its execution timeout, a stop, its retention.

``ExecutionTimeout`` closes a running execution as ``TIMED_OUT``; ``StopDurableExecution`` closes it as
``STOPPED`` (``ResourceConflictException`` when it is not running). Either waits for an invocation that is
running to end. A closed execution's timers are cancelled, its waiters freed (a synchronous Invoke, a chained
invoke's caller), and it is kept ``RetentionPeriodInDays`` days, then forgotten.

https://docs.aws.amazon.com/lambda/latest/dg/durable-configuration.html
https://docs.aws.amazon.com/lambda/latest/api/API_StopDurableExecution.html
"""

from __future__ import annotations

from aws_durable_execution_sdk_python.lambda_service import ErrorObject

from ..errors import AwsError
from ..trace_kinds import DURABLE_CLOSED
from .durable_parts import DurableParts
from .durable_runs import DurableRun


class DurableClosing(DurableParts):
    """The closing half of :class:`~lambdalab.engines.durable_engine.DurableEngine`: timeouts, stops, retention."""

    def _closed(self, run: DurableRun) -> None:
        """The execution has closed: cancel its timers, free its waiters, keep it for its retention period."""
        for timer in [run.wake, run.deadline, *(t for ts in run.callback_timers.values() for t in ts.values())]:
            if timer is not None:
                timer.cancel()
        run.callback_timers.clear()
        result = run.execution.result
        error = result.error.message if result and result.error else None
        self.trace.add(
            DURABLE_CLOSED,
            run.target.spec.function_name,
            (run.arn,),
            execution=run.arn,
            status=run.status,
            error=error,
            invocations=run.invocations,
        )
        run.closed.set()
        self._child_closed(run)
        if run.done is not None and not run.done.triggered:
            run.done.succeed(run.status)
        self.clock.call_later(run.settings.retention_days * 86_400, lambda: self._forget(run), busy=False)

    def _forget(self, run: DurableRun) -> None:
        with self._lock:
            self.runs.pop(run.arn, None)

    def _time_out(self, run: DurableRun) -> None:
        with self._lock:
            if run.execution.is_complete:
                return
            seconds = run.timeout
            run.execution.complete_timeout(
                ErrorObject.from_message(f"Execution timed out after {seconds} seconds."), now=self._stamp(run)
            )
            if not run.running:
                self._closed(run)

    def stop(self, arn: str, error: ErrorObject | None) -> DurableRun:
        run = self.get(arn)
        with self._lock:
            if run.execution.is_complete:
                raise AwsError("ResourceConflictException", f"Durable execution {arn} is not running.", 409)
            run.execution.complete_stopped(error or ErrorObject.from_message("Execution stopped"), now=self._stamp(run))
            if not run.running:
                self._closed(run)
        return run
