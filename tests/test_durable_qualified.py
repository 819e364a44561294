"""A durable function is invoked through a version, an alias or ``$LATEST``, never through its bare name or ARN.

AWS refuses an unqualified Invoke of a durable function at request time with ``InvalidParameterValueException``
(400), "You cannot invoke a durable function using an unqualified ARN.": an execution replays against the one
version it started on. A push source's invoke of the bare ARN fails the same way, and the event ends as any
event whose invoke failed: in the function's dead-letter queue.

https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking.html#durable-invoking-qualified-arns
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from durable_support import FLAKY, create_durable, live, sending_role

import lambdalab
from lambdalab.course import open_url_to_everyone

REFUSAL = ("InvalidParameterValueException", 400, "You cannot invoke a durable function using an unqualified ARN.")


@pytest.fixture(scope="module")
def role_arn(lab: lambdalab.Lab) -> str:
    """Checkpoints and logs (AWS's managed policy for durable functions), and sends to the dead-letter queue."""
    return sending_role(lab, "durable-qualified")


@pytest.fixture(scope="module")
def functions(lab: lambdalab.Lab, role_arn: str) -> Any:
    create_durable(lab, role_arn, "charge", FLAKY)
    live(lab, "charge")  # version 1, and the alias live pointing at it
    return lab.client("lambda")


def _refusal(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def _started(lab: lambdalab.Lab) -> int:
    return len(lab.trace.where("durable-started", "charge"))


@pytest.mark.parametrize("kind", ["RequestResponse", "Event", "DryRun"])
@pytest.mark.parametrize("name", ["charge", "arn:aws:lambda:us-east-1:123456789012:function:charge"])
def test_an_unqualified_invoke_is_refused_at_request_time(
    lab: lambdalab.Lab, functions: Any, kind: str, name: str
) -> None:
    before, since = _started(lab), lab.clock.t
    with pytest.raises(ClientError) as refused:
        functions.invoke(FunctionName=name, InvocationType=kind, Payload=b"{}")
    assert _refusal(refused) == REFUSAL
    assert (_started(lab), lab.clock.t) == (before, since)  # nothing started, no time passed


def test_an_unqualified_invoke_with_response_stream_is_refused_too(lab: lambdalab.Lab, functions: Any) -> None:
    with pytest.raises(ClientError) as refused:
        functions.invoke_with_response_stream(FunctionName="charge", Payload=b"{}")
    assert _refusal(refused) == REFUSAL


@pytest.mark.parametrize(
    ("name", "qualifier", "version"),
    [
        ("charge:1", None, "1"),
        ("charge:live", None, "1"),
        ("charge:$LATEST", None, "$LATEST"),
        ("arn:aws:lambda:us-east-1:123456789012:function:charge:live", None, "1"),
        ("charge", "live", "1"),  # the Qualifier parameter qualifies the name as well
    ],
)
def test_a_qualified_invoke_runs_the_execution_on_the_version_it_names(
    lab: lambdalab.Lab, functions: Any, name: str, qualifier: str | None, version: str
) -> None:
    extra = {"Qualifier": qualifier} if qualifier else {}
    answer = functions.invoke(FunctionName=name, Payload=b"{}", **extra)
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == "charged"
    assert answer["ExecutedVersion"] == version
    execution = functions.get_durable_execution(DurableExecutionArn=answer["DurableExecutionArn"])
    assert (execution["Status"], execution["Version"]) == ("SUCCEEDED", version)
    started = functions.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}", **extra)
    assert started["StatusCode"] == 202
    lab.run_until_idle()
    assert functions.get_durable_execution(DurableExecutionArn=started["DurableExecutionArn"])["Status"] == "SUCCEEDED"


def test_executions_are_listed_by_the_version_they_run(lab: lambdalab.Lab, functions: Any) -> None:
    versioned = functions.invoke(FunctionName="charge:live", InvocationType="Event", Payload=b"{}")
    latest = functions.invoke(FunctionName="charge:$LATEST", InvocationType="Event", Payload=b"{}")
    lab.run_until_idle()

    def listed(**qualifier: str) -> set[str]:
        found = functions.list_durable_executions_by_function(FunctionName="charge", **qualifier)
        return {e["DurableExecutionArn"] for e in found["DurableExecutions"]}

    assert listed(Qualifier="live") == listed(Qualifier="1")  # an alias lists its version's executions
    assert versioned["DurableExecutionArn"] in listed(Qualifier="live")
    assert latest["DurableExecutionArn"] not in listed(Qualifier="live")
    assert latest["DurableExecutionArn"] in listed()  # without a qualifier: $LATEST's executions
    assert versioned["DurableExecutionArn"] not in listed()
    assert listed() == listed(Qualifier="$LATEST")


def test_a_plain_function_is_still_invoked_by_its_bare_name(lab: lambdalab.Lab, role_arn: str) -> None:
    functions = lab.client("lambda")
    functions.create_function(
        FunctionName="plain-charge",
        Runtime="python3.13",
        Role=role_arn,
        Handler="app.handler",
        Code={"ZipFile": lambdalab.zip_files({"app.py": "def handler(event, context):\n    return 'ok'\n"})},
    )
    answer = functions.invoke(FunctionName="plain-charge", Payload=b"{}")
    assert json.loads(answer["Payload"].read()) == "ok"


def test_an_sns_push_to_the_bare_arn_fails_each_attempt_and_the_event_reaches_the_dead_letter_queue(
    lab: lambdalab.Lab, role_arn: str
) -> None:
    functions, sns, sqs = lab.client("lambda"), lab.client("sns"), lab.client("sqs")
    dlq_url = sqs.create_queue(QueueName="charge-dead-letters")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    create_durable(lab, role_arn, "charge-pushed", FLAKY, DeadLetterConfig={"TargetArn": dlq_arn})
    functions.put_function_event_invoke_config(FunctionName="charge-pushed", MaximumEventAgeInSeconds=60)
    topic = sns.create_topic(Name="charges")["TopicArn"]
    bare = functions.get_function(FunctionName="charge-pushed")["Configuration"]["FunctionArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=bare)
    functions.add_permission(
        FunctionName="charge-pushed",
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    sns.publish(TopicArn=topic, Message="charge o-1")
    lab.run_until_idle()
    attempts = lab.trace.where("async-attempt", "charge-pushed")
    assert attempts and {(a.detail["outcome"], a.detail["error"]) for a in attempts} == {
        ("system-error", f"{REFUSAL[0]}: {REFUSAL[2]}")
    }
    assert lab.trace.where("durable-started", "charge-pushed") == []  # the function never ran
    (dead,) = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    assert json.loads(dead["Body"])["Records"][0]["Sns"]["Message"] == "charge o-1"  # nothing lost
    assert dead["MessageAttributes"]["ErrorMessage"]["StringValue"] == f"{REFUSAL[0]}: {REFUSAL[2]}"


def test_a_function_url_on_the_bare_function_answers_bad_gateway_and_starts_nothing(
    lab: lambdalab.Lab, role_arn: str
) -> None:
    """AWS does not document a URL's answer here; the lab's URL answers as for any invoke Lambda refused."""
    functions = lab.client("lambda")
    create_durable(lab, role_arn, "charge-url", FLAKY)
    url = functions.create_function_url_config(FunctionName="charge-url", AuthType="NONE")["FunctionUrl"]
    open_url_to_everyone(lab, "charge-url")
    assert requests.get(url, timeout=30).status_code == 502
    assert lab.trace.where("durable-started", "charge-url") == []
    assert lab.trace.where("invoke", "charge-url") == []  # refused before the handler ran (not its own error)
