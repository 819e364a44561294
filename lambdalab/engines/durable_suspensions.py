"""After an invocation of a durable execution: close it, invoke it again, or suspend it until what it waits for.

An invocation that crashes, times out or answers something that is not a durable output is invoked again after
``RETRY_SECONDS``, up to ``MAX_FAILED_ATTEMPTS`` times in a row, then the execution fails (the figures of AWS's
testing runner; AWS does not publish its own). ``SUCCEEDED`` and ``FAILED`` close the execution; ``PENDING``
suspends it until its next wait or retry is due (a timer on the clock), or until a callback or a chained invoke's
answer arrives, and then it is resumed: invoked again, to replay.

https://docs.aws.amazon.com/lambda/latest/dg/durable-functions.html
"""

from __future__ import annotations

from aws_durable_execution_sdk_python.lambda_service import (
    DurableExecutionInvocationOutput,
    ErrorObject,
    InvocationStatus,
)

from ..trace_kinds import DURABLE_RESUMED, DURABLE_SUSPENDED
from .durable_parts import DurableParts
from .durable_runs import DurableRun, next_wake, waiting_for

RETRY_SECONDS = 5
MAX_FAILED_ATTEMPTS = 5


class DurableSuspensions(DurableParts):
    """The suspension half of :class:`~lambdalab.engines.durable_engine.DurableEngine`: settle, suspend, resume."""

    def _settle(self, run: DurableRun, number: int, answer: DurableExecutionInvocationOutput | ErrorObject) -> None:
        """Close, retry or suspend the execution after an invocation's answer."""
        ex = run.execution
        with self._lock:
            if ex.is_complete:  # stopped or timed out meanwhile; or the handler checkpointed its own end
                self._closed(run)
                return
            if isinstance(answer, ErrorObject):
                run.failed_attempts += 1
                if run.failed_attempts >= MAX_FAILED_ATTEMPTS:
                    ex.complete_fail(answer, now=self._stamp(run))
                    self._closed(run)
                else:
                    self.clock.call_later(RETRY_SECONDS, lambda: self._resume(run, "invocation-retry"))
                return
            run.failed_attempts = 0
            if answer.status is InvocationStatus.SUCCEEDED:
                ex.complete_success(answer.result, now=self._stamp(run))
                self._closed(run)
                return
            if answer.status is InvocationStatus.FAILED:
                ex.complete_fail(answer.error, now=self._stamp(run))
                self._closed(run)
                return
            pending = waiting_for(ex.operations)
            if run.rerun:  # a callback arrived while the invocation ran
                run.rerun = False
                self.clock.call_later(0, lambda: self._resume(run, "callback"))
                return
            if not pending and ex.has_unseen_changes():
                self.clock.call_later(0, lambda: self._resume(run, "changed"))
                return
            if not pending:
                error = ErrorObject.from_message("Cannot return PENDING status with no pending operations.")
                ex.complete_fail(error, now=self._stamp(run))
                self._closed(run)
                return
            due = next_wake(ex.operations)
            until = None
            if due is not None:
                delay = max(0.0, round((due - self.clock.now).total_seconds(), 3))
                until = self.clock.t + delay
                run.wake = self.clock.call_later(delay, lambda: self._resume(run, "timer"))
        self.trace.add(
            DURABLE_SUSPENDED,
            run.target.spec.function_name,
            (run.arn,),
            execution=run.arn,
            invocation=number,
            waiting_for=pending,
            until=until,
        )

    def _resume(self, run: DurableRun, reason: str) -> None:
        with self._lock:
            if run.execution.is_complete:
                return
            run.wake = None
            due = next_wake(run.execution.operations)
            if reason == "timer" and due is not None:
                run.stamp = max(self._stamp(run), due)  # the timer fired at ``due``, rounded to the millisecond
                run.execution.complete_due_operations(run.stamp)
        self.trace.add(DURABLE_RESUMED, run.target.spec.function_name, (run.arn,), execution=run.arn, reason=reason)
        self._invoke(run)
