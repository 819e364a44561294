"""Push sources in moto (SNS, S3, EventBridge): each hands what it would deliver to a function to the lab's
push-source engine, which invokes it asynchronously as AWS does.

SNS: https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html; S3: https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html;
EventBridge: https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import moto_events, moto_s3, moto_sns

#: the hook points (module, attribute path, parameters the hooks rely on); ``moto_hooks.self_test`` checks them
POINTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("moto.sns.models", "Subscription.publish", ("self", "message", "message_id", "subject", "message_attributes")),
    ("moto.s3.models", "FakeBucket.set_notification_configuration", ("self", "notification_config")),
    ("moto.events.models", "Rule.send_to_targets", ("self", "original_event")),
    ("moto.events.models", "EventsBackend.put_rule", ("self", "name")),
]


def install(patch: Callable[[Any, str, Callable[..., Any]], None], sinks: dict[str, Callable[..., Any]]) -> None:
    """Patch moto's SNS, S3 and EventBridge; each hook reads its sink from ``sinks`` when it runs."""
    from moto.events import models as evm
    from moto.s3 import models as s3m
    from moto.sns import models as snm

    #    SNS: a lambda subscription hands the whole message to the lab (moto's own trigger
    #    passes only the text); the subscription's filter policy is applied first, as moto does
    original_publish = snm.Subscription.publish

    def publish(
        self: Any,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        sink = sinks.get("sns-lambda")
        if self.protocol != "lambda" or sink is None:
            return original_publish(self, message, message_id, subject, message_attributes, *args, **kwargs)
        if not moto_sns.filter_allows(self, message, message_attributes):
            return None
        if kwargs.get("message_structure") == "json":
            message = moto_sns.message_for(self, message)
        sink(moto_sns.subscription(self), message, message_id, subject, message_attributes)
        return None

    patch(snm.Subscription, "publish", publish)

    #    S3: a Lambda notification needs the function's permission for s3.amazonaws.com (the sink raises)
    original_set_notifications = s3m.FakeBucket.set_notification_configuration

    def set_notification_configuration(self: Any, notification_config: dict[str, Any] | None) -> None:
        previous = self.notification_configuration
        original_set_notifications(self, notification_config)
        check = sinks.get("s3-notification-config")
        if check is not None and self.notification_configuration is not None:
            try:
                check(moto_s3.bucket(self))
            except Exception:
                self.notification_configuration = previous
                raise

    patch(s3m.FakeBucket, "set_notification_configuration", set_notification_configuration)

    #    EventBridge: moto raises NotImplementedError for Lambda targets; the lab delivers them
    original_send = evm.Rule.send_to_targets

    def send_to_targets(self: Any, original_event: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        sink = sinks.get("events-lambda")
        lambdas = [t for t in self.targets if ":lambda:" in str(t.get("Arn"))]
        if sink is None or not lambdas:
            return original_send(self, original_event, *args, **kwargs)  # type: ignore[arg-type]
        if self.event_pattern.matches_event(original_event):
            for target in lambdas:
                sink(moto_events.rule(self), dict(target), original_event)
        targets = self.targets
        self.targets = [t for t in targets if t not in lambdas]
        try:
            return original_send(self, original_event, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            self.targets = targets

    patch(evm.Rule, "send_to_targets", send_to_targets)

    #    and hears of every rule put (a schedule starts or changes)
    original_put_rule = evm.EventsBackend.put_rule

    def put_rule(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        rule = original_put_rule(self, name, *args, **kwargs)
        hook = sinks.get("events-rule")
        if hook is not None:
            hook(moto_events.rule(rule))
        return rule

    patch(evm.EventsBackend, "put_rule", put_rule)
