"""EventBridge rules with Lambda targets: events that match a rule's pattern, and the
events a rule's schedule produces on the virtual clock.

Each enabled rule sends the matching event (or the target's ``Input`` / ``InputPath``)
to every Lambda target, asynchronously, when the function's policy lets
``events.amazonaws.com`` invoke it for that rule.  A scheduled rule is a process on
the clock that waits with ``Wait(..., busy=False)``: a schedule never keeps
``lab.run_until_idle()`` going, the invocations it starts (and their retries) do.

https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-lambda-permissions
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html
"""

from __future__ import annotations

import json
from collections.abc import Generator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..aws import moto_events
from ..aws.moto_events import EventRule
from ..clock import Wait
from ..events import eventbridge
from ..trace_kinds import SCHEDULE, SCHEDULE_REFUSED
from . import schedules

if TYPE_CHECKING:
    from .push_handoff import PushHandOff


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), UTC)


def deliver(engine: PushHandOff, rule: EventRule, target: dict[str, Any], original: dict[str, Any]) -> None:
    if rule.state != "ENABLED":
        return
    event = eventbridge.event(
        event_id=str(original["id"]),
        detail_type=str(original["detail-type"]),
        source=str(original["source"]),
        time=_when(original.get("time", engine.clock.now)),
        detail=original.get("detail", {}),
        resources=list(original.get("resources") or []),
        account=str(original.get("account", engine.place.account_id)),
        region=str(original.get("region", engine.place.region)),
    )
    payload: dict[str, Any] | str = event
    if target.get("Input") is not None:
        payload = str(target["Input"])
    elif target.get("InputPath"):
        payload = json.dumps(_path(event, str(target["InputPath"])))
    engine.push(
        "events",
        str(target["Arn"]),
        payload,
        source_arn=rule.arn,
        account=rule.account_id,
        source_id=event["id"],
    )


def _path(event: dict[str, Any], path: str) -> Any:
    """The simple JSONPath EventBridge accepts in InputPath (``$.detail.x``)."""
    value: Any = event
    for part in [p for p in path.lstrip("$").split(".") if p]:
        value = value.get(part) if isinstance(value, dict) else None
    return value


class Schedules:
    """One clock process per scheduled rule; a put of the rule restarts it."""

    def __init__(self, engine: PushHandOff) -> None:
        self.engine = engine
        self._generation: dict[str, int] = {}

    def rule_put(self, rule: EventRule) -> None:
        arn = rule.arn
        self._generation[arn] = self._generation.get(arn, 0) + 1
        expression = rule.schedule_expression
        if not expression:
            return
        try:
            schedule = schedules.parse(expression)
        except schedules.ScheduleError:
            self.engine.trace.add(SCHEDULE_REFUSED, None, rule=arn, expression=expression)
            moto_events.forget(rule)  # a rule EventBridge would have refused is not kept
            raise moto_events.validation_error("Parameter ScheduleExpression is not valid.") from None
        clock = self.engine.clock
        clock.process(self._run(rule, schedule, self._generation[arn], clock.now), busy=False)

    def _run(
        self, rule: EventRule, schedule: schedules.Schedule, generation: int, created: datetime
    ) -> Generator[Wait, None, None]:
        arn = rule.arn
        clock, trace, ids = self.engine.clock, self.engine.trace, self.engine.ids
        while True:
            at = schedules.next_after(schedule, clock.now, start=created)
            yield Wait((at - clock.now).total_seconds(), busy=False)
            live = moto_events.current(rule)
            if self._generation.get(arn) != generation or live is None:
                return
            if live.state != "ENABLED":
                continue
            event_id = ids.new_id()
            trace.add(SCHEDULE, rule.name, (event_id,), rule=arn, expression=live.schedule_expression)
            message = {
                "version": "0",
                "id": event_id,
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": rule.account_id,
                "time": clock.now.timestamp(),
                "region": rule.region,
                "resources": [arn],
                "detail": {},
            }
            moto_events.send_to_targets(rule, message)
