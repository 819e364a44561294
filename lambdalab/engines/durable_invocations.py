"""The invocations of durable executions: the replay input of each, run side by side when several are due at once.

Each invocation gets the execution's checkpointed operations (at most ``PAGE_BYTES`` of them; the SDK pages in the
rest with GetDurableExecutionState) and a fresh checkpoint token; the operations it finds already completed are
replayed (the SDK returns their stored results). Invocations of different executions due at one instant run
side by side, as on AWS; each execution's records stay in order. What the answer then does to the execution is
:mod:`lambdalab.engines.durable_suspensions`'s.

https://docs.aws.amazon.com/lambda/latest/dg/durable-functions.html
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from aws_durable_execution_sdk_python.lambda_service import DurableExecutionInvocationOutput, ErrorObject
from aws_durable_execution_sdk_python_testing.execution import OperationPaginatorState

from ..errors import AwsError
from ..trace_kinds import DURABLE_INVOCATION, DURABLE_REPLAY
from .durable_parts import DurableParts
from .durable_runs import DurableRun, label, read_output, replayed

#: invocations of different executions run side by side, at most this many at once (below the 10
#: environments the lab's runtime keeps, beyond which it throttles)
PARALLEL = 8
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


class DurableInvocations(DurableParts):
    """The invocation half of :class:`~lambdalab.engines.durable_engine.DurableEngine`: the loop's invocations."""

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


def _crashed(error_type: str | None) -> ErrorObject:
    """What an invocation that crashed or timed out leaves: Lambda invokes again, the execution goes on."""
    return ErrorObject(
        f"The invocation failed ({error_type}): it is invoked again", error_type or "Unhandled", None, None
    )
