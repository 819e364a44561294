"""SQS's data plane in process, over the queues moto stores: receive, delete, send.

moto's ReceiveMessage scans the whole queue on every call and deep-copies every
message (about 0.6 s a receive with 1,000 messages waiting) and its DeleteMessage is
linear too.  Lambda's pollers here work on moto's stored list directly instead, with
the effects a receive has in SQS (receive count, first-receive time, a new receipt
handle, invisibility for the visibility timeout, a move to the dead-letter queue once
``maxReceiveCount`` is reached) at the cost of the messages looked at:

* a receive walks the queue from the front and stops once it has enough; what it skips
  is only what is in flight or delayed ahead of them;
* a delete rebuilds only the front of the list, up to the last message deleted.

FIFO: messages of a group come in order, and a group with a message in flight (or
waiting out its visibility timeout after a failure) is not read at all, so the messages
behind a failed one wait for it.  Never long-polls: moto's long polling blocks forever
while time stands still.

Callers get :class:`SqsMessage` values, never moto's objects; which messages the lab
holds (received and not yet deleted or moved) is the lab's own table, keyed by queue
ARN and message id.  Every private name read here is listed in :data:`NEEDS`.

https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from .moto_needs import Needs

NEEDS = (
    Needs("moto.sqs.models", "sqs_backends"),
    Needs("moto.sqs.models", "MAXIMUM_MESSAGE_LENGTH"),
    Needs(
        "moto.sqs.models",
        "Queue",
        (
            "_messages",
            "_messages_lock",
            "pending_messages",
            "deleted_messages",
            "queue_arn",
            "fifo_queue",
            "visibility_timeout",
            "delay_seconds",
            "redrive_policy",
            "dead_letter_queue",
            "add_message",
        ),
        sample=lambda cls: cls("lambdalab-probe", "us-east-1", "123456789012"),
    ),
    Needs(
        "moto.sqs.models",
        "Message",
        (
            "_old_receipt_handles",
            "id",
            "body",
            "body_md5",
            "receipt_handle",
            "all_receipt_handles",
            "message_attributes",
            "sender_id",
            "sent_timestamp",
            "approximate_first_receive_timestamp",
            "approximate_receive_count",
            "group_id",
            "deduplication_id",
            "sequence_number",
            "visible_at",
            "delayed_until",
            "mark_sent",
            "system_attributes",
        ),
        sample=lambda cls: cls("probe", "body"),
    ),
    Needs("moto.moto_api._internal", "mock_random", ("getrandbits", "uuid4")),
    Needs("moto.core.utils", "unix_time_millis"),
)


@dataclass(frozen=True)
class SqsMessage:
    """One message as a receive returned it (attribute names as SQS's, in snake case)."""

    id: str
    receipt_handle: str
    body: str
    body_md5: str
    approximate_receive_count: int
    approximate_first_receive_timestamp: int  # ms since the epoch
    sent_timestamp: int  # ms since the epoch
    sender_id: str
    visible_at: float  # ms since the epoch: when the visibility timeout of this receive ends
    message_attributes: dict[str, Any] = field(compare=False)
    group_id: str | None = None  # FIFO only, as are the two below
    deduplication_id: str | None = None
    sequence_number: str | None = None
    #: the sender's trace header (the AWSTraceHeader system attribute), if it gave one
    trace_header: str | None = None


def should_redrive(receive_count: int, max_receive_count: int | None) -> bool:
    """SQS moves a message to the dead-letter queue when a receive would exceed maxReceiveCount."""
    return max_receive_count is not None and receive_count >= max_receive_count


def now_ms() -> float:
    """moto's "now" (it follows the lab's virtual clock), in ms since the epoch."""
    from moto.core.utils import unix_time_millis

    return float(unix_time_millis())


def new_receipt_handle() -> str:
    """A fresh receipt handle, from moto's seeded generator (so runs repeat)."""
    from moto.moto_api._internal import mock_random

    return "AQEB" + base64.b64encode(mock_random.getrandbits(96 * 8).to_bytes(96, "big")).decode()


def _view(message: Any, fifo: bool) -> SqsMessage:
    return SqsMessage(
        id=str(message.id),
        receipt_handle=str(message.receipt_handle),
        body=message.body,
        body_md5=message.body_md5,
        approximate_receive_count=int(message.approximate_receive_count),
        approximate_first_receive_timestamp=int(message.approximate_first_receive_timestamp or 0),
        sent_timestamp=int(message.sent_timestamp or 0),
        sender_id=str(message.sender_id),
        visible_at=float(message.visible_at),
        message_attributes=message.message_attributes or {},
        group_id=message.group_id if fifo else None,
        deduplication_id=message.deduplication_id if fifo else None,
        sequence_number=message.sequence_number if fifo else None,
        trace_header=((message.system_attributes or {}).get("AWSTraceHeader") or {}).get("StringValue"),
    )


class SendFailed(Exception):
    """A send SQS refuses, with its error code and message."""


class MotoSqs:
    """The queues of one account, read and changed in process."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        #: the messages the lab received and has not deleted or moved: (queue ARN, message id) -> moto's message
        self._held: dict[tuple[str, str], Any] = {}

    # -- queues -------------------------------------------------------------------------
    def _queue(self, arn: str, account_id: str | None = None) -> Any | None:
        from moto.sqs.models import sqs_backends

        parts = arn.split(":")
        if len(parts) != 6:
            return None
        return sqs_backends[account_id or self.account_id][parts[3]].queues.get(parts[5])

    def queue_arn(self, arn: str) -> str | None:
        """The ARN of the queue ``arn`` names, as SQS writes it; None if there is no such queue."""
        queue = self._queue(arn)
        return str(queue.queue_arn) if queue is not None else None

    def is_fifo(self, arn: str) -> bool:
        queue = self._queue(arn)
        return bool(queue is not None and queue.fifo_queue)

    def visibility_timeout(self, arn: str) -> int:
        """The queue's VisibilityTimeout, in seconds."""
        queue = self._queue(arn)
        return int(queue.visibility_timeout) if queue is not None else 0

    def dead_letter_arn(self, arn: str) -> str | None:
        queue = self._queue(arn)
        dlq = queue.dead_letter_queue if queue is not None else None
        return str(dlq.queue_arn) if dlq is not None else None

    def bodies(self, arn: str) -> list[str]:
        """Every stored message's body, in queue order, without receiving (what a test inspects)."""
        queue = self._queue(arn)
        return [m.body for m in queue._messages] if queue is not None else []

    # -- receive ------------------------------------------------------------------------
    def receive(self, arn: str, count: int) -> tuple[list[SqsMessage], list[SqsMessage]]:
        """Up to ``count`` visible messages, marked received; and the messages moved to the DLQ."""
        queue = self._queue(arn)
        if queue is None:
            return [], []
        now = now_ms()
        policy, dlq = queue.redrive_policy, queue.dead_letter_queue
        max_receives = int(policy["maxReceiveCount"]) if policy and dlq is not None else None
        fifo = bool(queue.fifo_queue)
        blocked: set[str] = set()
        got: list[Any] = []
        to_dlq: list[Any] = []
        for message in queue._messages:
            group = message.group_id if fifo else None
            if message.visible_at > now or message.delayed_until > now:
                if group is not None:
                    blocked.add(group)
                continue
            if group is not None and group in blocked:
                continue
            if should_redrive(message.approximate_receive_count, max_receives):
                to_dlq.append(message)
                continue
            got.append(message)  # the rest of its group may follow in the same batch, in order
            if len(got) >= count:
                break
        visibility_ms = int(queue.visibility_timeout) * 1000
        for message in got:
            self._mark_received(message, now, visibility_ms)
            queue.pending_messages.add(message)
            self._held[(arn, str(message.id))] = message
        received = [_view(m, fifo) for m in got]
        moved = [_view(m, fifo) for m in to_dlq]
        if to_dlq:
            self._remove(queue, to_dlq)
            for message in to_dlq:
                self._held.pop((arn, str(message.id)), None)
                dlq.add_message(message)
        return received, moved

    @staticmethod
    def _mark_received(message: Any, now: float, visibility_ms: int) -> None:
        """What moto's ``Message.mark_received`` does, with a receipt handle 100x cheaper to make."""
        if not message.approximate_first_receive_timestamp:
            message.approximate_first_receive_timestamp = int(now)
        message.approximate_receive_count += 1
        if visibility_ms:
            message.visible_at = now + visibility_ms
        message._old_receipt_handles.append(message.receipt_handle)
        message.receipt_handle = new_receipt_handle()

    def next_visible_in(self, arn: str, settled_by: dict[str, float] | None = None) -> float | None:
        """Seconds until some message now invisible (in flight or delayed) can be received.

        ``settled_by`` maps a message id to the time (ms) the running batch holding it settles: such a
        message counts only if it reappears before then (otherwise the settling decides its fate).
        """
        queue = self._queue(arn)
        if queue is None:
            return None
        now = now_ms()
        soonest: float | None = None
        settled_by = settled_by or {}
        for message in queue._messages:
            at = max(message.visible_at, message.delayed_until)
            if at <= now or (soonest is not None and at >= soonest):
                continue
            settles = settled_by.get(message.id)
            if settles is not None and at >= settles:
                continue
            soonest = at
        return None if soonest is None else (soonest - now) / 1000.0

    def visible_at(self, arn: str, message: SqsMessage) -> float:
        """When (ms) a received message becomes visible again: its latest receive's, if the lab still holds it."""
        held = self._held.get((arn, message.id))
        return float(held.visible_at) if held is not None else message.visible_at

    # -- delete -------------------------------------------------------------------------
    def delete(self, arn: str, messages: list[SqsMessage]) -> tuple[list[SqsMessage], list[SqsMessage]]:
        """Delete received messages; returns (deleted, already gone).

        A handle made older by a later receive still deletes the message (a standard queue usually
        does; AWS says it "might not"), so a message a second batch also holds is deleted by the first
        to finish, and the second finds it gone.
        """
        queue = self._queue(arn)
        done: list[SqsMessage] = []
        gone: list[SqsMessage] = []
        stored: list[Any] = []
        for view in messages:
            message = self._held.pop((arn, view.id), None)
            if message is None:
                gone.append(view)
            else:
                done.append(view)
                stored.append(message)
        if stored and queue is not None:
            self._remove(queue, stored)
            for message in stored:
                queue.pending_messages.discard(message)
                queue.deleted_messages.update(h for h in message.all_receipt_handles if h)
        return done, gone

    @staticmethod
    def _remove(queue: Any, messages: list[Any]) -> None:
        """Take messages out of moto's list, rebuilding only the part before the last of them."""
        dead = {id(m) for m in messages}
        stored = queue._messages
        with queue._messages_lock:
            left = len(dead)
            end = len(stored)
            for i, message in enumerate(stored):
                if id(message) in dead:
                    left -= 1
                    if left == 0:
                        end = i + 1
                        break
            stored[:end] = [m for m in stored[:end] if id(m) not in dead]

    # -- send ---------------------------------------------------------------------------
    def send(self, arn: str, body: str, attributes: dict[str, dict[str, str]] | None = None) -> str:
        """SendMessage to a standard queue, in process; the message id.

        moto's own ``send_message`` recomputes every queue attribute (a scan of all messages)
        per message; a thousand records would cost seconds.  This does what it does for a
        standard queue: a message, marked sent (with the queue's delay), appended.
        """
        from moto.moto_api._internal import mock_random
        from moto.sqs.models import MAXIMUM_MESSAGE_LENGTH, Message

        queue = self._queue(arn, arn.split(":")[4] if arn.count(":") == 5 else None)
        if queue is None:
            raise SendFailed(f"AWS.SimpleQueueService.NonExistentQueue: The specified queue {arn} does not exist.")
        if queue.fifo_queue:
            raise SendFailed(f"{arn} is a FIFO queue: Lambda sends records to standard queues only")
        if len(body.encode()) > MAXIMUM_MESSAGE_LENGTH:
            raise SendFailed(f"InvalidParameterValue: the record is longer than {MAXIMUM_MESSAGE_LENGTH} bytes")
        message = Message(str(mock_random.uuid4()), body, None)
        if attributes:
            message.message_attributes = attributes
        message.mark_sent(delay_seconds=int(getattr(queue, "delay_seconds", 0) or 0))
        queue.add_message(message)
        return str(message.id)
