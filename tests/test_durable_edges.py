"""A durable function reached through a function URL, a streamed invoke or Lambda's asynchronous queue.

- A function URL (BUFFERED) is a synchronous Invoke ("Lambda invokes your function using the Invoke API
  operation", config-rs-invoke-furls): on a durable function's alias it starts an execution and waits for it, 15
  minutes at most, as a synchronous Invoke does (durable-invoking); the URL maps the result as any answer.
- A durable function's answer is not streamed: InvokeWithResponseStream is refused (400) and a RESPONSE_STREAM URL
  answers 502, before anything starts (AWS documents neither; the refusal's text is the lab's).
- "Durable functions support dead-letter queues (DLQ) for error handling, but do not support Lambda destinations"
  (durable-invoking): an asynchronous execution that ends FAILED, STOPPED or TIMED_OUT sends its event to the DLQ.

https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking.html
https://docs.aws.amazon.com/lambda/latest/dg/config-rs-invoke-furls.html
https://docs.aws.amazon.com/lambda/latest/dg/durable-best-practices.html
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

#: a step that fails once and for all (no retries): the execution FAILS
DECLINED = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import StepConfig
from aws_durable_execution_sdk_python.retries import RetryPresets

def charge(step_context):
    raise RuntimeError("card declined")

@durable_execution
def handler(event, context: DurableContext):
    return context.step(charge, name="charge", config=StepConfig(retry_strategy=RetryPresets.none()))
"""

#: waits a day before it answers: longer than any synchronous caller waits
SLOW = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration

@durable_execution
def handler(event, context: DurableContext):
    context.wait(Duration.from_days(1), name="overnight")
    return "done"
"""

#: waits for a callback that never comes (the execution is stopped)
WAITING = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution

@durable_execution
def handler(event, context: DurableContext):
    return context.create_callback(name="approval").result()
"""


@pytest.fixture(scope="module")
def role_arn(lab: lambdalab.Lab) -> str:
    """Checkpoints and logs (AWS's managed policy for durable functions), and sends to queues."""
    return sending_role(lab, "durable-edges")


def _url(lab: lambdalab.Lab, name: str, mode: str = "BUFFERED") -> str:
    """A function URL (AuthType NONE) on ``name``'s alias ``live``, open to everyone."""
    config = lab.client("lambda").create_function_url_config(
        FunctionName=name, Qualifier="live", AuthType="NONE", InvokeMode=mode
    )
    open_url_to_everyone(lab, name, "live")
    return str(config["FunctionUrl"])


def _executions(lab: lambdalab.Lab, name: str) -> list[dict[str, Any]]:
    found = lab.client("lambda").list_durable_executions_by_function(FunctionName=name, Qualifier="live")
    return list(found["DurableExecutions"])


def _queue(lab: lambdalab.Lab, name: str) -> tuple[str, str]:
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _messages(lab: lambdalab.Lab, url: str) -> list[dict[str, Any]]:
    sqs = lab.client("sqs")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return list(got.get("Messages", []))


# -- function URLs ----------------------------------------------------------------------------------------------
def test_a_url_on_the_alias_runs_the_execution_and_answers_its_result(lab: lambdalab.Lab, role_arn: str) -> None:
    create_durable(lab, role_arn, "charge-url-live", FLAKY)
    live(lab, "charge-url-live")
    url = _url(lab, "charge-url-live")
    since = lab.clock.t
    answer = requests.post(url, json={"order": "o-1"}, timeout=60)
    assert (answer.status_code, answer.json()) == (200, "charged")
    assert lab.clock.t - since == 15  # the SDK's two retries (5 s, then 10 s), waited for on the virtual clock
    (execution,) = _executions(lab, "charge-url-live")
    assert execution["Status"] == "SUCCEEDED"
    (started,) = lab.trace.where("durable-started", "charge-url-live")
    assert started.detail["how"] == "FunctionUrl"
    assert len(lab.trace.where("invoke", "charge-url-live")) == 3  # three invocations of the handler, one per try


def test_a_url_whose_execution_fails_answers_bad_gateway(lab: lambdalab.Lab, role_arn: str) -> None:
    create_durable(lab, role_arn, "declined-url", DECLINED)
    live(lab, "declined-url")
    answer = requests.get(_url(lab, "declined-url"), timeout=60)
    assert (answer.status_code, answer.json()) == (502, {"Message": "Internal Server Error"})
    (execution,) = _executions(lab, "declined-url")
    assert execution["Status"] == "FAILED"


def test_a_url_waits_fifteen_minutes_at_most_and_the_execution_goes_on(lab: lambdalab.Lab, role_arn: str) -> None:
    create_durable(lab, role_arn, "slow-url", SLOW)
    live(lab, "slow-url")
    answer = requests.get(_url(lab, "slow-url"), timeout=60)
    assert answer.status_code == 502  # the synchronous invoke's Sandbox.Timedout: a function error
    (execution,) = _executions(lab, "slow-url")
    assert execution["Status"] == "RUNNING"
    lab.run_until_idle()
    (execution,) = _executions(lab, "slow-url")
    assert execution["Status"] == "SUCCEEDED"


def test_a_streamed_url_is_refused_before_anything_starts(lab: lambdalab.Lab, role_arn: str) -> None:
    create_durable(lab, role_arn, "charge-url-stream", FLAKY)
    live(lab, "charge-url-stream")
    answer = requests.get(_url(lab, "charge-url-stream", "RESPONSE_STREAM"), timeout=60)
    assert answer.status_code == 502
    assert lab.trace.where("durable-started", "charge-url-stream") == []
    assert lab.trace.where("invoke", "charge-url-stream") == []  # the handler never ran


# -- InvokeWithResponseStream ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def streamed(lab: lambdalab.Lab, role_arn: str) -> Any:
    create_durable(lab, role_arn, "charge-streamed", FLAKY)
    live(lab, "charge-streamed")
    return lab.client("lambda")


@pytest.mark.parametrize("name", ["charge-streamed:live", "charge-streamed:1", "charge-streamed:$LATEST"])
def test_a_qualified_invoke_with_response_stream_is_refused(lab: lambdalab.Lab, streamed: Any, name: str) -> None:
    functions = streamed
    with pytest.raises(ClientError) as refused:
        functions.invoke_with_response_stream(FunctionName=name, Payload=b"{}")
    error = refused.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Message"]) == (
        "InvalidParameterValueException",
        400,
        "Response streaming is not supported for durable functions: invoke charge-streamed with Invoke, "
        "or through a function URL in BUFFERED mode.",
    )
    assert lab.trace.where("durable-started", "charge-streamed") == []
    assert lab.trace.where("invoke", "charge-streamed") == []


# -- asynchronous executions: the DLQ, no destinations -----------------------------------------------------------
@pytest.fixture(scope="module")
def declined(lab: lambdalab.Lab, role_arn: str) -> dict[str, str]:
    """DECLINED with a DLQ, and both destinations on its alias (they must stay empty)."""
    dlq_url, dlq_arn = _queue(lab, "declined-dead-letters")
    ok_url, ok_arn = _queue(lab, "declined-on-success")
    failed_url, failed_arn = _queue(lab, "declined-on-failure")
    create_durable(lab, role_arn, "declined", DECLINED, DeadLetterConfig={"TargetArn": dlq_arn})
    live(lab, "declined")
    lab.client("lambda").put_function_event_invoke_config(
        FunctionName="declined",
        Qualifier="live",
        DestinationConfig={"OnSuccess": {"Destination": ok_arn}, "OnFailure": {"Destination": failed_arn}},
    )
    return {"dlq": dlq_url, "ok": ok_url, "failed": failed_url}


def test_a_failed_asynchronous_execution_sends_its_event_to_the_dlq_once(
    lab: lambdalab.Lab, declined: dict[str, str]
) -> None:
    answer = lab.client("lambda").invoke(
        FunctionName="declined:live", InvocationType="Event", Payload=json.dumps({"order": "o-2"})
    )
    lab.run_until_idle()
    execution = lab.client("lambda").get_durable_execution(DurableExecutionArn=answer["DurableExecutionArn"])
    assert execution["Status"] == "FAILED"
    (dead,) = _messages(lab, declined["dlq"])
    assert json.loads(dead["Body"]) == {"order": "o-2"}
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes == {
        "RequestID": answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"],
        "ErrorCode": "200",
        "ErrorMessage": "card declined",
    }
    assert _messages(lab, declined["ok"]) == [] and _messages(lab, declined["failed"]) == []


def test_a_push_through_the_asynchronous_queue_reaches_the_dlq_and_no_destination(
    lab: lambdalab.Lab, declined: dict[str, str]
) -> None:
    functions, sns = lab.client("lambda"), lab.client("sns")
    topic = sns.create_topic(Name="declines")["TopicArn"]
    alias = functions.get_alias(FunctionName="declined", Name="live")["AliasArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=alias)
    functions.add_permission(
        FunctionName="declined",
        Qualifier="live",
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    sns.publish(TopicArn=topic, Message="charge o-3")
    lab.run_until_idle()
    (dead,) = _messages(lab, declined["dlq"])
    assert json.loads(dead["Body"])["Records"][0]["Sns"]["Message"] == "charge o-3"
    assert dead["MessageAttributes"]["ErrorMessage"]["StringValue"] == "card declined"
    assert _messages(lab, declined["ok"]) == [] and _messages(lab, declined["failed"]) == []
    (attempt,) = lab.trace.where("async-attempt", "declined")  # the queue's one attempt started the execution
    assert attempt.detail["outcome"] == "success"


def test_a_stopped_asynchronous_execution_reaches_the_dlq_and_a_succeeded_one_does_not(
    lab: lambdalab.Lab, role_arn: str
) -> None:
    dlq_url, dlq_arn = _queue(lab, "waiting-dead-letters")
    create_durable(lab, role_arn, "waiting", WAITING, DeadLetterConfig={"TargetArn": dlq_arn})
    create_durable(lab, role_arn, "charge-async", FLAKY, DeadLetterConfig={"TargetArn": dlq_arn})
    functions = lab.client("lambda")
    stopped = functions.invoke(FunctionName="waiting:$LATEST", InvocationType="Event", Payload=b'{"n": 1}')
    succeeded = functions.invoke(FunctionName="charge-async:$LATEST", InvocationType="Event", Payload=b'{"n": 2}')
    lab.run_until_idle()
    functions.stop_durable_execution(DurableExecutionArn=stopped["DurableExecutionArn"])
    lab.run_until_idle()
    assert functions.get_durable_execution(DurableExecutionArn=succeeded["DurableExecutionArn"])["Status"] == (
        "SUCCEEDED"
    )
    (dead,) = _messages(lab, dlq_url)
    assert json.loads(dead["Body"]) == {"n": 1}
    assert dead["MessageAttributes"]["ErrorMessage"]["StringValue"] == "Execution stopped"
    (delivered,) = lab.trace.where("delivery", "waiting")
    assert (delivered.detail["via"], delivered.detail["condition"]) == ("DLQ", "STOPPED")
