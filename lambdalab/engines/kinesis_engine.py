"""The Kinesis event source mapping: a stream engine for ``arn:aws:kinesis:...:stream/name``.

Everything but what Kinesis declares about itself (which ARNs, which actions the
execution role needs, AWS's texts) is the shared stream engine (:mod:`.stream_engine`).

https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-create.html
"""

from __future__ import annotations

from .stream_engine import StreamEngine
from .stream_poller import KinesisSource


class KinesisEngine(StreamEngine):
    """Kinesis data streams (``arn:aws:kinesis:...:stream/name``)."""

    source_kind = "kinesis"
    read_actions = ("kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream", "kinesis:ListShards")
    source_class = KinesisSource

    def accepts(self, source_arn: str) -> bool:
        parts = source_arn.split(":")
        return parts[2] == "kinesis" and parts[5].startswith("stream/")

    def role_message(self, source_arn: str, action: str) -> str:
        return f"The function execution role does not have permissions to call {action.split(':', 1)[1]} on Kinesis"
