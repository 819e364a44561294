"""The Lab object: start, clients, virtual time that moto follows, clean close."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from support import LAMBDA_TRUST, create_python

import lambdalab
from lambdalab.clock import EPOCH


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_close_leaves_no_thread_port_or_process() -> None:
    threads_before = set(threading.enumerate())
    lab = lambdalab.Lab()
    iam = lab.client("iam")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    name = create_python(lab, role)
    lab.client("lambda").invoke(FunctionName=name)
    pids = [env.pid for env in lab.runtime.environments() if env.pid is not None]
    port = int(lab.endpoint_url.rsplit(":", 1)[1])
    assert pids and _port_open(port)

    lab.close()

    assert not _port_open(port)
    assert set(threading.enumerate()) <= threads_before
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            import os

            os.kill(pid, 0)
    with pytest.raises(lambdalab.LabError, match="closed"):
        lab.client("lambda")


def test_endpoint_listens_on_loopback_only() -> None:
    with lambdalab.Lab() as lab:
        assert lab.endpoint_url.startswith("http://127.0.0.1:")


def test_a_second_lab_says_why_not() -> None:
    with lambdalab.Lab():
        with pytest.raises(lambdalab.LabError, match="Another Lab is already open"):
            lambdalab.Lab()
    with lambdalab.Lab() as again:  # after the first closes, a new one starts fine
        assert again.client("lambda").list_functions()["Functions"] == []


def test_labs_do_not_share_resources() -> None:
    with lambdalab.Lab() as first:
        first.client("sqs").create_queue(QueueName="q")
    with lambdalab.Lab() as second:
        assert second.client("sqs").list_queues().get("QueueUrls", []) == []


def test_moto_time_follows_the_virtual_clock() -> None:
    with lambdalab.Lab() as lab:
        sqs = lab.client("sqs")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="a")
        lab.advance(3600)
        sqs.send_message(QueueUrl=url, MessageBody="b")
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["SentTimestamp"])["Messages"]
        sent = sorted(int(m["Attributes"]["SentTimestamp"]) for m in msgs)
        assert sent == [int(EPOCH.timestamp() * 1000), int((EPOCH + timedelta(hours=1)).timestamp() * 1000)]
        assert lab.clock.now == EPOCH + timedelta(hours=1)


def test_visibility_timeout_runs_on_virtual_time() -> None:
    with lambdalab.Lab() as lab:
        sqs = lab.client("sqs")
        url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="a")
        assert len(sqs.receive_message(QueueUrl=url).get("Messages", [])) == 1
        lab.advance(29)
        assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
        lab.advance(1)
        assert len(sqs.receive_message(QueueUrl=url).get("Messages", [])) == 1


def _ids_of_a_run() -> list[str]:
    with lambdalab.Lab() as lab:
        sqs = lab.client("sqs")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        ids = [sqs.send_message(QueueUrl=url, MessageBody=str(i))["MessageId"] for i in range(3)]
        return ids + [lab.new_id()]


def test_generated_ids_repeat_run_to_run() -> None:
    assert _ids_of_a_run() == _ids_of_a_run()


LOGS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": "*"}],
}


def _role_and_policy_ids() -> tuple[str, str]:
    with lambdalab.Lab() as lab:
        iam = lab.client("iam")
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]
        policy = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(LOGS_ONLY))
        return role["RoleId"], policy["Policy"]["PolicyId"]


def test_a_learners_iam_ids_do_not_move_when_the_managed_policies_change(monkeypatch: pytest.MonkeyPatch) -> None:
    """The AWS managed policies the lab loads draw their ids apart from the learner's (a policy added
    to the list once shifted every role and policy id the notebooks print)."""
    from lambdalab.aws import moto_hooks_iam

    with_all = _role_and_policy_ids()
    monkeypatch.setattr(moto_hooks_iam, "MANAGED_POLICIES", moto_hooks_iam.MANAGED_POLICIES[:3])
    moto_hooks_iam._managed_policy_data.cache_clear()
    try:
        with_three = _role_and_policy_ids()
    finally:
        moto_hooks_iam._managed_policy_data.cache_clear()
    assert with_all == with_three


def test_clients_use_fake_credentials_and_fixed_region() -> None:
    with lambdalab.Lab() as lab:
        client = lab.client("lambda")
        assert client.meta.region_name == "us-east-1"
        assert client.meta.endpoint_url == lab.endpoint_url
        assert lab.client("sts").get_caller_identity()["Account"] == lab.account_id


def test_moto_own_triggers_never_fire() -> None:
    """moto would invoke a mapped function inside send_message; the lab switches that off."""
    with lambdalab.Lab() as lab:
        iam = lab.client("iam")
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
        name = create_python(lab, role)
        from moto.awslambda.models import lambda_backends  # a mapping of moto's own, which the lab never makes

        sqs = lab.client("sqs")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        backend = lambda_backends[lab.account_id][lab.region]
        backend.create_event_source_mapping({"EventSourceArn": queue_arn, "FunctionName": name, "BatchSize": 1})
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        assert lab.trace.where("invoke", name) == []
        assert lab.trace.where("moto-trigger-suppressed")


# -- many threads at once -----------------------------------------------------------------------


def _role(lab: lambdalab.Lab) -> str:
    iam = lab.client("iam")
    arn = iam.create_role(RoleName="threads", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    return str(arn)


def test_concurrent_first_invocations_start_one_runtime_and_keep_reserved_concurrency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lambdalab.runtime import runtime as runtime_module

    built: list[object] = []
    original_init = runtime_module.SubprocessRuntime.__init__

    def counting_init(self: runtime_module.SubprocessRuntime, *args: object, **kwargs: object) -> None:
        built.append(self)
        time.sleep(0.3)  # a start-up slow enough (a busy machine) for the other first calls to arrive
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runtime_module.SubprocessRuntime, "__init__", counting_init)
    with lambdalab.Lab() as lab:
        # GIVEN a function limited to one concurrent execution, never invoked yet (no runtime started)
        source = "import time\ndef handler(e, c):\n    start = time.time()\n    time.sleep(2)\n    return [start, time.time()]\n"
        name = "one-at-a-time"
        lab.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=_role(lab),
            Handler="app.handler",
            Code={"ZipFile": lambdalab.zip_files({"app.py": source})},
            Timeout=10,
        )
        assert built == []  # nothing has started the runtime yet
        lab.client("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
        clients = [lab.client("lambda", region_name=lab.region) for _ in range(8)]
        # WHEN eight first invocations arrive at once
        barrier, answers = threading.Barrier(8), []

        def invoke(client: object) -> None:
            barrier.wait()
            try:
                out = client.invoke(FunctionName=name)  # type: ignore[attr-defined]
                answers.append(("ok", json.loads(out["Payload"].read())))
            except client.exceptions.TooManyRequestsException:  # type: ignore[attr-defined]
                answers.append(("throttled", None))

        threads = [threading.Thread(target=invoke, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        # THEN the lab built one runtime, and no two of them ran at the same time
        assert len(built) == 1
        assert len(answers) == 8
        ran = sorted(span for outcome, span in answers if outcome == "ok")
        assert ran and all(later[0] >= earlier[1] for earlier, later in zip(ran, ran[1:], strict=False))


def test_concurrent_clock_drivers_deliver_each_sqs_message_once() -> None:
    from sqs_support import setup, sqs_role

    from lambdalab.runtime import FakeRuntime

    def slow(event: object, context: object) -> None:
        time.sleep(0.01)  # real time passes inside a batch: another thread could move the clock meanwhile

    with lambdalab.Lab(runtime=FakeRuntime()) as lab:
        # GIVEN 100 messages waiting for an SQS mapping (30 s visibility timeout)
        s = setup(lab, sqs_role(lab), slow, BatchSize=1)
        sent = set(s.send(*(f"m{i}" for i in range(100))))
        errors: list[BaseException] = []

        def drive(move: object) -> None:
            try:
                move()  # type: ignore[operator]
            except BaseException as err:  # noqa: BLE001 - the test reports it
                errors.append(err)

        def leap() -> None:  # jumps past the visibility timeout, again and again
            for _ in range(50):
                lab.advance(31)

        # WHEN five threads move the clock at once
        movers = (leap, leap, lab.run_until_idle, lab.run_until_idle, lab.run_until_idle)
        threads = [threading.Thread(target=drive, args=(move,)) for move in movers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        lab.run_until_idle()
        # THEN nothing failed, and each message was received, invoked and deleted exactly once
        assert errors == []
        received = [i for r in s.records("sqs-receive") for i in r.ids]
        invoked = [i for r in s.records("sqs-batch") for i in r.ids]
        deleted = [i for r in s.records("sqs-deleted") for i in r.ids]
        assert sorted(received) == sorted(invoked) == sorted(deleted) == sorted(sent)
        assert not s.records("sqs-already-deleted")
