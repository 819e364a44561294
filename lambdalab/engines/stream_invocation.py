"""One invocation of a stream mapping's function with a batch, on a lane of a shard.

The event is the batch (:func:`lambdalab.events.batch.event`) or, with a tumbling window, the window's
(its ``state`` carried from one invocation to the next, the last one ``isFinalInvokeForWindow``); the
answer may report batch item failures, and a window's answer must carry its state.  Each invocation
lasts :data:`INVOKE_SECONDS` of virtual time; a durable function's batch starts a durable execution
with the batch as its input and lasts until the execution closes.  Each leaves a ``stream-batch``
trace record.

https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-windows.html
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking-esm.html
"""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..clock import Wait
from ..errors import AwsError
from ..events import batch
from ..trace_kinds import STREAM_BATCH
from . import stream_errors as errors
from . import stream_records as shapes
from .attempts import Attempt, Outcome, invoked, refused

if TYPE_CHECKING:
    from collections.abc import Generator

    from ..aws.event_source_mappings import Mapping
    from ..clock import Clock
    from ..ports import DurableCall, Ids, Invoker
    from ..trace import Trace

INVOKE_SECONDS = 1.0


@dataclass
class Lane:
    """One of a shard's ``ParallelizationFactor`` lanes: the records read for it, the batch in flight,
    the tumbling window open and its state."""

    shard: str
    number: int
    buffer: deque[tuple[shapes.StreamItem, float]] = field(default_factory=deque)  # (record, read at)
    inflight: list[shapes.StreamItem] = field(default_factory=list)
    active: bool = False
    window: tuple[float, float] | None = None
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchInvocation:
    """One invocation of a lane: its attempt, the event it sent, the lowest failed record of a partial answer."""

    attempt: Attempt
    event: dict[str, Any]
    failed_from: int | None = None


class BatchInvoker:
    """Invokes a mapping's function with a lane's batch, for one kind of stream (``source_kind``)."""

    def __init__(self, ids: Ids, clock: Clock, trace: Trace, invoker: Invoker, source_kind: str) -> None:
        self.ids, self.clock, self.trace, self.invoker, self.source_kind = ids, clock, trace, invoker, source_kind

    def invoke(
        self,
        mapping: Mapping,
        lane: Lane,
        items: list[shapes.StreamItem],
        attempt: int,
        split: bool,
        final: bool = False,
    ) -> Generator[Wait, None, BatchInvocation]:
        """Invoke the function with a batch, and wait as long as it runs (:data:`INVOKE_SECONDS`). A durable
        function's batch starts a durable execution instead, and the lane waits until the execution closes."""
        settings = mapping.settings
        records = [i.record for i in items]
        if lane.window is not None:
            event = shapes.window_event(
                records,
                start=lane.window[0],
                end=lane.window[1],
                state=lane.state,
                shard=lane.shard,
                source_arn=mapping.source_arn,
                final=final,
            )
        else:
            event = batch.event(records)
        request_id = self.ids.new_id()
        start = self.clock.t
        failed_from: int | None = None
        durable: DurableCall | None = None
        try:
            target = self.invoker.resolve(mapping.function_arn)
            payload = json.dumps(event).encode()
            durable = self.invoker.start_durable(target, payload, source=self.source_kind, request_id=request_id)
            if durable is None:
                result = self.invoker.run(target, payload, source=self.source_kind, request_id=request_id)
            else:
                yield Wait(durable.limit, busy=False, wake_on=(durable.closed,))  # its own timers are the work
                result = durable.result()
        except AwsError as err:
            tried = refused(err, request_id)
        else:
            tried = invoked(result, request_id)
            response = shapes.function_response(result.payload)
            windowed = lane.window is not None
            if tried.ok and windowed and not (isinstance(response, dict) and isinstance(response.get("state"), dict)):
                # a window answer must carry its state
                tried = dataclasses.replace(tried, outcome=Outcome.FUNCTION_ERROR, error="the answer carries no state")
            elif tried.ok:
                if windowed:
                    lane.state = response["state"]
                if "ReportBatchItemFailures" in settings.get("FunctionResponseTypes", []) and items:
                    tried, failed_from = errors.read_answer(tried, [i.lambda_seq for i in items])
        mapping.last_result = "OK" if tried.ok else "PROBLEM: Function call failed"
        self.trace.add(
            STREAM_BATCH,
            mapping.function_name,
            (mapping.uuid,),
            shard=lane.shard,
            lane=lane.number,
            seqs=[i.seq for i in items],
            keys=sorted({i.key for i in items}),
            start=start,
            duration=INVOKE_SECONDS if durable is None else round(self.clock.t - start, 3),
            attempt=attempt,
            outcome=tried.outcome.value,
            split=split,
            final=final,
            request_id=request_id,
            failed_from=failed_from,
        )
        if durable is None:
            yield Wait(INVOKE_SECONDS)
        return BatchInvocation(tried, event, failed_from)
