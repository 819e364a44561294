"""SNS subscriptions as the lab sees them when moto publishes to a ``lambda`` endpoint.

The hook in :mod:`lambdalab.aws.moto_hooks_push_sources` hands the push-source engine an
:class:`SnsSubscription` value instead of moto's object, after applying the
subscription's filter policy and message structure as moto would.  Every name read of
moto's storage is listed in :data:`NEEDS` for the start-up self-test.

https://docs.aws.amazon.com/sns/latest/dg/sns-lambda-as-subscriber.html
https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from .moto_needs import Needs

NEEDS = (
    Needs(
        "moto.sns.models",
        "Subscription",
        ("arn", "topic", "endpoint", "protocol", "_filter_policy_matcher", "_parse_message_structure"),
        sample=lambda cls: cls(
            "123456789012", SimpleNamespace(arn="arn:aws:sns:us-east-1:123456789012:p"), "e", "lambda"
        ),
    ),
)


@dataclass(frozen=True)
class SnsSubscription:
    """A topic's subscription: its ARN, its topic's, and the endpoint (a function ARN for ``lambda``)."""

    arn: str
    topic_arn: str
    endpoint: str
    protocol: str


def subscription(stored: Any) -> SnsSubscription:
    """moto's subscription as a value."""
    return SnsSubscription(str(stored.arn), str(stored.topic.arn), str(stored.endpoint), str(stored.protocol))


def filter_allows(stored: Any, message: str, attributes: dict[str, Any] | None) -> bool:
    """Whether the subscription's filter policy (if any) lets the message through."""
    matcher = stored._filter_policy_matcher
    return matcher is None or bool(matcher.matches(attributes, message))


def message_for(stored: Any, message: str) -> str:
    """The text this subscription receives of a ``MessageStructure=json`` message."""
    return str(stored._parse_message_structure(message, stored.protocol))
