"""Helpers for the asynchronous invoke tests: a function whose role may deliver anywhere,
queues and topics to deliver to, and what ended up in them."""

from __future__ import annotations

import json
from typing import Any

from support import LAMBDA_TRUST, Handler, create_python, unique

import lambdalab
from lambdalab.runtime import FakeContext, FakeRuntime

#: fails with ``ValueError("boom <n>")`` when the event says ``fail``, answers ``{"ok": n}`` otherwise
HANDLER = """
import json
def handler(event, context):
    if event.get("fail"):
        raise ValueError("boom " + str(event.get("n", "")))
    return {"ok": event.get("n")}
"""


def handler(event: dict[str, Any], context: FakeContext) -> dict[str, Any]:
    """HANDLER as a callable (for a lab on the FakeRuntime)."""
    if event.get("fail"):
        raise ValueError("boom " + str(event.get("n", "")))
    return {"ok": event.get("n")}


#: an execution-role policy that may deliver to every kind of destination
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["sqs:SendMessage", "sns:Publish", "lambda:InvokeFunction", "events:PutEvents", "s3:PutObject"],
            "Resource": "*",
        }
    ],
}


def make_function(
    lab: lambdalab.Lab, *, policy: dict[str, Any] | None = ALLOW_ALL, code: str | Handler | None = None, **kw: Any
) -> str:
    """A function with its own role (carrying ``policy`` inline, if any) running ``code``; its name.

    By default ``code`` is HANDLER: its source, or :func:`handler` on a FakeRuntime lab.
    """
    name = unique("async-fn")
    iam = lab.client("iam")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    if policy:
        iam.put_role_policy(RoleName=f"{name}-role", PolicyName="deliver", PolicyDocument=json.dumps(policy))
    if code is None:
        code = handler if isinstance(lab.runtime, FakeRuntime) else HANDLER
    return create_python(lab, role, code, FunctionName=name, **kw)


def make_queue(lab: lambdalab.Lab, name: str) -> tuple[str, str]:
    """(url, ARN) of a new standard queue."""
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return str(url), str(arn)


def topic_to_queue(lab: lambdalab.Lab, name: str) -> tuple[str, str]:
    """(topic ARN, url of a queue subscribed to it with raw delivery)."""
    url, queue_arn = make_queue(lab, f"{name}-sub")
    topic = lab.client("sns").create_topic(Name=name)["TopicArn"]
    lab.client("sns").subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    return str(topic), url


def drain(lab: lambdalab.Lab, url: str) -> list[dict[str, Any]]:
    """Receive and delete every message of a queue (with its attributes)."""
    sqs = lab.client("sqs")
    out: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
            "Messages", []
        )
        if not got:
            return out
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        out.extend(got)


def queue_bodies(lab: lambdalab.Lab, name: str) -> list[str]:
    """Every stored message body of a queue, in order, without receiving (ReceiveMessage is O(n) a call)."""
    from lambdalab.aws.moto_sqs import MotoSqs

    return MotoSqs(lab.account_id).bodies(lab.arn("sqs", name))


def invoke_event(lab: lambdalab.Lab, name: str, event: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """An ``InvocationType=Event`` invoke of ``name`` with ``event``; the Invoke answer."""
    answer: dict[str, Any] = lab.client("lambda").invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps(event).encode(), **kw
    )
    return answer


def request_id(answer: dict[str, Any]) -> str:
    """The request id of an Invoke answer."""
    return str(answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])


def attempt_times(lab: lambdalab.Lab, request: str) -> list[float]:
    """When (virtual seconds) each attempt of one asynchronous request started."""
    return [r.t for r in lab.trace.where("async-attempt") if r.ids == (request,)]
