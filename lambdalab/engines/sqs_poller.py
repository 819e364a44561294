"""Lambda's poller for one queue of a mapping: receive, delete, and the event records.

The receive itself (visibility, receive count, FIFO groups, the move to the
dead-letter queue) is SQS's and happens in process over moto's stored queue
(:mod:`lambdalab.aws.moto_sqs`); this module is what Lambda adds: the error it gives
for a queue it cannot read, and the record a function receives for each message.

https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
"""

from __future__ import annotations

import json
from typing import Any

from ..aws.moto_sqs import MotoSqs, SqsMessage
from ..errors import invalid_parameter
from ..events import sqs as sqs_event


def find_queue(sqs: MotoSqs, arn: str) -> str:
    """The queue's ARN, or the error Lambda gives for a queue it cannot read."""
    found = sqs.queue_arn(arn)
    if found is None:
        raise invalid_parameter(
            "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. "
            "SQS Error Message: The specified queue does not exist."
        )
    return found


class Poller:
    """Receive, delete and redrive on one queue (the messages stay in moto's store)."""

    def __init__(self, sqs: MotoSqs, arn: str, region: str) -> None:
        self.sqs = sqs
        self.arn = find_queue(sqs, arn)
        self.region = region
        self.fifo = sqs.is_fifo(arn)

    @property
    def dead_letter_arn(self) -> str | None:
        return self.sqs.dead_letter_arn(self.arn)

    def receive(self, count: int) -> tuple[list[SqsMessage], list[SqsMessage]]:
        """Up to ``count`` visible messages, marked received; and the messages moved to the DLQ."""
        return self.sqs.receive(self.arn, count)

    def next_visible_in(self, settled_by: dict[str, float] | None = None) -> float | None:
        """Seconds until some message now invisible can be received (see :meth:`MotoSqs.next_visible_in`)."""
        return self.sqs.next_visible_in(self.arn, settled_by)

    def visible_at(self, messages: list[SqsMessage]) -> float:
        """When (ms since the epoch) the last of ``messages`` is visible again."""
        return max(self.sqs.visible_at(self.arn, m) for m in messages)

    def delete(self, messages: list[tuple[SqsMessage, str]]) -> tuple[list[SqsMessage], list[SqsMessage]]:
        """Delete (message, receipt handle) pairs; returns (deleted, already gone)."""
        return self.sqs.delete(self.arn, [m for m, _handle in messages])

    def record(self, message: SqsMessage) -> dict[str, Any]:
        """The Lambda event record for a received message."""
        return sqs_event.record(
            message_id=message.id,
            receipt_handle=message.receipt_handle,
            body=message.body,
            receive_count=message.approximate_receive_count,
            sent_ms=message.sent_timestamp,
            sender_id=message.sender_id,
            first_receive_ms=message.approximate_first_receive_timestamp,
            attrs=message.message_attributes,
            md5=message.body_md5,
            source_arn=self.arn,
            region=self.region,
            group_id=message.group_id,
            dedup_id=message.deduplication_id,
            sequence_number=message.sequence_number,
            trace_header=message.trace_header,
        )


def describe_body(body: str, limit: int = 80) -> str:
    """A short, one-line view of a message body for the trace."""
    try:
        text = json.dumps(json.loads(body), separators=(",", ":"))
    except ValueError:
        text = body
    return text if len(text) <= limit else text[: limit - 1] + "…"
