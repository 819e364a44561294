"""SNS, S3 and EventBridge invoke functions asynchronously, in AWS's event shapes, only when
the function's policy lets their service principal do so for that source (functions on the FakeRuntime)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support import create_python

import lambdalab

ACCOUNT = "123456789012"
pytestmark = pytest.mark.fake_runtime


def RECORD(event: Any, context: Any) -> str:
    return "ok"


def FAILING(event: Any, context: Any) -> None:
    raise ValueError("no")


@pytest.fixture(scope="module")
def fn(lab: lambdalab.Lab, role_arn: str) -> tuple[str, str]:
    name = create_python(lab, role_arn, RECORD, FunctionName="recorder")
    return name, lab.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def received(lab: lambdalab.Lab, name: str, since: int) -> list[Any]:
    lab.run_until_idle()
    pushes = [r for r in lab.trace.where("push", name)][since:]
    return [lab.pushed_events[r.ids[0]] for r in pushes]


def pushes(lab: lambdalab.Lab, name: str) -> int:
    return len(lab.trace.where("push", name))


# -- SNS ----------------------------------------------------------------------------------
def test_sns_delivers_only_with_permission_for_the_topic(lab: lambdalab.Lab, fn: tuple[str, str]) -> None:
    name, arn = fn
    sns = lab.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    other = sns.create_topic(Name="other")["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)["SubscriptionArn"]
    sns.subscribe(TopicArn=other, Protocol="lambda", Endpoint=arn)
    # WHEN there is no statement THEN the delivery is refused and the trace says why
    sns.publish(TopicArn=topic, Message="nobody may")
    denied = lab.trace.where("invoke-denied", name)[-1]
    assert denied.detail["source"] == "sns" and "does not allow sns.amazonaws.com" in denied.detail["reason"]
    # WHEN SNS may invoke for this topic THEN that topic delivers, the other does not
    lab.client("lambda").add_permission(
        FunctionName=name,
        StatementId="sns-orders",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    before = pushes(lab, name)
    sns.publish(
        TopicArn=topic,
        Message="hello",
        Subject="greeting",
        MessageAttributes={"colour": {"DataType": "String", "StringValue": "blue"}},
    )
    sns.publish(TopicArn=other, Message="not for you")
    assert lab.trace.where("invoke-denied", name)[-1].detail["source_arn"] == other
    (event,) = received(lab, name, before)
    (record,) = event["Records"]
    assert record["EventSource"] == "aws:sns" and record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == sub
    assert list(record["Sns"]) == [
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertUrl",
        "UnsubscribeUrl",
        "MessageAttributes",
    ]
    sns_part = record["Sns"]
    assert (sns_part["Type"], sns_part["TopicArn"], sns_part["Subject"], sns_part["Message"]) == (
        "Notification",
        topic,
        "greeting",
        "hello",
    )
    assert sns_part["MessageAttributes"] == {"colour": {"Type": "String", "Value": "blue"}}
    assert sns_part["Timestamp"] == lab.clock.now.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_sns_filter_policy_decides_what_is_delivered(lab: lambdalab.Lab, fn: tuple[str, str]) -> None:
    name, arn = fn
    sns = lab.client("sns")
    topic = sns.create_topic(Name="filtered")["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="lambda", Endpoint=arn, Attributes={"FilterPolicy": json.dumps({"colour": ["red"]})}
    )
    lab.client("lambda").add_permission(
        FunctionName=name,
        StatementId="sns-filtered",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    before = pushes(lab, name)
    for colour in ("red", "blue"):
        sns.publish(
            TopicArn=topic, Message=colour, MessageAttributes={"colour": {"DataType": "String", "StringValue": colour}}
        )
    assert [e["Records"][0]["Sns"]["Message"] for e in received(lab, name, before)] == ["red"]


# -- S3 -----------------------------------------------------------------------------------
def notification(
    arn: str, events: list[str], prefix: str | None = None, suffix: str | None = None, ident: str = "n"
) -> dict:
    rules = [{"Name": k, "Value": v} for k, v in (("prefix", prefix), ("suffix", suffix)) if v]
    config: dict = {"Id": ident, "LambdaFunctionArn": arn, "Events": events}
    if rules:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    return {"LambdaFunctionConfigurations": [config]}


def test_s3_refuses_a_notification_the_policy_does_not_allow(lab: lambdalab.Lab, fn: tuple[str, str]) -> None:
    name, arn = fn
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="refused-bucket")
    with pytest.raises(ClientError) as err:
        s3.put_bucket_notification_configuration(
            Bucket="refused-bucket", NotificationConfiguration=notification(arn, ["s3:ObjectCreated:*"])
        )
    assert err.value.response["Error"]["Code"] == "InvalidArgument"
    assert err.value.response["Error"]["Message"] == "Unable to validate the following destination configurations"
    assert s3.get_bucket_notification_configuration(Bucket="refused-bucket").get("LambdaFunctionConfigurations") is None
    # a statement for another bucket does not help
    lab.client("lambda").add_permission(
        FunctionName=name,
        StatementId="s3-elsewhere",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::another-bucket",
    )
    with pytest.raises(ClientError):
        s3.put_bucket_notification_configuration(
            Bucket="refused-bucket", NotificationConfiguration=notification(arn, ["s3:ObjectCreated:*"])
        )


def test_s3_events_with_prefix_and_suffix_filters(lab: lambdalab.Lab, fn: tuple[str, str]) -> None:
    name, arn = fn
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="photos-bucket")
    lab.client("lambda").add_permission(
        FunctionName=name,
        StatementId="s3-photos",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::photos-bucket",
        SourceAccount=ACCOUNT,
    )
    config = notification(
        arn, ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], prefix="in/", suffix=".jpg", ident="jpg-in"
    )
    s3.put_bucket_notification_configuration(Bucket="photos-bucket", NotificationConfiguration=config)
    before = pushes(lab, name)
    s3.put_object(Bucket="photos-bucket", Key="in/cat photo.jpg", Body=b"12345")
    s3.put_object(Bucket="photos-bucket", Key="in/notes.txt", Body=b"x")
    s3.put_object(Bucket="photos-bucket", Key="out/dog.jpg", Body=b"x")
    s3.delete_object(Bucket="photos-bucket", Key="in/cat photo.jpg")
    put, deleted = [e["Records"][0] for e in received(lab, name, before)]
    assert (put["eventVersion"], put["eventSource"], put["eventName"]) == ("2.1", "aws:s3", "ObjectCreated:Put")
    assert put["s3"]["s3SchemaVersion"] == "1.0" and put["s3"]["configurationId"] == "jpg-in"
    assert put["s3"]["bucket"]["name"] == "photos-bucket" and put["s3"]["bucket"]["arn"] == "arn:aws:s3:::photos-bucket"
    assert set(put["s3"]["bucket"]["ownerIdentity"]) == {"principalId"}
    obj = put["s3"]["object"]
    assert obj["key"] == "in/cat+photo.jpg" and obj["size"] == 5 and obj["eTag"] == "827ccb0eea8a706c4c34a16891f84e7b"
    assert deleted["eventName"] == "ObjectRemoved:Delete" and set(deleted["s3"]["object"]) == {"key", "sequencer"}
    assert deleted["s3"]["object"]["sequencer"] > obj["sequencer"]
    assert put["eventTime"] == lab.clock.now.strftime("%Y-%m-%dT%H:%M:%S.000Z")


# -- EventBridge patterns --------------------------------------------------------------------
def test_eventbridge_rule_pattern_and_permission(lab: lambdalab.Lab, fn: tuple[str, str]) -> None:
    name, arn = fn
    ev = lab.client("events")
    rule = ev.put_rule(
        Name="orders-placed", EventPattern=json.dumps({"source": ["shop"], "detail-type": ["Order Placed"]})
    )["RuleArn"]
    ev.put_targets(Rule="orders-placed", Targets=[{"Id": "recorder", "Arn": arn}])
    entry = {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"orderId": "o-1"})}
    ev.put_events(Entries=[entry])
    assert lab.trace.where("invoke-denied", name)[-1].detail["source_arn"] == rule
    lab.client("lambda").add_permission(
        FunctionName=name,
        StatementId="events-orders",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule,
    )
    before = pushes(lab, name)
    event_id = ev.put_events(Entries=[entry, {**entry, "DetailType": "Order Cancelled"}])["Entries"][0]["EventId"]
    (event,) = received(lab, name, before)
    assert event == {
        "version": "0",
        "id": event_id,
        "detail-type": "Order Placed",
        "source": "shop",
        "account": ACCOUNT,
        "time": lab.clock.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": {"orderId": "o-1"},
    }


def test_push_invocations_go_through_the_async_queue_with_retries(lab: lambdalab.Lab, role_arn: str) -> None:
    failing = create_python(lab, role_arn, FAILING)
    arn = lab.client("lambda").get_function(FunctionName=failing)["Configuration"]["FunctionArn"]
    sns = lab.client("sns")
    topic = sns.create_topic(Name="retries")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    lab.client("lambda").add_permission(
        FunctionName=failing,
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    start = lab.clock.t
    sns.publish(TopicArn=topic, Message="x")
    lab.run_until_idle()
    assert [r.t - start for r in lab.trace.where("async-attempt", failing)] == [0.0, 60.0, 180.0]
