"""DynamoDB Streams: the batch a stream event source mapping sends.

The record builder is the stream engine's own (:func:`lambdalab.engines.stream_records.dynamodb_record`),
fed here with a stream record the way moto hands it over.
https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
"""

from __future__ import annotations

from typing import Any

from ..engines.batch_event import event
from ..engines.stream_records import dynamodb_record
from ._common import ACCOUNT, REGION, WHEN

record = dynamodb_record

__all__ = ["event", "record", "sample"]


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
