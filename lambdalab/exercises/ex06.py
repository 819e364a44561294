"""Exercises for ``06-streams``: a poison record sent aside, a table stream read from its start.

Error handling of stream mappings: https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html;
starting positions: https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
"""

from __future__ import annotations

from typing import Any

from .. import trace_kinds as k
from . import _shared
from .core import Attempt, NextStep, Problem

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


#: the lines an attempt starts with: the ARNs the mapping needs
ARNS = (
    'stream_arn = kin.describe_stream(StreamName="orders")["StreamDescription"]["StreamARN"]\n'
    'queue_arn = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="order-failures")["QueueUrl"],\n'
    '                                     AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]\n'
)
TABLE_STREAM = (
    'table_stream = lab.client("dynamodb").describe_table(TableName="profiles")["Table"]["LatestStreamArn"]\n'
)
NO_PROCESSOR_MAPPING = (
    'for mapping in lam.list_event_source_mappings(FunctionName="order-processor")["EventSourceMappings"]:\n'
    '    lam.delete_event_source_mapping(UUID=mapping["UUID"])\n'
    "lab.advance(1)"
)
NO_TABLE_MAPPING = (
    TABLE_STREAM
    + "for mapping in lam.list_event_source_mappings(EventSourceArn=table_stream)['EventSourceMappings']:\n"
    '    lam.delete_event_source_mapping(UUID=mapping["UUID"])\n'
    "lab.advance(1)"
)


def _poison_mapping(settings: str, run: bool = True) -> str:
    """An attempt: a mapping of order-processor on the orders stream with these settings (then the clock runs)."""
    return (
        ARNS
        + 'lam.create_event_source_mapping(FunctionName="order-processor", EventSourceArn=stream_arn, '
        + f"{settings})"
        + ("\nlab.run_until_idle()" if run else "")
    )


def _table_mapping(settings: str, function: str = "profile-auditor") -> str:
    return (
        TABLE_STREAM
        + f'lam.create_event_source_mapping(FunctionName="{function}", EventSourceArn=table_stream, {settings})\n'
        + "lab.run_until_idle()"
    )


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

    mistakes = (
        Attempt(
            _poison_mapping('StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=2, BisectBatchOnFunctionError=True'),
            names="no on-failure destination",
            undo=NO_PROCESSOR_MAPPING,
        ),
        Attempt(  # judged on its settings: run, it would retry the poison batch for a day
            _poison_mapping(
                'StartingPosition="TRIM_HORIZON", BisectBatchOnFunctionError=True,\n'
                '    DestinationConfig={"OnFailure": {"Destination": queue_arn}}',
                run=False,
            ),
            names="Set a retry limit",
            undo=NO_PROCESSOR_MAPPING,
        ),
        Attempt(
            _poison_mapping(
                'StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=1,\n'
                '    DestinationConfig={"OnFailure": {"Destination": queue_arn}}'
            ),
            names="good orders went with it",
            undo=NO_PROCESSOR_MAPPING,
        ),
        Attempt(
            _poison_mapping(
                'StartingPosition="LATEST", MaximumRetryAttempts=2, BisectBatchOnFunctionError=True,\n'
                '    DestinationConfig={"OnFailure": {"Destination": queue_arn}}'
            ),
            names="starts at LATEST",
            undo=NO_PROCESSOR_MAPPING,
        ),
    )
    correct_forms = (
        Attempt(
            _poison_mapping(
                'StartingPosition="TRIM_HORIZON", BatchSize=2, MaximumRetryAttempts=5, BisectBatchOnFunctionError=True,\n'
                '    DestinationConfig={"OnFailure": {"Destination": queue_arn}}'
            ),
            undo=NO_PROCESSOR_MAPPING,
        ),
        Attempt(  # created switched off, then configured and switched on
            ARNS + 'uuid = lam.create_event_source_mapping(FunctionName="order-processor", EventSourceArn=stream_arn,\n'
            '                                        StartingPosition="TRIM_HORIZON", Enabled=False)["UUID"]\n'
            "lab.advance(1)\n"
            "lam.update_event_source_mapping(UUID=uuid, MaximumRetryAttempts=0, BisectBatchOnFunctionError=True,\n"
            '    DestinationConfig={"OnFailure": {"Destination": queue_arn}}, Enabled=True)\n'
            "lab.run_until_idle()",
            undo=NO_PROCESSOR_MAPPING,
        ),
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
        if found.get("StartingPosition") == "LATEST":
            return (
                "The mapping starts at LATEST: it reads only records written after it started, so the orders "
                "already in the stream (the poison one among them) are never read. Start at TRIM_HORIZON."
            )
        uuid = found["UUID"]
        dropped = [r for r in self.lab.trace.where(k.STREAM_DISCARD) if uuid in r.ids]
        if not dropped:
            return NextStep("The mapping is set: run lab.run_until_idle() so that it reaches the poison record.")
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

    mistakes = (
        Attempt(_table_mapping('StartingPosition="LATEST"'), names="starts at LATEST", undo=NO_TABLE_MAPPING),
        Attempt(
            _table_mapping('StartingPosition="TRIM_HORIZON", Enabled=False'), names="disabled", undo=NO_TABLE_MAPPING
        ),
        Attempt(  # the other exercise's function
            TABLE_STREAM
            + 'lam.create_event_source_mapping(FunctionName="order-processor", EventSourceArn=table_stream, '
            'StartingPosition="TRIM_HORIZON")',
            names="not profile-auditor",
            undo=NO_TABLE_MAPPING,
        ),
    )
    correct_forms = (
        Attempt(_table_mapping('StartingPosition="TRIM_HORIZON", BatchSize=1'), undo=NO_TABLE_MAPPING),
        Attempt(  # created switched off, then switched on
            TABLE_STREAM
            + 'uuid = lam.create_event_source_mapping(FunctionName="profile-auditor", EventSourceArn=table_stream,\n'
            '                                        StartingPosition="TRIM_HORIZON", Enabled=False)["UUID"]\n'
            "lab.advance(1)\n"
            "lam.update_event_source_mapping(UUID=uuid, Enabled=True)\n"
            "lab.run_until_idle()",
            undo=NO_TABLE_MAPPING,
        ),
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
            others = self.lab.client("lambda").list_event_source_mappings(EventSourceArn=self._stream_arn())
            for mapping in others["EventSourceMappings"]:
                function = str(mapping["FunctionArn"]).rsplit(":", 1)[-1]
                return f"The mapping on the profiles stream invokes {function}, not profile-auditor."
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
        if seen < 3 and found.get("State") in ("Disabled", "Disabling"):
            return (
                f"The mapping is disabled (Enabled=False), so profile-auditor has processed {seen} of the 3 records. "
                "Enable it (update_event_source_mapping(UUID=..., Enabled=True)) and run the clock."
            )
        if seen < 3:
            return NextStep(f"profile-auditor has processed {seen} of the 3 records so far: run lab.run_until_idle().")
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
