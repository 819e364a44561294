"""SQS: the batch an event source mapping sends (``{"Records": [...]}``).

:func:`record` is what the SQS mapping puts in its events (the engine's poller calls it).
https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
"""

from __future__ import annotations

import hashlib
from typing import Any

from ._common import ACCOUNT, REGION, WHEN
from .batch import event


def message_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    """SQS message attributes in the lower-camel shape Lambda puts in the record."""
    out: dict[str, Any] = {}
    for name in sorted(attrs):
        value = attrs[name]
        shaped: dict[str, Any] = {}
        if value.get("StringValue") is not None:
            shaped["stringValue"] = value["StringValue"]
        if value.get("BinaryValue") is not None:
            binary = value["BinaryValue"]
            if isinstance(binary, bytes):
                import base64

                binary = base64.b64encode(binary).decode()
            shaped["binaryValue"] = binary
        shaped["stringListValues"] = list(value.get("StringListValues") or [])
        shaped["binaryListValues"] = list(value.get("BinaryListValues") or [])
        shaped["dataType"] = value.get("DataType", "String")
        out[name] = shaped
    return out


def record(
    *,
    message_id: str,
    receipt_handle: str,
    body: str,
    receive_count: int,
    sent_ms: int,
    sender_id: str,
    first_receive_ms: int,
    attrs: dict[str, Any],
    md5: str,
    source_arn: str,
    region: str,
    group_id: str | None = None,
    dedup_id: str | None = None,
    sequence_number: str | None = None,
    trace_header: str | None = None,
) -> dict[str, Any]:
    """One SQS record of the event, exactly as Lambda builds it (``AWSTraceHeader``: the sender's trace header)."""
    attributes = {
        "ApproximateReceiveCount": str(receive_count),
        **({"AWSTraceHeader": trace_header} if trace_header else {}),
        "SentTimestamp": str(sent_ms),
        "SenderId": sender_id,
        "ApproximateFirstReceiveTimestamp": str(first_receive_ms),
    }
    if sequence_number is not None:
        attributes["SequenceNumber"] = str(sequence_number)
    if group_id is not None:
        attributes["MessageGroupId"] = group_id
    if dedup_id is not None:
        attributes["MessageDeduplicationId"] = dedup_id
    return {
        "messageId": message_id,
        "receiptHandle": receipt_handle,
        "body": body,
        "attributes": attributes,
        "messageAttributes": message_attributes(attrs),
        "md5OfBody": md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": region,
    }


def sample() -> dict[str, Any]:
    body = "Hello from SQS!"
    sent = int(WHEN.timestamp() * 1000)
    return event(
        [
            record(
                message_id="059f36b4-87a3-44ab-83d2-661975830a7d",
                receipt_handle="AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
                body=body,
                receive_count=1,
                sent_ms=sent,
                sender_id="AIDAIENQZJOLO23YVJ4VO",
                first_receive_ms=sent + 5,
                attrs={},
                md5=hashlib.md5(body.encode()).hexdigest(),
                source_arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:my-queue",
                region=REGION,
            )
        ]
    )
