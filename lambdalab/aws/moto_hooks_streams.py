"""Stream sources in moto (DynamoDB Streams, Kinesis): stream labels and sequence numbers in AWS's forms.

DynamoDB ``LatestStreamLabel``: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TableDescription.html;
Kinesis sequence numbers: https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: the hook points (module, attribute path, parameters the hooks rely on); ``moto_hooks.self_test`` checks them
POINTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("moto.dynamodb.models.table", "Table.set_stream_specification", ("self", "streams")),
    (
        "moto.kinesis.models",
        "KinesisBackend.get_shard_iterator",
        ("self", "stream_arn", "stream_name", "shard_id", "shard_iterator_type", "starting_sequence_number"),
    ),
]


def install(patch: Callable[[Any, str, Callable[..., Any]], None]) -> None:
    """Patch moto's DynamoDB stream labels and Kinesis shard iterators."""
    # DynamoDB Streams: a stream's label is the time it was enabled to the millisecond, as
    #    AWS writes it (``2015-06-27T00:48:05.899``, with-ddb); moto writes isoformat(),
    #    which drops the fraction on a whole second and gives microseconds otherwise
    from moto.dynamodb.models import table as dtm

    original_set_stream = dtm.Table.set_stream_specification

    def set_stream_specification(self: Any, streams: Any) -> None:
        before = self.latest_stream_label
        original_set_stream(self, streams)
        if self.latest_stream_label and self.latest_stream_label != before:
            self.latest_stream_label = stream_label(self.latest_stream_label)

    patch(dtm.Table, "set_stream_specification", set_stream_specification)

    #    Kinesis: Lambda hands out sequence numbers in AWS's 56-digit form (engines/stream_records.py);
    #    a reader who starts AT_ or AFTER_SEQUENCE_NUMBER one of them reaches the record moto numbers so
    from moto.kinesis import models as kim

    original_iterator = kim.KinesisBackend.get_shard_iterator

    def moto_number(number: Any) -> Any:
        if isinstance(number, str) and len(number) == 56 and number.startswith("49") and number.isdigit():
            return str(int(number[-40:]))
        return number

    def get_shard_iterator(self: Any, *args: Any, **kwargs: Any) -> Any:
        if len(args) > 4:  # stream_arn, stream_name, shard_id, shard_iterator_type, starting_sequence_number
            args = (*args[:4], moto_number(args[4]), *args[5:])
        if "starting_sequence_number" in kwargs:
            kwargs["starting_sequence_number"] = moto_number(kwargs["starting_sequence_number"])
        return original_iterator(self, *args, **kwargs)

    patch(kim.KinesisBackend, "get_shard_iterator", get_shard_iterator)


def stream_label(isoformat: str) -> str:
    """A DynamoDB stream label in AWS's form, to the millisecond: ``2025-01-06T09:00:00.000``."""
    from datetime import datetime

    return datetime.fromisoformat(isoformat).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
