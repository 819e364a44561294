"""Reading a stream's shards, as a shard iterator does (GetShardIterator / GetRecords).

A *source* lists the shards of a Kinesis stream or a DynamoDB table's stream and
reads records by position, starting where ``StartingPosition`` says
(``TRIM_HORIZON``: the oldest record; ``LATEST``: only records written after the
mapping started; ``AT_TIMESTAMP``: the first record that arrived at or after the
timestamp, Kinesis only).  Reads go straight to moto's storage in this process
(what GetRecords would answer, without the HTTP round trip) and never change it:
records stay in the stream for every other consumer.

https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import invalid_parameter
from .stream_records import StreamItem, dynamodb_record, epoch, kinesis_record

if TYPE_CHECKING:
    from ..lab import Lab


class KinesisSource:
    kind = "kinesis"

    def __init__(self, lab: Lab, arn: str, role_arn: str) -> None:
        self.lab, self.arn, self.role_arn = lab, arn, role_arn
        self._cache: dict[str, list[Any]] = {}

    @staticmethod
    def exists(lab: Lab, arn: str) -> bool:
        from moto.kinesis.models import kinesis_backends

        backend = kinesis_backends[lab.account_id][lab.region]
        return any(s.arn == arn for s in backend.streams.values())

    def _stream(self) -> Any:
        from moto.kinesis.models import kinesis_backends

        backend = kinesis_backends[self.lab.account_id][self.lab.region]
        for stream in backend.streams.values():
            if stream.arn == self.arn:
                return stream
        return None

    def retention(self) -> float:
        stream = self._stream()
        return float(stream.retention_period_hours * 3600) if stream else 24 * 3600.0

    def shards(self) -> list[str]:
        stream = self._stream()
        return sorted(stream.shards) if stream else []

    def count(self, shard: str) -> int:
        stream = self._stream()
        if stream is None or shard not in stream.shards:
            return 0
        return len(stream.shards[shard].records)

    def _records(self, shard: str) -> list[Any]:
        stream = self._stream()
        if stream is None or shard not in stream.shards:
            return []
        raw = stream.shards[shard].records
        cached = self._cache.get(shard)
        if cached is None or len(cached) != len(raw):
            cached = list(raw.values())
            self._cache[shard] = cached
        return cached

    def index_at(self, shard: str, timestamp: float) -> int:
        for i, rec in enumerate(self._records(shard)):
            if rec.created_at >= timestamp:
                return i
        return self.count(shard)

    def read(self, shard: str, start: int, limit: int) -> list[StreamItem]:
        out = []
        for offset, rec in enumerate(self._records(shard)[start : start + limit]):
            seq = str(rec.sequence_number)
            record = kinesis_record(
                shard=shard,
                seq=seq,
                partition_key=rec.partition_key,
                data_b64=rec.data,
                arrival=rec.created_at,
                role_arn=self.role_arn,
                region=self.lab.region,
                stream_arn=self.arn,
            )
            size = (
                len(rec.data)
                + len(rec.partition_key)
                + len(seq)
                + len(shard)
                + len(self.arn)
                + len(self.role_arn)
                + 330
            )
            out.append(StreamItem(shard, start + offset, seq, rec.partition_key, rec.created_at, record, size))
        return out


class DynamoDBSource:
    kind = "dynamodb"

    def __init__(self, lab: Lab, arn: str, role_arn: str) -> None:
        self.lab, self.arn, self.role_arn = lab, arn, role_arn

    @staticmethod
    def exists(lab: Lab, arn: str) -> bool:
        return DynamoDBSource(lab, arn, "")._table() is not None

    def _table(self) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        try:
            name, label = self.arn.split(":", 5)[5].split("/")[1], self.arn.split("/stream/", 1)[1]
        except IndexError:
            return None
        table = dynamodb_backends[self.lab.account_id][self.lab.region].tables.get(name)
        if table is None or table.latest_stream_label != label or table.stream_shard is None:
            return None
        return table

    def retention(self) -> float:
        return 24 * 3600.0

    def shards(self) -> list[str]:
        table = self._table()
        return [table.stream_shard.id] if table else []

    def count(self, shard: str) -> int:
        table = self._table()
        return len(table.stream_shard.items) if table else 0

    def index_at(self, shard: str, timestamp: float) -> int:
        raise invalid_parameter(f"Unsupported starting position for arn type: {self.arn}")

    def read(self, shard: str, start: int, limit: int) -> list[StreamItem]:
        table = self._table()
        if table is None:
            return []
        out = []
        for offset, item in enumerate(table.stream_shard.items[start : start + limit]):
            record = dynamodb_record(item.to_json(), region=self.lab.region, stream_arn=self.arn)
            keys = json.dumps(record["dynamodb"]["Keys"], sort_keys=True)
            arrival = epoch(item.to_json()["dynamodb"]["ApproximateCreationDateTime"])
            out.append(
                StreamItem(
                    shard,
                    start + offset,
                    record["dynamodb"]["SequenceNumber"],
                    keys,
                    arrival,
                    record,
                    len(json.dumps(record)),
                )
            )
        return out


def open_source(lab: Lab, kind: str, arn: str, role_arn: str) -> KinesisSource | DynamoDBSource:
    return KinesisSource(lab, arn, role_arn) if kind == "kinesis" else DynamoDBSource(lab, arn, role_arn)


def start_index(source: KinesisSource | DynamoDBSource, shard: str, settings: dict[str, Any]) -> int:
    """Where a new mapping starts reading a shard."""
    position = settings.get("StartingPosition", "LATEST")
    if position == "TRIM_HORIZON":
        return 0
    if position == "AT_TIMESTAMP":
        return source.index_at(shard, float(settings["StartingPositionTimestamp"]))
    return source.count(shard)
