"""SNS: a ``lambda`` subscription delivers each published message as a one-record event.

The subscription's filter policy is applied (by moto, before the hand-off), the
function's policy must allow ``sns.amazonaws.com`` for the topic, and Lambda invokes
asynchronously.  https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..events import sns

if TYPE_CHECKING:
    from ..aws.moto_sns import SnsSubscription
    from .push_handoff import PushHandOff


def deliver(
    engine: PushHandOff,
    subscription: SnsSubscription,
    message: str,
    message_id: str,
    subject: str | None,
    attributes: dict[str, Any] | None,
) -> None:
    topic_arn = subscription.topic_arn
    record = sns.record(
        topic_arn=topic_arn,
        subscription_arn=subscription.arn,
        message_id=message_id,
        message=message,
        timestamp=engine.clock.now,
        subject=subject,
        attributes=attributes,
        region=topic_arn.split(":")[3],
    )
    engine.push(
        "sns",
        subscription.endpoint,
        sns.event([record]),
        source_arn=topic_arn,
        account=topic_arn.split(":")[4],
        source_id=message_id,
    )
