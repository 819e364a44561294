"""The SQS event source mapping: Lambda polls a queue and invokes the function with batches.

One :class:`MappingRunner` per enabled mapping, whose :meth:`~MappingRunner.poll`
is a process on the virtual clock.  Each time it looks (a *pump*) it does what
Lambda's pollers do, in this order:

1. start complete batches while the mapping has free concurrency (:mod:`.sqs_scaling`);
2. close the open batch whose window has passed (:mod:`.sqs_batching`);
3. receive more messages (:mod:`.sqs_poller`), drop those no filter matches
   (:mod:`.filters`; they are deleted unseen) and gather the rest into batches;

then it waits until the next moment something is due (a batching window closes, a
message becomes visible again, the scaling ramp steps up), or for a signal: messages
arrived on the queue, or one of its batches settled.  With nothing at all to do it
looks again every :data:`IDLE_POLL_SECONDS`, a wait that does not keep the lab busy.

Each batch is a process too (:meth:`~MappingRunner.batch`): the invocation really
runs (through the lab's invoker) when the batch starts, and then occupies one
concurrency slot for a fixed *virtual duration* (:mod:`.durations`: one virtual
second unless ``lab.durations[name]`` says otherwise, never more than the
function's timeout, exactly the timeout when it timed out).  Measured durations
would make every timeline differ run to run.  A durable function's batch starts a durable
execution with the batch as its input instead, and holds its slot until the execution closes
(15 minutes at most); the execution's result is the batch's answer.  When the slot
frees, the batch is settled (:mod:`.sqs_errors` decides, :mod:`.sqs_settling` does it): deleted, or
left to reappear when the visibility timeout ends.

Reserved concurrency is applied on virtual time: a batch that would exceed it is
throttled, its messages return after the visibility timeout, and the mapping
pauses for a second.  The mapping's pollers do not know about reserved concurrency
(as in AWS): use ``ScalingConfig.MaximumConcurrency`` to avoid throttles.

Trace kinds (``ids`` are message ids): ``sqs-receive``, ``sqs-filtered``,
``sqs-redrive``, ``sqs-batch``, ``sqs-batch-result`` (outcome: success, partial,
function-error, invalid-response, throttle, system-error), ``sqs-deleted``, ``sqs-returned``
(with ``visible_at``), ``sqs-already-deleted`` (a duplicate's second delete), ``sqs-scale`` (the concurrency limit).

https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking-esm.html
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, deque
from typing import TYPE_CHECKING, Any

from ..aws.moto_sqs import SqsMessage
from ..clock import Wait
from ..errors import AwsError
from ..trace_kinds import (
    SQS_BATCH,
    SQS_CONCURRENCY,
    SQS_FILTERED,
    SQS_RECEIVE,
    SQS_SCALE,
)
from . import attempts, filters, sqs_batching, sqs_errors, sqs_scaling, sqs_settings
from .attempts import Outcome
from .sqs_poller import Poller, describe_body, find_queue
from .sqs_settling import Settler

if TYPE_CHECKING:
    from ..aws.event_source_mappings import Mapping
    from ..aws.moto_sqs import MotoSqs
    from ..clock import Clock, Process, Signal
    from ..ports import DurableCall, Ids, Invoker, Place, Target
    from ..trace import Trace
    from .durations import VirtualDurations

from .durations import InFlight

#: an idle poller looks again this often (a long poll), without keeping the lab busy
IDLE_POLL_SECONDS = 20.0
#: after a throttle the mapping backs off this long
THROTTLE_BACKOFF_SECONDS = 1.0


class SqsEngine:
    """Lambda's SQS pollers for every SQS mapping of the lab."""

    source_kind = "sqs"
    read_actions = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
    user_reason = "USER_INITIATED"
    unavailable = None

    def __init__(
        self,
        place: Place,
        ids: Ids,
        clock: Clock,
        trace: Trace,
        invoker: Invoker,
        sqs: MotoSqs,
        durations: VirtualDurations,
        in_flight: InFlight | None = None,
    ) -> None:
        self.place, self.ids, self.clock, self.trace, self.invoker = place, ids, clock, trace, invoker
        #: the lab's view of SQS's stored queues (and which messages its pollers hold)
        self.sqs = sqs
        #: virtual seconds an invocation occupies a concurrency slot, per function
        self.durations = durations
        #: how fast concurrency grows while messages wait (AWS today: 300; the 2022 text: 60)
        self.rate_per_minute = sqs_scaling.RATE_PER_MINUTE
        self.runners: dict[str, MappingRunner] = {}
        #: slots held per function, across mappings (and the other engines that share it)
        self.in_flight: Counter[str] = in_flight if in_flight is not None else InFlight()
        self._batches = itertools.count(1)
        self._arrivals: dict[str, Signal] = {}  # queue ARN -> "messages arrived", for its pollers

    # -- SourceEngine: what the mapping service asks --------------------------------------
    def accepts(self, source_arn: str) -> bool:
        return source_arn.split(":")[2] == "sqs"

    def duplicate_message(self, source_arn: str, function_name: str, uuid: str) -> str:
        return (
            f'An event source mapping with SQS arn (" {source_arn} ") and function (" {function_name} ") '
            f"already exists. Please update or delete the existing mapping with UUID {uuid}"
        )

    def role_message(self, source_arn: str, action: str) -> str:
        return f"The function execution role does not have permissions to call {action.split(':', 1)[1]} on SQS"

    def check_destination(self, role_arn: str, settings: dict[str, Any]) -> None:
        """SQS mappings have no on-failure destination (the queue's redrive policy is the DLQ)."""

    def check_function(self, source_arn: str, function_timeout: int) -> None:
        """The queue's visibility timeout must be at least the function's timeout (checked on create and update)."""
        queue = find_queue(self.sqs, source_arn)
        sqs_settings.check_visibility_timeout(self.sqs.visibility_timeout(queue), function_timeout)

    def settings(self, source_arn: str, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        queue = find_queue(self.sqs, source_arn)
        return sqs_settings.settings(body, current, fifo=self.sqs.is_fifo(queue))

    def start(self, mapping: Mapping) -> None:
        runner = MappingRunner(self, mapping)
        self.runners[mapping.uuid] = runner
        self.clock.process(runner.poll())

    def stop(self, mapping: Mapping) -> None:
        runner = self.runners.pop(mapping.uuid, None)
        if runner is not None:
            runner.stop()

    # -- helpers ------------------------------------------------------------------------
    def next_batch_id(self) -> str:
        return f"b{next(self._batches)}"

    def arrival(self, queue_arn: str) -> Signal:
        """The signal the queue's next stored message fires (one per queue, shared by its pollers)."""
        signal = self._arrivals.get(queue_arn)
        if signal is None:
            signal = self._arrivals[queue_arn] = self.clock.signal()
        return signal

    def message_added(self, queue_arn: str) -> None:
        """A message arrived in the queue (moto's SendMessage): its pollers look at once."""
        signal = self._arrivals.pop(queue_arn, None)
        if signal is not None:
            signal.succeed()


class MappingRunner:
    """The pollers, batcher and settler of one enabled mapping."""

    def __init__(self, engine: SqsEngine, mapping: Mapping) -> None:
        self.engine = engine
        self.clock, self.trace = engine.clock, engine.trace
        self.mapping = mapping
        self.uuid = mapping.uuid
        self.function = mapping.function_name
        settings = mapping.settings
        self.batch_size = int(settings["BatchSize"])
        self.window = float(settings.get("MaximumBatchingWindowInSeconds", 0))
        self.report_failures = sqs_settings.reports_item_failures(settings)
        self.patterns = filters.patterns(settings)
        self.max_concurrency = sqs_settings.max_concurrency(settings)
        self.poller = Poller(engine.sqs, mapping.source_arn, engine.place.region)
        self.settler = Settler(self.clock, self.trace, self.poller, self.function, self.uuid)
        self.in_flight = 0
        self.open: sqs_batching.OpenBatch | None = None
        self.ready: deque[tuple[sqs_batching.OpenBatch, str]] = deque()
        self.busy_since: float | None = None
        self.paused_until = -1.0
        self.limit_seen = 0
        self.stopped = False
        #: fired when one of this mapping's batches settles, or the mapping stops
        self._changed = self.clock.signal()
        #: message id -> when (ms since the epoch) the running batch holding it settles
        self.settling: dict[str, float] = {}

    # -- the poller process ----------------------------------------------------------------
    def poll(self) -> Process:
        """Pump, then wait for the next thing due or for a signal; until the mapping stops."""
        while not self.stopped:
            arrived = self.engine.arrival(self.poller.arn)  # taken first: an arrival during the pump counts
            self._changed = self.clock.signal()
            seconds, busy = self._pump()
            yield Wait(seconds, busy=busy, wake_on=(arrived, self._changed))

    def _nudge(self) -> None:
        if not self._changed.triggered:
            self._changed.succeed()

    def stop(self) -> None:
        """The mapping was disabled, updated or deleted: poll no more (running batches still settle)."""
        self.stopped = True
        self._nudge()
        left = [b for b, _ in self.ready] + ([self.open] if self.open else [])
        self.ready.clear()
        self.open = None
        for batch in left:
            self.settler.returned([m for m, _ in batch.handles], None)

    def limit(self) -> int:
        now = self.clock.t
        busy = 0.0 if self.busy_since is None else now - self.busy_since
        value = sqs_scaling.limit(
            busy, maximum_concurrency=self.max_concurrency, rate_per_minute=self.engine.rate_per_minute
        )
        if value != self.limit_seen:
            self.limit_seen = value
            self.trace.add(SQS_SCALE, self.function, (), mapping=self.uuid, limit=value)
        return value

    # -- the pump ----------------------------------------------------------------------------
    def _pump(self) -> tuple[float, bool]:
        """Start, close and gather batches; returns how long to wait (and whether that is work)."""
        now = self.clock.t
        capacity_bound = False
        while True:
            limit = self.limit()
            while self.ready and self.in_flight < limit and now >= self.paused_until:
                batch, reason = self.ready.popleft()
                self.clock.process_now(self.batch(batch, reason))
            if self.ready or self.in_flight >= limit or now < self.paused_until:
                capacity_bound = True
                break
            if self.open is not None:
                why = sqs_batching.ready(self.open, now=now, batch_size=self.batch_size, window=self.window)
                if why is not None:
                    self.ready.append((self.open, why))
                    self.open = None
                    continue
            want = self.batch_size - (len(self.open) if self.open else 0)
            got, moved = self.poller.receive(want)
            for message in moved:
                self.settler.redriven(message)
            if not got:
                self.busy_since = None  # the backlog is gone: concurrency falls back to the start
                break
            if self.busy_since is None:
                self.busy_since = now
            self._gather(got, now)
        return self._next_look(now, capacity_bound)

    def _gather(self, got: list[SqsMessage], now: float) -> None:
        trace = self.trace
        trace.add(
            SQS_RECEIVE,
            self.function,
            [m.id for m in got],
            mapping=self.uuid,
            queue=self.poller.arn,
            counts=[m.approximate_receive_count for m in got],
            bodies=[describe_body(m.body) for m in got],
            groups=[m.group_id for m in got] if self.poller.fifo else None,
        )
        dropped: list[SqsMessage] = []
        for message in got:
            rec = self.poller.record(message)
            if self.patterns and not filters.matches_any(self.patterns, filters.view(rec)):
                dropped.append(message)
                continue
            size = sqs_batching.record_size(rec)
            if self.open is None:
                self.open = sqs_batching.OpenBatch(opened_at=now)
            elif not self.open.fits(size):
                self.ready.append((self.open, "payload"))
                self.open = sqs_batching.OpenBatch(opened_at=now)
            self.open.add(rec, (message, message.receipt_handle), size)
        if dropped:
            self.poller.delete([(m, m.receipt_handle) for m in dropped])
            trace.add(SQS_FILTERED, self.function, [m.id for m in dropped], mapping=self.uuid)
        if self.open is not None:
            why = sqs_batching.ready(self.open, now=now, batch_size=self.batch_size, window=self.window)
            if why is not None:
                self.ready.append((self.open, why))
                self.open = None

    def _next_look(self, now: float, capacity_bound: bool) -> tuple[float, bool]:
        """Seconds until the poller must look again (``math.inf``: only a signal wakes it), and
        whether that wait is work: an open window, a pause, a ramp step, an invisible message."""
        due: list[float] = []
        if self.open is not None:
            due.append(max(0.0, self.open.opened_at + self.window - now))
        if now < self.paused_until:
            due.append(self.paused_until - now)
        if capacity_bound:
            if self.busy_since is not None and self.limit_seen < (self.max_concurrency or sqs_scaling.CEILING):
                due.append(sqs_scaling.next_step(now - self.busy_since))
            return min(due, default=math.inf), True  # else a settling batch wakes the poller
        self.limit()
        later = self.poller.next_visible_in(self.settling)
        if later is not None:
            due.append(later)  # messages waiting out a visibility timeout or a delay are work
        elif not (due or self.in_flight or self.ready):
            return IDLE_POLL_SECONDS, False
        return min(due, default=math.inf), True

    # -- one batch --------------------------------------------------------------------------
    def batch(self, batch: sqs_batching.OpenBatch, reason: str) -> Process:
        """A batch's process: invoke, hold a concurrency slot for the virtual duration, settle."""
        trace, invoker = self.trace, self.engine.invoker
        ids = [r["messageId"] for r in batch.records]
        batch_id = self.engine.next_batch_id()
        started = self.clock.t
        trace.add(
            SQS_BATCH,
            self.function,
            ids,
            mapping=self.uuid,
            batch=batch_id,
            reason=reason,
            size=len(ids),
            bytes=batch.size,
        )
        request_id = self.engine.ids.new_id()
        target: Target | None = None
        durable: DurableCall | None = None
        attempt: attempts.Attempt | None = None  # None while a durable execution runs
        try:
            target = invoker.resolve(self.mapping.function_arn)
            reserved = target.spec.reserved_concurrency
            if reserved is not None and self.engine.in_flight[self.function] >= reserved:
                raise AwsError("TooManyRequestsException", "Rate Exceeded.", 429)
            event = sqs_batching.event(batch.records)
            durable = invoker.start_durable(target, event, source="sqs", request_id=request_id)
            if durable is None:
                chain = next((h for r in batch.records if (h := r["attributes"].get("AWSTraceHeader"))), None)
                result = invoker.run(target, event, source="sqs", request_id=request_id, trace_header=chain)
                attempt = attempts.invoked(result, request_id)
        except AwsError as err:
            attempt = attempts.refused(err, request_id)
        if attempt is not None and attempt.outcome is Outcome.THROTTLE:
            self.paused_until = started + THROTTLE_BACKOFF_SECONDS
            self.settler.settle(batch, batch_id, self._verdict(ids, attempt), started, request_id)
            return
        if durable is not None:  # the batch holds its slot until the durable execution closes
            seconds = durable.limit
        elif attempt is not None and target is not None:
            seconds = self.engine.durations.seconds(self.function, target.spec.timeout, attempt.timed_out)
        else:
            seconds = 0.0
        self.in_flight += 1
        self.engine.in_flight[self.function] += 1
        settles_ms = (self.clock.start.timestamp() + started + seconds) * 1000
        for message, _ in batch.handles:
            self.settling[message.id] = settles_ms
        trace.add(SQS_CONCURRENCY, self.function, (), mapping=self.uuid, in_flight=self.in_flight, batch=batch_id)
        if durable is not None:
            yield Wait(durable.limit, busy=False, wake_on=(durable.closed,))  # its own timers are the work
            attempt = attempts.invoked(durable.result(), request_id)
        else:
            yield seconds
        assert attempt is not None
        for message, _ in batch.handles:
            self.settling.pop(message.id, None)
        self.in_flight -= 1
        self.engine.in_flight[self.function] -= 1
        self.settler.settle(batch, batch_id, self._verdict(ids, attempt), started, request_id)
        trace.add(SQS_CONCURRENCY, self.function, (), mapping=self.uuid, in_flight=self.in_flight, batch=batch_id)
        self._nudge()

    def _verdict(self, ids: list[str], attempt: attempts.Attempt) -> sqs_errors.Verdict:
        return sqs_errors.decide(ids, attempt, report_failures=self.report_failures)
