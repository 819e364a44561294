"""DynamoDB Streams: the batch a stream event source mapping sends.

:func:`record` is what the DynamoDB Streams mapping puts in its events, from a stream
record the way moto hands it over (the engine's poller calls it).
https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
"""

from __future__ import annotations

import calendar
from datetime import datetime
from typing import Any

from ._common import ACCOUNT, REGION, WHEN
from .batch import event

__all__ = ["event", "record", "sample"]


def record(moto_record: dict[str, Any], *, region: str, stream_arn: str) -> dict[str, Any]:
    """A record of a DynamoDB Streams event, from moto's stream record."""
    src = moto_record["dynamodb"]
    created = src["ApproximateCreationDateTime"]
    image: dict[str, Any] = {"ApproximateCreationDateTime": int(epoch(created)), "Keys": src["Keys"]}
    for name in ("NewImage", "OldImage"):
        if name in src:
            image[name] = src[name]
    image.update(SequenceNumber=src["SequenceNumber"], SizeBytes=src["SizeBytes"], StreamViewType=src["StreamViewType"])
    return {
        "eventID": moto_record["eventID"],
        "eventName": moto_record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": image,
        "eventSourceARN": stream_arn,
    }


def epoch(when: datetime | float) -> float:
    """Seconds since 1970 of a moto timestamp (naive datetimes are UTC)."""
    if isinstance(when, (int, float)):
        return float(when)
    if when.tzinfo is None:
        return calendar.timegm(when.timetuple()) + when.microsecond / 1e6
    return when.timestamp()


def sample() -> dict[str, Any]:
    stream = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/ExampleTableWithStream/stream/2025-01-06T09:00:00.000"
    moto_record = {
        "eventID": "c4ca4238a0b923820dcc509a6f75849b",
        "eventName": "INSERT",
        "dynamodb": {
            "ApproximateCreationDateTime": WHEN,
            "Keys": {"Id": {"N": "101"}},
            "NewImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
            "SequenceNumber": "4421584500000000017450439091",
            "SizeBytes": 26,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
    return event([record(moto_record, region=REGION, stream_arn=stream)])
