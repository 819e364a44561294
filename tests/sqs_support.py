"""Helpers for the SQS mapping tests: a queue (with a DLQ), a function and an enabled mapping."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from support import LAMBDA_TRUST, Handler, create_python, unique

import lambdalab


def sqs_role(lab: lambdalab.Lab, name: str = "sqs-mapping-role") -> str:
    iam = lab.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    iam.attach_role_policy(
        RoleName=name, PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
    )
    return str(arn)


@dataclass
class Setup:
    lab: lambdalab.Lab
    function: str
    url: str
    arn: str
    uuid: str
    dlq_url: str | None = None
    start: float = 0.0

    def send(self, *bodies: str, **kwargs: Any) -> list[str]:
        sqs = self.lab.client("sqs")
        return [sqs.send_message(QueueUrl=self.url, MessageBody=b, **kwargs)["MessageId"] for b in bodies]

    def send_fifo(self, group: str, *bodies: str) -> list[str]:
        sqs = self.lab.client("sqs")
        return [
            sqs.send_message(
                QueueUrl=self.url, MessageBody=b, MessageGroupId=group, MessageDeduplicationId=f"{group}-{b}"
            )["MessageId"]
            for b in bodies
        ]

    def events(self, *kinds: str) -> list[tuple[float, str, tuple[str, ...]]]:
        """(t since setup, kind, ids) for this mapping's records of the given kinds."""
        return [
            (round(r.t - self.start, 3), r.kind, r.ids)
            for r in self.lab.trace
            if r.kind in kinds and r.detail.get("mapping") == self.uuid
        ]

    def records(self, kind: str) -> list[Any]:
        return [r for r in self.lab.trace if r.kind == kind and r.detail.get("mapping") == self.uuid]

    def waiting(self) -> int:
        attrs = self.lab.client("sqs").get_queue_attributes(QueueUrl=self.url, AttributeNames=["All"])["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def dlq_bodies(self) -> list[str]:
        assert self.dlq_url
        got = self.lab.client("sqs").receive_message(QueueUrl=self.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return sorted(m["Body"] for m in got.get("Messages", []))


def setup(
    lab: lambdalab.Lab,
    role: str,
    source: str | Handler,
    *,
    fifo: bool = False,
    visibility: int = 30,
    max_receive: int | None = None,
    function_timeout: int = 3,
    reserved: int | None = None,
    **mapping: Any,
) -> Setup:
    sqs, lam = lab.client("sqs"), lab.client("lambda")
    name = unique("q") + (".fifo" if fifo else "")
    attrs: dict[str, str] = {"VisibilityTimeout": str(visibility)}
    if fifo:
        attrs["FifoQueue"] = "true"
    dlq_url = None
    if max_receive is not None:
        dlq_name = unique("dlq") + (".fifo" if fifo else "")
        dlq_url = sqs.create_queue(QueueName=dlq_name, Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive})
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    fn = create_python(lab, role, source, Timeout=function_timeout)
    if reserved is not None:
        lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=reserved)
    uuid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, **mapping)["UUID"]
    lab.advance(1)
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
    return Setup(lab, fn, url, arn, uuid, dlq_url, lab.clock.t)


def OK(event: Any, context: Any) -> None:
    return None


def FAIL(event: Any, context: Any) -> None:
    raise ValueError("always fails")
