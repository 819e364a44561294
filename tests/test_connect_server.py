"""``lambdalab.Lab.connect`` against a ``lambdalab server`` this module starts (real time, 60x).

Notebooks 01-03 run through the connection (every code cell; each exercise check must end as
its committed output shows), one exercise each of 04 and 05, the trace read from the logs,
and the cleanup: everything of the run goes, nothing without its prefix and tag is touched.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_support import SPEED, running_server

import lambdalab
from lambdalab import cli
from lambdalab import trace_kinds as k
from lambdalab.errors import LabError, LocalOnlyError
from lambdalab.exercises import ex04, ex05
from lambdalab.exercises.core import Correct, Incorrect, LocalOnly, NotAttempted
from lambdalab.remote import server_file
from lambdalab.remote.connected_lab import ConnectedLab

ROOT = Path(__file__).resolve().parent.parent
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
SQS_READER = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
#: cells that need what only the local lab has, per notebook (number among the code cells: why)
#: cells that need what only the local lab has, found by a line of their code (cell numbers move as notebooks grow)
LOCAL_ONLY_CELLS = {
    "01-execution-role": {
        'lab.trace.where("logs-dropped"': "the lab's logs-dropped record: AWS says nothing when a role may not write logs"
    },
    "03-sync-invoke": {
        "lab.runtime.environments()": "lab.runtime lists the local runtime's execution environments",
        'Key="orders/7.json"': "the function's BUCKET variable names the bucket without the run's prefix",
    },
}


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAMBDALAB_STATE_DIR", str(path))
        yield path


@pytest.fixture(scope="module")
def url(state_dir: Path) -> Iterator[str]:
    with running_server(state_dir) as endpoint:
        yield endpoint


@pytest.fixture
def lab(url: str) -> Iterator[ConnectedLab]:
    with lambdalab.Lab.connect(url) as connected:
        yield connected


def raw(lab: ConnectedLab, service: str) -> object:
    """A client with the server's keys and no run prefix: what another user of the server would hold."""
    return lab._raw(service)


def test_the_keys_file_is_the_users_alone(url: str, state_dir: Path, tmp_path: Path) -> None:
    path = server_file.path_for(url)
    assert path.parent == state_dir / "servers"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    shared = tmp_path / "shared.json"
    shared.write_text(path.read_text())
    shared.chmod(0o644)
    with pytest.raises(LabError, match="others may read it"):
        server_file.read(url, shared)
    with pytest.raises(LabError, match="not a lambdalab server on this machine"):
        server_file.path_for("https://lambda.us-east-1.amazonaws.com")


@pytest.mark.parametrize("notebook", ["01-execution-role", "02-deploy-and-manage", "03-sync-invoke"])
def test_notebook_runs_through_connect(url: str, state_dir: Path, notebook: str) -> None:
    skip = json.dumps(list(LOCAL_ONLY_CELLS.get(notebook, {})))
    command = [sys.executable, str(ROOT / "tests" / "remote_notebook.py"), f"notebooks/{notebook}.ipynb", url, skip]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    checked = [line for line in done.stdout.splitlines() if line.startswith("CHECKED")]
    assert checked and int(checked[-1].split()[1]) >= 2, done.stdout[-2000:]  # exercise outcomes were compared
    assert "removed" in done.stdout  # lab.close() in the last cell cleaned up


def _orders_function(lab: ConnectedLab, handler: str, policy: str = BASIC) -> None:
    iam, lam = lab.client("iam"), lab.client("lambda")
    role = iam.create_role(RoleName="exec", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.attach_role_policy(RoleName="exec", PolicyArn=policy)  # no logs, no trace: Lambda writes only what the role may
    code = lambdalab.zip_files({"app.py": handler})
    lam.create_function(
        FunctionName="orders", Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": code}
    )
    lam.get_waiter("function_active_v2").wait(FunctionName="orders")


def test_the_trace_is_read_from_the_logs(lab: ConnectedLab) -> None:
    _orders_function(
        lab, "def handler(event, context):\n    if event.get('fail'):\n        raise ValueError('no')\n    return 1\n"
    )
    lam = lab.client("lambda")
    lam.invoke(FunctionName="orders", Payload=b"{}")
    lam.invoke(FunctionName="orders", Payload=b'{"fail": true}')
    lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=1)
    async_id = lam.invoke(FunctionName="orders", InvocationType="Event", Payload=b'{"fail": true}')["ResponseMetadata"][
        "RequestId"
    ]
    lab.run_until_idle()
    runs = [r.view(k.Invoke) for r in lab.trace.where(k.INVOKE, "orders")]
    assert [(r["source"], r["error"]) for r in runs] == [
        ("sync", None),
        ("sync", "ValueError"),
        ("async", "ValueError"),
        ("async", "ValueError"),  # one retry, as configured: run_until_idle waited for it
    ]
    assert runs[0]["cold"] and not runs[1]["cold"]
    assert [r.ids for r in lab.trace.where(k.INVOKE, "orders", source="async")] == [(async_id,), (async_id,)]
    retry = lab.trace.where(k.INVOKE, "orders", source="async")
    assert retry[1].t - retry[0].t >= 60 * 0.9  # Lambda's first retry comes a minute later (server time)
    assert lab.trace.where(k.FUNCTION_CREATED, "orders") and lab.trace.where(k.EVENT_INVOKE_CONFIG, "orders")
    with pytest.raises(LocalOnlyError, match="only by the local lab"):
        lab.trace.where(k.ASYNC_ATTEMPT)
    with pytest.raises(LocalOnlyError):
        lab.durations  # noqa: B018


def test_advance_waits_real_time_divided_by_the_speed(lab: ConnectedLab) -> None:
    before = lab.clock.t
    lab.advance(120)
    assert lab.clock.t - before >= 120  # the server's clock, not a jump: it waited 120 / 60 s for it
    assert lab.clock.speed == SPEED


def test_exercise_04_retry_settings(lab: ConnectedLab) -> None:
    q = ex04.RetrySettings(lab)
    q.setup()
    assert isinstance(q.check(), NotAttempted)
    q.attempt_wrong()
    assert isinstance(q.check(), Incorrect)
    q.solve()
    assert isinstance(q.check(), Correct)
    config = lab.client("lambda").get_function_event_invoke_config(FunctionName="orders")
    assert config["FunctionArn"].split(":")[6] == lab.names.name("orders")


def test_exercise_05_partial_batch_says_it_is_checked_locally(lab: ConnectedLab) -> None:
    q = ex05.ReportBatchItemFailures(lab)
    q.setup()
    assert isinstance(q.check(), NotAttempted)
    lam = lab.client("lambda")
    uuid = lam.list_event_source_mappings(FunctionName="batch-worker")["EventSourceMappings"][0]["UUID"]
    lam.update_event_source_mapping(UUID=uuid, BatchSize=1)  # a mistake of the catalogue: one message a batch
    assert isinstance(q.check(), Incorrect)
    lab.advance(1)  # the mapping is Updating for a moment
    lam.update_event_source_mapping(UUID=uuid, BatchSize=10)
    lab.advance(1)
    q.solve()
    found = q.check()  # which message was deleted and which returned: only the local lab's pollers know
    assert isinstance(found, LocalOnly) and "sqs-deleted" in found.message


def test_close_removes_exactly_the_runs_resources(url: str) -> None:
    lab = lambdalab.Lab.connect(url)
    _orders_function(lab, "def handler(event, context):\n    return 1\n", SQS_READER)
    lam, sqs, sns, s3 = lab.client("lambda"), lab.client("sqs"), lab.client("sns"), lab.client("s3")
    queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    lam.create_event_source_mapping(FunctionName="orders", EventSourceArn=lab.arn("sqs", "jobs"))
    sns.create_topic(Name="news")
    lam.publish_layer_version(LayerName="libs", Content={"ZipFile": lambdalab.zip_files({"python/libs.py": "X = 1\n"})})
    s3.create_bucket(Bucket="receipts")
    s3.put_object(Bucket=lab.names.name("receipts"), Key="a.json", Body=b"{}")
    lab.client("dynamodb").create_table(
        TableName="items", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )  # fmt: skip
    lam.invoke(FunctionName="orders", Payload=b"{}")
    # someone else's: no prefix; another run's prefix with its own tag; our prefix without our tag
    other_sqs, other_iam = raw(lab, "sqs"), raw(lab, "iam")
    other_sqs.create_queue(QueueName="jobs")  # type: ignore[attr-defined]
    other_iam.create_role(RoleName="exec", AssumeRolePolicyDocument=json.dumps(TRUST))  # type: ignore[attr-defined]
    other_sqs.create_queue(QueueName="ll-000000-jobs", tags={"lambdalab:run": "000000"})  # type: ignore[attr-defined]
    other_sqs.create_queue(QueueName=lab.names.name("untagged"))  # type: ignore[attr-defined]
    assert queue.endswith(lab.names.name("jobs"))

    lab.close()
    report = lab.cleanup_report
    assert report is not None and not report.failed, report
    removed = {(kind, lab.names.strip(name)) for kind, name in report.removed}
    assert {("function", "orders"), ("layer", "libs:1"), ("queue", "jobs"), ("topic", "news"), ("bucket", "receipts"), ("table", "items"),
            ("role", "exec"), ("log group", f"/aws/lambda/{lab.names.name('orders')}")} <= removed  # fmt: skip
    assert any(kind == "event source mapping" for kind, _ in report.removed)
    assert [(kind, lab.names.strip(name)) for kind, name, _ in report.kept] == [("queue", "untagged")]
    names = [u.rsplit("/", 1)[-1] for u in other_sqs.list_queues().get("QueueUrls", [])]  # type: ignore[attr-defined]
    assert "jobs" in names and "ll-000000-jobs" in names and lab.names.name("jobs") not in names
    assert other_iam.get_role(RoleName="exec")["Role"]  # type: ignore[attr-defined]
    assert not [f for f in raw(lab, "lambda").list_functions()["Functions"] if lab.names.owns(f["FunctionName"])]  # type: ignore[attr-defined]
    assert lab.cost is not None and lab.cost.invocations == 1
    with pytest.raises(LabError, match="closed"):
        lab.client("sqs")


def test_the_cleanup_command_removes_a_run_left_behind(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    lab = lambdalab.Lab.connect(url)
    lab.client("sqs").create_queue(QueueName="left-behind")
    lab.client("sns").create_topic(Name="left-behind")
    # the notebook's kernel died before lab.close(): the command lists the runs left, then removes this one
    capsys.readouterr()
    assert cli.main(["cleanup", "--list", "--endpoint-url", url]) == 0
    listed = capsys.readouterr().out
    assert f"{lab.names.prefix}: queue {lab.names.name('left-behind')}" in listed and "Connected" not in listed
    assert cli.main(["cleanup", lab.names.prefix, "--endpoint-url", url]) == 0
    out = capsys.readouterr().out
    assert f"queue {lab.names.name('left-behind')}" in out and f"topic {lab.names.name('left-behind')}" in out
    assert "removed 2 resource(s)" in out
    assert cli.main(["cleanup", "--list", "--endpoint-url", url]) == 0
    assert lab.names.prefix not in capsys.readouterr().out
    assert cli.main(["cleanup", "--endpoint-url", url]) == 2  # which run? never all of them
