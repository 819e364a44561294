"""Kinesis: the batch a stream event source mapping sends.

:func:`record` is what the Kinesis mapping puts in its events (the engine's poller calls it).
https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
"""

from __future__ import annotations

import base64
from typing import Any

from ._common import ACCOUNT, REGION, WHEN
from .batch import event

__all__ = ["event", "record", "sample", "sequence_number"]


def sequence_number(shard: str, position: str) -> str:
    """A Kinesis sequence number in AWS's form (56 digits, growing within the shard) for moto's ``position``.

    moto numbers a shard's records 1, 2, 3... (and so do the lab's trace and PutRecord's answer); Lambda's
    events, ``eventID``, ``KinesisBatchInfo`` and partial batch responses carry numbers like
    ``49590338271490256608559692538361571095921575989136588898`` (with-kinesis sample event).  The lab's:
    ``49``, the shard's number in 14 digits, the position in 40.
    """
    shard_number = int(shard.rsplit("-", 1)[-1]) if shard.rsplit("-", 1)[-1].isdigit() else 0
    return f"49{shard_number:014d}{int(position):040d}"


def record(
    *,
    shard: str,
    seq: str,
    partition_key: str,
    data_b64: str,
    arrival: float,
    role_arn: str,
    region: str,
    stream_arn: str,
) -> dict[str, Any]:
    """A record of a Kinesis event (AWS's field order); ``seq`` in AWS's form (:func:`sequence_number`)."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": seq,
            "data": data_b64,
            "approximateArrivalTimestamp": round(arrival, 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard}:{seq}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role_arn,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def sample() -> dict[str, Any]:
    return event(
        [
            record(
                shard="shardId-000000000000",
                seq="49590338271490256608559692538361571095921575989136588898",
                partition_key="1",
                data_b64=base64.b64encode(b"Hello, this is a test.").decode(),
                arrival=WHEN.timestamp(),
                role_arn=f"arn:aws:iam::{ACCOUNT}:role/lambda-kinesis-role",
                region=REGION,
                stream_arn=f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/lambda-stream",
            )
        ]
    )
