"""The mapping resource itself: states, conflicts, role checks (with a recording source engine).

The recorder is the SQS engine's declarations (which ARNs, which texts) with a log
instead of pollers: the mapping service asks whatever engine is registered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support import LAMBDA_TRUST, create_python, unique

import lambdalab
from lambdalab.aws.event_source_mappings import Mapping
from lambdalab.engines import unavailable_sources
from lambdalab.engines.sqs_engine import SqsEngine


class Recorder(SqsEngine):
    def __init__(self) -> None:  # no pollers: nothing of the engine's own state is used
        self.log: list[tuple[str, str]] = []

    def settings(self, source_arn: str, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        out = dict(current or {"BatchSize": 10, "MaximumBatchingWindowInSeconds": 0})
        out.update({k: body[k] for k in ("BatchSize",) if k in body})
        return out

    def start(self, mapping: Mapping) -> None:
        self.log.append(("start", mapping.uuid))

    def stop(self, mapping: Mapping) -> None:
        self.log.append(("stop", mapping.uuid))

    def check_destination(self, role_arn: str, settings: dict[str, Any]) -> None:
        pass

    def check_function(self, source_arn: str, function_timeout: int) -> None:
        pass


@pytest.fixture()
def recorder(lab: lambdalab.Lab) -> Recorder:
    engine = Recorder()
    lab.mappings.add_engine(engine)
    return engine


@pytest.fixture(scope="module")
def sqs_role(lab: lambdalab.Lab) -> str:
    iam = lab.client("iam")
    arn = iam.create_role(RoleName="sqs-reader", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    iam.attach_role_policy(
        RoleName="sqs-reader", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
    )
    return str(arn)


def _queue(lab: lambdalab.Lab) -> str:
    url = lab.client("sqs").create_queue(QueueName=unique("q"))["QueueUrl"]
    return str(
        lab.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    )


def test_states_from_creating_to_deleted(lab: lambdalab.Lab, sqs_role: str, recorder: Recorder) -> None:
    lam = lab.client("lambda")
    fn = create_python(lab, sqs_role)
    created = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=_queue(lab), BatchSize=3)
    uuid = created["UUID"]
    assert (created["State"], created["StateTransitionReason"], created["BatchSize"]) == (
        "Creating",
        "USER_INITIATED",
        3,
    )
    assert created["FunctionArn"] == lab.arn("lambda", f"function:{fn}")
    assert created["EventSourceMappingArn"] == lab.arn("lambda", f"event-source-mapping:{uuid}")
    lab.advance(1)
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
    assert recorder.log == [("start", uuid)]

    assert lam.update_event_source_mapping(UUID=uuid, Enabled=False)["State"] == "Disabling"
    assert recorder.log[-1] == ("stop", uuid)
    lab.advance(1)
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"

    assert lam.update_event_source_mapping(UUID=uuid, Enabled=True)["State"] == "Enabling"
    lab.advance(1)
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"

    assert lam.delete_event_source_mapping(UUID=uuid)["State"] == "Deleting"
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Deleting"
    lab.advance(1)
    with pytest.raises(ClientError) as exc:
        lam.get_event_source_mapping(UUID=uuid)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert recorder.log == [("start", uuid), ("stop", uuid), ("start", uuid), ("stop", uuid)]


def test_created_disabled_never_starts(lab: lambdalab.Lab, sqs_role: str, recorder: Recorder) -> None:
    lam = lab.client("lambda")
    uuid = lam.create_event_source_mapping(
        FunctionName=create_python(lab, sqs_role), EventSourceArn=_queue(lab), Enabled=False
    )["UUID"]
    lab.advance(5)
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
    assert recorder.log == []


def test_same_function_and_source_twice_conflicts(lab: lambdalab.Lab, sqs_role: str, recorder: Recorder) -> None:
    lam = lab.client("lambda")
    fn, queue = create_python(lab, sqs_role), _queue(lab)
    first = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=queue)["UUID"]
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=queue)
    assert exc.value.response["Error"]["Code"] == "ResourceConflictException"
    assert first in exc.value.response["Error"]["Message"]


def test_role_without_read_permissions_is_refused(lab: lambdalab.Lab, role_arn: str, recorder: Recorder) -> None:
    with pytest.raises(ClientError) as exc:
        lab.client("lambda").create_event_source_mapping(
            FunctionName=create_python(lab, role_arn), EventSourceArn=_queue(lab)
        )
    assert exc.value.response["Error"] == {
        "Code": "InvalidParameterValueException",
        "Message": "The function execution role does not have permissions to call ReceiveMessage on SQS",
    } | {k: v for k, v in exc.value.response["Error"].items() if k not in ("Code", "Message")}


def test_unknown_function(lab: lambdalab.Lab, recorder: Recorder) -> None:
    with pytest.raises(ClientError) as exc:
        lab.client("lambda").create_event_source_mapping(FunctionName="nope", EventSourceArn=_queue(lab))
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_unsupported_source(lab: lambdalab.Lab, sqs_role: str, recorder: Recorder) -> None:
    with pytest.raises(ClientError) as exc:
        lab.client("lambda").create_event_source_mapping(
            FunctionName=create_python(lab, sqs_role), EventSourceArn=lab.arn("sns", "topic")
        )
    assert exc.value.response["Error"]["Message"] == "Unsupported event source type"


def test_list_filters_by_function_and_source(lab: lambdalab.Lab, sqs_role: str, recorder: Recorder) -> None:
    lam = lab.client("lambda")
    fn, q1, q2 = create_python(lab, sqs_role), _queue(lab), _queue(lab)
    a = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=q1)["UUID"]
    b = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=q2)["UUID"]
    assert {m["UUID"] for m in lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"]} == {a, b}
    assert [m["UUID"] for m in lam.list_event_source_mappings(EventSourceArn=q2)["EventSourceMappings"]] == [b]
    pages = list(
        lam.get_paginator("list_event_source_mappings").paginate(FunctionName=fn, PaginationConfig={"PageSize": 1})
    )
    assert [len(p["EventSourceMappings"]) for p in pages] == [1, 1]


class BrokerRecorder:
    """A source the mapping service has never heard of: it declares itself, nothing else changes."""

    source_kind = "mq"
    read_actions: tuple[str, ...] = ()
    user_reason = "USER_INITIATED"
    unavailable = None

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []

    def accepts(self, source_arn: str) -> bool:
        return source_arn.split(":")[2] == "mq"

    def duplicate_message(self, source_arn: str, function_name: str, uuid: str) -> str:
        return f"broker {source_arn} already maps to {function_name} ({uuid})"

    def role_message(self, source_arn: str, action: str) -> str:
        return f"no {action}"

    def settings(self, source_arn: str, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        return {"BatchSize": int(body.get("BatchSize", 100))}

    def check_function(self, source_arn: str, function_timeout: int) -> None:
        pass

    def check_destination(self, role_arn: str, settings: dict[str, Any]) -> None:
        pass

    def start(self, mapping: Mapping) -> None:
        self.log.append(("start", mapping.uuid))

    def stop(self, mapping: Mapping) -> None:
        self.log.append(("stop", mapping.uuid))


@pytest.fixture()
def broker(lab: lambdalab.Lab) -> Iterator[BrokerRecorder]:
    engine = BrokerRecorder()
    lab.mappings.add_engine(engine)
    yield engine
    lab.mappings.add_engine(unavailable_sources.amazon_mq())  # the lab's own stand-in again


BROKER = "arn:aws:mq:us-east-1:123456789012:broker:orders:b-0123abcd-4567-89ef-0123-456789abcdef"


def test_a_source_the_lab_cannot_poll_says_so(lab: lambdalab.Lab, sqs_role: str) -> None:
    with pytest.raises(ClientError) as exc:
        lab.client("lambda").create_event_source_mapping(
            FunctionName=create_python(lab, sqs_role), EventSourceArn=BROKER
        )
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert exc.value.response["Error"]["Message"].startswith("The lab has no Amazon MQ broker to poll.")


def test_a_new_source_is_one_registration(lab: lambdalab.Lab, sqs_role: str, broker: BrokerRecorder) -> None:
    lam = lab.client("lambda")
    fn = create_python(lab, sqs_role)
    created = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=BROKER, BatchSize=5)
    assert (created["State"], created["StateTransitionReason"], created["BatchSize"]) == (
        "Creating",
        "USER_INITIATED",
        5,
    )
    assert lab.trace.where("mapping-created", fn)[-1].detail["source_kind"] == "mq"
    lab.advance(1)
    assert broker.log == [("start", created["UUID"])]
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=BROKER)
    assert exc.value.response["Error"]["Message"] == f"broker {BROKER} already maps to {fn} ({created['UUID']})"
