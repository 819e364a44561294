"""Helpers for the stream mapping tests: a role, a stream, a function that fails on poison."""

from __future__ import annotations

import base64
import json
from typing import Any

from support import LAMBDA_TRUST, Handler, create_python, unique

import lambdalab

#: a handler driven by the records themselves: data containing "poison" fails
#: (raises, or is reported as a batch item failure when MODE=partial)
HANDLER = """
import base64, json, os

def handler(event, context):
    failures = []
    for r in event.get("Records", []):
        if "kinesis" in r:
            body, seq = base64.b64decode(r["kinesis"]["data"]).decode(), r["kinesis"]["sequenceNumber"]
        else:
            body, seq = json.dumps(r["dynamodb"].get("NewImage", {})), r["dynamodb"]["SequenceNumber"]
        if "poison" in body:
            if os.environ.get("MODE") == "partial":
                failures.append({"itemIdentifier": seq})
            else:
                raise ValueError("poison " + seq)
    return {"batchItemFailures": failures}
"""


def handler(mode: str = "raise") -> Handler:
    """HANDLER as a callable, for a lab on the FakeRuntime (``mode`` instead of the MODE variable)."""

    def handle(event: Any, context: Any) -> dict[str, Any]:
        failures = []
        for r in event.get("Records", []):
            if "kinesis" in r:
                body, seq = base64.b64decode(r["kinesis"]["data"]).decode(), r["kinesis"]["sequenceNumber"]
            else:
                body, seq = json.dumps(r["dynamodb"].get("NewImage", {})), r["dynamodb"]["SequenceNumber"]
            if "poison" in body:
                if mode == "partial":
                    failures.append({"itemIdentifier": seq})
                else:
                    raise ValueError("poison " + seq)
        return {"batchItemFailures": failures}

    return handle


def stream_role(lab: lambdalab.Lab, name: str = "stream-reader", destinations: bool = True) -> str:
    iam = lab.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    for policy in ("AWSLambdaKinesisExecutionRole", "AWSLambdaDynamoDBExecutionRole"):
        iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/service-role/{policy}")
    if destinations:
        doc = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["sqs:SendMessage", "sns:Publish", "s3:PutObject"], "Resource": "*"}
            ],
        }
        iam.put_role_policy(RoleName=name, PolicyName="destinations", PolicyDocument=json.dumps(doc))
    return str(arn)


def kinesis_stream(lab: lambdalab.Lab, shards: int = 1) -> tuple[str, str]:
    name = unique("stream")
    kin = lab.client("kinesis")
    kin.create_stream(StreamName=name, ShardCount=shards)
    return name, str(kin.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"])


def put(lab: lambdalab.Lab, stream: str, items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Put (partition key, data) records; returns (shard, sequence number) of each."""
    kin = lab.client("kinesis")
    out = []
    for key, data in items:
        answer = kin.put_record(StreamName=stream, PartitionKey=key, Data=data.encode())
        out.append((answer["ShardId"], answer["SequenceNumber"]))
    return out


def queue(lab: lambdalab.Lab) -> tuple[str, str]:
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName=unique("failures"))["QueueUrl"]
    return url, str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def messages(lab: lambdalab.Lab, url: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        got = lab.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return out
        out.extend(json.loads(m["Body"]) for m in got)


def function(lab: lambdalab.Lab, role: str, mode: str = "raise", source: str | Handler | None = None) -> str:
    """A function failing on poison records: HANDLER as source code, or :func:`handler` on a FakeRuntime lab."""
    if source is None:
        from lambdalab.runtime import FakeRuntime

        source = handler(mode) if isinstance(lab.runtime, FakeRuntime) else HANDLER
    return create_python(lab, role, source, Environment={"Variables": {"MODE": mode}})


def mapping(lab: lambdalab.Lab, fn: str, arn: str, **settings: Any) -> tuple[str, float]:
    """Create a mapping (TRIM_HORIZON unless told); returns its UUID and the creation time."""
    settings.setdefault("StartingPosition", "TRIM_HORIZON")
    t0 = lab.clock.t
    uuid = lab.client("lambda").create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, **settings)["UUID"]
    return str(uuid), t0


def batches(lab: lambdalab.Lab, uuid: str, t0: float = 0.0) -> list[tuple[float, str, list[str], str]]:
    """(time since t0, shard, seqs, outcome) of every invocation of a mapping."""
    return [
        (r.t - t0, r.detail["shard"], list(r.detail["seqs"]), r.detail["outcome"])
        for r in lab.trace.where("stream-batch")
        if uuid in r.ids
    ]


def events(lab: lambdalab.Lab, uuid: str, kind: str, t0: float = 0.0) -> list[tuple[float, dict[str, Any]]]:
    return [(r.t - t0, dict(r.detail)) for r in lab.trace.where(kind) if uuid in r.ids]
