"""SNS: what a ``lambda`` subscription delivers (always one record).

https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from ..timestamps import iso_millis
from ._common import ACCOUNT, REGION, WHEN

CERT_URL = "https://sns.{region}.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem"


def message_attributes(attrs: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """Publish's MessageAttributes (DataType/StringValue/BinaryValue) as SNS writes them: {Type, Value}."""
    out: dict[str, dict[str, str]] = {}
    for name, value in (attrs or {}).items():
        kind = value.get("DataType") or value.get("Type") or "String"
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            text = base64.b64encode(raw).decode() if isinstance(raw, bytes) else str(raw)
        else:
            text = str(value.get("StringValue", value.get("Value", "")))
        out[name] = {"Type": kind, "Value": text}
    return out


def record(
    *,
    topic_arn: str,
    subscription_arn: str,
    message_id: str,
    message: str,
    timestamp: datetime,
    subject: str | None = None,
    attributes: dict[str, Any] | None = None,
    region: str = REGION,
) -> dict[str, Any]:
    """One SNS record (AWS's field order); ``Subject`` is null when none was given."""
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "Sns": {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": topic_arn,
            "Subject": subject,
            "Message": message,
            "Timestamp": iso_millis(timestamp),
            "SignatureVersion": "1",
            "Signature": base64.b64encode(f"lambdalab-signature:{message_id}".encode()).decode(),
            "SigningCertUrl": CERT_URL.format(region=region),
            "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription_arn}",
            "MessageAttributes": message_attributes(attributes),
        },
    }


def event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


def sample() -> dict[str, Any]:
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:sns-lambda"
    return event(
        [
            record(
                topic_arn=topic,
                subscription_arn=f"{topic}:21be56ed-a058-49f5-8c98-aedd2564c486",
                message_id="95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                message="Hello from SNS!",
                timestamp=WHEN,
                subject="TestInvoke",
                attributes={"Test": {"DataType": "String", "StringValue": "TestString"}},
            )
        ]
    )
