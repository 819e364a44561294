"""S3 event notifications: what a bucket's ``LambdaFunctionConfiguration`` delivers.

https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

from ..timestamps import iso_millis
from ._common import REGION, WHEN

PRINCIPAL = "AWS:AIDAINPONIXQXHT3IKHL2"


def record(
    *,
    event_name: str,
    bucket: str,
    key: str,
    configuration_id: str,
    sequencer: str,
    event_time: datetime,
    size: int | None = None,
    etag: str | None = None,
    request_id: str = "C3D13FE58DE4C810",
    region: str = REGION,
    principal: str = PRINCIPAL,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """One S3 record. ``event_name`` without the ``s3:`` prefix (``ObjectCreated:Put``);
    the key is URL-encoded as S3 sends it; removals carry no size or eTag."""
    obj: dict[str, Any] = {"key": quote_plus(key, safe="/")}
    if not event_name.startswith("ObjectRemoved"):
        obj["size"] = size or 0
        obj["eTag"] = (etag or "").strip('"')
    obj["sequencer"] = sequencer
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": iso_millis(event_time),
        "eventName": event_name,
        "userIdentity": {"principalId": principal},
        "requestParameters": {"sourceIPAddress": source_ip},
        "responseElements": {
            "x-amz-request-id": request_id,
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": principal.split(":")[-1]},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }


def event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


def sequencer(n: int) -> str:
    """S3's sequencer: hex that sorts in the order the events happened, per key."""
    return f"{n:018X}"


def sample_put() -> dict[str, Any]:
    return event(
        [
            record(
                event_name="ObjectCreated:Put",
                bucket="example-bucket",
                key="uploads/test key.txt",
                configuration_id="on-upload",
                sequencer=sequencer(1),
                event_time=WHEN,
                size=1024,
                etag="0123456789abcdef0123456789abcdef",
            )
        ]
    )


def sample_delete() -> dict[str, Any]:
    return event(
        [
            record(
                event_name="ObjectRemoved:Delete",
                bucket="example-bucket",
                key="uploads/test key.txt",
                configuration_id="on-delete",
                sequencer=sequencer(2),
                event_time=WHEN,
            )
        ]
    )
