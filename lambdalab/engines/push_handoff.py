"""The hand-off every push source shares: the policy check, then Lambda's asynchronous queue.

SNS, S3 and EventBridge each build their event (:mod:`.sns_source`, :mod:`.s3_source`,
:mod:`.eventbridge_source`) and call :meth:`PushHandOff.push`: the function's
resource-based policy must let the source's service principal invoke it *for this
source*, then the event joins the asynchronous queue like any ``InvocationType=Event``.

SNS and S3 pass the trace header of the request that published the message or wrote the
object on to the invocation (:mod:`.recursion`: a function's loop through them is followed and
stopped); EventBridge does not.

Trace records: ``push`` (source, source_arn, the source's message or event id),
``invoke-denied`` (source, reason) when the policy refuses, ``push-failed`` when the
function is gone.

https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
"""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING, Any

from ..errors import AwsError
from ..ports import Caller
from ..trace_kinds import INVOKE_DENIED, PUSH, PUSH_FAILED
from . import recursion

if TYPE_CHECKING:
    from ..clock import Clock
    from ..ports import EventQueue, Ids, Invoker, Place, PolicyCheck
    from ..trace import Trace

SERVICE = {"sns": "sns.amazonaws.com", "s3": "s3.amazonaws.com", "events": "events.amazonaws.com"}
#: the sources that carry the caller's trace header on to the invocation (loop detection)
CHAINED = ("sns", "s3")


class PushHandOff:
    """What a push source is given: the lab's ports, and :meth:`push`."""

    def __init__(
        self,
        place: Place,
        ids: Ids,
        clock: Clock,
        trace: Trace,
        invoker: Invoker,
        policies: PolicyCheck,
        queue: EventQueue,
    ) -> None:
        self.place, self.ids, self.clock, self.trace = place, ids, clock, trace
        self.invoker, self.policies, self.queue = invoker, policies, queue
        self._sequencer = itertools.count(1)
        #: the event each push handed to Lambda, by request id (what the function receives)
        self.sent: dict[str, dict[str, Any] | str] = {}

    def next_sequencer(self) -> int:
        return next(self._sequencer)

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
        trace = self.trace
        try:
            target = self.invoker.resolve(function_arn)
        except AwsError as err:
            trace.add(
                PUSH_FAILED,
                function_arn.split(":")[6] if function_arn.count(":") >= 6 else function_arn,
                (source_id,),
                source=source,
                source_arn=source_arn,
                reason=f"{err.code}: {err.message}",
            )
            return None
        name = target.spec.function_name
        reason = self.policies.check(
            name, target.qualifier, Caller(service=SERVICE[source], account=account, source_arn=source_arn)
        )
        if reason:
            trace.add(INVOKE_DENIED, name, (source_id,), source=source, source_arn=source_arn, reason=reason)
            return None
        payload = event if isinstance(event, str) else json.dumps(event)
        request_id = self.ids.new_id()
        trace.add(PUSH, name, (request_id,), source=source, source_arn=source_arn, source_id=source_id)
        self.sent[request_id] = json.loads(payload) if payload[:1] in ("{", "[", '"') else payload
        chain = recursion.caller_header() if source in CHAINED else None
        self.queue.submit(target, payload.encode(), request_id, trace_header=chain)
        return request_id
