"""Batch assembly for an SQS mapping: when a batch is complete, and what the function receives.

A poller gathers received messages into one open batch.  Lambda sends it when
the first of these happens:

* it holds ``BatchSize`` messages;
* ``MaximumBatchingWindowInSeconds`` has passed since its first message arrived
  (with a window of 0, whatever one receive returned is sent at once);
* one more record would take the payload past 6 MB.

The event is ``{"Records": [...]}`` with one record per message in the shape
Lambda uses for SQS (``messageId``, ``receiptHandle``, ``body``, ``attributes``,
``messageAttributes``, ``md5OfBody``, ``eventSource``, ``eventSourceARN``, ``awsRegion``).

https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html#invocation-eventsourcemapping-batching
https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..events import batch
from ..events.batch import ENVELOPE, PAYLOAD_LIMIT, SEPARATOR


def record_size(record: dict[str, Any]) -> int:
    """Bytes a record adds to the event (its JSON plus a separator)."""
    return len(json.dumps(record).encode()) + SEPARATOR


@dataclass
class OpenBatch:
    """Messages gathered so far for the next invocation."""

    opened_at: float
    records: list[dict[str, Any]] = field(default_factory=list)
    handles: list[Any] = field(default_factory=list)  # whatever the poller needs to delete later
    size: int = ENVELOPE

    def __len__(self) -> int:
        return len(self.records)

    def fits(self, record_bytes: int, limit: int = PAYLOAD_LIMIT) -> bool:
        return not self.records or self.size + record_bytes <= limit

    def add(self, record: dict[str, Any], handle: Any, record_bytes: int) -> None:
        self.records.append(record)
        self.handles.append(handle)
        self.size += record_bytes


def ready(batch: OpenBatch, *, now: float, batch_size: int, window: float, payload_full: bool = False) -> str | None:
    """Why the open batch must go now ("full", "payload", "window"), or None to keep gathering."""
    if not batch.records:
        return None
    if len(batch) >= batch_size:
        return "full"
    if payload_full:
        return "payload"
    if window <= 0:
        return "received"
    if now >= batch.opened_at + window:
        return "window"
    return None


def event(records: list[dict[str, Any]]) -> bytes:
    """The invocation payload Lambda sends for an SQS batch."""
    return json.dumps(batch.event(records)).encode()
