"""Recursive loop detection: how Lambda counts a chain of requests, and when it stops one.

Every invocation gets a trace header (X-Ray's ``X-Amzn-Trace-Id``: ``Root=...;Parent=...;
Sampled=0``); the runtime puts it in ``_X_AMZN_TRACE_ID`` and the AWS SDK sends it with each
request the function makes (boto3 1.24.46 / botocore 1.27.46, JavaScript SDK 3.105.0 and
later).  Lambda adds a *lineage* to the header: how many times each function has run in the
chain.  The services AWS follows a chain through carry the header on to the next invocation:

- **SQS** keeps it with the message as the ``AWSTraceHeader`` system attribute;
- **SNS** hands it on when the published message invokes a subscribed function;
- **S3** hands it on when an object a function wrote fires a notification;
- **Lambda** itself: ``Invoke`` from inside a function, synchronous or ``Event``.

When a function would run a 17th time in one chain (after 16 invocations), Lambda stops that
invocation (``RecursiveInvocationException``, 400) unless the function's recursion config is
``Allow``; the default is ``Terminate``.  The event is not lost: an asynchronous one (SNS, S3,
``InvocationType=Event``) goes without retries to the function's on-failure destination or
dead-letter queue, if it has one; an SQS batch fails, and the source queue's redrive policy
moves it to the queue's dead-letter queue once ``maxReceiveCount`` is used up; a synchronous
caller gets the error.  AWS counts each stop in the ``RecursiveInvocationsDropped`` metric (not
emitted with ``Allow``); the lab writes a ``recursion-stopped`` trace record.  Loops through
other services (DynamoDB, EventBridge, ...) are not followed, by AWS or the lab.

AWS does not document the lineage's form; the lab writes ``Lineage=<8 hex of the function
ARN>:<count>``, one entry per function joined by ``|`` (botocore sends that ``|`` as ``%7C``;
:func:`from_request` reads both).  Nor does it show the on-failure record of a stopped event:
the lab gives it the condition ``RetriesExhausted`` and the error's status, 400.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html
https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionRecursionConfig.html
https://aws.amazon.com/blogs/compute/detecting-and-stopping-recursive-loops-in-aws-lambda-functions/
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import unquote

#: invocations of one function in one chain before Lambda stops the next
LIMIT = 16
#: PutFunctionRecursionConfig's RecursiveLoop values; Terminate is the default
ALLOW, TERMINATE = "Allow", "Terminate"
#: what Lambda answers when it stops an invocation (botocore's model: HTTP 400)
STOPPED_CODE = "RecursiveInvocationException"
STOPPED_MESSAGE = (
    "Lambda has detected your function being invoked in a recursive loop with other AWS resources "
    "and stopped your function's invocation."
)

#: the trace header of the API request being answered (set by the gateway while it answers one)
_caller: ContextVar[str | None] = ContextVar("caller_trace_header", default=None)


def from_request(value: str | None) -> str | None:
    """A request's ``X-Amzn-Trace-Id`` as sent (botocore percent-quotes some characters)."""
    return unquote(value) if value else None


@contextmanager
def answering(header: str | None) -> Iterator[None]:
    """While a request with trace header ``header`` is answered, :func:`caller_header` gives it."""
    token = _caller.set(from_request(header))
    try:
        yield
    finally:
        _caller.reset(token)


def caller_header() -> str | None:
    """The trace header of the request being answered: what SNS and S3 pass on to the function they invoke."""
    return _caller.get()


def function_key(function_arn: str) -> str:
    """The function's entry in a lineage: 8 hex digits of its unqualified ARN."""
    return hashlib.sha256(function_arn.encode()).hexdigest()[:8]


def fields(header: str | None) -> dict[str, str]:
    """``Root=...;Parent=...`` as a dict (empty for no header)."""
    out: dict[str, str] = {}
    for part in (header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep:
            out[key] = value
    return out


def lineage(header: str | None) -> dict[str, int]:
    """How many times each function (by :func:`function_key`) ran in the header's chain."""
    out: dict[str, int] = {}
    for entry in fields(header).get("Lineage", "").split("|"):
        key, sep, count = entry.partition(":")
        if sep and count.isdigit():
            out[key] = int(count)
    return out


@dataclass(frozen=True)
class Hop:
    """One invocation in a chain: the header it runs with, its count, whether Lambda stops it."""

    header: str
    count: int
    stopped: bool


def next_hop(incoming: str | None, function_arn: str, *, root: str, parent: str, config: str = TERMINATE) -> Hop:
    """The invocation of ``function_arn`` that ``incoming`` (a message's AWSTraceHeader, or None) leads to.

    ``root`` and ``parent`` serve when the chain starts here (no incoming header).
    """
    given = fields(incoming)
    counts = lineage(incoming)
    key = function_key(function_arn)
    counts[key] = counts.get(key, 0) + 1
    entries = "|".join(f"{k}:{n}" for k, n in counts.items())
    header = f"Root={given.get('Root', root)};Parent={parent};Sampled=0;Lineage={entries}"
    return Hop(header, counts[key], counts[key] > LIMIT and config != ALLOW)
