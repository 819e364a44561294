"""The event Lambda sends for a batch of records: ``{"Records": [...]}``, at most 6 MB.

SQS, Kinesis and DynamoDB Streams batches share this envelope, and a batch closes
before one more record would take its event past the 6 MB synchronous invocation
payload limit.  A batch's size is :data:`ENVELOPE` plus each record's JSON, with
:data:`SEPARATOR` bytes between records.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html#invocation-eventsourcemapping-batching
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
"""

from __future__ import annotations

from typing import Any

PAYLOAD_LIMIT = 6 * 1024 * 1024
ENVELOPE = len(b'{"Records": []}')
SEPARATOR = len(b", ")


def event(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The event of a batch."""
    return {"Records": records}
