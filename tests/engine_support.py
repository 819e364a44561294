"""Engines built without a lab: a clock, a trace and fake ports (no moto, no gateway, no subprocess).

:class:`FakeInvoker` is the :class:`lambdalab.ports.Invoker` port over a
:class:`~lambdalab.runtime.FakeRuntime`: functions are names with Python handlers.
:func:`async_engine` builds the asynchronous invocation engine on it, with configs
and a delivery port that only record what they are given.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from support import Handler

from lambdalab.aws.event_invoke_config import EventInvokeConfig
from lambdalab.clock import Clock
from lambdalab.engines.async_invoke import AsyncInvokeEngine
from lambdalab.errors import RESERVED_LIMIT, AwsError, not_found, throttled
from lambdalab.ports import Place, Target
from lambdalab.runtime import FakeRuntime, FunctionSpec, InvokeResult, RuntimeFailure
from lambdalab.trace import Trace

PLACE = Place("123456789012", "us-east-1")
ROLE = "arn:aws:iam::123456789012:role/engine-test"


class FakeInvoker:
    """Resolves names to the functions given to :meth:`add`; runs them on a FakeRuntime, as the Invoke API would."""

    def __init__(self, trace: Trace, runtime: FakeRuntime | None = None) -> None:
        self.trace = trace
        self.runtime = runtime or FakeRuntime()
        self._specs: dict[str, FunctionSpec] = {}
        self._dlq: dict[str, str] = {}
        self._ids = itertools.count(1)

    def add(self, name: str, handler: Handler, *, dead_letter_arn: str | None = None, **spec: Any) -> str:
        """A function ``name`` running ``handler`` (``spec``: FunctionSpec fields such as timeout)."""
        self.runtime.handle(name, handler)
        self._specs[name] = FunctionSpec(
            function_name=name,
            function_arn=PLACE.arn("lambda", f"function:{name}"),
            version="$LATEST",
            runtime="python3.12",
            handler="app.handler",
            code_zip=b"",
            code_sha256="",
            **spec,
        )
        if dead_letter_arn:
            self._dlq[name] = dead_letter_arn
        return name

    def resolve(self, function_name: str, qualifier: str | None = None) -> Target:
        spec = self._specs.get(function_name)
        if spec is None:
            raise not_found(f"Function not found: {PLACE.arn('lambda', f'function:{function_name}')}")
        invoked = spec.function_arn + (f":{qualifier}" if qualifier else "")
        return Target(spec, invoked, spec.version, ROLE, self._dlq.get(function_name))

    def run(
        self,
        target: Target,
        payload: bytes,
        *,
        client_context: str | None = None,
        source: str,
        request_id: str | None = None,
        trace_header: str | None = None,
    ) -> InvokeResult:
        request_id = request_id or f"request-{next(self._ids)}"
        name = target.spec.function_name
        try:
            result = self.runtime.invoke(
                target.spec, payload, request_id=request_id, invoked_function_arn=target.invoked_arn
            )
        except RuntimeFailure as err:
            self.trace.add("invoke-refused", name, (request_id,), code=err.code, source=source)
            if err.code == "TooManyRequestsException":
                raise throttled(err.reason or RESERVED_LIMIT) from err
            raise AwsError(err.code, err.message, err.status) from err
        error = result.error_type if result.function_error else None
        cold = result.init_duration_ms is not None
        self.trace.add(
            "invoke", name, (request_id,), source=source, version=result.executed_version, error=error, cold=cold
        )
        return result

    def start_durable(self, target: Target, payload: bytes, *, source: str, request_id: str) -> None:
        """No function here is durable: every batch is invoked with :meth:`run`."""
        return None


@dataclass
class Configs:
    """Event invoke configs by function name (the engine's InvokeConfigs port)."""

    configs: dict[str, EventInvokeConfig] = field(default_factory=dict)

    def lookup(self, function_name: str, qualifier: str | None) -> EventInvokeConfig | None:
        return self.configs.get(function_name)


@dataclass
class Deliveries:
    """What the engine delivered (the engine's Delivery port): (kind, destination, document)."""

    sent: list[tuple[str, str, Any]] = field(default_factory=list)

    def send_record(
        self, arn: str, record: dict[str, Any], *, role_arn: str, function_name: str, success: bool
    ) -> None:
        self.sent.append(("record", arn, record))

    def send_dead_letter(self, arn: str, event: bytes, attributes: dict[str, dict[str, str]], *, role_arn: str) -> None:
        self.sent.append(("dead-letter", arn, json.loads(event)))


@dataclass
class AsyncRig:
    """The asynchronous invocation engine and the fake ports around it."""

    clock: Clock
    trace: Trace
    invoker: FakeInvoker
    configs: Configs
    deliveries: Deliveries
    engine: AsyncInvokeEngine
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def submit(self, function_name: str, event: object) -> str:
        """InvocationType=Event: queue ``event``; returns its request id."""
        request_id = f"event-{next(self._ids)}"
        self.engine.submit(self.invoker.resolve(function_name), json.dumps(event).encode(), request_id)
        return request_id


def async_engine() -> AsyncRig:
    """An asynchronous invocation engine on a fresh clock, with fake ports."""
    clock = Clock()
    trace = Trace(lambda: clock.t)
    invoker, configs, deliveries = FakeInvoker(trace), Configs(), Deliveries()
    engine = AsyncInvokeEngine(clock, trace, invoker, configs, deliveries)
    return AsyncRig(clock, trace, invoker, configs, deliveries, engine)
