"""Values that cross between the lab and the local Lambda runtime.

The runtime knows nothing of moto: the lab hands it a :class:`FunctionSpec`
(what Lambda knows about one published version of a function) and gets back an
:class:`InvokeResult` (what the Invoke API reports).  See
https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


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
    #: the invocation's whole log text: START ... END ... REPORT ... lines included
    log: str = ""
    duration_ms: float = 0.0
    billed_duration_ms: int = 0
    max_memory_used_mb: int = 0
    init_duration_ms: float | None = None  # set on a cold start only
    status_code: int = 200

    @property
    def ok(self) -> bool:
        return self.function_error is None


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
