"""A DynamoDB table's stream as GetRecords reads it, over the tables moto stores.

moto keeps one shard per table stream; the records read here are copies in the
shape DynamoDB Streams' GetRecords answers (with ``ApproximateCreationDateTime`` in
epoch seconds), never moto's objects.  Every name read of moto's storage is listed
in :data:`NEEDS` for the start-up self-test.

https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_StreamRecord.html
"""

from __future__ import annotations

import calendar
import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .moto_needs import Needs, resolve


def _sample_table(cls: Any) -> Any:
    return cls(
        "probe",
        "123456789012",
        "us-east-1",
        [{"AttributeName": "id", "KeyType": "HASH"}],
        [{"AttributeName": "id", "AttributeType": "S"}],
        streams={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )


NEEDS = (
    Needs("moto.dynamodb.models", "dynamodb_backends"),
    Needs("moto.dynamodb.models", "DynamoDBBackend", ("tables",), sample=lambda cls: cls("us-east-1", "123456789012")),
    Needs("moto.dynamodb.models.table", "Table", ("latest_stream_label", "stream_shard"), sample=_sample_table),
    Needs(
        "moto.dynamodb.models.table",
        "StreamShard",
        ("id", "items"),
        sample=lambda cls: cls("123456789012", _sample_table(resolve("moto.dynamodb.models.table", "Table"))),
    ),
    Needs("moto.dynamodb.models.table", "StreamRecord", ("to_json",)),
)


@dataclass(frozen=True)
class DynamoDBStreamRecord:
    """One stream record: GetRecords' Record, and when the change was made."""

    arrival: float  # ApproximateCreationDateTime, epoch seconds (virtual)
    record: dict[str, Any] = field(compare=False)


def _seconds(when: datetime | float) -> float:
    if not isinstance(when, datetime):
        return float(when)
    if when.tzinfo is None:  # moto's are naive, in UTC
        return calendar.timegm(when.timetuple()) + when.microsecond / 1e6
    return when.timestamp()


class MotoDynamoDB:
    """The table streams of one account and region, read in process."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id, self.region = account_id, region

    def _table(self, stream_arn: str) -> Any | None:
        """The table whose current stream is ``stream_arn`` (a stream ARN names its table and label)."""
        from moto.dynamodb.models import dynamodb_backends

        try:
            name, label = stream_arn.split(":", 5)[5].split("/")[1], stream_arn.split("/stream/", 1)[1]
        except IndexError:
            return None
        table = dynamodb_backends[self.account_id][self.region].tables.get(name)
        if table is None or table.latest_stream_label != label or table.stream_shard is None:
            return None
        return table

    def exists(self, stream_arn: str) -> bool:
        return self._table(stream_arn) is not None

    def shards(self, stream_arn: str) -> list[str]:
        table = self._table(stream_arn)
        return [str(table.stream_shard.id)] if table is not None else []

    def count(self, stream_arn: str) -> int:
        """Records in the stream."""
        table = self._table(stream_arn)
        return len(table.stream_shard.items) if table is not None else 0

    def read(self, stream_arn: str, start: int, limit: int) -> list[DynamoDBStreamRecord]:
        """Up to ``limit`` records from position ``start`` (0-based) of the stream."""
        table = self._table(stream_arn)
        if table is None:
            return []
        out = []
        for item in table.stream_shard.items[start : start + limit]:
            record = copy.deepcopy(item.to_json())
            arrival = _seconds(record["dynamodb"]["ApproximateCreationDateTime"])
            record["dynamodb"]["ApproximateCreationDateTime"] = arrival
            out.append(DynamoDBStreamRecord(arrival, record))
        return out
