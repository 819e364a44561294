"""Kinesis streams as a shard iterator reads them, over the streams moto stores.

What GetShardIterator and GetRecords would answer, without the HTTP round trip and
without changing the stream: records stay for every other consumer.  Callers get
:class:`KinesisRecord` values, never moto's objects; every name read of moto's
storage is listed in :data:`NEEDS` for the start-up self-test.

https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html
https://docs.aws.amazon.com/kinesis/latest/APIReference/API_Record.html
"""

from __future__ import annotations

import base64
import datetime as _dt
from dataclasses import dataclass
from typing import Any

from .moto_needs import Needs

NEEDS = (
    Needs("moto.kinesis.models", "kinesis_backends"),
    Needs("moto.kinesis.models", "KinesisBackend", ("streams",), sample=lambda cls: cls("us-east-1", "123456789012")),
    Needs(
        "moto.kinesis.models",
        "Stream",
        ("arn", "shards", "retention_period_hours"),
        sample=lambda cls: cls("probe", 1, None, None, "123456789012", "us-east-1"),
    ),
    Needs("moto.kinesis.models", "Shard", ("records",), sample=lambda cls: cls(0, 0, 1)),
    Needs(
        "moto.kinesis.models",
        "Record",
        ("partition_key", "data", "sequence_number", "created_at"),
        sample=lambda cls: cls("key", "ZGF0YQ==", 1, "0"),
    ),
)


@dataclass(frozen=True)
class KinesisRecord:
    """One record of a shard (GetRecords' Record)."""

    sequence_number: str
    partition_key: str
    data: str  # base64, as the event carries it
    arrival: float  # ApproximateArrivalTimestamp, epoch seconds (virtual)


def _epoch(created_at: Any) -> float:
    """A record's arrival time in epoch seconds: earlier moto releases store a number, moto 5.2.6 a naive UTC
    ``datetime`` (read from the lab's virtual clock either way)."""
    if isinstance(created_at, _dt.datetime):
        return created_at.replace(tzinfo=_dt.UTC).timestamp()
    return float(created_at)


def _base64(data: Any) -> str:
    """A record's data as the event carries it, base64: earlier moto releases store that text, moto 5.2.6 the raw bytes."""
    return base64.b64encode(data).decode() if isinstance(data, bytes) else str(data)


class MotoKinesis:
    """The Kinesis streams of one account and region, read in process."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id, self.region = account_id, region
        #: each shard's records in order, rebuilt when the shard grows: (stream ARN, shard id) -> moto's records
        self._lists: dict[tuple[str, str], list[Any]] = {}

    def _stream(self, arn: str) -> Any | None:
        from moto.kinesis.models import kinesis_backends

        for stream in kinesis_backends[self.account_id][self.region].streams.values():
            if stream.arn == arn:
                return stream
        return None

    def exists(self, arn: str) -> bool:
        return self._stream(arn) is not None

    def retention_seconds(self, arn: str) -> float | None:
        """The stream's retention period; None if there is no such stream."""
        stream = self._stream(arn)
        return float(stream.retention_period_hours * 3600) if stream is not None else None

    def shards(self, arn: str) -> list[str]:
        stream = self._stream(arn)
        return sorted(stream.shards) if stream is not None else []

    def count(self, arn: str, shard: str) -> int:
        """Records in the shard."""
        stream = self._stream(arn)
        if stream is None or shard not in stream.shards:
            return 0
        return len(stream.shards[shard].records)

    def _records(self, arn: str, shard: str) -> list[Any]:
        stream = self._stream(arn)
        if stream is None or shard not in stream.shards:
            return []
        stored = stream.shards[shard].records
        listed = self._lists.get((arn, shard))
        if listed is None or len(listed) != len(stored):
            listed = list(stored.values())
            self._lists[(arn, shard)] = listed
        return listed

    def index_at(self, arn: str, shard: str, timestamp: float) -> int:
        """The position of the first record that arrived at or after ``timestamp`` (AT_TIMESTAMP)."""
        records = self._records(arn, shard)
        for i, record in enumerate(records):
            if _epoch(record.created_at) >= timestamp:
                return i
        return len(records)

    def read(self, arn: str, shard: str, start: int, limit: int) -> list[KinesisRecord]:
        """Up to ``limit`` records from position ``start`` (0-based) of the shard."""
        return [
            KinesisRecord(str(r.sequence_number), r.partition_key, _base64(r.data), _epoch(r.created_at))
            for r in self._records(arn, shard)[start : start + limit]
        ]
