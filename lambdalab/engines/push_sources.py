"""Push sources: services that invoke a function asynchronously (SNS, S3, EventBridge),
and the resource-based policy check each delivery passes first.

A push source owns no queue of its own: it builds the event in AWS's shape
(:mod:`lambdalab.events`), asks the function's policy whether its service principal
may invoke *for this source* (:mod:`lambdalab.aws.lambda_policy`), and hands the event
to Lambda's asynchronous queue (``lab.engines["async-invoke"].submit``), so retries,
event age, destinations and the DLQ apply exactly as for ``InvocationType=Event``.

Trace records: ``push`` (source, source_arn, the source's message or event id),
``invoke-denied`` (source, reason) when the policy refuses, ``push-failed`` when the
function is gone, ``schedule`` when a rule's schedule fires.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
"""

from __future__ import annotations

import itertools
import json
from functools import partial
from typing import TYPE_CHECKING, Any

from ..aws import moto_hooks
from ..aws.lambda_policy import Caller
from ..errors import AwsError
from . import eventbridge_source, s3_source, sns_source

if TYPE_CHECKING:
    from ..aws.gateway import Gateway
    from ..lab import Lab

SERVICE = {"sns": "sns.amazonaws.com", "s3": "s3.amazonaws.com", "events": "events.amazonaws.com"}


class PushSourcesEngine:
    """SNS subscriptions, S3 notifications and EventBridge rules (patterns and schedules)."""

    name = "push-sources"

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.policies = lab.policies
        self.schedules = eventbridge_source.Schedules(self)
        self._sequencer = itertools.count(1)
        #: the event each push handed to Lambda, by request id (what the function receives)
        self.sent: dict[str, dict[str, Any] | str] = {}
        sinks = {
            "sns-lambda": lambda *a: sns_source.deliver(self, *a),
            "s3-notification-config": lambda bucket: s3_source.validate(self, bucket),
            "events-lambda": lambda *a: eventbridge_source.deliver(self, *a),
            "events-rule": self.schedules.rule_put,
        }
        for name, sink in sinks.items():
            moto_hooks.set_sink(name, sink)
            lab.on_close(partial(moto_hooks.set_sink, name, None))

    def register(self, gw: Gateway) -> None:
        """Push sources answer no API of their own: they act on moto's SNS, S3 and EventBridge."""

    # -- moto's own trigger (S3 notifications) ------------------------------------------
    def moto_trigger(self, kind: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        """S3's Lambda notification, as moto fires it: delivered by the lab instead."""
        if kind == "s3_notification":
            s3_source.deliver(self, *args, **kwargs)
            return True
        return False

    def next_sequencer(self) -> int:
        return next(self._sequencer)

    # -- the shared hand-off ------------------------------------------------------------
    def push(
        self,
        source: str,
        function_arn: str,
        event: dict[str, Any] | str,
        *,
        source_arn: str,
        account: str,
        source_id: str,
    ) -> str | None:
        """Check the policy, then queue the event for ``function_arn``; the request id, or None."""
        trace = self.lab.trace
        try:
            target = self.lab.invocations.resolve(function_arn)
        except AwsError as err:
            trace.add(
                "push-failed",
                function_arn.split(":")[6] if function_arn.count(":") >= 6 else function_arn,
                (source_id,),
                source=source,
                source_arn=source_arn,
                reason=f"{err.code}: {err.message}",
            )
            return None
        name = target.spec.function_name
        qualifier = target.invoked_arn.split(":")[7] if target.invoked_arn.count(":") >= 7 else None
        reason = self.policies.check(
            name, qualifier, Caller(service=SERVICE[source], account=account, source_arn=source_arn)
        )
        if reason:
            trace.add("invoke-denied", name, (source_id,), source=source, source_arn=source_arn, reason=reason)
            return None
        payload = event if isinstance(event, str) else json.dumps(event)
        request_id = self.lab.new_id()
        trace.add("push", name, (request_id,), source=source, source_arn=source_arn, source_id=source_id)
        self.sent[request_id] = json.loads(payload) if payload[:1] in ("{", "[", '"') else payload
        self.lab.engines["async-invoke"].submit(target, payload.encode(), request_id)
        return request_id
