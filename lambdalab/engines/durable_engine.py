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
wake them on its clock. So the loop (:mod:`.durable_invocations`, :mod:`.durable_suspensions`) is the lab's
own, about as small as the package's, and the parts that decide what AWS accepts are AWS's.

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

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python_testing.checkpoint.transformer import CheckpointRequestDispatcher
from aws_durable_execution_sdk_python_testing.execution import Execution
from aws_durable_execution_sdk_python_testing.model import StartDurableExecutionInput

from ..errors import AwsError, not_found
from ..trace_kinds import DURABLE_STARTED
from .durable_callbacks import DurableCallbacks
from .durable_checkpoints import DurableCheckpoints
from .durable_closing import DurableClosing
from .durable_invocations import DurableInvocations
from .durable_invokes import DurableInvokes
from .durable_runs import DurableRun
from .durable_suspensions import DurableSuspensions

if TYPE_CHECKING:
    from ..aws.durable_config import DurableSettings
    from ..clock import Clock, Timer
    from ..ports import Ids, Invoker, Target
    from ..trace import Trace


class DurableEngine(
    DurableInvocations, DurableSuspensions, DurableClosing, DurableCheckpoints, DurableCallbacks, DurableInvokes
):
    """Every durable execution of the lab, and the loop that plays each one on the clock.

    Its halves, one module each: invocations (:mod:`.durable_invocations`), what an invocation's answer does
    (:mod:`.durable_suspensions`), closing and retention (:mod:`.durable_closing`), checkpoints
    (:mod:`.durable_checkpoints`), callbacks (:mod:`.durable_callbacks`), chained invokes (:mod:`.durable_invokes`).
    """

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
