"""Values that cross between the lab and the local Lambda runtime.

The runtime knows nothing of moto: the lab hands it a :class:`FunctionSpec`
(what Lambda knows about one published version of a function) and gets back an
:class:`InvokeResult` (what the Invoke API reports).  See
https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html

:class:`Runtime` is the protocol every runtime satisfies, the way httpx's
transports do: :class:`lambdalab.runtime.SubprocessRuntime` runs real code in
execution environments, :class:`lambdalab.runtime.FakeRuntime` calls Python
functions in process (for tests), and the lab takes either.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class LogSettings:
    """A function's ``LoggingConfig``: log format, log levels (JSON only) and log group.

    https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html
    """

    log_format: str = "Text"  # "Text" or "JSON"
    application_level: str | None = None  # TRACE, DEBUG, INFO, WARN, ERROR, FATAL (JSON only)
    system_level: str | None = None  # DEBUG, INFO, WARN (JSON only)
    log_group: str | None = None  # None: /aws/lambda/<function name>

    @property
    def json(self) -> bool:
        return self.log_format == "JSON"

    def group_of(self, function_name: str) -> str:
        """The log group the function writes to."""
        return self.log_group or f"/aws/lambda/{function_name}"


@dataclass(frozen=True)
class FunctionSpec:
    """One version of a function, as the runtime needs it."""

    function_name: str
    function_arn: str  # unqualified: arn:aws:lambda:<region>:<account>:function:<name>
    version: str  # "$LATEST" or "1", "2", ...
    runtime: str  # "python3.12", "nodejs20.x", "provided.al2023", ...
    handler: str  # "index.handler"
    code_zip: bytes
    code_sha256: str
    timeout: int = 3  # seconds, 1-900
    memory_size: int = 128  # MB, 128-10240
    environment: Mapping[str, str] = field(default_factory=dict)
    #: changes whenever code or configuration changes; environments of an older
    #: revision are never reused (update-function-code retires them)
    revision_id: str = ""
    #: reserved concurrency (None = unreserved); 0 throttles every invoke
    reserved_concurrency: int | None = None
    #: the function's layers in order, each (CodeSha256, .zip archive): extracted into /opt, later ones on top
    layers: tuple[tuple[str, bytes], ...] = ()
    #: LoggingConfig: format, levels, log group
    logging: LogSettings = field(default_factory=LogSettings)


@dataclass(frozen=True)
class LogEvent:
    """One CloudWatch Logs event: when (epoch milliseconds, on the function's clock) and what."""

    timestamp: int
    message: str


@dataclass(frozen=True)
class InvokeResult:
    """The outcome of one invocation, in the Invoke API's terms."""

    request_id: str
    payload: bytes  # the response body (function result or error document)
    executed_version: str
    #: None on success; "Unhandled" when the function or the runtime failed
    function_error: str | None = None
    #: for failures, the errorType (e.g. "Sandbox.Timedout", "Runtime.ExitError")
    error_type: str | None = None
    #: the invocation's log as text: [INIT_START ...] START ... END ... REPORT ... (LogType=Tail reads its end)
    log: str = ""
    #: the same log as CloudWatch Logs events, for the stream of the environment that ran it
    log_events: tuple[LogEvent, ...] = ()
    #: that environment's log stream (``context.log_stream_name``), e.g. ``2025/01/06/[$LATEST]<32 hex>``
    log_stream_name: str = ""
    duration_ms: float = 0.0
    billed_duration_ms: int = 0
    max_memory_used_mb: int = 0
    init_duration_ms: float | None = None  # set on a cold start only
    status_code: int = 200
    #: the function streamed its answer: the chunks went to the invoke's ``stream`` and ``payload`` is empty
    streamed: bool = False

    @property
    def ok(self) -> bool:
        return self.function_error is None


@dataclass(frozen=True)
class InitLog:
    """The init of one environment run ahead of any request (provisioned concurrency)."""

    log_stream_name: str
    events: tuple[LogEvent, ...]  # INIT_START and the init's output (an INIT_REPORT when it failed)
    error_type: str | None = None  # the init failed: the environment was discarded


class RuntimeFailure(Exception):
    """An invoke the runtime refused before running code (AWS error code + message).

    ``status`` is the HTTP status AWS answers with, e.g. 429 for
    ``TooManyRequestsException``, 502 for ``InvalidRuntimeException``;
    ``reason`` is a throttle's ``Reason`` (botocore's ``ThrottleReason``).
    """

    def __init__(self, code: str, message: str, status: int = 400, reason: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class EnvironmentInfo:
    """A snapshot of one execution environment, for notebooks."""

    function_name: str
    version: str
    revision_id: str
    pid: int | None  # None for an environment with no process (the fake's)
    state: str  # "busy" or "warm"
    invocations: int
    rss_mb: int
    max_memory_used_mb: int


class ResponseStream(Protocol):
    """Where a streamed response goes as the function writes it (InvokeWithResponseStream, a streaming URL)."""

    def start(self, content_type: str) -> None:
        """The function began to stream, with this content type (before the first chunk)."""
        ...

    def write(self, chunk: bytes) -> None:
        """One chunk, as it arrived from the function."""
        ...


@dataclass(frozen=True)
class Call:
    """One invocation of a batch (:meth:`Runtime.invoke_many`): what ``invoke`` takes, but a stream."""

    payload: bytes
    request_id: str
    invoked_function_arn: str
    client_context: str | None = None
    trace_id: str | None = None


class Runtime(Protocol):
    """What runs function code for the lab: Lambda's data plane, behind the Invoke API."""

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
        """Run one invocation to completion (safe to call from many threads).

        ``trace_id`` is the invocation's trace header (``_X_AMZN_TRACE_ID`` in the function; the
        runtime makes one when it is None).

        ``stream`` receives a streamed answer chunk by chunk while the function runs (a runtime
        without streaming, or a function that does not stream, answers in ``payload`` as usual).

        A function that fails is a result (``function_error``, ``error_type``); an invoke
        refused before code runs, a throttle for example, raises :class:`RuntimeFailure`.
        """
        ...

    def provision(self, spec: FunctionSpec, invoked_function_arn: str, count: int) -> list[InitLog]:
        """Keep ``count`` environments initialised for invocations through ``invoked_function_arn``.

        Those invocations take them first (no Init Duration), then spill over to on-demand ones.
        Returns the inits run now; a runtime may make some of the environments only when needed.
        """
        ...

    def deprovision(self, invoked_function_arn: str) -> None:
        """Release the provisioned environments of ``invoked_function_arn``."""
        ...

    def invoke_many(self, spec: FunctionSpec, calls: Sequence[Call]) -> Iterator[InvokeResult | RuntimeFailure]:
        """Run ``calls`` one after another, in order, as ``invoke`` would; a refused one is its failure.

        What a caller gets by invoking each in turn, without waiting between them (a burst's
        requests at one virtual instant).  Each result comes as its invocation ends (read them
        all: the environment is held till then).
        """
        ...

    def retire(self, function_name: str, version: str | None = None) -> None:
        """Discard a function's environments (all versions when ``version`` is None); the next invoke is cold."""
        ...

    def environments(self) -> list[EnvironmentInfo]:
        """One row per execution environment."""
        ...

    def close(self) -> None:
        """Release everything; later invokes fail with ``ServiceException``."""
        ...


def client_context_json(value: str | None) -> str | None:
    """The Invoke API's ClientContext (base64 of a JSON document; JSON text is accepted too) as JSON text."""
    if value is None:
        return None
    try:
        text = base64.b64decode(value, validate=True).decode()
        json.loads(text)
        return text
    except (binascii.Error, ValueError):
        return value
