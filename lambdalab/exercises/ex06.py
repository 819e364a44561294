"""Exercises for ``06-streams``: a poison record sent aside, a table stream read from its start."""

from __future__ import annotations

from typing import Any

from .. import trace_kinds as k
from . import _shared
from .core import Problem

STREAM = "orders"
PROCESSOR = "order-processor"
FAILURES = "order-failures"
TABLE = "profiles"
AUDITOR = "profile-auditor"
STREAM_ROLE = "stream-exec"

PROCESSOR_CODE = """import base64


def handler(event, context):
    for record in event["Records"]:
        order = base64.b64decode(record["kinesis"]["data"]).decode()
        if order == "poison":
            raise ValueError("cannot parse order " + record["kinesis"]["sequenceNumber"])
    return {"processed": len(event["Records"])}
"""
AUDITOR_CODE = """def handler(event, context):
    for record in event["Records"]:
        print(record["eventName"], record["dynamodb"]["Keys"])
"""


def ensure_stream_role(lab: Any) -> str:
    """An execution role that reads Kinesis and DynamoDB streams and sends to SQS."""
    managed = tuple(
        f"arn:aws:iam::aws:policy/service-role/{p}"
        for p in ("AWSLambdaKinesisExecutionRole", "AWSLambdaDynamoDBExecutionRole")
    )
    send = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}
    return _shared.ensure_role(lab, STREAM_ROLE, policies=managed, inline={"send-failures": send})


def _function(lab: Any, name: str, code: str) -> None:
    from ..packaging import zip_files

    lam = lab.client("lambda")
    if not _shared.function_exists(lab, name):
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Handler="app.handler",
            Role=ensure_stream_role(lab),
            Code={"ZipFile": zip_files({"app.py": code})},
        )


def _mapping(lab: Any, function: str, source_arn: str) -> dict[str, Any] | None:
    found = lab.client("lambda").list_event_source_mappings(FunctionName=function, EventSourceArn=source_arn)[
        "EventSourceMappings"
    ]
    return dict(found[0]) if found else None


class PoisonToQueue(Problem):
    """Keep the ``orders`` stream moving past a poison record, and keep a note of it in ``order-failures``."""

    title = "Send a poison batch aside"
    _hint = (
        '`create_event_source_mapping` on the `orders` stream for `order-processor` with `StartingPosition="TRIM_HORIZON"`, '
        "a retry limit (`MaximumRetryAttempts`), `BisectBatchOnFunctionError=True` so that only the poison record is "
        'given up on, and `DestinationConfig={"OnFailure": {"Destination": <the queue\'s ARN>}}`. Then '
        "`lab.run_until_idle()` and check."
    )
    _solution = (
        "```python\n"
        'queue_arn = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="order-failures")["QueueUrl"],\n'
        '                                     AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]\n'
        'stream_arn = kin.describe_stream(StreamName="orders")["StreamDescription"]["StreamARN"]\n'
        "lam.create_event_source_mapping(\n"
        '    FunctionName="order-processor", EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON",\n'
        "    MaximumRetryAttempts=2, BisectBatchOnFunctionError=True,\n"
        '    DestinationConfig={"OnFailure": {"Destination": queue_arn}},\n'
        ")\n"
        "lab.run_until_idle()\n"
        "```"
    )

    def setup(self) -> None:
        kin = self.lab.client("kinesis")
        if STREAM not in kin.list_streams()["StreamNames"]:
            kin.create_stream(StreamName=STREAM, ShardCount=2)
            for i, order in enumerate(["o-1", "o-2", "poison", "o-3", "o-4", "o-5"]):
                kin.put_record(StreamName=STREAM, PartitionKey=f"customer-{i % 2}", Data=order.encode())
        self.lab.client("sqs").create_queue(QueueName=FAILURES)
        _function(self.lab, PROCESSOR, PROCESSOR_CODE)

    def _stream_arn(self) -> str:
        return str(self.lab.client("kinesis").describe_stream(StreamName=STREAM)["StreamDescription"]["StreamARN"])

    def _check(self) -> bool | str | None:
        found = _mapping(self.lab, PROCESSOR, self._stream_arn())
        if found is None:
            return None
        if not found.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"):
            return (
                "The mapping has no on-failure destination: a batch that is given up on would leave no trace. "
                "Set DestinationConfig.OnFailure to the order-failures queue."
            )
        if found.get("MaximumRetryAttempts", -1) == -1 and found.get("MaximumRecordAgeInSeconds", -1) == -1:
            return (
                "With MaximumRetryAttempts and MaximumRecordAgeInSeconds at -1 the poison batch is retried until it "
                "expires from the stream (24 hours) and its shard waits all that time. Set a retry limit."
            )
        uuid = found["UUID"]
        dropped = [r for r in self.lab.trace.where(k.STREAM_DISCARD) if uuid in r.ids]
        if not dropped:
            return "Nothing was given up on yet: run lab.run_until_idle() so the mapping reaches the poison record."
        if sum(len(r.view(k.StreamDiscard)["seqs"]) for r in dropped) > 1:
            return (
                "More than the poison record was given up on: good orders went with it. "
                "BisectBatchOnFunctionError=True splits a failing batch until only the poison record is left."
            )
        if not any(uuid in r.ids for r in self.lab.trace.where(k.STREAM_DELIVERY)):
            return "The failure record did not reach the queue: does the role allow sqs:SendMessage?"
        return True

    def _congrats(self) -> str:
        return "Only the poison record was given up on; its batch metadata is waiting in order-failures."

    def _create(self, **extra: Any) -> None:
        lam = self.lab.client("lambda")
        sqs = self.lab.client("sqs")
        queue_arn = sqs.get_queue_attributes(
            QueueUrl=sqs.get_queue_url(QueueName=FAILURES)["QueueUrl"], AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        old = _mapping(self.lab, PROCESSOR, self._stream_arn())
        if old:
            lam.delete_event_source_mapping(UUID=old["UUID"])
            self.lab.advance(1)
        lam.create_event_source_mapping(
            FunctionName=PROCESSOR,
            EventSourceArn=self._stream_arn(),
            StartingPosition="TRIM_HORIZON",
            DestinationConfig={"OnFailure": {"Destination": queue_arn}},
            **extra,
        )
        self.lab.run_until_idle(3600)

    def solve(self) -> None:
        self._create(MaximumRetryAttempts=2, BisectBatchOnFunctionError=True)

    def attempt_wrong(self) -> bool:
        self._create(MaximumRetryAttempts=1)  # no bisect: the good orders of the batch go with the poison one
        return True


class ReadTableFromTheStart(Problem):
    """Have ``profile-auditor`` see the three profiles already written to the ``profiles`` table."""

    title = "Read a table stream from its start"
    _hint = (
        "The table's stream ARN is `LatestStreamArn` in `describe_table`. A mapping starting at `LATEST` only sees "
        "changes made after it started; the three profiles were written before. Which starting position reads from "
        "the oldest record?"
    )
    _solution = (
        "```python\n"
        'ddb = lab.client("dynamodb")\n'
        'stream_arn = ddb.describe_table(TableName="profiles")["Table"]["LatestStreamArn"]\n'
        'lam.create_event_source_mapping(FunctionName="profile-auditor", EventSourceArn=stream_arn,\n'
        '                                StartingPosition="TRIM_HORIZON")\n'
        "lab.run_until_idle()\n"
        "```"
    )

    def setup(self) -> None:
        ddb = self.lab.client("dynamodb")
        if TABLE not in ddb.list_tables()["TableNames"]:
            ddb.create_table(
                TableName=TABLE,
                KeySchema=[{"AttributeName": "user", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "user", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            )
            for user in ("ada", "grace", "linus"):
                ddb.put_item(TableName=TABLE, Item={"user": {"S": user}, "plan": {"S": "free"}})
        _function(self.lab, AUDITOR, AUDITOR_CODE)

    def _stream_arn(self) -> str:
        return str(self.lab.client("dynamodb").describe_table(TableName=TABLE)["Table"]["LatestStreamArn"])

    def _check(self) -> bool | str | None:
        found = _mapping(self.lab, AUDITOR, self._stream_arn())
        if found is None:
            return None
        if found.get("StartingPosition") == "LATEST":
            return (
                "The mapping starts at LATEST: it only sees changes made after it started, and the three profiles "
                "were written before. Delete it and start from the oldest record instead."
            )
        seen = sum(
            len(r.view(k.StreamCheckpoint)["seqs"])
            for r in self.lab.trace.where(k.STREAM_CHECKPOINT)
            if found["UUID"] in r.ids
        )
        if seen < 3:
            return f"profile-auditor has processed {seen} of the 3 records so far: run lab.run_until_idle()."
        return True

    def _congrats(self) -> str:
        return "profile-auditor processed the three INSERT records, and they are still in the stream for other readers."

    def _create(self, position: str) -> None:
        lam = self.lab.client("lambda")
        old = _mapping(self.lab, AUDITOR, self._stream_arn())
        if old:
            lam.delete_event_source_mapping(UUID=old["UUID"])
            self.lab.advance(1)
        lam.create_event_source_mapping(
            FunctionName=AUDITOR, EventSourceArn=self._stream_arn(), StartingPosition=position
        )
        self.lab.run_until_idle(3600)

    def solve(self) -> None:
        self._create("TRIM_HORIZON")

    def attempt_wrong(self) -> bool:
        self._create("LATEST")
        return True
