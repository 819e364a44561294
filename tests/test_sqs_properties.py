"""Property: whatever the messages, batch sizes, windows and failures, every message ends
processed or in the dead-letter queue, nothing is lost, and FIFO keeps each group's order."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqs_support import sqs_role
from support import create_python

import lambdalab

pytestmark = pytest.mark.fake_runtime


# Each body says how many receives of it fail: {"g": group, "n": index, "fail": k}
def RAISE(event: Any, context: Any) -> None:
    for r in event["Records"]:
        if int(r["attributes"]["ApproximateReceiveCount"]) <= json.loads(r["body"])["fail"]:
            raise ValueError("failing " + r["body"])


def PARTIAL(event: Any, context: Any) -> dict[str, Any]:
    failed, blocked = [], set()
    for r in event["Records"]:
        body = json.loads(r["body"])
        group = r["attributes"].get("MessageGroupId")
        if (group is not None and group in blocked) or int(r["attributes"]["ApproximateReceiveCount"]) <= body["fail"]:
            failed.append({"itemIdentifier": r["messageId"]})
            if group is not None:
                blocked.add(group)  # FIFO: everything after a failure in its group must come back too
    return {"batchItemFailures": failed}


MAX_RECEIVE = 3
_names = itertools.count()


@pytest.fixture(scope="module")
def functions(lab: lambdalab.Lab) -> dict[str, str]:
    role = sqs_role(lab, "sqs-property-role")
    return {
        "raise": create_python(lab, role, RAISE, FunctionName="prop-raise", Timeout=3),
        "partial": create_python(lab, role, PARTIAL, FunctionName="prop-partial", Timeout=3),
    }


messages = st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 4)), min_size=1, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    msgs=messages,
    fifo=st.booleans(),
    mode=st.sampled_from(["raise", "partial"]),
    batch_size=st.integers(1, 10),
    window=st.sampled_from([0, 0, 1, 3]),
    visibility=st.sampled_from([5, 10, 30]),
)
def test_every_message_ends_processed_or_in_the_dlq(
    lab: lambdalab.Lab,
    functions: dict[str, str],
    msgs: list[tuple[str, int]],
    fifo: bool,
    mode: str,
    batch_size: int,
    window: int,
    visibility: int,
) -> None:
    sqs, lam = lab.client("sqs"), lab.client("lambda")
    n = next(_names)
    suffix = ".fifo" if fifo else ""
    fifo_attrs = {"FifoQueue": "true"} if fifo else {}
    dlq_url = sqs.create_queue(QueueName=f"prop-dlq-{n}{suffix}", Attributes=fifo_attrs)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attrs = {
        "VisibilityTimeout": str(visibility),
        **fifo_attrs,
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE}),
    }
    url = sqs.create_queue(QueueName=f"prop-{n}{suffix}", Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    uuid = lam.create_event_source_mapping(
        FunctionName=functions[mode],
        EventSourceArn=arn,
        BatchSize=batch_size,
        MaximumBatchingWindowInSeconds=0 if fifo else window,
        FunctionResponseTypes=["ReportBatchItemFailures"] if mode == "partial" else [],
    )["UUID"]
    sent: dict[str, tuple[str, int]] = {}
    for i, (group, fail) in enumerate(msgs):
        body = json.dumps({"g": group, "n": i, "fail": fail})
        extra = {"MessageGroupId": group, "MessageDeduplicationId": f"{n}-{i}"} if fifo else {}
        sent[sqs.send_message(QueueUrl=url, MessageBody=body, **extra)["MessageId"]] = (group, i)

    lab.run_until_idle(20_000)

    mine = [r for r in lab.trace if r.detail.get("mapping") == uuid]
    deleted = [i for r in mine if r.kind == "sqs-deleted" for i in r.ids]
    redriven = [i for r in mine if r.kind == "sqs-redrive" for i in r.ids]
    # nothing lost, nothing twice: each message is processed once or dead-lettered once
    assert sorted(deleted + redriven) == sorted(sent)
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (left["ApproximateNumberOfMessages"], left["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
    # with partial responses only a message that itself failed maxReceiveCount times is dead-lettered
    # (when the whole batch fails, innocent messages in it are received, and may be dead-lettered, too)
    if mode == "partial" and not fifo:
        assert all(msgs[sent[m][1]][1] >= MAX_RECEIVE for m in redriven)
        assert all(msgs[sent[m][1]][1] < MAX_RECEIVE for m in deleted)
    if fifo:
        for group in "ABC":
            order = [sent[m][1] for m in deleted if sent[m][0] == group]
            assert order == sorted(order), f"group {group} processed out of order: {order}"
    lam.delete_event_source_mapping(UUID=uuid)
    lab.advance(1)
