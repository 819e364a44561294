"""One invocation as the Runtime API carries it: the event offered, and what the runtime answered.

The fields are what ``GET /2018-06-01/runtime/invocation/next`` hands the runtime
(request id, deadline, function ARN, trace id, client context) and what it posts
back (``/response`` or ``/error``): https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lambdalab.runtime.types import LogEvent


@dataclass
class Invocation:
    """One event offered to an environment, and what the runtime answered."""

    request_id: str
    payload: bytes
    invoked_function_arn: str
    timeout: float
    client_context: str | None = None
    trace_id: str = ""
    offered_at: float | None = None  # time.monotonic() when it was queued for the runtime
    delivered_at: float | None = None  # time.monotonic() when /next returned it
    finished_at: float | None = None
    kind: str | None = None  # "response" or "error"
    body: bytes = b""
    error_type: str | None = None
    #: the size of an answer refused for being larger than MAX_PAYLOAD
    refused_size: int | None = None
    #: where a streamed answer goes chunk by chunk (a :class:`~lambdalab.runtime.types.ResponseStream`)
    stream: Any = None
    #: the runtime streamed its answer (the chunks went to ``stream``; ``body`` stays empty)
    streamed: bool = False
    #: the log events written before it was handed out (a cold start's init), and during it
    before_start: list[LogEvent] | None = None
    events: list[LogEvent] | None = None
    done: threading.Event = field(default_factory=threading.Event)
