"""Reading an SQS queue for a mapping, in-process, on virtual time.

Lambda's pollers call ReceiveMessage and DeleteMessage.  moto's versions scan
the whole queue on every call (and deep-copy every message): about 0.6 s per
receive with 1,000 messages waiting, and a delete is linear too.  The poller
here works on moto's stored queue directly instead, with the same effects a
receive has in SQS (receive count, first-receive time, a new receipt handle,
invisibility for the visibility timeout, redrive to the dead-letter queue once
``maxReceiveCount`` is reached) but at the cost of the messages it looks at:

* a receive walks the queue from the front and stops once it has enough; what it
  skips is only what is in flight or delayed ahead of them;
* a delete rebuilds only the front of the list, up to the last message deleted.

FIFO: messages of a group come in order, and a group with a message in flight
(or waiting out its visibility timeout after a failure) is not read at all, so
the messages behind a failed one wait for it.

Never long-polls: moto's long polling blocks forever while time stands still.

https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import invalid_parameter
from . import sqs_batching, sqs_errors


@dataclass(frozen=True)
class QueueInfo:
    name: str
    arn: str
    fifo: bool


def find_queue(account_id: str, arn: str) -> Any:
    """moto's queue for an ARN, or the error Lambda gives for a queue it cannot read."""
    from moto.sqs.models import sqs_backends

    parts = arn.split(":")
    region, name = parts[3], parts[5]
    backend = sqs_backends[account_id][region]
    queue = backend.queues.get(name)
    if queue is None:
        raise invalid_parameter(
            "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. "
            "SQS Error Message: The specified queue does not exist."
        )
    return queue


def mark_received(message: Any, now_ms: float, visibility_ms: int) -> None:
    """What moto's ``Message.mark_received`` does, with a receipt handle 100x cheaper to make."""
    if not message.approximate_first_receive_timestamp:
        message.approximate_first_receive_timestamp = int(now_ms)
    message.approximate_receive_count += 1
    if visibility_ms:
        message.visible_at = now_ms + visibility_ms
    message._old_receipt_handles.append(message.receipt_handle)
    message.receipt_handle = receipt_handle()


def receipt_handle() -> str:
    """A fresh receipt handle, from moto's seeded generator (so runs repeat)."""
    import base64

    from moto.moto_api._internal import mock_random

    return "AQEB" + base64.b64encode(mock_random.getrandbits(96 * 8).to_bytes(96, "big")).decode()


def _now_ms() -> float:
    from moto.core.utils import unix_time_millis

    return float(unix_time_millis())


class Poller:
    """Receive, delete and redrive on one moto queue (the messages stay moto's)."""

    def __init__(self, queue: Any, region: str) -> None:
        self.queue = queue
        self.region = region

    @property
    def fifo(self) -> bool:
        return bool(self.queue.fifo_queue)

    @property
    def arn(self) -> str:
        return str(self.queue.queue_arn)

    @property
    def visibility_timeout(self) -> int:
        return int(self.queue.visibility_timeout)

    def _redrive(self) -> tuple[Any, int] | None:
        policy = self.queue.redrive_policy
        dlq = self.queue.dead_letter_queue
        if not policy or dlq is None:
            return None
        return dlq, int(policy["maxReceiveCount"])

    # -- receive ----------------------------------------------------------------
    def receive(self, count: int) -> tuple[list[Any], list[Any]]:
        """Up to ``count`` visible messages, marked received; and the messages moved to the DLQ."""
        now = _now_ms()
        redrive = self._redrive()
        max_receives = redrive[1] if redrive else None
        fifo = self.fifo
        blocked: set[str] = set()
        got: list[Any] = []
        to_dlq: list[Any] = []
        pending = self.queue.pending_messages
        for message in self.queue._messages:
            invisible = message.visible_at > now or message.delayed_until > now
            group = message.group_id if fifo else None
            if invisible:
                if group is not None:
                    blocked.add(group)
                continue
            if group is not None and group in blocked:
                continue
            if sqs_errors.should_redrive(message.approximate_receive_count, max_receives):
                to_dlq.append(message)
                continue
            got.append(message)
            if group is not None:
                # the rest of this group may follow in the same batch, in order;
                # other pollers will not see the group until this batch is settled
                pass
            if len(got) >= count:
                break
        vt_ms = self.visibility_timeout * 1000
        for message in got:
            mark_received(message, now, vt_ms)
            pending.add(message)
        if to_dlq:
            self._remove(to_dlq)
            for message in to_dlq:
                message.lambdalab_gone = True
            for message in to_dlq:
                redrive[0].add_message(message)  # type: ignore[index]
        return got, to_dlq

    def next_visible_in(self, settled_by: dict[int, float] | None = None) -> float | None:
        """Seconds until some message now invisible (in flight or delayed) can be received.

        ``settled_by`` maps ``id(message)`` to the time (ms) its batch settles: such a message counts only if
        it reappears before then (otherwise the settling decides its fate, and wakes the poller itself).
        """
        now = _now_ms()
        soonest: float | None = None
        settled_by = settled_by or {}
        for message in self.queue._messages:
            at = max(message.visible_at, message.delayed_until)
            if at <= now or (soonest is not None and at >= soonest):
                continue
            settles = settled_by.get(id(message))
            if settles is not None and at >= settles:
                continue
            soonest = at
        return None if soonest is None else (soonest - now) / 1000.0

    def waiting(self) -> int:
        return len(self.queue._messages)

    # -- delete -----------------------------------------------------------------
    def delete(self, messages: list[tuple[Any, str]]) -> tuple[list[Any], list[Any]]:
        """Delete (message, receipt handle) pairs; returns (deleted, already gone).

        A handle made older by a later receive still deletes the message (a standard queue usually
        does; AWS says it "might not"), so a message a second batch also holds is deleted by the first
        to finish, and the second finds it gone.
        """
        done: list[Any] = []
        gone: list[Any] = []
        for message, _handle in messages:
            (gone if getattr(message, "lambdalab_gone", False) else done).append(message)
        if done:
            self._remove(done)
            for message in done:
                message.lambdalab_gone = True
                self.queue.pending_messages.discard(message)
                self.queue.deleted_messages.update(h for h in message.all_receipt_handles if h)
        return done, gone

    def _remove(self, messages: list[Any]) -> None:
        """Take messages out of moto's list, rebuilding only the part before the last of them."""
        dead = {id(m) for m in messages}
        stored = self.queue._messages
        with self.queue._messages_lock:
            left = len(dead)
            end = 0
            for i, message in enumerate(stored):
                if id(message) in dead:
                    left -= 1
                    if left == 0:
                        end = i + 1
                        break
            else:
                end = len(stored)
            stored[:end] = [m for m in stored[:end] if id(m) not in dead]

    # -- records ----------------------------------------------------------------
    def record(self, message: Any) -> dict[str, Any]:
        """The Lambda event record for a received message."""
        return sqs_batching.record(
            message_id=message.id,
            receipt_handle=message.receipt_handle,
            body=message.body,
            receive_count=message.approximate_receive_count,
            sent_ms=int(message.sent_timestamp or 0),
            sender_id=message.sender_id,
            first_receive_ms=int(message.approximate_first_receive_timestamp or 0),
            attrs=message.message_attributes or {},
            md5=message.body_md5,
            source_arn=self.arn,
            region=self.region,
            group_id=message.group_id if self.fifo else None,
            dedup_id=message.deduplication_id if self.fifo else None,
            sequence_number=message.sequence_number if self.fifo else None,
        )


def describe_body(body: str, limit: int = 80) -> str:
    """A short, one-line view of a message body for the trace."""
    try:
        text = json.dumps(json.loads(body), separators=(",", ":"))
    except ValueError:
        text = body
    return text if len(text) <= limit else text[: limit - 1] + "…"
