"""Push sources: services that invoke a function asynchronously (SNS, S3, EventBridge),
and the resource-based policy check each delivery passes first.

A push source owns no queue of its own: it builds the event in AWS's shape
(:mod:`lambdalab.events`) and hands it over (:mod:`.push_handoff`): the function's
policy must let its service principal invoke *for this source*
(:mod:`lambdalab.aws.lambda_policy`), then the event joins Lambda's asynchronous
queue, so retries, event age, destinations and the DLQ apply exactly as for
``InvocationType=Event``.  This engine receives what moto's SNS, S3 and
EventBridge hand over and runs the rules' schedules (``schedule`` records).

https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import eventbridge_source, s3_source, sns_source

if TYPE_CHECKING:
    from ..aws.moto_events import EventRule
    from ..aws.moto_s3 import S3Bucket
    from ..aws.moto_sns import SnsSubscription
    from .push_handoff import PushHandOff


class PushSourcesEngine:
    """SNS subscriptions, S3 notifications and EventBridge rules (patterns and schedules)."""

    def __init__(self, handoff: PushHandOff) -> None:
        self.handoff = handoff
        self.schedules = eventbridge_source.Schedules(handoff)

    @property
    def sent(self) -> dict[str, dict[str, Any] | str]:
        """The event each push handed to Lambda, by request id (what the function receives)."""
        return self.handoff.sent

    # -- what moto's SNS, S3 and EventBridge hand over (connected by lambdalab.wiring) ------
    def sns_published(
        self,
        subscription: SnsSubscription,
        message: str,
        message_id: str,
        subject: str | None,
        attributes: dict[str, Any] | None,
    ) -> None:
        """SNS delivers a published message to a ``lambda`` subscription."""
        sns_source.deliver(self.handoff, subscription, message, message_id, subject, attributes)

    def s3_configured(self, bucket: S3Bucket) -> None:
        """PutBucketNotificationConfiguration: S3 checks each Lambda destination's policy."""
        s3_source.validate(self.handoff, bucket)

    def event_matched(self, rule: EventRule, target: dict[str, Any], original: dict[str, Any]) -> None:
        """An EventBridge rule matched an event; ``target`` is one of its Lambda targets."""
        eventbridge_source.deliver(self.handoff, rule, target, original)

    def moto_trigger(self, kind: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        """S3's Lambda notification, as moto fires it: delivered by the lab instead."""
        if kind == "s3_notification":
            s3_source.deliver(self.handoff, *args, **kwargs)
            return True
        return False
