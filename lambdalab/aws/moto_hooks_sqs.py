"""moto's SQS on the lab's discrete clock: exact visibility, FIFO sequence numbers in send order, and the
lab's pollers told of every stored message.

SendMessage's ``SequenceNumber``: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cache
from typing import Any

#: the hook points (module, attribute path, parameters the hooks rely on); ``moto_hooks.self_test`` checks them
POINTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("moto.sqs.models", "Message.visible", ()),
    ("moto.sqs.models", "Message.delayed", ()),
    ("moto.sqs.models", "Queue.add_message", ("self", "message")),
    ("moto.sqs.models", "Queue.messages", ()),
    ("moto.sqs.models", "Queue.approximate_number_of_messages", ()),
    ("moto.sqs.models", "Queue.approximate_number_of_messages_not_visible", ()),
    ("moto.sqs.models", "Queue.approximate_number_of_messages_delayed", ()),
    ("moto.sqs.models", "camelcase_to_underscores", ("argument",)),
]

#: SQS numbers FIFO messages with "large, non-consecutive" 128-bit numbers that grow in send order
#: (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html);
#: the lab's are 20 digits, 2**16 apart, from one counter for every queue of the process
_fifo_numbers = itertools.count(1)


def _next_fifo_sequence_number() -> str:
    return str(18_000_000_000_000_000_000 + next(_fifo_numbers) * 65_536)


def install(patch: Callable[[Any, str, Callable[..., Any]], None], sinks: dict[str, Callable[..., Any]]) -> None:
    """Patch moto's SQS; the ``sqs-message`` hook reads its sink from ``sinks`` when it runs."""
    from moto.core.utils import unix_time_millis
    from moto.sqs import models as sqm

    # SQS: a message is visible again the instant its visibility timeout ends (moto
    #    wants a millisecond more, which breaks exact timelines on a discrete clock)
    sqm.Message.visible = property(lambda self: unix_time_millis() >= self.visible_at)  # type: ignore[method-assign, assignment]
    sqm.Message.delayed = property(lambda self: unix_time_millis() < self.delayed_until)  # type: ignore[method-assign, assignment]

    #    and the lab's SQS pollers hear of every stored message at once (no busy polling)
    original_add_message = sqm.Queue.add_message

    def add_message(self: Any, message: Any) -> None:
        original_add_message(self, message)
        if self.fifo_queue:  # every FIFO message gets its SequenceNumber (moto gives one only with an explicit
            message.sequence_number = _next_fifo_sequence_number()  # dedup id, and not in send order)
        hook = sinks.get("sqs-message")
        if hook:
            hook(self.queue_arn)

    patch(sqm.Queue, "add_message", add_message)

    #    and read the clock once per scan, not twice per message (every SendMessage counts
    #    the queue through Queue.attributes, which read it twice per stored message)
    def _visible(queue: Any) -> list[Any]:
        now = unix_time_millis()
        return [m for m in queue._messages if now >= m.visible_at and now >= m.delayed_until]

    def _not_visible(queue: Any) -> int:
        now = unix_time_millis()
        return sum(1 for m in queue._messages if now < m.visible_at)

    def _delayed(queue: Any) -> int:
        now = unix_time_millis()
        return sum(1 for m in queue._messages if now < m.delayed_until)

    sqm.Queue.messages = property(_visible)  # type: ignore[method-assign,assignment]
    sqm.Queue.approximate_number_of_messages = property(lambda self: len(_visible(self)))  # type: ignore[method-assign,assignment]
    sqm.Queue.approximate_number_of_messages_not_visible = property(_not_visible)  # type: ignore[method-assign,assignment]
    sqm.Queue.approximate_number_of_messages_delayed = property(_delayed)  # type: ignore[method-assign,assignment]
    sqm.camelcase_to_underscores = cache(sqm.camelcase_to_underscores)  # pure; 60 us a call, 14 calls a message
