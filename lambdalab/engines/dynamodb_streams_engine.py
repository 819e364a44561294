"""The DynamoDB Streams event source mapping: a stream engine for a table's stream.

Everything but what DynamoDB Streams declares about itself (which ARNs, which
actions the execution role needs, AWS's texts) is the shared stream engine
(:mod:`.stream_engine`).

https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-create.html
"""

from __future__ import annotations

from .stream_engine import StreamEngine
from .stream_poller import DynamoDBSource


class DynamoDBStreamsEngine(StreamEngine):
    """DynamoDB Streams (``arn:aws:dynamodb:...:table/name/stream/label``)."""

    source_kind = "dynamodb"
    read_actions = (
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:DescribeStream",
        "dynamodb:ListStreams",
    )
    source_class = DynamoDBSource

    def accepts(self, source_arn: str) -> bool:
        parts = source_arn.split(":")
        return parts[2] == "dynamodb" and "/stream/" in parts[5]

    def role_message(self, source_arn: str, action: str) -> str:
        return (
            f"Cannot access stream {source_arn}. Please ensure the role can perform the GetRecords, "
            "GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM."
        )
