"""Exercises for ``05-sqs-event-source-mapping``: stop a poison message, report partial failures."""

from __future__ import annotations

import json
from typing import Any

from .. import trace_kinds as k
from ..packaging import zip_files
from . import _shared
from .core import Attempt, Problem

SQS_ROLE = "lambda-sqs-exec"
SQS_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"

POISON_FUNCTION = "order-worker"
POISON_QUEUE = "incoming-orders"
POISON_HANDLER = """def handler(event, context):
    for record in event["Records"]:
        if record["body"] == "poison":
            raise ValueError("cannot parse this order")
"""

PARTIAL_FUNCTION = "batch-worker"
PARTIAL_QUEUE = "batch-jobs"
PARTIAL_HANDLER = """def handler(event, context):
    failures = []
    for record in event["Records"]:
        if record["body"].startswith("bad"):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""


MAPPING_UUID = 'lam.list_event_source_mappings(FunctionName="batch-worker")["EventSourceMappings"][0]["UUID"]'
BACK_TO_THE_START = (
    f"lam.update_event_source_mapping(UUID={MAPPING_UUID}, BatchSize=10, FunctionResponseTypes=[], Enabled=True)\n"
    "lab.advance(1)"
)


#: takes a redrive back: no policy, the dead-letter queue (with the poison message) deleted, a new poison message
NO_REDRIVE = (
    'incoming_url = sqs.get_queue_url(QueueName="incoming-orders")["QueueUrl"]\n'
    'sqs.set_queue_attributes(QueueUrl=incoming_url, Attributes={"RedrivePolicy": ""})\n'
    "sqs.delete_queue(QueueUrl=dlq_url)\n"
    'sqs.send_message(QueueUrl=incoming_url, MessageBody="poison")'
)


def ensure_sqs_role(lab: Any) -> str:
    """An execution role that may read SQS queues (AWSLambdaSQSQueueExecutionRole)."""
    return _shared.ensure_role(lab, SQS_ROLE, policies=(SQS_POLICY_ARN,))


def _queue(lab: Any, name: str, attributes: dict[str, str] | None = None) -> tuple[str, str]:
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes or {})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return str(url), str(arn)


def _function_with_mapping(lab: Any, name: str, source: str, queue_arn: str) -> str:
    lam = lab.client("lambda")
    if not _shared.function_exists(lab, name):
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=ensure_sqs_role(lab),
            Handler="app.handler",
            Code={"ZipFile": zip_files({"app.py": source})},
        )
    found = lam.list_event_source_mappings(FunctionName=name, EventSourceArn=queue_arn)["EventSourceMappings"]
    if found:
        return str(found[0]["UUID"])
    uuid = str(lam.create_event_source_mapping(FunctionName=name, EventSourceArn=queue_arn, BatchSize=10)["UUID"])
    lab.advance(1)
    return uuid


class PoisonToDeadLetterQueue(Problem):
    """The queue ``incoming-orders`` holds a message its function can never process; give it a DLQ."""

    title = "Send the poison message to a dead-letter queue"
    _hint = (
        "A dead-letter queue belongs to the *source queue*, not to the function: create a second queue, then set "
        "the `RedrivePolicy` attribute of `incoming-orders` to JSON naming the DLQ's ARN (`deadLetterTargetArn`) and a "
        "`maxReceiveCount` of at most 5. check() then runs the clock and looks for the message in the DLQ."
    )
    _solution = (
        "```python\n"
        'incoming_url = sqs.get_queue_url(QueueName="incoming-orders")["QueueUrl"]\n'
        'dlq_url = sqs.create_queue(QueueName="incoming-orders-dlq")["QueueUrl"]\n'
        'dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]\n'
        "sqs.set_queue_attributes(QueueUrl=incoming_url, Attributes={\n"
        '    "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})})\n'
        "```"
    )

    mistakes = (
        Attempt(  # the function's DeadLetterConfig serves asynchronous invocations only
            'dlq_url, dlq_arn = make_queue(lab, "incoming-orders-dlq")\n'
            'lam.update_function_configuration(FunctionName="order-worker", DeadLetterConfig={"TargetArn": dlq_arn})',
            names="DeadLetterConfig",
            undo='lam.update_function_configuration(FunctionName="order-worker", DeadLetterConfig={"TargetArn": ""})',
        ),
        Attempt(
            'dlq_url, dlq_arn = make_queue(lab, "incoming-orders-dlq")\nsqs.set_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="incoming-orders")["QueueUrl"], Attributes={\n    "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1000})})',
            names="maxReceiveCount is 1000",
            undo='sqs.set_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="incoming-orders")["QueueUrl"], Attributes={"RedrivePolicy": ""})',
        ),
        Attempt(
            'dlq_url, dlq_arn = make_queue(lab, "incoming-orders-dlq")\nsqs.set_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="incoming-orders")["QueueUrl"], Attributes={\n    "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "10"})})',
            names="maxReceiveCount is 10",
            undo='sqs.set_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="incoming-orders")["QueueUrl"], Attributes={"RedrivePolicy": ""})',
        ),
    )
    correct_forms = (
        Attempt(
            'dlq_url, dlq_arn = make_queue(lab, "incoming-orders-dlq")\nsqs.set_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="incoming-orders")["QueueUrl"], Attributes={\n    "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})})',
            undo=NO_REDRIVE,
        ),
        Attempt(  # the DLQ's ARN built by hand, the policy's count as a number
            'dlq_url = sqs.create_queue(QueueName="poison-orders")["QueueUrl"]\n'
            'policy = {"maxReceiveCount": 1, "deadLetterTargetArn": lab.arn("sqs", "poison-orders")}\n'
            'sqs.set_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="incoming-orders")["QueueUrl"],\n'
            '                         Attributes={"RedrivePolicy": json.dumps(policy)})',
            undo=NO_REDRIVE,
        ),
    )

    def setup(self) -> None:
        url, arn = _queue(self.lab, POISON_QUEUE, {"VisibilityTimeout": "10"})
        _function_with_mapping(self.lab, POISON_FUNCTION, POISON_HANDLER, arn)
        sqs = self.lab.client("sqs")
        if not self.lab.trace.where(k.SQS_RECEIVE, POISON_FUNCTION):
            sqs.send_message(QueueUrl=url, MessageBody="poison")
            self.lab.advance(0)

    def _check(self) -> bool | str | None:
        sqs = self.lab.client("sqs")
        url, _ = _queue(self.lab, POISON_QUEUE)
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"]).get("Attributes", {})
        if "RedrivePolicy" not in attrs:
            dead_letter = (_shared.function_config(self.lab, POISON_FUNCTION) or {}).get("DeadLetterConfig") or {}
            if dead_letter.get("TargetArn"):
                return (
                    "order-worker has a DeadLetterConfig, but a function's dead-letter queue serves only asynchronous "
                    "invocations; the mapping invokes it synchronously, so the poison message never goes there. "
                    "Give the source queue incoming-orders a RedrivePolicy instead."
                )
            return None
        policy = json.loads(attrs["RedrivePolicy"])
        if int(policy.get("maxReceiveCount", 0)) > 5:
            return (
                f"maxReceiveCount is {policy['maxReceiveCount']}: the poison message would be retried that many "
                "times (every visibility timeout) before it moves. Use 5 or fewer."
            )
        if not self._wait_for_the_redrive(url, policy):
            return "The redrive policy is set, but the poison message has not reached that queue. Is its ARN right?"
        return True

    def _moved(self, policy: dict[str, Any]) -> bool:
        """Whether the poison message now sits in the dead-letter queue the policy names."""
        sqs = self.lab.client("sqs")
        try:
            url = sqs.get_queue_url(QueueName=str(policy.get("deadLetterTargetArn", "")).rsplit(":", 1)[-1])["QueueUrl"]
        except sqs.exceptions.QueueDoesNotExist:
            return False
        found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
        return any(m["Body"] == "poison" for m in found)

    def _wait_for_the_redrive(self, url: str, policy: dict[str, Any]) -> bool:
        """Run the clock one visibility timeout at a time, for at most as many receives as the policy allows
        (and one more): never longer, so that other exercises' messages cycle only that long meanwhile."""
        if self._moved(policy):
            return True
        attrs = self.lab.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
        step = max(1, int(attrs["Attributes"].get("VisibilityTimeout", "30")))
        waited = 0
        for _ in range(int(policy.get("maxReceiveCount", 0)) + 2):
            self.lab.advance(step)
            waited += step
            if self._moved(policy):
                break
        self._did(
            f"ran the clock {waited} s (one visibility timeout at a time) for the poison message to be received again"
        )
        return self._moved(policy)

    def _congrats(self) -> str:
        return "The poison message left `incoming-orders` for the dead-letter queue; the mapping is idle again."

    def solve(self) -> None:
        sqs = self.lab.client("sqs")
        url, _ = _queue(self.lab, POISON_QUEUE)
        _, dlq_arn = _queue(self.lab, "incoming-orders-dlq")
        sqs.set_queue_attributes(
            QueueUrl=url,
            Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})},
        )

    def attempt_wrong(self) -> bool:
        sqs = self.lab.client("sqs")
        url, _ = _queue(self.lab, POISON_QUEUE)
        _, dlq_arn = _queue(self.lab, "incoming-orders-dlq")
        sqs.set_queue_attributes(
            QueueUrl=url,
            Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1000})},
        )
        return True


class ReportBatchItemFailures(Problem):
    """``batch-worker`` answers with batchItemFailures, but its mapping ignores the answer."""

    title = "Retry only the messages that failed"
    _hint = (
        'The function already returns `{"batchItemFailures": [...]}`; Lambda reads that answer only when the '
        "mapping's `FunctionResponseTypes` contains `ReportBatchItemFailures`. Update the mapping "
        "(`update_event_source_mapping`) and let the lab's clock run one second for the update to settle."
    )
    _solution = (
        "```python\n"
        'uuid = lam.list_event_source_mappings(FunctionName="batch-worker")["EventSourceMappings"][0]["UUID"]\n'
        'lam.update_event_source_mapping(UUID=uuid, FunctionResponseTypes=["ReportBatchItemFailures"])\n'
        "lab.advance(1)\n"
        "```"
    )

    mistakes = (
        Attempt(
            'lam.update_event_source_mapping(UUID=lam.list_event_source_mappings(FunctionName="batch-worker")["EventSourceMappings"][0]["UUID"], BatchSize=1)\nlab.advance(1)',
            names="BatchSize is 1",
            undo='lam.update_event_source_mapping(UUID=lam.list_event_source_mappings(FunctionName="batch-worker")["EventSourceMappings"][0]["UUID"], BatchSize=10, FunctionResponseTypes=[], Enabled=True)\nlab.advance(1)',
        ),
        Attempt(  # the response type is right, but the mapping is switched off
            'lam.update_event_source_mapping(UUID=lam.list_event_source_mappings(FunctionName="batch-worker")["EventSourceMappings"][0]["UUID"], FunctionResponseTypes=["ReportBatchItemFailures"], '
            "Enabled=False)\nlab.advance(1)",
            names="it is disabled",
            undo='lam.update_event_source_mapping(UUID=lam.list_event_source_mappings(FunctionName="batch-worker")["EventSourceMappings"][0]["UUID"], BatchSize=10, FunctionResponseTypes=[], Enabled=True)\nlab.advance(1)',
        ),
        Attempt(  # a dead-letter queue on the source queue: failed batches still return whole
            'dlq_url, dlq_arn = make_queue(lab, "batch-jobs-dlq")\n'
            'sqs.set_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="batch-jobs")["QueueUrl"], Attributes={\n'
            '    "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})})',
            names="A dead-letter queue",
            undo='sqs.set_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="batch-jobs")["QueueUrl"], Attributes={"RedrivePolicy": ""})',
        ),
    )
    correct_forms = (
        Attempt(  # switched off, changed, switched on again
            f"lam.update_event_source_mapping(UUID={MAPPING_UUID}, Enabled=False)\n"
            "lab.advance(1)\n"
            f'lam.update_event_source_mapping(UUID={MAPPING_UUID}, FunctionResponseTypes=["ReportBatchItemFailures"], '
            "Enabled=True)\nlab.advance(1)",
            undo=BACK_TO_THE_START,
        ),
        Attempt(
            'uuid = lam.list_event_source_mappings(FunctionName="batch-worker")["EventSourceMappings"][0]["UUID"]\n'
            'lam.update_event_source_mapping(UUID=uuid, BatchSize=5, FunctionResponseTypes=["ReportBatchItemFailures"])',
            undo='lam.update_event_source_mapping(UUID=lam.list_event_source_mappings(FunctionName="batch-worker")["EventSourceMappings"][0]["UUID"], BatchSize=10, FunctionResponseTypes=[], Enabled=True)\nlab.advance(1)',
        ),
    )

    def setup(self) -> None:
        _, arn = _queue(self.lab, PARTIAL_QUEUE, {"VisibilityTimeout": "10"})
        _function_with_mapping(self.lab, PARTIAL_FUNCTION, PARTIAL_HANDLER, arn)

    def _check(self) -> bool | str | None:
        lam, sqs = self.lab.client("lambda"), self.lab.client("sqs")
        url, arn = _queue(self.lab, PARTIAL_QUEUE)
        found = lam.list_event_source_mappings(FunctionName=PARTIAL_FUNCTION, EventSourceArn=arn)["EventSourceMappings"]
        if not found:
            return "batch-worker has no mapping on batch-jobs any more: run the setup cell again."
        mapping = found[0]
        if "ReportBatchItemFailures" not in mapping.get("FunctionResponseTypes", []):
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"]).get("Attributes", {})
            if attrs.get("RedrivePolicy"):
                return (
                    "A dead-letter queue on batch-jobs catches messages that keep failing, but a batch with one "
                    "failure still returns whole, good messages and all, until they too end in the DLQ. Add "
                    "ReportBatchItemFailures to the mapping's FunctionResponseTypes."
                )
            if mapping.get("BatchSize") == 1:
                return (
                    "BatchSize is 1: each message now fails alone, but every invocation carries one message, and "
                    "the batchItemFailures the function returns are still ignored. Keep the batch and add "
                    "ReportBatchItemFailures to the mapping's FunctionResponseTypes."
                )
            return None
        if mapping["State"] in ("Disabled", "Disabling"):
            return (
                "The mapping reports batch item failures now, but it is disabled (Enabled=False): it reads nothing "
                "from batch-jobs. Switch it on again with update_event_source_mapping(UUID=..., Enabled=True)."
            )
        if mapping["State"] != "Enabled":
            self.lab.advance(1)
            self._did("ran the clock 1 s for the mapping's update to settle")
        good, bad = (sqs.send_message(QueueUrl=url, MessageBody=b)["MessageId"] for b in ("good-check", "bad-check"))
        self.lab.advance(2)
        self._did("sent two messages to batch-jobs (good-check and bad-check) and ran the clock 2 s")
        deleted = {i for r in self.lab.trace.where(k.SQS_DELETED, PARTIAL_FUNCTION) for i in r.ids}
        returned = {i for r in self.lab.trace.where(k.SQS_RETURNED, PARTIAL_FUNCTION) for i in r.ids}
        if good not in deleted or bad not in returned:
            return "The mapping did not keep the good message apart from the bad one."
        return True

    def _congrats(self) -> str:
        return "The good message was deleted; only the bad one returned to the queue."

    def solve(self) -> None:
        lam = self.lab.client("lambda")
        _, arn = _queue(self.lab, PARTIAL_QUEUE)
        uuid = lam.list_event_source_mappings(FunctionName=PARTIAL_FUNCTION, EventSourceArn=arn)["EventSourceMappings"][
            0
        ]["UUID"]
        lam.update_event_source_mapping(UUID=uuid, FunctionResponseTypes=["ReportBatchItemFailures"])
        self.lab.advance(1)
