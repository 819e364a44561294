"""Kinesis: the batch a stream event source mapping sends.

The record builder is the stream engine's own (:func:`lambdalab.engines.stream_records.kinesis_record`).
https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
"""

from __future__ import annotations

import base64
from typing import Any

from ..engines.batch_event import event
from ..engines.stream_records import kinesis_record
from ._common import ACCOUNT, REGION, WHEN

record = kinesis_record

__all__ = ["event", "record", "sample"]


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
