"""Recursive loop detection: how Lambda counts a chain of requests, and when it stops one.

Every invocation gets a trace header (X-Ray's ``X-Amzn-Trace-Id``: ``Root=...;Parent=...;
Sampled=0``); the runtime puts it in ``_X_AMZN_TRACE_ID`` and the AWS SDK sends it with each
request the function makes.  SQS keeps it with the message as the ``AWSTraceHeader`` system
attribute, and Lambda reads it back when the message invokes a function: that is how a chain
of requests (a function that writes to the queue it reads) is followed.  Lambda adds a
*lineage* to the header: how many times each function has run in the chain.  When a
function would run a 17th time in one chain (after 16 invocations), Lambda stops that
invocation (``RecursiveInvocationException``) unless the function's recursion config is
``Allow``; the default is ``Terminate``.  The event is not lost: AWS sends it to a
dead-letter queue or on-failure destination if there is one; for an SQS source the stopped
batch fails, and the source queue's redrive policy moves it to the queue's dead-letter queue.

AWS does not document the lineage's form; the lab writes ``Lineage=<8 hex of the function
ARN>:<count>``, one entry per function joined by ``|``.  The lab follows chains through SQS
(the classic loop); SNS, S3 and Lambda's own Invoke carry no lineage here yet.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html
https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionRecursionConfig.html
https://aws.amazon.com/blogs/compute/detecting-and-stopping-recursive-loops-in-aws-lambda-functions/
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

#: invocations of one function in one chain before Lambda stops the next
LIMIT = 16
#: PutFunctionRecursionConfig's RecursiveLoop values; Terminate is the default
ALLOW, TERMINATE = "Allow", "Terminate"


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
