"""A stream mapping's on-failure destination: the record Lambda sends about discarded records.

When a batch is discarded (retries exhausted, records too old), Lambda sends an
invocation record naming the shard and sequence numbers, not the records
themselves, to the mapping's SQS queue or SNS topic; an S3 bucket receives the
whole invocation (the event included) as an object.  The execution role must be
allowed to send there; a delivery that fails is a ``stream-delivery-failed``
record, one that succeeds a ``stream-delivery``.

https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-errors.html
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import AwsError
from ..trace_kinds import STREAM_DELIVERY, STREAM_DELIVERY_FAILED
from . import stream_records as shapes
from . import stream_settings
from .destinations import DeliveryFailed

if TYPE_CHECKING:
    from ..aws.event_source_mappings import Mapping
    from ..clock import Clock
    from ..ports import Ids, Invoker
    from ..trace import Trace
    from .attempts import Attempt
    from .destinations import Deliverer


class OnFailure:
    """Sends the on-failure record of discarded stream records, with the function's role."""

    def __init__(self, ids: Ids, clock: Clock, trace: Trace, invoker: Invoker, deliverer: Deliverer) -> None:
        self.ids, self.clock, self.trace, self.invoker, self.deliverer = ids, clock, trace, invoker, deliverer

    def send(
        self,
        kind: str,
        mapping: Mapping,
        items: list[shapes.StreamItem],
        condition: str,
        attempts: int,
        last: Attempt | None,
        last_event: dict[str, Any] | None,
    ) -> None:
        """Deliver the record of ``items`` to the mapping's on-failure destination, if it has one."""
        arn = stream_settings.on_failure(mapping.settings)
        if not arn:
            return
        service = stream_settings.destination_service(arn)
        record = shapes.failure_record(
            kind=kind,
            timestamp=self.clock.now,
            request_id=last.request_id if last else "",
            function_arn=mapping.function_arn,
            condition=condition,
            invoke_count=attempts,
            status_code=last.status_code if last else 200,
            executed_version=last.executed_version if last else "$LATEST",
            function_error=last.function_error if last else None,
            items=items,
            stream_arn=mapping.source_arn,
            payload=(last_event if service == "s3" else None),
        )
        trace = self.trace
        try:
            role = str(self.invoker.resolve(mapping.function_arn).role)
            if service == "s3":
                self.deliverer.check_permission(role, arn, "s3")
                key = shapes.s3_key(mapping.uuid, items[0].shard, self.clock.now, self.ids.new_id())
                self.deliverer._call(
                    "s3",
                    "put_object",
                    Bucket=arn.split(":")[-1],
                    Key=key,
                    Body=json.dumps(record).encode(),
                    ContentType="application/json",
                )
            else:
                self.deliverer.send_record(
                    arn, record, role_arn=role, function_name=mapping.function_name, success=False
                )
        except (DeliveryFailed, AwsError) as err:
            trace.add(
                STREAM_DELIVERY_FAILED,
                mapping.function_name,
                (mapping.uuid,),
                target=arn,
                condition=condition,
                reason=str(err),
            )
            return
        trace.add(
            STREAM_DELIVERY,
            mapping.function_name,
            (mapping.uuid,),
            target=arn,
            condition=condition,
            shard=items[0].shard,
            seqs=[i.seq for i in items],
        )
