"""An in-process runtime for tests: handlers are plain Python callables.

The httpx ``MockTransport`` idea applied to Lambda: :class:`FakeRuntime` satisfies
the same :class:`~lambdalab.runtime.types.Runtime` protocol as the subprocess
runtime, so a lab built with ``Lab(runtime=FakeRuntime())`` runs every engine,
destination and trace record as usual, but no function code in a subprocess::

    fake = FakeRuntime()
    with lambdalab.Lab(runtime=fake) as lab:
        ...  # create_function(FunctionName="orders", ...)
        fake.handle("orders", lambda event, context: {"ok": True})

A handler is called like a Python Lambda handler, ``handler(event, context)``, and
its outcome is reported the way the Python runtime (awslambdaric) reports it
(https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html,
https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html): the return
value as JSON (``bytes`` as they are), an exception as an ``Unhandled`` error
document with ``errorMessage``, ``errorType``, ``requestId`` and ``stackTrace``.
What the function cannot do in process it raises: :class:`SandboxTimeout` (Lambda
stopped it at its timeout), :class:`RuntimeExit` (the runtime process ended),
:class:`OutOfMemory`.  Environments, warm and cold starts and throttles come from
the same :mod:`.pool` as the real runtime's; failure texts from :mod:`.outcome`.

What the fake does not do: measure anything (durations and memory are the fixed
figures given to the constructor), capture ``print`` (``context.log`` writes to the
invocation's log, as it does in Lambda), set environment variables, or write
``Decimal`` values (awslambdaric writes them as JSON numbers).  Tests that need
those run real code.
"""

from __future__ import annotations

import json
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from lambdalab.runtime.api import MAX_PAYLOAD
from lambdalab.runtime.families import PYTHON
from lambdalab.runtime.log_stream import now_ms
from lambdalab.runtime.outcome import Outcome, exited, response_too_large, result_of, timed_out
from lambdalab.runtime.output import CappedLog
from lambdalab.runtime.pool import EnvironmentKey, Pool
from lambdalab.runtime.types import (
    Call,
    EnvironmentInfo,
    FunctionSpec,
    InitLog,
    InvokeResult,
    LogEvent,
    ResponseStream,
    RuntimeFailure,
    client_context_json,
)

#: a Lambda handler: ``handler(event, context) -> result``
Handler = Callable[[Any, "FakeContext"], Any]


class SandboxTimeout(Exception):  # noqa: N818 - named after Lambda's error type
    """Raise in a handler to end the invocation at the function's timeout (``Sandbox.Timedout``)."""


class RuntimeExit(Exception):  # noqa: N818
    """Raise in a handler to end the runtime process (``Runtime.ExitError``); negative = killed by that signal."""

    def __init__(self, status: int = 1) -> None:
        super().__init__(f"exit status {status}")
        self.status = status


class OutOfMemory(Exception):  # noqa: N818
    """Raise in a handler to exceed the function's memory (``Runtime.OutOfMemory``)."""


@dataclass
class FakeContext:
    """The context object a Python handler receives (the attributes Lambda documents).

    https://docs.aws.amazon.com/lambda/latest/dg/python-context.html
    """

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: str
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    timeout_ms: int
    client_context: Any = None
    identity: Any = None
    output: list[str] = field(default_factory=list)

    def get_remaining_time_in_millis(self) -> int:
        """The whole timeout: no time passes inside a fake invocation."""
        return self.timeout_ms

    def log(self, message: object) -> None:
        """Write to the invocation's log (as ``context.log`` does in Lambda: no newline added)."""
        self.output.append(str(message))


@dataclass(frozen=True)
class ClientContext:
    """``context.client_context``: what the caller's ClientContext said (mobile SDK fields)."""

    client: Any = None
    custom: Any = None
    env: Any = None


def _client_context(value: str | None) -> ClientContext | None:
    text = client_context_json(value)
    if text is None:
        return None
    doc = json.loads(text)
    if not isinstance(doc, dict):
        return ClientContext()
    return ClientContext(client=doc.get("client"), custom=doc.get("custom"), env=doc.get("env"))


@dataclass
class _Environment:
    """An execution environment with no process: warm state and a count."""

    key: EnvironmentKey
    busy: bool = False
    retired: bool = False
    last_used: int = 0
    dead: bool = False
    invocations: int = 0
    #: the environment's log stream (a fake one: no date, a serial number for an id)
    log_stream_name: str = ""
    #: the qualified ARN whose provisioned concurrency it serves ("": on demand)
    provisioned_for: str = ""

    def alive(self) -> bool:
        return not self.dead


_serials = iter(range(1, 1 << 62))


def _new_environment(key: EnvironmentKey, spec: FunctionSpec) -> _Environment:
    return _Environment(key, log_stream_name=f"fake/[{spec.version}]{next(_serials):032x}")


class FakeRuntime:
    """Calls registered Python handlers in process; a :class:`~lambdalab.runtime.types.Runtime`."""

    def __init__(
        self,
        handlers: dict[str, Handler] | None = None,
        *,
        max_environments: int = 10,
        duration_ms: float = 1.0,
        init_duration_ms: float = 100.0,
        max_memory_used_mb: int = 40,
    ) -> None:
        self._handlers: dict[str, Handler] = dict(handlers or {})
        self._handlers_lock = threading.Lock()
        self._pool: Pool[_Environment] = Pool(_new_environment, max_environments)
        self.duration_ms = duration_ms
        self.init_duration_ms = init_duration_ms
        self.max_memory_used_mb = max_memory_used_mb
        #: every invocation that ran a handler, in order: (function name, request id, event)
        self.calls: list[tuple[str, str, Any]] = []

    def handle(self, function_name: str, handler: Handler) -> None:
        """Run ``handler`` for every version of ``function_name`` from now on."""
        with self._handlers_lock:
            self._handlers[function_name] = handler

    # -- the Runtime protocol ------------------------------------------------------------
    def invoke(
        self,
        spec: FunctionSpec,
        payload: bytes,
        *,
        request_id: str,
        invoked_function_arn: str,
        client_context: str | None = None,
        stream: ResponseStream | None = None,
        trace_id: str | None = None,
    ) -> InvokeResult:
        """Python callables do not stream: a ``stream`` is not written to, the answer is the payload.

        ``trace_id`` is accepted and unused: a callable makes no SDK request that would carry it.
        """
        with self._handlers_lock:
            handler = self._handlers.get(spec.function_name)
        if handler is None:
            raise LookupError(
                f"FakeRuntime has no handler for the function {spec.function_name!r}: "
                f"call handle({spec.function_name!r}, handler) first"
            )
        env, to_kill = self._pool.acquire(spec, invoked_function_arn)
        for old in to_kill:
            old.dead = True
        try:
            cold = env.invocations == 0 and not env.provisioned_for  # a provisioned init is not the request's
            env.invocations += 1
            context = FakeContext(
                function_name=spec.function_name,
                function_version=spec.version,
                invoked_function_arn=invoked_function_arn,
                memory_limit_in_mb=str(spec.memory_size),
                aws_request_id=request_id,
                log_group_name=spec.logging.group_of(spec.function_name),
                log_stream_name=env.log_stream_name,
                timeout_ms=spec.timeout * 1000,
                client_context=_client_context(client_context),
            )
            outcome, discard = self._call(spec, handler, payload, context, cold)
            if discard:
                env.dead = True  # Lambda discards an environment after a timeout, a crash or a refused answer
        finally:
            if self._pool.release(env):
                env.dead = True
        return result_of(spec, request_id, outcome, env.log_stream_name)

    def provision(self, spec: FunctionSpec, invoked_function_arn: str, count: int) -> list[InitLog]:
        """Provisioned environments: a callable has no init to run, so their logs are empty."""
        new, to_kill = self._pool.provision(spec, invoked_function_arn, count)
        for env in to_kill:
            env.dead = True
        for env in new:
            self._pool.release(env)
        return [InitLog(env.log_stream_name, ()) for env in new]

    def deprovision(self, invoked_function_arn: str) -> None:
        for env in self._pool.deprovision(invoked_function_arn):
            env.dead = True

    def invoke_many(self, spec: FunctionSpec, calls: Sequence[Call]) -> Iterator[InvokeResult | RuntimeFailure]:
        """Each call in turn, as ``invoke`` runs it."""
        for call in calls:
            try:
                yield self.invoke(
                    spec,
                    call.payload,
                    request_id=call.request_id,
                    invoked_function_arn=call.invoked_function_arn,
                    client_context=call.client_context,
                    trace_id=call.trace_id,
                )
            except RuntimeFailure as failure:
                yield failure

    def retire(self, function_name: str, version: str | None = None) -> None:
        for env in self._pool.retire(function_name, version):
            env.dead = True

    def environments(self) -> list[EnvironmentInfo]:
        return [
            EnvironmentInfo(
                function_name=e.key[0],
                version=e.key[1],
                revision_id=e.key[2],
                pid=None,
                state="busy" if e.busy else "warm",
                invocations=e.invocations,
                rss_mb=0,
                max_memory_used_mb=self.max_memory_used_mb,
            )
            for e in self._pool.snapshot()
        ]

    def close(self) -> None:
        for env in self._pool.close():
            env.dead = True

    # -- one call ------------------------------------------------------------------------
    def _call(
        self, spec: FunctionSpec, handler: Handler, payload: bytes, context: FakeContext, cold: bool
    ) -> tuple[Outcome, bool]:
        """The outcome, and whether the environment is discarded after it."""
        rid = context.aws_request_id
        event = json.loads(payload)
        self.calls.append((spec.function_name, rid, event))
        duration = self.duration_ms
        kind, error_type = "response", None
        last: str | None = None  # the platform's or the runtime's closing log event, if any
        try:
            body = _marshal(handler(event, context), spec.runtime)
            if len(body) > MAX_PAYLOAD:  # the Runtime API refuses it; the runtime exits
                kind, error_type = "refused", "Function.ResponseSizeTooLarge"
                body = response_too_large(len(body), MAX_PAYLOAD)
        except SandboxTimeout:
            failure = timed_out(rid, float(spec.timeout))
            kind, error_type, body, duration = "timeout", failure.error_type, failure.body, spec.timeout * 1000.0
            last = failure.message
        except (RuntimeExit, OutOfMemory) as exc:
            oom = isinstance(exc, OutOfMemory)
            failure = exited(rid, None if oom else getattr(exc, "status", 1), out_of_memory=oom)
            kind, error_type, body = ("oom" if oom else "exit"), failure.error_type, failure.body
            last = failure.message
        except Exception as exc:  # noqa: BLE001 - the function's own error, reported as Lambda does
            doc = _error_document(exc, rid)
            kind, error_type, body = "error", doc["errorType"], json.dumps(doc).encode()
            last = _error_log(doc)
        at = now_ms()
        output = CappedLog()  # what the lab keeps of a long output, as for real code
        output.write("".join(context.output).encode(), at)
        output.flush()
        if last is not None:
            output.add(LogEvent(at, last))
        outcome = Outcome(
            kind="error" if kind == "refused" else kind,
            body=body,
            error_type=error_type,
            events=tuple(output.events()),
            started_ms=at,
            ended_ms=at,
            duration_ms=duration,
            init_duration_ms=self.init_duration_ms if cold else None,
            max_memory_mb=spec.memory_size if kind == "oom" else min(self.max_memory_used_mb, spec.memory_size),
        )
        return outcome, kind not in ("response", "error")


def _marshal(value: Any, runtime: str) -> bytes:
    """The response body: bytes as they are, anything else as JSON (awslambdaric's rules)."""
    if isinstance(value, bytes):
        return value
    try:
        return json.dumps(value, ensure_ascii=PYTHON.escapes_non_ascii(runtime)).encode()
    except (TypeError, ValueError) as err:
        raise _MarshalFailure(f"Unable to marshal response: {err}") from err


class _MarshalFailure(Exception):
    """awslambdaric's ``Runtime.MarshalError``: the return value is not JSON."""


def _error_document(exc: BaseException, request_id: str) -> dict[str, Any]:
    if isinstance(exc, _MarshalFailure):
        return {
            "errorMessage": str(exc),
            "errorType": "Runtime.MarshalError",
            "requestId": request_id,
            "stackTrace": [],
        }
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if f.filename != __file__]  # the runtime's own frames are not the function's
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(own),
    }


def _error_log(doc: dict[str, Any]) -> str:
    """awslambdaric's text-format error record: ``[ERROR] Type: message`` and the traceback, one log event."""
    lines = [
        f"[ERROR] {doc['errorType']}: {doc['errorMessage']}" if doc["errorMessage"] else f"[ERROR] {doc['errorType']}"
    ]
    lines.append("Traceback (most recent call last):")
    for element in doc["stackTrace"]:
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    return "\n".join(lines)
