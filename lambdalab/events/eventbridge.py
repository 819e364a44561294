"""EventBridge: the event a rule sends to its Lambda target, and a schedule's event.

https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html (scheduled rules)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ._common import ACCOUNT, REGION, WHEN, iso_seconds


def event(
    *,
    event_id: str,
    detail_type: str,
    source: str,
    time: datetime,
    detail: Any,
    resources: list[str] | None = None,
    account: str = ACCOUNT,
    region: str = REGION,
) -> dict[str, Any]:
    """An event as a rule's target receives it (AWS's field order)."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": iso_seconds(time),
        "region": region,
        "resources": list(resources or []),
        "detail": detail,
    }


def scheduled(
    *, event_id: str, rule_arn: str, time: datetime, account: str = ACCOUNT, region: str = REGION
) -> dict[str, Any]:
    """What a rule with a ``ScheduleExpression`` sends each time it fires."""
    return event(
        event_id=event_id,
        detail_type="Scheduled Event",
        source="aws.events",
        time=time,
        detail={},
        resources=[rule_arn],
        account=account,
        region=region,
    )


def sample() -> dict[str, Any]:
    return event(
        event_id="fe8d3c65-xmpl-c5c3-2c87-81584709a377",
        detail_type="Order Placed",
        source="com.example.shop",
        time=WHEN,
        detail={"orderId": "o-1001", "total": 42.5},
        resources=[],
    )


def sample_scheduled() -> dict[str, Any]:
    return scheduled(
        event_id="53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        rule_arn=f"arn:aws:events:{REGION}:{ACCOUNT}:rule/PerMinuteRule",
        time=WHEN,
    )
