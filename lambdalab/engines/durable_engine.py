"""Durable executions on the virtual clock: invoke, checkpoint, suspend, resume, replay.

A durable function's execution is many invocations of one handler. Each invocation replays the operations
already checkpointed (the SDK returns their stored results instead of running them again) and runs on until
the handler finishes (``SUCCEEDED`` / ``FAILED``) or must wait (``PENDING``): a ``wait``, a step's retry delay,
a callback. The invocation then ends, and Lambda invokes the function again when the wait is over, the retry
is due or the callback arrives. Here the clock does that: a seven-day wait is one entry on its heap.

Which way the lab went: the control plane's *state* is AWS's own testing package
(``aws-durable-execution-sdk-python-testing``): its ``Execution`` holds the operations and tokens, and its
``CheckpointCore`` applies a checkpoint's updates with the package's validation (the rules AWS's service
applies: a step that succeeds must have started, a wait needs its duration, ...), and its history builder
turns them into ``GetDurableExecutionHistory`` events. Both take "now" as a parameter, so the lab's clock
plugs in. The package's *scheduler* (``Executor``) is not used: it runs invocations on its own threads and
timers and calls handlers in process, where the lab must run real functions through its Invoke path and
wake them on its clock. So the loop below is the lab's own, about as small as the package's, and the parts
that decide what AWS accepts are AWS's.

What happens when (https://docs.aws.amazon.com/lambda/latest/dg/durable-functions.html):

- an invocation that crashes, times out or answers something that is not a durable output is invoked again
  after 5 seconds, up to 5 times in a row, then the execution fails (the figures of AWS's testing runner;
  AWS does not publish its own);
- ``ExecutionTimeout`` closes a running execution as ``TIMED_OUT``; a closed execution is kept
  ``RetentionPeriodInDays`` days, then forgotten;
- a callback's ``timeout`` and ``heartbeat_timeout`` fire on the clock and fail the callback operation
  (``Callback.Timeout`` / ``Callback.Heartbeat``); the handler's next invocation raises it;
- a chained invoke (``context.invoke``) runs its target at once and invokes the caller again when the
  target's answer is recorded (:mod:`lambdalab.engines.durable_invokes`).

Timers that wait for the outside world (a callback's timeout, the execution timeout, retention) are not
"busy" on the clock: ``run_until_idle()`` stops when only they remain, so a cell can send the callback;
``lab.advance(...)`` lets them fire. Waits and step retries are busy: ``run_until_idle()`` plays them out.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    DurableExecutionInvocationOutput,
    ErrorObject,
    InvocationStatus,
    OperationUpdate,
)
from aws_durable_execution_sdk_python_testing.checkpoint.core import CheckpointCore
from aws_durable_execution_sdk_python_testing.checkpoint.effects import (
    CallbackCreated,
    ChainedInvokeStarted,
    Completed,
    Failed,
)
from aws_durable_execution_sdk_python_testing.checkpoint.transformer import CheckpointRequestDispatcher
from aws_durable_execution_sdk_python_testing.exceptions import AwsApiException
from aws_durable_execution_sdk_python_testing.execution import Execution, OperationPaginatorState
from aws_durable_execution_sdk_python_testing.model import StartDurableExecutionInput
from aws_durable_execution_sdk_python_testing.token import CheckpointToken

from ..errors import AwsError, invalid_parameter, not_found
from ..trace_kinds import (
    DURABLE_CLOSED,
    DURABLE_INVOCATION,
    DURABLE_OPERATION,
    DURABLE_REPLAY,
    DURABLE_RESUMED,
    DURABLE_STARTED,
    DURABLE_SUSPENDED,
)
from .durable_callbacks import DurableCallbacks
from .durable_invokes import DurableInvokes
from .durable_runs import DurableRun, label, next_wake, read_output, replayed, waiting_for

if TYPE_CHECKING:
    from ..aws.durable_config import DurableSettings
    from ..clock import Clock, Timer
    from ..ports import Ids, Invoker, Target
    from ..trace import Trace

RETRY_SECONDS = 5
#: invocations of different executions run side by side, at most this many at once (below the 10
#: environments the lab's runtime keeps, beyond which it throttles)
PARALLEL = 8
MAX_FAILED_ATTEMPTS = 5
#: the invocation input carries at most this much state; the SDK pages in the rest
PAGE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class _Call:
    """One invocation of an execution, ready to run."""

    run: DurableRun
    number: int
    payload: bytes
    request_id: str
    started: datetime
    replayed: int


class DurableEngine(DurableCallbacks, DurableInvokes):
    """Every durable execution of the lab, and the loop that plays each one on the clock."""

    def __init__(
        self,
        ids: Ids,
        clock: Clock,
        trace: Trace,
        invoker: Invoker,
        settings_of: Callable[[str], DurableSettings | None] = lambda name: None,
    ) -> None:
        self.ids, self.clock, self.trace, self.invoker = ids, clock, trace, invoker
        self.settings_of = settings_of  # a chained invoke's target is durable when it has settings
        self.runs: dict[str, DurableRun] = {}
        # a chained invoke of a function that does not exist fails in its own checkpoint
        self._dispatcher = CheckpointRequestDispatcher(chained_invoke_preflight=self._preflight)
        #: executions to invoke at this instant, and the clock entry that will
        self._due: list[DurableRun] = []
        self._play_entry: Timer | None = None
        # the clock's thread invokes; checkpoints and callbacks arrive on the endpoint's threads
        self._lock = threading.RLock()

    # -- starting ---------------------------------------------------------------------------
    def start(
        self,
        target: Target,
        settings: DurableSettings,
        payload: bytes,
        name: str | None,
        how: str,
        *,
        limit: int | None = None,
    ) -> DurableRun:
        """A new execution (its first invocation due now), or the running one of that name with this input.

        ``limit`` caps the execution's timeout below its ExecutionTimeout (an event source mapping's 15 minutes).
        """
        with self._lock:
            if name is not None:
                same = self._named(target.spec.function_name, name)
                if same is not None:
                    if same.payload != payload:
                        raise AwsError(
                            "DurableExecutionAlreadyStartedException",
                            f"Durable execution with name {name} already exists with a different input.",
                            409,
                        )
                    return same
            timeout = min(settings.execution_timeout, limit or settings.execution_timeout)
            exec_name = name or self.ids.new_id()
            exec_id = self.ids.new_id()  # the EXECUTION operation's id: the SDK finds it at the ARN's end
            arn = f"{target.spec.function_arn}:{target.executed_version}/durable-execution/{exec_name}/{exec_id}"
            start_input = StartDurableExecutionInput(
                account_id=target.spec.function_arn.split(":")[4],
                function_name=target.spec.function_name,
                function_qualifier=target.executed_version,
                execution_name=exec_name,
                execution_timeout_seconds=timeout,
                execution_retention_period_days=settings.retention_days,
                invocation_id=exec_id,
                input=payload.decode(),
            )
            execution = Execution(arn, start_input, [])
            execution.start(now=self.clock.now)
            run = DurableRun(execution, target, settings, exec_name, payload, self.clock.t, stamp=self.clock.now)
            run.timeout, run.done = timeout, self.clock.signal()
            self.runs[arn] = run
            run.deadline = self.clock.call_later(timeout, lambda: self._time_out(run), busy=False)
        self.trace.add(DURABLE_STARTED, target.spec.function_name, (arn,), execution=arn, name=exec_name, how=how)
        self._invoke(run)
        return run

    def _named(self, function_name: str, name: str) -> DurableRun | None:
        for run in self.runs.values():
            if run.target.spec.function_name == function_name and run.name == name:
                return run
        return None

    def get(self, arn: str) -> DurableRun:
        with self._lock:
            run = self.runs.get(arn)
        if run is None:
            raise not_found(f"Durable execution not found: {arn}")
        return run

    # -- the loop -----------------------------------------------------------------------------
    def _invoke(self, run: DurableRun) -> None:
        """Invoke ``run`` at this instant, with every other execution due at it."""
        with self._lock:
            self._due.append(run)
            if self._play_entry is None:
                self._play_entry = self.clock.call_later(0, self._play)

    def _play(self) -> None:
        """Run the invocations due now: prepared one by one, run side by side (as on AWS), settled in order.

        Executions are independent, so Lambda runs them at once; running them one after the other would make
        100 executions due at one instant take 100 invocation times. Each execution's own records stay in
        order; only the records of different executions interleave.
        """
        with self._lock:
            batch = list({run.arn: run for run in self._due}.values())
            self._due, self._play_entry = [], None
        calls = [call for call in (self._prepare(run) for run in batch) if call is not None]
        if len(calls) <= 1:
            answers = [self._call(call) for call in calls]
        else:
            with ThreadPoolExecutor(min(PARALLEL, len(calls)), thread_name_prefix="durable-invoke") as pool:
                answers = list(pool.map(self._call, calls))
        for call, answer in zip(calls, answers, strict=True):
            self._finish(call, answer)

    def _prepare(self, run: DurableRun) -> _Call | None:
        """The invocation's input: the checkpointed state, a fresh token (None: nothing to invoke)."""
        with self._lock:
            ex = run.execution
            if ex.is_complete or run.running:
                return None
            if run.wake is not None:
                run.wake.cancel()
                run.wake = None
            run.invocations += 1
            run.running = number = run.invocations
            ex.current_invocation_id = self.ids.new_id()
            operations, marker = OperationPaginatorState.pin(ex).page(None, PAGE_BYTES)
            event = {
                "DurableExecutionArn": run.arn,
                "CheckpointToken": ex.get_new_checkpoint_token(),
                "InitialExecutionState": {
                    "Operations": [op.to_json_dict() for op in operations],
                    "NextMarker": marker or "",
                },
                "UpdatedOperationIds": list(ex.updated_operation_ids),
            }
            ex.mark_state_delivered()
            seen = replayed(operations)
            started = self._stamp(run)
        if seen:
            self.trace.add(
                DURABLE_REPLAY,
                run.target.spec.function_name,
                (run.arn,),
                execution=run.arn,
                invocation=number,
                operations=[op.operation_id for op in seen],
                names=[label(op) for op in seen],
            )
        return _Call(run, number, json.dumps(event).encode(), self.ids.new_id(), started, len(seen))

    def _call(self, call: _Call) -> DurableExecutionInvocationOutput | ErrorObject:
        """Run the function (on the clock's thread, or beside other executions' invocations)."""
        try:
            result = self.invoker.run(call.run.target, call.payload, source="durable", request_id=call.request_id)
        except AwsError as err:  # throttled, or the function is gone
            return ErrorObject(err.message, err.code, None, None)
        return read_output(result.payload) if result.ok else _crashed(result.error_type)

    def _finish(self, call: _Call, answer: DurableExecutionInvocationOutput | ErrorObject) -> None:
        run = call.run
        with self._lock:
            run.execution.record_invocation_completion(call.started, self._stamp(run), call.request_id)
            run.running = 0
            outcome = answer.status.value if isinstance(answer, DurableExecutionInvocationOutput) else "ERROR"
            error = answer.type if isinstance(answer, ErrorObject) else (answer.error.type if answer.error else None)
        self.trace.add(
            DURABLE_INVOCATION,
            run.target.spec.function_name,
            (call.request_id,),
            execution=run.arn,
            invocation=call.number,
            outcome=outcome,
            error=error,
            replayed=call.replayed,
        )
        self._settle(run, call.number, answer)

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

    def _stamp(self, run: DurableRun) -> datetime:
        """Now, for the execution's state: a microsecond after its last stamp while the clock stands still.

        An invocation takes no virtual time, so everything it checkpoints happens at one instant; AWS's
        history orders events by time, and these microseconds keep them in the order they happened.
        """
        now = self.clock.now
        run.stamp = now if now > run.stamp else run.stamp + timedelta(microseconds=1)
        return run.stamp

    def _wake_up(self, run: DurableRun, reason: str) -> None:
        """Something the execution waited for happened: invoke it now, or after the invocation running."""
        with self._lock:
            if run.running:
                run.rerun = True
                return
        self.clock.call_later(0, lambda: self._resume(run, reason))

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

    # -- the control plane (called by the API, on the endpoint's threads) ---------------------------
    def checkpoint(
        self, arn: str, token: str, updates: list[OperationUpdate], client_token: str | None
    ) -> CheckpointOutput:
        run = self.get(arn)
        ex = run.execution
        with self._lock:
            cached = CheckpointCore.match_cached(ex, token, client_token)
            if cached is not None:
                state = CheckpointUpdatedExecutionState(list(cached.operations), cached.next_marker)
                return CheckpointOutput(cached.outbound_checkpoint_token, state)
            if not _current(ex, token):
                raise invalid_parameter("Invalid checkpoint token")
            try:
                result = CheckpointCore.apply(ex, token, updates, client_token, self._dispatcher, self._stamp(run))
            except AwsApiException as err:
                raise _aws(err) from err
            number = run.running
        for update in updates:
            self.trace.add(
                DURABLE_OPERATION,
                run.target.spec.function_name,
                (arn,),
                execution=arn,
                invocation=number,
                operation=update.operation_id,
                type=update.operation_type.value,
                action=update.action.value,
                name=update.name,
                parent=update.parent_id,
            )
        for effect in result.effects:
            if isinstance(effect, CallbackCreated):
                self._arm_callback(run, effect.callback_token.to_str(), effect.callback_options)
            elif isinstance(effect, Completed):
                with self._lock:
                    ex.complete_success(effect.result, now=self._stamp(run))
            elif isinstance(effect, Failed):
                with self._lock:
                    ex.complete_fail(effect.error, now=self._stamp(run))
            elif isinstance(effect, ChainedInvokeStarted):
                self._invoke_started(run, effect)
        return CheckpointOutput(result.checkpoint_token or "", CheckpointUpdatedExecutionState(result.operations, None))

    def state(self, arn: str, token: str) -> list[Any]:
        """GetDurableExecutionState: every operation, for the invocation that holds ``token``."""
        run = self.get(arn)
        with self._lock:
            if not _current(run.execution, token):
                raise invalid_parameter("Invalid checkpoint token")
            return run.execution.get_navigable_operations()

    def stop(self, arn: str, error: ErrorObject | None) -> DurableRun:
        run = self.get(arn)
        with self._lock:
            if run.execution.is_complete:
                raise AwsError("ResourceConflictException", f"Durable execution {arn} is not running.", 409)
            run.execution.complete_stopped(error or ErrorObject.from_message("Execution stopped"), now=self._stamp(run))
            if not run.running:
                self._closed(run)
        return run

    # -- reading --------------------------------------------------------------------------------
    def of_function(self, function_name: str) -> list[DurableRun]:
        with self._lock:
            return [run for run in self.runs.values() if run.target.spec.function_name == function_name]

    def wait_closed(self, run: DurableRun, seconds: float) -> bool:
        """Move the clock on (at most ``seconds``) until ``run`` closes: a synchronous Invoke's wait."""
        deadline = self.clock.t + seconds
        while not run.closed.is_set():
            due = self.clock.next_due()
            if due is None or due > deadline:
                break
            self.clock.advance(max(0.0, due - self.clock.t))
        return run.closed.is_set()

    def expected_timeout(self, run: DurableRun) -> Any:
        start = run.execution.get_operation_execution_started().start_timestamp
        return start + timedelta(seconds=run.timeout) if start else None


def _crashed(error_type: str | None) -> ErrorObject:
    """What an invocation that crashed or timed out leaves: Lambda invokes again, the execution goes on."""
    return ErrorObject(
        f"The invocation failed ({error_type}): it is invoked again", error_type or "Unhandled", None, None
    )


def _current(ex: Execution, token: str) -> bool:
    """Is ``token`` the checkpoint token of the invocation running now?"""
    try:
        parsed = CheckpointToken.from_str(token)
    except (ValueError, KeyError, TypeError):
        return False
    return (
        not ex.is_complete
        and parsed.execution_arn == ex.durable_execution_arn
        and parsed.token_sequence == ex.token_sequence
        and parsed.invocation_id == ex.current_invocation_id
    )


def _aws(err: AwsApiException) -> AwsError:
    body = err.to_dict()
    return AwsError(str(body.get("Type") or type(err).__name__), str(body.get("message") or err), err.http_status_code)
