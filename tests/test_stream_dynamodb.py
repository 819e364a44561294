"""DynamoDB Streams mappings: record shapes per StreamViewType, a second consumer, errors (on the FakeRuntime)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from stream_support import batches, events, function, mapping, messages, queue, stream_role
from support import create_python, unique

import lambdalab

pytestmark = pytest.mark.fake_runtime


def PRINTER(event: Any, context: Any) -> None:
    context.log("EVENT" + json.dumps(event) + "\n")


@pytest.fixture(scope="module")
def role(lab: lambdalab.Lab) -> str:
    return stream_role(lab, "ddb-reader")


def _table(lab: lambdalab.Lab, view: str = "NEW_AND_OLD_IMAGES") -> tuple[str, str]:
    name = unique("table")
    answer = lab.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )
    return name, str(answer["TableDescription"]["LatestStreamArn"])


def _events(lab: lambdalab.Lab, fn: str) -> list[dict[str, Any]]:
    logs = lab.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{fn}")["events"]
    return [json.loads(e["message"][5:]) for e in logs if e["message"].startswith("EVENT")]


def test_insert_modify_remove_reach_the_function_in_aws_shape(lab: lambdalab.Lab, role: str) -> None:
    table, arn = _table(lab)
    ddb = lab.client("dynamodb")
    fn = create_python(lab, role, PRINTER)
    mapping(lab, fn, arn, StartingPosition="LATEST")
    lab.advance(1)
    ddb.put_item(TableName=table, Item={"id": {"S": "a"}, "n": {"N": "1"}})
    ddb.put_item(TableName=table, Item={"id": {"S": "a"}, "n": {"N": "2"}})
    ddb.delete_item(TableName=table, Key={"id": {"S": "a"}})
    lab.run_until_idle(600)
    [event] = _events(lab, fn)
    records = event["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    first = records[0]
    assert list(first) == [
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    ]
    assert (first["eventVersion"], first["eventSource"], first["awsRegion"], first["eventSourceARN"]) == (
        "1.1",
        "aws:dynamodb",
        "us-east-1",
        arn,
    )
    image = first["dynamodb"]
    assert list(image) == [
        "ApproximateCreationDateTime",
        "Keys",
        "NewImage",
        "SequenceNumber",
        "SizeBytes",
        "StreamViewType",
    ]
    assert image["Keys"] == {"id": {"S": "a"}}
    assert image["NewImage"] == {"id": {"S": "a"}, "n": {"N": "1"}}
    assert isinstance(image["ApproximateCreationDateTime"], int)
    assert records[1]["dynamodb"]["OldImage"] == {"id": {"S": "a"}, "n": {"N": "1"}}
    assert "NewImage" not in records[2]["dynamodb"] and records[2]["dynamodb"]["OldImage"]["n"] == {"N": "2"}
    # AWS's forms (with-ddb sample event): a stream label to the millisecond, sequence numbers of 21+ digits
    assert re.fullmatch(r".*:table/[\w-]+/stream/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}", arn)
    assert all(
        len(r["dynamodb"]["SequenceNumber"]) >= 21 and r["dynamodb"]["SequenceNumber"].isdigit() for r in records
    )


def test_keys_only_view(lab: lambdalab.Lab, role: str) -> None:
    table, arn = _table(lab, "KEYS_ONLY")
    fn = create_python(lab, role, PRINTER)
    lab.client("dynamodb").put_item(TableName=table, Item={"id": {"S": "k"}, "v": {"S": "x"}})
    mapping(lab, fn, arn)
    lab.run_until_idle(600)
    [event] = _events(lab, fn)
    assert set(event["Records"][0]["dynamodb"]) == {
        "ApproximateCreationDateTime",
        "Keys",
        "SequenceNumber",
        "SizeBytes",
        "StreamViewType",
    }


def test_records_stay_in_the_stream_for_a_second_consumer(lab: lambdalab.Lab, role: str) -> None:
    table, arn = _table(lab)
    ddb = lab.client("dynamodb")
    for i in range(3):
        ddb.put_item(TableName=table, Item={"id": {"S": f"i{i}"}})
    first, _ = mapping(lab, function(lab, role), arn)
    second, _ = mapping(lab, function(lab, role), arn)
    lab.run_until_idle(600)
    assert len(batches(lab, first)[0][2]) == len(batches(lab, second)[0][2]) == 3
    streams = lab.client("dynamodbstreams", config=Config(retries={"total_max_attempts": 1}))
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in streams.get_records(ShardIterator=it)["Records"]] == [
        "i0",
        "i1",
        "i2",
    ]


def test_at_timestamp_is_kinesis_only(lab: lambdalab.Lab, role: str) -> None:
    _, arn = _table(lab)
    with pytest.raises(ClientError) as exc:
        mapping(lab, function(lab, role), arn, StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=0)
    assert exc.value.response["Error"]["Message"] == f"Unsupported starting position for arn type: {arn}"


def test_role_must_read_the_table_stream(lab: lambdalab.Lab, role_arn: str) -> None:
    _, arn = _table(lab)
    with pytest.raises(ClientError) as exc:
        mapping(lab, create_python(lab, role_arn), arn)
    assert exc.value.response["Error"]["Message"] == (
        f"Cannot access stream {arn}. Please ensure the role can perform the GetRecords, GetShardIterator, "
        "DescribeStream, and ListStreams Actions on your stream in IAM."
    )


def test_poison_item_goes_to_the_on_failure_queue(lab: lambdalab.Lab, role: str) -> None:
    table, arn = _table(lab)
    url, queue_arn = queue(lab)
    ddb = lab.client("dynamodb")
    ddb.put_item(TableName=table, Item={"id": {"S": "1"}, "v": {"S": "poison"}})
    ddb.put_item(TableName=table, Item={"id": {"S": "2"}, "v": {"S": "fine"}})
    uuid, t0 = mapping(
        lab,
        function(lab, role),
        arn,
        MaximumRetryAttempts=0,
        BisectBatchOnFunctionError=True,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    lab.run_until_idle(600)
    assert [(t, len(seqs), outcome) for t, _, seqs, outcome in batches(lab, uuid, t0)] == [
        (1.0, 2, "function-error"),
        (2.0, 1, "function-error"),
        (3.0, 1, "success"),
    ]
    [record] = messages(lab, url)
    info = record["DDBStreamBatchInfo"]
    assert (info["batchSize"], info["streamArn"], record["requestContext"]["condition"]) == (
        1,
        arn,
        "RetryAttemptsExhausted",
    )
    assert [d["condition"] for _, d in events(lab, uuid, "stream-discard")] == ["RetryAttemptsExhausted"]
