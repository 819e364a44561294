"""S3 event notifications to Lambda: each matching object event is a one-record event.

moto decides which notifications match (event type, prefix and suffix filters) and
hands its event over; the lab rebuilds it in AWS's full shape.  A configuration that
names a function whose policy does not let ``s3.amazonaws.com`` invoke it for this
bucket is refused, as S3 does, with ``InvalidArgument: Unable to validate the
following destination configurations``.

https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-to-filtering.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from ..aws import moto_s3
from ..errors import AwsError
from ..events import s3
from ..ports import Caller
from ..trace_kinds import S3_NOTIFICATION_REFUSED

if TYPE_CHECKING:
    from .push_handoff import PushHandOff

UNABLE = "Unable to validate the following destination configurations"


def validate(engine: PushHandOff, bucket: moto_s3.S3Bucket) -> None:
    """Refuse a LambdaFunctionConfiguration the function's policy does not allow."""
    for arn in bucket.function_arns:
        try:
            target = engine.invoker.resolve(arn)
        except AwsError:
            engine.trace.add(S3_NOTIFICATION_REFUSED, arn, source_arn=bucket.arn, reason="function not found")
            raise moto_s3.invalid_argument(UNABLE, arn, f"Function does not exist [{arn}]") from None
        qualifier = target.qualifier
        caller = Caller(service="s3.amazonaws.com", account=bucket.account_id, source_arn=bucket.arn)
        reason = engine.policies.check(target.spec.function_name, qualifier, caller)
        if reason:
            engine.trace.add(S3_NOTIFICATION_REFUSED, target.spec.function_name, source_arn=bucket.arn, reason=reason)
            raise moto_s3.invalid_argument(UNABLE, arn, f"Not authorized to invoke function [{arn}]")


def deliver(engine: PushHandOff, account_id: str, event_body: dict[str, Any], fn_arn: str, region_name: str) -> None:
    src = event_body["Records"][0]
    obj = src["s3"]["object"]
    bucket = src["s3"]["bucket"]["name"]
    key = unquote_plus(obj["key"])
    record = s3.record(
        event_name=src["eventName"],
        bucket=bucket,
        key=key,
        configuration_id=str(src["s3"]["configurationId"]),
        sequencer=s3.sequencer(engine.next_sequencer()),
        event_time=engine.clock.now,
        size=obj.get("size"),
        etag=obj.get("eTag"),
        request_id=engine.ids.new_id().replace("-", "")[:16].upper(),
        region=region_name,
    )
    engine.push(
        "s3",
        fn_arn,
        s3.event([record]),
        source_arn=f"arn:aws:s3:::{bucket}",
        account=account_id,
        source_id=f"{src['eventName']} {key}",
    )
