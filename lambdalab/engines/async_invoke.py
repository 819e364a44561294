"""Asynchronous invocation: Lambda's event queue, retries, event age, destinations and DLQ.

``Invoke`` with ``InvocationType=Event`` answers 202 at once; the event waits in
Lambda's queue and runs when the lab's clock runs (``lab.advance`` or
``lab.run_until_idle``).  Each event is one process on the virtual clock that
reads like the documentation: attempt, decide (:mod:`.async_policy`), wait, try
again, and finally hand the event to its destinations and dead-letter queue
(:mod:`.destinations`).  An attempt that runs the function then holds one of the
function's concurrency slots for a virtual duration (``lab.durations``, one virtual
second unless set; :mod:`.durations`); an attempt that finds the function's reserved
concurrency used up on the virtual clock is throttled without running, as Lambda
answers ``TooManyRequestsException`` (429).  Every step is a trace record:

``async-queued`` · ``async-attempt`` (outcome: success, function-error, throttle,
system-error, recursive-loop) · ``retry-wait`` (delay, until) · ``async-done`` (condition) ·
``delivery`` / ``delivery-failed`` (via OnSuccess, OnFailure or DLQ).

https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import RESERVED_LIMIT, AwsError, throttled
from ..trace_kinds import (
    ASYNC_ATTEMPT,
    ASYNC_DISCARDED,
    ASYNC_DONE,
    ASYNC_DROPPED,
    ASYNC_QUEUED,
    DELIVERY,
    DELIVERY_FAILED,
    RETRY_WAIT,
)
from . import async_policy
from .attempts import Attempt, Outcome, invoked, refused
from .destinations import DeliveryFailed, dlq_attributes, invocation_record
from .durations import InFlight, VirtualDurations

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from ..aws.event_invoke_config import EventInvokeConfig
    from ..clock import Clock
    from ..ports import Invoker, Target
    from ..runtime.types import InvokeResult
    from ..trace import Trace


class InvokeConfigs(Protocol):
    """The event invoke configs the engine reads (:class:`lambdalab.aws.event_invoke_config.EventInvokeConfigs`)."""

    def lookup(self, function_name: str, qualifier: str | None) -> EventInvokeConfig | None: ...


class Delivery(Protocol):
    """Where records and dead letters go (:class:`.destinations.Deliverer`); raises DeliveryFailed."""

    def send_record(
        self, arn: str, record: dict[str, Any], *, role_arn: str, function_name: str, success: bool
    ) -> None: ...

    def send_dead_letter(
        self, arn: str, event: bytes, attributes: dict[str, dict[str, str]], *, role_arn: str
    ) -> None: ...


class AsyncInvokeEngine:
    """The asynchronous invocation queue of every function in the lab."""

    def __init__(
        self,
        clock: Clock,
        trace: Trace,
        invoker: Invoker,
        configs: InvokeConfigs,
        deliverer: Delivery,
        durations: VirtualDurations | None = None,
        in_flight: InFlight | None = None,
    ) -> None:
        self.clock, self.trace, self.invoker = clock, trace, invoker
        self.configs, self.deliverer = configs, deliverer
        #: virtual seconds an invocation holds its slot, and the slots held (shared with the other engines)
        self.durations = durations if durations is not None else VirtualDurations()
        self.in_flight = in_flight if in_flight is not None else InFlight()
        #: is the function durable? Its events take no destinations, only the DLQ (connected by :mod:`lambdalab.wiring`;
        #: https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking.html)
        self.durable: Callable[[str], bool] = lambda function_name: False

    # -- the queue ------------------------------------------------------------------
    def submit(self, target: Target, payload: bytes, request_id: str, *, trace_header: str | None = None) -> None:
        """Queue an event (InvocationType=Event); it runs when the clock next runs.

        ``trace_header`` is the caller's (a function that invoked, published or wrote the event):
        each attempt continues that chain of requests, and Lambda stops a loop (:mod:`.recursion`).
        """
        name = target.spec.function_name
        qualifier = target.qualifier
        preview = payload[:40].decode("utf-8", "replace")
        self.trace.add(
            ASYNC_QUEUED, name, (request_id,), qualifier=qualifier or "$LATEST", size=len(payload), preview=preview
        )
        self.clock.process(self._event(name, qualifier, payload, request_id, trace_header))

    def _event(
        self, name: str, qualifier: str | None, payload: bytes, request_id: str, trace_header: str | None
    ) -> Generator[float, None, None]:
        trace = self.trace
        enqueued = self.clock.t
        attempts = function_errors = streak = 0
        last: Attempt | None = None
        target: Target | None = None
        while True:
            cfg = self.configs.lookup(name, qualifier)
            max_retries = cfg.retries if cfg else async_policy.DEFAULT_MAX_RETRIES
            max_age = cfg.age if cfg else async_policy.DEFAULT_MAX_AGE
            try:
                target = self.invoker.resolve(name, qualifier)
            except AwsError as err:
                trace.add(ASYNC_DROPPED, name, (request_id,), reason=f"{err.code}: {err.message}")
                return
            attempts += 1
            last = self._attempt(target, payload, request_id, trace_header)
            trace.add(
                ASYNC_ATTEMPT,
                name,
                (request_id,),
                attempt=attempts,
                outcome=last.outcome.value,
                error=last.error[:200] or None,
                version=last.executed_version,
            )
            if last.outcome is Outcome.FUNCTION_ERROR:
                function_errors += 1
                streak = 0
            elif last.outcome is not Outcome.SUCCESS:
                streak += 1
            step = async_policy.next_step(
                last.outcome,
                function_errors=function_errors,
                backoff_streak=streak,
                age=self.clock.t - enqueued,
                max_retries=max_retries,
                max_age=max_age,
                reserved_concurrency=target.spec.reserved_concurrency,
            )
            if step.action == "retry":
                trace.add(
                    RETRY_WAIT,
                    name,
                    (request_id,),
                    delay=step.delay,
                    until=self.clock.t + step.delay,
                    reason=last.outcome.value,
                )
                yield step.delay
                continue
            if step.action == "expire":
                if step.delay:
                    trace.add(
                        RETRY_WAIT,
                        name,
                        (request_id,),
                        delay=step.delay,
                        until=self.clock.t + step.delay,
                        reason="expiring",
                    )
                    yield step.delay
            break
        assert step.condition is not None and target is not None
        self._finish(target, name, qualifier, payload, request_id, step.condition, attempts, last)

    def _attempt(self, target: Target, payload: bytes, request_id: str, trace_header: str | None) -> Attempt:
        name = target.spec.function_name
        if not self.in_flight.has_room(name, target.spec.reserved_concurrency):
            return refused(throttled(RESERVED_LIMIT), request_id, target.executed_version)  # used up on the clock
        try:
            result: InvokeResult = self.invoker.run(
                target, payload, source="async", request_id=request_id, trace_header=trace_header
            )
        except AwsError as err:
            return refused(err, request_id, target.executed_version)
        self._hold(name, self.durations.seconds(name, target.spec.timeout, result.error_type == "Sandbox.Timedout"))
        attempt = invoked(result, request_id)
        if attempt.outcome is Outcome.FUNCTION_ERROR:
            return dataclasses.replace(attempt, error=_error_message(result.payload) or attempt.error)
        return attempt

    def _hold(self, function_name: str, seconds: float) -> None:
        """The invocation keeps one of the function's slots for ``seconds`` of virtual time."""
        self.in_flight[function_name] += 1

        def release() -> None:
            self.in_flight[function_name] -= 1

        self.clock.call_later(seconds, release, busy=False)  # a slot falling free is not work to wait for

    # -- the end of an event ---------------------------------------------------------
    def _finish(
        self,
        target: Target,
        name: str,
        qualifier: str | None,
        payload: bytes,
        request_id: str,
        condition: str,
        attempts: int,
        last: Attempt,
    ) -> None:
        trace = self.trace
        trace.add(ASYNC_DONE, name, (request_id,), condition=condition, attempts=attempts)
        success = condition == "Success"
        cfg = self.configs.lookup(name, qualifier)
        role = target.role
        destination = (cfg.on_success if success else cfg.on_failure) if cfg and not self.durable(name) else None
        if destination:
            record = invocation_record(
                timestamp=self.clock.now,
                request_id=request_id,
                function_arn=f"{target.spec.function_arn}:{last.executed_version}",
                condition=condition,
                invoke_count=attempts,
                request_payload=payload,
                status_code=last.status_code,
                executed_version=last.executed_version,
                function_error=last.function_error,
                response_payload=last.payload,
            )
            via = "OnSuccess" if success else "OnFailure"
            self._deliver(
                name,
                request_id,
                via,
                destination,
                condition,
                lambda: self.deliverer.send_record(
                    destination, record, role_arn=role, function_name=name, success=success
                ),
            )
        dlq = target.dead_letter_arn
        if dlq and not success:
            error_code = 200 if last.outcome is Outcome.FUNCTION_ERROR else last.status_code
            attrs = dlq_attributes(request_id, error_code, last.error or condition)
            self._deliver(
                name,
                request_id,
                "DLQ",
                dlq,
                condition,
                lambda: self.deliverer.send_dead_letter(dlq, payload, attrs, role_arn=role),
            )
        if not destination and not (dlq and not success) and not success:
            trace.add(ASYNC_DISCARDED, name, (request_id,), condition=condition)

    def _deliver(self, name: str, request_id: str, via: str, arn: str, condition: str, send: Any) -> None:
        try:
            send()
        except DeliveryFailed as err:
            self.trace.add(
                DELIVERY_FAILED, name, (request_id,), via=via, target=arn, condition=condition, reason=str(err)
            )
            return
        self.trace.add(DELIVERY, name, (request_id,), via=via, target=arn, condition=condition)


def _error_message(payload: bytes) -> str:
    try:
        doc = json.loads(payload)
    except ValueError:
        return payload[:1024].decode(errors="replace")
    if isinstance(doc, dict):
        return str(doc.get("errorMessage") or doc.get("errorType") or "")
    return ""
