"""Invoke through boto3, end to end: the Invoke API's answers as AWS gives them."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from support import create_python

import lambdalab

COUNTER = textwrap.dedent(
    """
    import json
    count = 0
    print("init")
    def handler(event, context):
        global count
        count += 1
        print("call", count)
        if event.get("fail"):
            raise ValueError("boom")
        return {"count": count, "event": event, "cc": context.client_context and context.client_context.custom}
    """
)


@pytest.fixture(scope="module")
def counter(lab: lambdalab.Lab, role_arn: str) -> str:
    return create_python(lab, role_arn, COUNTER)


def _json(resp: dict) -> dict:
    return json.loads(resp["Payload"].read())


def test_log_tail_has_start_end_report_and_init_duration_on_cold_start(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, COUNTER)
    lam = lab.client("lambda")
    cold = base64.b64decode(lam.invoke(FunctionName=name, LogType="Tail")["LogResult"]).decode()
    warm = base64.b64decode(lam.invoke(FunctionName=name, LogType="Tail")["LogResult"]).decode()
    assert "\ninit\nSTART RequestId: " in cold and " Version: $LATEST" in cold  # init output comes before START
    assert "INIT_START" not in cold  # CloudWatch Logs only
    assert "call 1" in cold
    assert "END RequestId: " in cold and "Init Duration: " in cold
    assert "call 2" in warm and "Init Duration" not in warm and "init\n" not in warm


def test_log_tail_is_the_last_4_kb(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, "def handler(e, c):\n    print('x' * 10000)\n    return 1\n")
    tail = base64.b64decode(lab.client("lambda").invoke(FunctionName=name, LogType="Tail")["LogResult"])
    assert len(tail) == 4096
    assert tail.rstrip().split(b"\n")[-1].startswith(b"REPORT RequestId: ")


def test_without_tail_there_is_no_log_result(lab: lambdalab.Lab, counter: str) -> None:
    assert "LogResult" not in lab.client("lambda").invoke(FunctionName=counter)


def test_logs_land_in_cloudwatch(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, COUNTER)
    lab.client("lambda").invoke(FunctionName=name, Payload=b'{"a": 1}')
    logs = lab.client("logs")
    group = f"/aws/lambda/{name}"
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 1 and "[$LATEST]" in streams[0]["logStreamName"]
    messages = [
        e["message"]
        for e in logs.get_log_events(logGroupName=group, logStreamName=streams[0]["logStreamName"])["events"]
    ]
    assert messages[0].startswith("INIT_START Runtime Version: ")
    assert any(m.startswith("START RequestId: ") for m in messages)
    assert any(m.startswith("REPORT RequestId: ") for m in messages)


def test_unhandled_error_is_status_200_with_function_error(lab: lambdalab.Lab, counter: str) -> None:
    resp = lab.client("lambda").invoke(FunctionName=counter, Payload=b'{"fail": true}')
    body = _json(resp)
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert (body["errorType"], body["errorMessage"]) == ("ValueError", "boom")
    assert body["requestId"] == resp["ResponseMetadata"]["RequestId"]
    assert isinstance(body["stackTrace"], list)


def test_timeout_through_the_api(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, "import time\ndef handler(e, c):\n    time.sleep(5)\n", Timeout=1)
    resp = lab.client("lambda").invoke(FunctionName=name)
    body = _json(resp)
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")
    assert body["errorMessage"].startswith(f"RequestId: {resp['ResponseMetadata']['RequestId']}")


def test_request_over_6_mb_is_refused(lab: lambdalab.Lab, counter: str) -> None:
    big = json.dumps({"x": "a" * (6 * 1024 * 1024)}).encode()
    with pytest.raises(ClientError) as exc:
        lab.client("lambda").invoke(FunctionName=counter, Payload=big)
    assert exc.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_event_payload_over_1_mb_is_refused_with_its_size(lab: lambdalab.Lab, counter: str) -> None:
    """Asynchronous payloads are limited to 1 MB (gettingstarted-limits); AWS names the payload's size."""
    big = json.dumps({"x": "a" * (1024 * 1024)}).encode()
    with pytest.raises(ClientError) as exc:
        lab.client("lambda").invoke(FunctionName=counter, InvocationType="Event", Payload=big)
    assert exc.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert exc.value.response["Error"]["Message"] == (
        f"{len(big)} byte payload is too large for the Event invocation type (limit 1048576 bytes)"
    )


def test_body_that_is_not_json(lab: lambdalab.Lab, counter: str) -> None:
    with pytest.raises(ClientError) as exc:
        lab.client("lambda").invoke(FunctionName=counter, Payload=b"hello")
    assert exc.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert exc.value.response["Error"]["Message"].startswith("Could not parse request body into json")


def test_dry_run_does_not_execute(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, COUNTER)
    resp = lab.client("lambda").invoke(FunctionName=name, InvocationType="DryRun")
    assert resp["StatusCode"] == 204
    assert lab.trace.where("invoke", name) == []


def test_client_context_reaches_the_context_object(lab: lambdalab.Lab, counter: str) -> None:
    context = base64.b64encode(json.dumps({"custom": {"tenant": "t1"}}).encode()).decode()
    assert _json(lab.client("lambda").invoke(FunctionName=counter, ClientContext=context))["cc"] == {"tenant": "t1"}


def test_reserved_concurrency_zero_throttles(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, COUNTER)
    lam = lab.client("lambda")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=name)
    assert exc.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    lam.delete_function_concurrency(FunctionName=name)
    assert lam.invoke(FunctionName=name)["StatusCode"] == 200


def test_throttle_carries_its_reason_and_retry_after(lab: lambdalab.Lab, role_arn: str) -> None:
    """TooManyRequestsException has ``Reason`` (ThrottleReason) and a ``Retry-After`` header (botocore's model;
    https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html)."""
    name = create_python(lab, role_arn, COUNTER)
    lam = lab.client("lambda")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as exc:
        lam.invoke(FunctionName=name)
    response = exc.value.response
    assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert response["retryAfterSeconds"] == "1"
    assert (response["Type"], response["message"]) == ("User", "Rate Exceeded.")


def test_error_responses_carry_a_fresh_request_id(lab: lambdalab.Lab) -> None:
    """Every response, errors included, names its own request (x-amzn-RequestId)."""
    lam = lab.client("lambda")
    ids = []
    for _ in range(2):
        with pytest.raises(ClientError) as exc:
            lam.invoke(FunctionName="no-such-function")
        ids.append(exc.value.response["ResponseMetadata"]["RequestId"])
    assert ids[0] != ids[1]
    assert all(len(i) == 36 and i != "00000000-0000-0000-0000-000000000000" for i in ids)


def test_code_update_means_a_cold_start(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, COUNTER)
    lam = lab.client("lambda")
    assert _json(lam.invoke(FunctionName=name))["count"] == 1
    assert _json(lam.invoke(FunctionName=name))["count"] == 2
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"MODE": "b"}})
    assert _json(lam.invoke(FunctionName=name))["count"] == 1


def test_concurrent_invokes_each_get_their_own_answer(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, "import time\ndef handler(e, c):\n    time.sleep(0.2)\n    return e['i']\n")

    def call(i: int) -> int:
        client = lab.client("lambda", region_name="us-east-1")  # a client per thread
        return int(client.invoke(FunctionName=name, Payload=json.dumps({"i": i}).encode())["Payload"].read())

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(call, range(6))) == list(range(6))
    assert len([e for e in lab.runtime.environments() if e.function_name == name]) == 6


def test_a_function_calls_the_lab_through_its_sdk(lab: lambdalab.Lab, role_arn: str) -> None:
    url = lab.client("sqs").create_queue(QueueName="from-function")["QueueUrl"]
    source = "import boto3\ndef handler(e, c):\n    boto3.client('sqs').send_message(QueueUrl=e['url'], MessageBody='hi')\n    return 'sent'\n"
    name = create_python(lab, role_arn, source)
    assert _json(lab.client("lambda").invoke(FunctionName=name, Payload=json.dumps({"url": url}).encode())) == "sent"
    assert lab.client("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"] == "hi"


def test_environments_die_with_a_killed_kernel(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import json, sys, time
        import lambdalab
        from support import LAMBDA_TRUST, create_python
        lab = lambdalab.Lab()
        role = lab.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
        name = create_python(lab, role)
        lab.client("lambda").invoke(FunctionName=name)
        print(" ".join(str(e.pid) for e in lab.runtime.environments()), flush=True)
        time.sleep(60)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.path.dirname(__file__)}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]  # type: ignore[union-attr]
        assert pids
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 5
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [
            p for p in pids if os.path.exists(f"/proc/{p}") and "Z" not in open(f"/proc/{p}/stat").read().split()[2]
        ]
        time.sleep(0.05)
    assert alive == []


def test_without_log_permissions_the_logs_are_lost(lab: lambdalab.Lab) -> None:
    from support import LAMBDA_TRUST, unique

    role = lab.client("iam").create_role(RoleName=unique("nolog"), AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))[
        "Role"
    ]["Arn"]
    name = create_python(lab, role, COUNTER)
    resp = lab.client("lambda").invoke(FunctionName=name, LogType="Tail")
    assert "START RequestId" in base64.b64decode(resp["LogResult"]).decode()  # the tail still comes back
    with pytest.raises(ClientError) as exc:
        lab.client("logs").describe_log_streams(logGroupName=f"/aws/lambda/{name}")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert lab.trace.where("logs-dropped", name)[0].detail["missing"][0] == "logs:CreateLogGroup"
