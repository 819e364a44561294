"""Durable functions on the virtual clock: real functions built with AWS's durable execution SDK.

Each test reads the execution's records as an exact virtual timeline (seconds since it started): when
each invocation ran, what it checkpointed, what it replayed, why it suspended and what resumed it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from durable_support import (
    CRASH,
    CRASH_RESULT,
    CRASH_TIMELINE,
    DAY,
    FLAKY,
    ORDER,
    PLAIN,
    callback_id,
    create_durable,
    live,
    outcome,
    pay_within_the_hour,
    shipped_after,
    start,
    timeline,
)

import lambdalab
from lambdalab.course import execution_role


@pytest.fixture(scope="module")
def role_arn(lab: lambdalab.Lab) -> str:
    """The durable functions' execution role: AWS's managed policy for durable functions (logs and checkpoints)."""
    return execution_role(lab, "durable-exec", "AWSLambdaBasicDurableExecutionRolePolicy")


@pytest.fixture(scope="module")
def functions(lab: lambdalab.Lab, role_arn: str) -> Any:
    for name, source in (("order", ORDER), ("flaky", FLAKY), ("crash", CRASH), ("plain", PLAIN)):
        create_durable(lab, role_arn, name, source)
    return lab.client("lambda")


def test_a_seven_day_order_workflow_runs_to_succeeded_on_the_clock(lab: lambdalab.Lab, functions: Any) -> None:
    arn, since = pay_within_the_hour(lab, "order", lambda arn: callback_id(lab, arn, "payment"))

    week = 3600 + 7 * DAY
    assert timeline(lab, arn, since) == [
        (0, "durable-started", "Event"),
        (0, "durable-operation", "START STEP reserve"),
        (0, "durable-operation", "SUCCEED STEP reserve"),
        (0, "durable-operation", "START CALLBACK payment"),
        (0, "durable-invocation", "#1 PENDING"),
        (0, "durable-suspended", "callback"),
        (3600, "durable-callback", "SUCCEEDED by client"),
        (3600, "durable-resumed", "callback"),
        (3600, "durable-replay", "reserve payment"),
        (3600, "durable-operation", "START WAIT cool-off"),
        (3600, "durable-invocation", "#2 PENDING"),
        (3600, "durable-suspended", "wait"),
        *shipped_after(week, replayed="reserve payment cool-off"),
    ]
    paid = {"reserved": "reserved o-1", "paid": "paid", "shipped": "shipped o-1"}
    assert outcome(lab, arn) == ("SUCCEEDED", paid, week)
    listed = functions.list_durable_executions_by_function(FunctionName="order", Statuses=["SUCCEEDED"])
    assert arn in [e["DurableExecutionArn"] for e in listed["DurableExecutions"]]


def test_a_callback_that_never_comes_times_out_and_fails_the_execution(lab: lambdalab.Lab, functions: Any) -> None:
    since = lab.clock.t
    arn = start(lab, "order", {"order": "o-2"})
    lab.run_until_idle()
    lab.advance(3 * DAY)

    assert timeline(lab, arn, since)[-5:] == [
        (2 * DAY, "durable-callback", "TIMED_OUT by clock"),
        (2 * DAY, "durable-resumed", "callback"),
        (2 * DAY, "durable-replay", "reserve payment"),
        (2 * DAY, "durable-invocation", "#2 FAILED aws_durable_execution_sdk_python.exceptions.CallbackTimeoutError"),
        (2 * DAY, "durable-closed", "FAILED"),
    ]
    execution = functions.get_durable_execution(DurableExecutionArn=arn)
    assert execution["Status"] == "FAILED"
    assert execution["Error"]["ErrorMessage"] == "Callback timed out"
    events = functions.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    assert "CallbackTimedOut" in [e["EventType"] for e in events]
    with pytest.raises(ClientError) as late:  # the callback has timed out: too late to complete it
        functions.send_durable_execution_callback_success(CallbackId=callback_id(lab, arn, "payment"), Result=b"x")
    assert late.value.response["Error"]["Code"] == "CallbackTimeoutException"


def test_a_failing_step_is_retried_by_the_sdks_policy_each_retry_a_new_invocation(
    lab: lambdalab.Lab, functions: Any
) -> None:
    since = lab.clock.t
    arn = start(lab, "flaky", {})
    lab.run_until_idle()
    assert [x for x in timeline(lab, arn, since) if x[1] in ("durable-invocation", "durable-resumed")] == [
        (0, "durable-invocation", "#1 PENDING"),
        (5, "durable-resumed", "timer"),
        (5, "durable-invocation", "#2 PENDING"),
        (15, "durable-resumed", "timer"),
        (15, "durable-invocation", "#3 SUCCEEDED"),
    ]


def test_a_killed_environment_resumes_from_checkpoints_without_rerunning_finished_steps(
    lab: lambdalab.Lab, functions: Any
) -> None:
    since = lab.clock.t
    arn = start(lab, "crash", {})
    lab.run_until_idle()
    assert timeline(lab, arn, since) == CRASH_TIMELINE
    assert json.loads(functions.get_durable_execution(DurableExecutionArn=arn)["Result"]) == CRASH_RESULT


def test_the_history_matches_what_aws_testing_runner_records_for_the_same_handler(
    lab: lambdalab.Lab, functions: Any
) -> None:
    from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner

    arn = start(lab, "plain", {"items": [1, 2, 3]}, DurableExecutionName="execution-name")  # the runner's name
    lab.run_until_idle(30 * DAY)
    ours = functions.get_durable_execution_history(DurableExecutionArn=arn, IncludeExecutionData=True)["Events"]

    namespace: dict[str, Any] = {}
    exec(PLAIN, namespace)
    with DurableFunctionTestRunner(handler=namespace["handler"]) as runner:
        theirs_arn = runner.run_async(input=json.dumps({"items": [1, 2, 3]}), execution_timeout=60)
        assert runner.wait_for_result(theirs_arn, timeout=60).result == json.dumps(
            {"total": 6, "packed": ["box", "label"]}
        )
        theirs = runner.get_execution_history(theirs_arn, include_execution_data=True).to_dict()["Events"]

    def essence(events: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
        out = []
        for e in events:
            if e["EventType"] == "InvocationCompleted":
                continue  # request ids differ by construction
            details = next((v for k, v in e.items() if k.endswith("Details") and isinstance(v, dict)), {})
            payload = (details.get("Result") or {}).get("Payload")
            out.append((e["EventType"], e.get("Name"), payload))
        return out

    assert essence(ours) == essence(theirs)
    assert [e["EventType"] for e in ours].count("InvocationCompleted") == 2  # before the day's wait, and after


def test_a_synchronous_invoke_waits_for_the_execution_and_answers_its_result(
    lab: lambdalab.Lab, functions: Any
) -> None:
    since = lab.clock.t
    answer = functions.invoke(FunctionName="flaky:$LATEST", Payload=b"{}")
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == "charged"
    assert lab.clock.t - since == 15  # the invoke moved the clock through the two retry delays
    answer = functions.invoke(FunctionName="order:$LATEST", Payload=json.dumps({"order": "o-3"}))
    assert answer["FunctionError"] == "Unhandled"  # the payment never comes within 15 minutes
    assert json.loads(answer["Payload"].read())["errorType"] == "Sandbox.Timedout"
    still = functions.get_durable_execution(DurableExecutionArn=answer["DurableExecutionArn"])
    assert still["Status"] == "RUNNING"
    functions.stop_durable_execution(DurableExecutionArn=answer["DurableExecutionArn"])
    stopped = functions.get_durable_execution(DurableExecutionArn=answer["DurableExecutionArn"])
    assert stopped["Status"] == "STOPPED"


def test_an_execution_name_makes_the_start_idempotent(lab: lambdalab.Lab, functions: Any) -> None:
    first = start(lab, "flaky", {}, DurableExecutionName="charge-o-9")
    assert start(lab, "flaky", {}, DurableExecutionName="charge-o-9") == first
    with pytest.raises(ClientError) as other:
        start(lab, "flaky", {"x": 1}, DurableExecutionName="charge-o-9")
    assert other.value.response["Error"]["Code"] == "DurableExecutionAlreadyStartedException"
    lab.run_until_idle()


def test_durable_config_is_checked_as_lambda_checks_it(lab: lambdalab.Lab, role_arn: str, functions: Any) -> None:
    assert functions.get_function(FunctionName="order")["Configuration"]["DurableConfig"] == {
        "ExecutionTimeout": 30 * DAY,
        "RetentionPeriodInDays": 7,
    }
    cases = [
        ({"RetentionPeriodInDays": 3}, "python3.13", "InvalidParameterValueException"),
        ({"ExecutionTimeout": 31_622_401}, "python3.13", "ValidationException"),
        ({"ExecutionTimeout": 60, "RetentionPeriodInDays": 91}, "python3.13", "ValidationException"),
        ({"ExecutionTimeout": 60}, "python3.12", "InvalidParameterValueException"),
    ]
    for config, runtime, code in cases:
        with pytest.raises(ClientError) as refused:
            functions.create_function(
                FunctionName="refused",
                Runtime=runtime,
                Role=role_arn,
                Handler="app.handler",
                Code={"ZipFile": lambdalab.zip_files({"app.py": ORDER})},
                DurableConfig=config,
            )
        assert refused.value.response["Error"]["Code"] == code, config


def test_an_execution_that_outlives_its_execution_timeout_closes_timed_out(
    lab: lambdalab.Lab, role_arn: str, functions: Any
) -> None:
    functions.create_function(
        FunctionName="hour-long",
        Runtime="python3.13",
        Role=role_arn,
        Handler="app.handler",
        Code={"ZipFile": lambdalab.zip_files({"app.py": ORDER})},
        Timeout=60,
        DurableConfig={"ExecutionTimeout": 3600},
    )
    since = lab.clock.t
    arn = start(lab, "hour-long", {"order": "o-4"})
    lab.run_until_idle()
    lab.advance(2 * 3600)  # the payment never comes; the callback's two days are longer than the hour
    assert timeline(lab, arn, since)[-1] == (3600, "durable-closed", "TIMED_OUT")
    execution = functions.get_durable_execution(DurableExecutionArn=arn)
    assert execution["Status"] == "TIMED_OUT"
    assert execution["Error"]["ErrorMessage"] == "Execution timed out after 3600 seconds."


def test_a_closed_execution_is_kept_for_its_retention_period_then_forgotten(lab: lambdalab.Lab, functions: Any) -> None:
    arn = start(lab, "flaky", {})
    lab.run_until_idle()
    lab.advance(7 * DAY - 60)  # the functions keep history 7 days
    assert functions.get_durable_execution(DurableExecutionArn=arn)["Status"] == "SUCCEEDED"
    lab.advance(120)
    with pytest.raises(ClientError) as gone:
        functions.get_durable_execution(DurableExecutionArn=arn)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_an_sns_push_through_the_asynchronous_queue_starts_an_execution(lab: lambdalab.Lab, functions: Any) -> None:
    sns = lab.client("sns")
    topic = sns.create_topic(Name="orders-paid")["TopicArn"]
    alias_arn = f"{functions.get_function(FunctionName='flaky')['Configuration']['FunctionArn']}:live"
    live(lab, "flaky")
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=alias_arn)  # a durable function: qualified
    functions.add_permission(
        FunctionName="flaky",
        Qualifier="live",
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    before = {
        e["DurableExecutionArn"]
        for e in functions.list_durable_executions_by_function(FunctionName="flaky", Qualifier="live")[
            "DurableExecutions"
        ]
    }
    sns.publish(TopicArn=topic, Message="paid")
    lab.run_until_idle()
    listed = functions.list_durable_executions_by_function(FunctionName="flaky", Qualifier="live")["DurableExecutions"]
    started = [e for e in listed if e["DurableExecutionArn"] not in before]
    assert [e["Status"] for e in started] == ["SUCCEEDED"]
    assert lab.trace.where("async-attempt", "flaky")[-1].detail["outcome"] == "success"


HEARTBEAT = ORDER.replace(
    "CallbackConfig(timeout=Duration.from_days(2))",
    "CallbackConfig(timeout=Duration.from_days(2), heartbeat_timeout=Duration.from_hours(1))",
)


def test_heartbeats_keep_a_callback_open_until_they_stop(lab: lambdalab.Lab, role_arn: str, functions: Any) -> None:
    create_durable(lab, role_arn, "heartbeat", HEARTBEAT)
    since = lab.clock.t
    arn = start(lab, "heartbeat", {"order": "o-5"})
    lab.run_until_idle()
    lab.advance(3000)
    functions.send_durable_execution_callback_heartbeat(CallbackId=callback_id(lab, arn, "payment"))
    lab.advance(3 * 3600)  # no more heartbeats: the hour runs out 50 min + 1 h after the start
    assert timeline(lab, arn, since)[-6:] == [
        (3000, "durable-callback", "HEARTBEAT by client"),
        (6600, "durable-callback", "HEARTBEAT_TIMED_OUT by clock"),
        (6600, "durable-resumed", "callback"),
        (6600, "durable-replay", "reserve payment"),
        (6600, "durable-invocation", "#2 FAILED aws_durable_execution_sdk_python.exceptions.CallbackTimeoutError"),
        (6600, "durable-closed", "FAILED"),
    ]
    assert (
        functions.get_durable_execution(DurableExecutionArn=arn)["Error"]["ErrorMessage"]
        == "Callback timed out on heartbeat"
    )


def _denied(lab: lambdalab.Lab, role: str, name: str) -> tuple[str, list[tuple[float, str, str]], dict[str, Any]]:
    """Start PLAIN as ``name`` under ``role``: the execution's ARN, timeline and description once played out."""
    create_durable(lab, role, name, PLAIN)
    since = lab.clock.t
    arn = start(lab, name, {"items": [1, 2]})
    lab.run_until_idle()
    return arn, timeline(lab, arn, since), lab.client("lambda").get_durable_execution(DurableExecutionArn=arn)


def test_a_role_without_the_checkpoint_permission_fails_the_execution_with_access_denied(lab: lambdalab.Lab) -> None:
    role = execution_role(lab, "basic-only", "AWSLambdaBasicExecutionRole")  # logs, but no durable actions
    arn, seen, execution = _denied(lab, role, "no-checkpoints")
    assert seen == [
        (0, "durable-started", "Event"),
        (0, "durable-denied", "lambda:CheckpointDurableExecution"),
        (0, "durable-invocation", "#1 FAILED aws_durable_execution_sdk_python.exceptions.CheckpointError"),
        (0, "durable-closed", "FAILED"),
    ]
    assert execution["Status"] == "FAILED"
    account = role.split(":")[4]
    assert execution["Error"]["ErrorMessage"] == (
        "An error occurred (AccessDeniedException) when calling the CheckpointDurableExecution operation: "
        f"User: arn:aws:sts::{account}:assumed-role/basic-only/no-checkpoints is not authorized to perform: "
        f"lambda:CheckpointDurableExecution on resource: {arn} because no identity-based policy allows the "
        "lambda:CheckpointDurableExecution action"
    )


def test_the_checkpoint_permission_is_asked_on_the_execution_arn_not_the_function_arn(lab: lambdalab.Lab) -> None:
    """AWS authorizes against the durable execution's ARN: ``function:name`` never matches it, ``function:name:*`` does."""
    arns = {name: f"arn:aws:lambda:us-east-1:{lab.account_id}:function:{name}" for name in ("unqualified", "qualified")}
    actions = ["lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState"]
    for name, resource in (("unqualified", arns["unqualified"]), ("qualified", arns["qualified"] + ":*")):
        grant = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}
        role = execution_role(lab, f"{name}-role", "AWSLambdaBasicExecutionRole", inline={"checkpoints": grant})
        _, seen, execution = _denied(lab, role, name)
        assert execution["Status"] == ("FAILED" if name == "unqualified" else "SUCCEEDED"), name
        assert any(kind == "durable-denied" for _, kind, _ in seen) == (name == "unqualified"), name


def test_the_state_read_is_asked_of_the_functions_role_and_a_cells_call_is_the_accounts_own(
    lab: lambdalab.Lab, role_arn: str
) -> None:
    """Signed with the functions' key, GetDurableExecutionState needs the execution's role to allow it (checked
    before the token); signed with the lab's own key it is the account's call and only the token is checked."""
    denied_arn, _, _ = _denied(lab, execution_role(lab, "logs-role", "AWSLambdaBasicExecutionRole"), "logs-only")
    allowed_arn, _, _ = _denied(lab, role_arn, "allowed")
    as_function = lab.client("lambda", **lab.function_credentials.client_options())
    answers = {}
    for who, client in (("function", as_function), ("cell", lab.client("lambda"))):
        for arn in (denied_arn, allowed_arn):
            with pytest.raises(ClientError) as refused:
                client.get_durable_execution_state(DurableExecutionArn=arn, CheckpointToken="stale")
            answers[who, arn == allowed_arn] = refused.value.response["Error"]["Code"]
    assert answers == {
        ("function", False): "AccessDeniedException",
        ("function", True): "InvalidParameterValueException",  # Invalid checkpoint token
        ("cell", False): "InvalidParameterValueException",
        ("cell", True): "InvalidParameterValueException",
    }


def test_a_callback_failure_fails_the_callback_with_the_error_sent(lab: lambdalab.Lab, functions: Any) -> None:
    arn = start(lab, "order", {"order": "o-6"})
    lab.run_until_idle()
    functions.send_durable_execution_callback_failure(
        CallbackId=callback_id(lab, arn, "payment"), Error={"ErrorType": "CardDeclined", "ErrorMessage": "no funds"}
    )
    lab.run_until_idle()
    events = functions.get_durable_execution_history(DurableExecutionArn=arn, IncludeExecutionData=True)["Events"]
    [failed] = [e for e in events if e["EventType"] == "CallbackFailed"]
    assert failed["CallbackFailedDetails"]["Error"]["Payload"] == {
        "ErrorType": "CardDeclined",
        "ErrorMessage": "no funds",
    }
