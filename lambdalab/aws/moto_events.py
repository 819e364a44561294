"""EventBridge rules as the lab sees them: the rules moto stores, as values.

The hooks in :mod:`lambdalab.aws.moto_hooks_push_sources` hand the push-source engine an
:class:`EventRule` value when a rule is put or matches an event; a schedule reads
the rule's current state (:func:`current`) at each tick and sends through moto's
rule (:func:`send_to_targets`), so the rule's other targets still get the event.
Every name read of moto's storage is listed in :data:`NEEDS` for the start-up self-test.

https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Rule.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .moto_needs import Needs

NEEDS = (
    Needs("moto.events.models", "events_backends"),
    Needs("moto.events.models", "EventBus", ("rules",), sample=lambda cls: cls("123456789012", "us-east-1", "probe")),
    Needs(
        "moto.events.models",
        "Rule",
        (
            "arn",
            "name",
            "account_id",
            "region_name",
            "event_bus_name",
            "state",
            "scheduled_expression",
            "targets",
            "event_pattern",
            "send_to_targets",
        ),
        sample=lambda cls: cls(
            "probe", "123456789012", "us-east-1", None, None, "rate(1 minute)", None, "default", None
        ),
    ),
    Needs("moto.events.models", "EventPattern", ("matches_event",)),
    Needs("moto.events.exceptions", "ValidationException"),
)


@dataclass(frozen=True)
class EventRule:
    """A rule: where it lives, whether it is enabled, its schedule (if any)."""

    arn: str
    name: str
    account_id: str
    region: str
    event_bus_name: str
    state: str
    schedule_expression: str | None


def rule(stored: Any) -> EventRule:
    """moto's rule as a value."""
    return EventRule(
        arn=str(stored.arn),
        name=str(stored.name),
        account_id=str(stored.account_id),
        region=str(stored.region_name),
        event_bus_name=str(stored.event_bus_name),
        state=str(stored.state),
        schedule_expression=stored.scheduled_expression or None,
    )


def _stored(view: EventRule) -> Any | None:
    from moto.events.models import events_backends

    bus = events_backends[view.account_id][view.region].event_buses.get(view.event_bus_name)
    return bus.rules.get(view.name) if bus is not None else None


def current(view: EventRule) -> EventRule | None:
    """The rule as it is now (state, schedule); None once deleted."""
    stored = _stored(view)
    return rule(stored) if stored is not None else None


def forget(view: EventRule) -> None:
    """Drop a rule EventBridge would have refused."""
    from moto.events.models import events_backends

    bus = events_backends[view.account_id][view.region].event_buses.get(view.event_bus_name)
    if bus is not None:
        bus.rules.pop(view.name, None)


def send_to_targets(view: EventRule, event: dict[str, Any]) -> None:
    """Send ``event`` to every target of the rule, as a match would."""
    stored = _stored(view)
    if stored is not None:
        stored.send_to_targets(event)


def validation_error(message: str) -> Exception:
    """EventBridge's ``ValidationException``, as moto answers it to the caller."""
    from moto.events.exceptions import ValidationException

    return ValidationException(message)
