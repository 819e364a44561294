"""Reading a stream's shards, as a shard iterator does (GetShardIterator / GetRecords).

A *source* lists the shards of a Kinesis stream or a DynamoDB table's stream and
reads records by position, starting where ``StartingPosition`` says
(``TRIM_HORIZON``: the oldest record; ``LATEST``: only records written after the
mapping started; ``AT_TIMESTAMP``: the first record that arrived at or after the
timestamp, Kinesis only).  Reads go to the stored streams in this process
(:mod:`lambdalab.aws.moto_kinesis`, :mod:`lambdalab.aws.moto_dynamodb`: what GetRecords
would answer, without the HTTP round trip) and never change them: records stay in the
stream for every other consumer.

https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..aws.moto_dynamodb import MotoDynamoDB
from ..aws.moto_kinesis import MotoKinesis
from ..errors import invalid_parameter
from ..events import dynamodb, kinesis
from .stream_records import StreamItem

if TYPE_CHECKING:
    from ..ports import Place


class KinesisSource:
    kind = "kinesis"

    def __init__(self, place: Place, arn: str, role_arn: str) -> None:
        self.place, self.arn, self.role_arn = place, arn, role_arn
        self.stream = MotoKinesis(place.account_id, place.region)

    @staticmethod
    def exists(place: Place, arn: str) -> bool:
        return MotoKinesis(place.account_id, place.region).exists(arn)

    def retention(self) -> float:
        retention = self.stream.retention_seconds(self.arn)
        return 24 * 3600.0 if retention is None else retention

    def shards(self) -> list[str]:
        return self.stream.shards(self.arn)

    def count(self, shard: str) -> int:
        return self.stream.count(self.arn, shard)

    def index_at(self, shard: str, timestamp: float) -> int:
        return self.stream.index_at(self.arn, shard, timestamp)

    def read(self, shard: str, start: int, limit: int) -> list[StreamItem]:
        out = []
        for offset, rec in enumerate(self.stream.read(self.arn, shard, start, limit)):
            seq = rec.sequence_number
            event_seq = kinesis.sequence_number(shard, seq)
            record = kinesis.record(
                shard=shard,
                seq=event_seq,
                partition_key=rec.partition_key,
                data_b64=rec.data,
                arrival=rec.arrival,
                role_arn=self.role_arn,
                region=self.place.region,
                stream_arn=self.arn,
            )
            size = (
                len(rec.data)
                + len(rec.partition_key)
                + len(event_seq)
                + len(shard)
                + len(self.arn)
                + len(self.role_arn)
                + 330
            )
            out.append(StreamItem(shard, start + offset, seq, rec.partition_key, rec.arrival, record, size, event_seq))
        return out


class DynamoDBSource:
    kind = "dynamodb"

    def __init__(self, place: Place, arn: str, role_arn: str) -> None:
        self.place, self.arn, self.role_arn = place, arn, role_arn
        self.stream = MotoDynamoDB(place.account_id, place.region)

    @staticmethod
    def exists(place: Place, arn: str) -> bool:
        return MotoDynamoDB(place.account_id, place.region).exists(arn)

    def retention(self) -> float:
        return 24 * 3600.0

    def shards(self) -> list[str]:
        return self.stream.shards(self.arn)

    def count(self, shard: str) -> int:
        return self.stream.count(self.arn)

    def index_at(self, shard: str, timestamp: float) -> int:
        raise invalid_parameter(f"Unsupported starting position for arn type: {self.arn}")

    def read(self, shard: str, start: int, limit: int) -> list[StreamItem]:
        out = []
        for offset, item in enumerate(self.stream.read(self.arn, start, limit)):
            record = dynamodb.record(item.record, region=self.place.region, stream_arn=self.arn)
            keys = json.dumps(record["dynamodb"]["Keys"], sort_keys=True)
            out.append(
                StreamItem(
                    shard,
                    start + offset,
                    record["dynamodb"]["SequenceNumber"],
                    keys,
                    item.arrival,
                    record,
                    len(json.dumps(record)),
                )
            )
        return out


def start_index(source: KinesisSource | DynamoDBSource, shard: str, settings: dict[str, Any]) -> int:
    """Where a new mapping starts reading a shard."""
    position = settings.get("StartingPosition", "LATEST")
    if position == "TRIM_HORIZON":
        return 0
    if position == "AT_TIMESTAMP":
        return source.index_at(shard, float(settings["StartingPositionTimestamp"]))
    return source.count(shard)
