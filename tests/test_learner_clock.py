"""While a lab is open only moto follows the lab's virtual clock: the learner's own time stays real.

The lab starts at 2025-01-06 09:00 UTC and moves only when asked; a notebook's ``time.time()``,
``datetime.now()`` and the functions' deadlines are the machine's real clock
(:mod:`lambdalab.aws.moto_clock`).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, datetime

import pytest
from support import LAMBDA_TRUST, create_python

import lambdalab
from lambdalab.aws import moto_clock
from lambdalab.aws.moto_dynamodb import MotoDynamoDB
from lambdalab.errors import LabError

DAY = 86_400.0


def _kernel_now() -> float:
    """The kernel's real clock, read without Python's time functions: a new file's modification time."""
    with tempfile.NamedTemporaryFile() as f:
        return os.stat(f.name).st_mtime


@pytest.fixture(scope="module", autouse=True)
def days_ahead(lab: lambdalab.Lab) -> None:
    lab.advance(3 * DAY)  # the lab's clock is far from the machine's
    assert abs(lab.clock.now.timestamp() - _kernel_now()) > DAY


def test_the_learners_time_and_datetime_stay_real_while_a_lab_is_open(lab: lambdalab.Lab) -> None:
    # GIVEN an open lab three days into its virtual time
    # WHEN the notebook asks for the time its own ways
    real = _kernel_now()
    # THEN it gets the machine's clock, not the lab's
    assert abs(time.time() - real) < 60
    assert abs(datetime.now(UTC).timestamp() - real) < 60
    assert abs(datetime.now().timestamp() - real) < 60
    assert abs(time.clock_gettime(time.CLOCK_REALTIME) - real) < 60


def test_a_loop_waiting_for_a_deadline_on_time_time_ends(lab: lambdalab.Lab) -> None:
    # GIVEN a learner's loop that waits 50 ms of real time (it never ended when the lab froze time.time)
    deadline = time.time() + 0.05
    give_up = time.monotonic() + 30
    while time.time() < deadline:
        # THEN time.time moves: the loop ends long before this guard
        assert time.monotonic() < give_up, "time.time() stands still while the lab is open"
        time.sleep(0.005)


def test_moto_follows_the_lab_clock(lab: lambdalab.Lab) -> None:
    # GIVEN the lab's virtual now
    lab.advance(17.25)
    now = lab.clock.now
    now_ms = int(now.timestamp() * 1000)
    # WHEN SQS, Kinesis, DynamoDB Streams, CloudWatch Logs, S3 and IAM record when something happened
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName="clock-q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=5)
    kinesis = lab.client("kinesis")
    kinesis.create_stream(StreamName="clock-s", ShardCount=1)
    kinesis.put_record(StreamName="clock-s", PartitionKey="k", Data=b"x")
    shard = kinesis.get_shard_iterator(
        StreamName="clock-s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    ddb = lab.client("dynamodb")
    table = ddb.create_table(
        TableName="clock-t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    ddb.put_item(TableName="clock-t", Item={"pk": {"S": "a"}})
    logs = lab.client("logs")
    logs.create_log_group(logGroupName="clock-g")
    logs.create_log_stream(logGroupName="clock-g", logStreamName="s")
    logs.put_log_events(logGroupName="clock-g", logStreamName="s", logEvents=[{"timestamp": now_ms, "message": "m"}])
    lab.client("s3").create_bucket(Bucket="clock-b")
    role = lab.client("iam").create_role(RoleName="clock-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    # THEN each timestamp is the lab's now, not the machine's
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesDelayed"]) == ("0", "1")
    [record] = kinesis.get_records(ShardIterator=shard)["Records"]
    assert record["ApproximateArrivalTimestamp"] == now
    [change] = MotoDynamoDB(lab.account_id, lab.region).read(table["LatestStreamArn"], 0, 10)  # what mappings read
    assert change.arrival == now.timestamp()
    [group] = logs.describe_log_groups(logGroupNamePrefix="clock-g")["logGroups"]
    [event] = logs.get_log_events(logGroupName="clock-g", logStreamName="s")["events"]
    assert group["creationTime"] == now_ms and event["ingestionTime"] == now_ms
    [bucket] = [b for b in lab.client("s3").list_buckets()["Buckets"] if b["Name"] == "clock-b"]
    assert bucket["CreationDate"] == now.replace(microsecond=0)
    assert role["Role"]["CreateDate"] == now
    # AND the delay runs on the lab's clock: the message is receivable 5 virtual seconds later
    lab.advance(5)
    [message] = sqs.receive_message(QueueUrl=url, AttributeNames=["SentTimestamp"])["Messages"]
    assert message["Attributes"]["SentTimestamp"] == str(now_ms)


def test_a_functions_deadline_is_real_time_while_the_lab_is_days_ahead(lab: lambdalab.Lab, role_arn: str) -> None:
    # GIVEN a function that reports its remaining time, in a lab three days ahead
    source = "def handler(event, context):\n    return context.get_remaining_time_in_millis()\n"
    name = create_python(lab, role_arn, source, Timeout=3)
    # WHEN it runs
    out = lab.client("lambda").invoke(FunctionName=name)
    # THEN its deadline is three real seconds away (its process compares it with the real clock)
    assert 2000 < json.loads(out["Payload"].read()) <= 3000


def test_the_self_test_names_a_place_moto_no_longer_reads_now(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a moto whose utcnow reads the time some other way
    from moto.core import utils

    monkeypatch.setattr(utils, "utcnow", lambda: datetime.now(UTC).replace(tzinfo=None))
    # THEN the start-up check fails, naming it
    with pytest.raises(LabError, match="utcnow no longer reads datetime.datetime.now"):
        moto_clock.check_points()
    monkeypatch.undo()
    moto_clock.check_points()
    moto_clock.self_test()
