"""Stream records in AWS's exact shapes: the event records a function receives, and the
on-failure record Lambda sends about a discarded batch.

https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html (sample event)
https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html (sample event)
https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html (invocation record)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..timestamps import iso_millis
from .destinations import parse_payload


@dataclass(frozen=True)
class StreamItem:
    """One record of a shard, as the poller read it."""

    shard: str
    index: int  # position in the shard (0-based)
    seq: str  # sequence number
    key: str  # partition key (Kinesis) or the item's key (DynamoDB): what ordering is kept by
    arrival: float  # approximate arrival, epoch seconds (virtual)
    record: dict[str, Any] = field(compare=False)  # the event record the function receives
    size: int = 0  # bytes of the record as JSON
    #: the sequence number as Lambda hands it to the function (AWS's form); ``seq`` is the store's
    event_seq: str = ""

    @property
    def lambda_seq(self) -> str:
        """The sequence number in the event, in KinesisBatchInfo and in a partial batch response."""
        return self.event_seq or self.seq


def window_event(
    records: list[dict[str, Any]],
    *,
    start: float,
    end: float,
    state: dict[str, Any],
    shard: str,
    source_arn: str,
    final: bool,
    terminated_early: bool = False,
) -> dict[str, Any]:
    """A tumbling-window event: the records plus the window, its state and flags."""
    return {
        "Records": records,
        "window": {"start": _iso_seconds(start), "end": _iso_seconds(end)},
        "state": state,
        "shardId": shard,
        "eventSourceARN": source_arn,
        "isFinalInvokeForWindow": final,
        "isWindowTerminatedEarly": terminated_early,
    }


def _iso_seconds(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def failure_record(
    *,
    kind: str,
    timestamp: datetime,
    request_id: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    status_code: int,
    executed_version: str,
    function_error: str | None,
    items: list[StreamItem],
    stream_arn: str,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the on-failure destination receives about a discarded batch (no record data).

    ``payload`` (the event of the last attempt) is added for S3 destinations only,
    as AWS does.
    """
    response: dict[str, Any] = {"statusCode": status_code, "executedVersion": executed_version}
    if function_error:
        response["functionError"] = function_error
    info_name = "KinesisBatchInfo" if kind == "kinesis" else "DDBStreamBatchInfo"
    record: dict[str, Any] = {
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": iso_millis(timestamp),
        info_name: {
            "shardId": items[0].shard,
            "startSequenceNumber": items[0].lambda_seq,
            "endSequenceNumber": items[-1].lambda_seq,
            "approximateArrivalOfFirstRecord": iso_millis(datetime.fromtimestamp(items[0].arrival, UTC)),
            "approximateArrivalOfLastRecord": iso_millis(datetime.fromtimestamp(items[-1].arrival, UTC)),
            "batchSize": len(items),
            "streamArn": stream_arn,
        },
    }
    if payload is not None:
        record["payload"] = payload
    return record


def s3_key(mapping_uuid: str, shard: str, when: datetime, uuid: str) -> str:
    """Where a stream mapping's on-failure record lands in an S3 bucket."""
    return f"aws/lambda/{mapping_uuid}/{shard}/{when:%Y/%m/%d}/{when:%Y-%m-%dT%H.%M.%S}-{uuid}"


def function_response(payload: bytes) -> Any:
    return parse_payload(payload)
