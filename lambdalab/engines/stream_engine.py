"""Stream event source mappings: what Kinesis Data Streams and DynamoDB Streams share.

Each source declares itself in its own module (:mod:`.kinesis_engine`,
:mod:`.dynamodb_streams_engine`); discarded records go to the mapping's on-failure
destination (:mod:`.stream_on_failure`).

For each enabled mapping the engine runs, on the virtual clock, one *poller* per
shard (it reads new records every :data:`POLL_SECONDS`, like Lambda's one GetRecords
per shard per second) and ``ParallelizationFactor`` *lanes* per shard that turn
records into batches (:mod:`.stream_batching`), invoke the function
(:mod:`.stream_invocation`) and apply the error rules (:mod:`.stream_errors`).  Records are read from the stream and
never removed (:mod:`.stream_poller`); the function receives AWS's record shapes
(:mod:`.stream_records`).

Virtual time: every invocation lasts :data:`.stream_invocation.INVOKE_SECONDS` of virtual time (the
real one is a few milliseconds and varies), so batches of one shard follow each
other one second apart, and parallel lanes overlap.  A durable function's batch
starts a durable execution with the batch as its input, and lasts until the
execution closes (15 minutes at most): its result is the batch's answer.  Retry waits follow
:func:`.stream_errors.backoff_delay`.

Trace records (``ids = (mapping UUID,)``): ``stream-batch`` (one per invocation:
shard, lane, seqs, attempt, outcome), ``stream-retry-wait``, ``stream-bisect``,
``stream-checkpoint``, ``stream-filtered``, ``stream-discard`` (condition),
``stream-delivery`` / ``stream-delivery-failed``, ``stream-window-final``.

https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking-esm.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..aws import iam_policy, moto_iam
from ..clock import Wait
from ..errors import invalid_parameter
from ..trace_kinds import (
    STREAM_BISECT,
    STREAM_CHECKPOINT,
    STREAM_DISCARD,
    STREAM_FILTERED,
    STREAM_RETRY_WAIT,
    STREAM_WINDOW_FINAL,
)
from . import filters, stream_settings
from . import stream_batching as batching
from . import stream_errors as errors
from . import stream_records as shapes
from .stream_invocation import BatchInvocation, BatchInvoker, Lane
from .stream_on_failure import OnFailure
from .stream_poller import DynamoDBSource, KinesisSource, start_index

if TYPE_CHECKING:
    from collections.abc import Generator

    from ..aws.event_source_mappings import Mapping
    from ..clock import Clock
    from ..ports import Ids, Invoker, Place
    from ..trace import Trace
    from .destinations import Deliverer

POLL_SECONDS = 1.0
READ_LIMIT = 10_000  # records one GetRecords call returns at most


@dataclass
class _Run:
    mapping: Mapping
    source: KinesisSource | DynamoDBSource
    cursors: dict[str, int]
    lanes: dict[str, list[Lane]]
    patterns: list[dict[str, Any]]
    running: bool = True


class StreamEngine:
    """The pollers of every stream mapping of one source kind."""

    source_kind = ""
    read_actions: tuple[str, ...] = ()
    user_reason = "User action"
    unavailable = None
    #: reads the source's shards (one class per kind of stream)
    source_class: type[KinesisSource | DynamoDBSource]

    def __init__(
        self, place: Place, ids: Ids, clock: Clock, trace: Trace, invoker: Invoker, deliverer: Deliverer
    ) -> None:
        self.place, self.ids, self.clock, self.trace, self.invoker = place, ids, clock, trace, invoker
        self.on_failure = OnFailure(ids, clock, trace, invoker, deliverer)
        self.batches = BatchInvoker(ids, clock, trace, invoker, self.source_kind)
        self.runs: dict[str, _Run] = {}
        self.resume: dict[str, dict[str, int]] = {}  # mapping UUID -> shard -> index to read next

    # -- SourceEngine: what the mapping service asks --------------------------------------
    def accepts(self, source_arn: str) -> bool:
        raise NotImplementedError

    def duplicate_message(self, source_arn: str, function_name: str, uuid: str) -> str:
        return (
            f'The event source arn (" {source_arn} ") and function (" {function_name} ") provided mapping '
            f"already exists. Please update or delete the existing mapping with UUID {uuid}"
        )

    def role_message(self, source_arn: str, action: str) -> str:
        raise NotImplementedError

    # -- the SourceEngine protocol ----------------------------------------------------
    def settings(self, source_arn: str, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        if current is None and not self.source_class.exists(self.place, source_arn):
            raise invalid_parameter(f"Stream not found: {source_arn}")
        return stream_settings.settings(self.source_kind, source_arn, body, current)

    def check_function(self, source_arn: str, function_timeout: int) -> None:
        """A stream has no visibility timeout: any function timeout will do."""

    def check_destination(self, role_arn: str, settings: dict[str, Any]) -> None:
        """The execution role must be allowed to send to the on-failure destination."""
        arn = stream_settings.on_failure(settings)
        service = stream_settings.destination_service(arn) if arn else None
        if not arn or not service:
            return
        action, family = stream_settings.DESTINATION_ACTIONS[service]
        resource = f"{arn}/*" if service == "s3" else arn
        if not iam_policy.is_allowed(moto_iam.role_policies(self.place.account_id, role_arn), action, resource):
            raise invalid_parameter(
                f"The function execution role does not have permissions to call {action.split(':')[1]} on {family}"
            )

    def start(self, mapping: Mapping) -> None:
        role = str(self.invoker.resolve(mapping.function_arn).role)
        source = self.source_class(self.place, mapping.source_arn, role)
        shards = source.shards()
        saved = self.resume.get(mapping.uuid, {})
        cursors = {s: saved[s] if s in saved else start_index(source, s, mapping.settings) for s in shards}
        factor = int(mapping.settings.get("ParallelizationFactor", 1))
        lanes = {s: [Lane(s, n) for n in range(factor)] for s in shards}
        run = _Run(mapping, source, cursors, lanes, filters.patterns(mapping.settings))
        self.runs[mapping.uuid] = run
        for shard in shards:
            self.clock.process(self._poll(run, shard), busy=False)

    def stop(self, mapping: Mapping) -> None:
        run = self.runs.pop(mapping.uuid, None)
        if run is None:
            return
        run.running = False
        self.resume[mapping.uuid] = {
            shard: min(
                [i.index for lane in lanes for i in [*lane.inflight, *(b[0] for b in lane.buffer)]]
                + [run.cursors[shard]]
            )
            for shard, lanes in run.lanes.items()
        }

    # -- polling ------------------------------------------------------------------------
    def has_unread(self) -> bool:
        """Whether a running mapping has records it has not read yet (work for the clock)."""
        return any(run.source.count(s) > c for run in self.runs.values() for s, c in run.cursors.items())

    def _poll(self, run: _Run, shard: str) -> Generator[Wait, None, None]:
        while run.running:
            self._read(run, shard)
            yield Wait(POLL_SECONDS, busy=False)

    def _read(self, run: _Run, shard: str) -> None:
        cursor = run.cursors[shard]
        if run.source.count(shard) <= cursor:
            return
        items = run.source.read(shard, cursor, READ_LIMIT)
        run.cursors[shard] = cursor + len(items)
        kept = (
            [i for i in items if filters.matches_any(run.patterns, filters.view(i.record))] if run.patterns else items
        )
        if len(kept) < len(items):
            passed = {i.index for i in kept}
            dropped = [i.seq for i in items if i.index not in passed]
            self.trace.add(STREAM_FILTERED, run.mapping.function_name, (run.mapping.uuid,), shard=shard, seqs=dropped)
        lanes = run.lanes[shard]
        now = self.clock.t
        for item in kept:
            lanes[batching.lane_of(item.key, len(lanes))].buffer.append((item, now))
        for lane in lanes:
            if lane.buffer and not lane.active:
                lane.active = True
                self.clock.process(self._lane(run, lane))

    # -- a lane: batches, one after the other -------------------------------------------------
    def _lane(self, run: _Run, lane: Lane) -> Generator[Wait, None, None]:
        settings = run.mapping.settings
        size, window_s = int(settings["BatchSize"]), int(settings.get("TumblingWindowInSeconds") or 0)
        try:
            while run.running:
                if not lane.buffer:
                    if lane.window is None:
                        return
                    wait = lane.window[1] - self._epoch()
                    if wait > 0:  # the window is open: look for its next records every poll
                        yield Wait(min(wait, POLL_SECONDS))
                        continue
                    yield from self._final(run, lane)
                    continue
                if window_s and lane.window and batching.window_of(lane.buffer[0][0].arrival, window_s) != lane.window:
                    yield from self._final(run, lane)
                    continue
                wait = batching.batching_wait(
                    len(lane.buffer),
                    size,
                    float(settings["MaximumBatchingWindowInSeconds"]),
                    lane.buffer[0][1],
                    self.clock.t,
                )
                if wait > 0:
                    yield Wait(min(wait, POLL_SECONDS))
                    continue
                n = batching.take([b[0] for b in list(lane.buffer)[:size]], size, window=window_s)
                batch = [lane.buffer.popleft()[0] for _ in range(n)]
                if window_s and lane.window is None:
                    lane.window = batching.window_of(batch[0].arrival, window_s)
                    lane.state = {}
                yield from self._process(run, lane, batch)
        finally:
            lane.active = False

    def _process(self, run: _Run, lane: Lane, batch: list[shapes.StreamItem]) -> Generator[Wait, None, None]:
        """Invoke until the batch succeeds or is discarded (retries, bisect, partial answers)."""
        settings = run.mapping.settings
        max_retries, bisect = int(settings["MaximumRetryAttempts"]), bool(settings["BisectBatchOnFunctionError"])
        max_age = errors.effective_max_age(int(settings["MaximumRecordAgeInSeconds"]), run.source.retention())
        pending: list[tuple[list[shapes.StreamItem], bool]] = [(batch, False)]
        while pending:
            items, split = pending.pop(0)
            attempts = retries = rounds = 0
            last: BatchInvocation | None = None
            while items:
                lane.inflight = items + [i for sub, _ in pending for i in sub]
                if not run.running:
                    return
                old = errors.expired([i.arrival for i in items], self._epoch(), max_age)
                if old:
                    self._discard(run, lane, items[:old], "RecordAgeExceeded", attempts, last)
                    items = items[old:]
                    continue
                attempts += 1
                last = yield from self.batches.invoke(run.mapping, lane, items, attempts, split)
                step = errors.next_step(
                    last.attempt.outcome,
                    size=len(items),
                    retries_used=retries,
                    backoff_round=rounds,
                    max_retries=max_retries,
                    bisect=bisect,
                    failed_from=last.failed_from,
                )
                if step.keep:
                    self._checkpoint(run, lane, items[: step.keep])
                    items = items[step.keep :]
                if step.action == "done":
                    break
                if step.action == "bisect":
                    first, _ = errors.halves(len(items))
                    self.trace.add(
                        STREAM_BISECT,
                        run.mapping.function_name,
                        (run.mapping.uuid,),
                        shard=lane.shard,
                        lane=lane.number,
                        seqs=[i.seq for i in items],
                        halves=[first, len(items) - first],
                    )
                    pending[:0] = [(items[:first], True), (items[first:], True)]
                    break
                if step.action == "discard":
                    self._discard(run, lane, items, step.condition or "RetryAttemptsExhausted", attempts, last)
                    break
                retries += step.counted
                rounds += 1
                self.trace.add(
                    STREAM_RETRY_WAIT,
                    run.mapping.function_name,
                    (run.mapping.uuid,),
                    shard=lane.shard,
                    lane=lane.number,
                    delay=step.delay,
                    until=self.clock.t + step.delay,
                    reason=last.attempt.outcome.value,
                    retry=retries,
                )
                yield Wait(step.delay)
        lane.inflight = []

    def _final(self, run: _Run, lane: Lane) -> Generator[Wait, None, None]:
        """The last invocation of a tumbling window: no records, the final state."""
        rounds = 0
        max_retries = int(run.mapping.settings["MaximumRetryAttempts"])
        while run.running:
            invocation = yield from self.batches.invoke(run.mapping, lane, [], 1, False, final=True)
            if invocation.attempt.ok or (max_retries != -1 and rounds >= max_retries):
                break
            rounds += 1
            yield Wait(errors.backoff_delay(rounds))
        self.trace.add(
            STREAM_WINDOW_FINAL,
            run.mapping.function_name,
            (run.mapping.uuid,),
            shard=lane.shard,
            lane=lane.number,
            window=list(lane.window or ()),
            state=lane.state,
        )
        lane.window, lane.state = None, {}

    def _checkpoint(self, run: _Run, lane: Lane, items: list[shapes.StreamItem]) -> None:
        self.trace.add(
            STREAM_CHECKPOINT,
            run.mapping.function_name,
            (run.mapping.uuid,),
            shard=lane.shard,
            lane=lane.number,
            seqs=[i.seq for i in items],
        )

    # -- giving up on records ----------------------------------------------------------------
    def _discard(
        self,
        run: _Run,
        lane: Lane,
        items: list[shapes.StreamItem],
        condition: str,
        attempts: int,
        last: BatchInvocation | None,
    ) -> None:
        mapping = run.mapping
        self.trace.add(
            STREAM_DISCARD,
            mapping.function_name,
            (mapping.uuid,),
            shard=items[0].shard,
            lane=lane.number,
            seqs=[i.seq for i in items],
            condition=condition,
            attempts=attempts,
        )
        self.on_failure.send(
            self.source_kind,
            mapping,
            items,
            condition,
            attempts,
            last.attempt if last else None,
            last.event if last else None,
        )

    def _epoch(self) -> float:
        return self.clock.now.timestamp()
