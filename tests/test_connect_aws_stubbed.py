"""``Lab.connect()`` against AWS itself, with botocore's Stubber standing in for AWS (no network here).

What is tested: the confirmation before anything is created (account id and region printed,
nothing goes on without ``confirm=<that account>``), the run's prefix and tag on what the
notebook creates, and a cleanup that deletes exactly the run's resources.  What is not: AWS's
own answers, which only a real account gives.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

import lambdalab
from lambdalab.errors import LabError
from lambdalab.remote.cleanup import Cleanup
from lambdalab.remote.naming import TAG_KEY, RunNames

ACCOUNT = "210987654321"
REGION = "eu-west-1"
RUN = RunNames("3f9a2c")
MINE = {TAG_KEY: RUN.run_id}
MAPPING = "a1b2c3d4-5678-90ab-cdef-111122223333"


class StubbedSession:
    """A boto3 session whose clients are stubbed (one per service, made on first use)."""

    def __init__(self) -> None:
        self._real = boto3.Session(aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret", region_name=REGION)
        self.clients: dict[str, Any] = {}
        self.stubs: dict[str, Stubber] = {}
        self.region_name = REGION

    def client(self, service: str, **_: Any) -> Any:
        if service not in self.clients:
            self.clients[service] = self._real.client(service, region_name=REGION)
            self.stubs[service] = Stubber(self.clients[service])
            self.stubs[service].activate()
        return self.clients[service]

    def stub(self, service: str) -> Stubber:
        self.client(service)
        return self.stubs[service]

    def done(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


@pytest.fixture
def session() -> Iterator[StubbedSession]:
    made = StubbedSession()
    made.stub("sts").add_response(
        "get_caller_identity",
        {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/learner", "UserId": "AIDAEXAMPLE"},
    )
    yield made
    made.done()


def test_nothing_goes_on_without_confirming_the_account(session: StubbedSession) -> None:
    out = io.StringIO()
    with pytest.raises(LabError, match=f"confirm='{ACCOUNT}'"):
        lambdalab.Lab.connect(region=REGION, session=session, out=out)
    assert f"AWS account {ACCOUNT}, region {REGION}" in out.getvalue()
    assert set(session.clients) == {"sts"}  # one read-only call: who am I


def test_confirming_another_account_is_refused(session: StubbedSession) -> None:
    with pytest.raises(LabError, match=f"AWS account {ACCOUNT}"):
        lambdalab.Lab.connect(region=REGION, session=session, confirm="123456789012", out=io.StringIO())


def test_what_the_notebook_creates_is_prefixed_and_tagged(session: StubbedSession) -> None:
    lab = lambdalab.Lab.connect(region=REGION, session=session, confirm=ACCOUNT, run=RUN.run_id, out=io.StringIO())
    assert lab.endpoint_url is None and lab.account_id == ACCOUNT
    assert lab.arn("sqs", "orders") == f"arn:aws:sqs:{REGION}:{ACCOUNT}:ll-3f9a2c-orders"
    assert lab.arn("lambda", "function:hello") == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ll-3f9a2c-hello"
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/ll-3f9a2c-exec"
    now = datetime(2026, 12, 6, tzinfo=UTC)
    session.stub("iam").add_response(
        "create_role",
        {
            "Role": {
                "Path": "/",
                "RoleName": "ll-3f9a2c-exec",
                "RoleId": "AROAEXAMPLE1234567",
                "Arn": role_arn,
                "CreateDate": now,
            }
        },
        {"RoleName": "ll-3f9a2c-exec", "AssumeRolePolicyDocument": "{}", "Tags": [{"Key": TAG_KEY, "Value": "3f9a2c"}]},
    )
    session.stub("lambda").add_response(
        "create_function",
        {"FunctionName": "ll-3f9a2c-hello"},
        {"FunctionName": "ll-3f9a2c-hello", "Role": role_arn, "Runtime": "python3.13", "Handler": "app.handler",
         "Code": {"ZipFile": b"zip"}, "Tags": {"team": "a", TAG_KEY: "3f9a2c"}},
    )  # fmt: skip
    session.stub("lambda").add_response("invoke", {"StatusCode": 200}, {"FunctionName": "ll-3f9a2c-hello"})
    session.stub("lambda").add_response(
        "invoke", {"StatusCode": 200}, {"FunctionName": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:other"}
    )
    session.stub("sqs").add_response(
        "create_queue", {"QueueUrl": "https://sqs/q"}, {"QueueName": "ll-3f9a2c-orders", "tags": MINE}
    )
    session.stub("sqs").add_response("list_queues", {"QueueUrls": []}, {"QueueNamePrefix": "ll-3f9a2c-"})
    session.stub("s3").add_response("create_bucket", {}, {"Bucket": "ll-3f9a2c-receipts"})
    session.stub("s3").add_response(
        "put_bucket_tagging",
        {},
        {"Bucket": "ll-3f9a2c-receipts", "Tagging": {"TagSet": [{"Key": TAG_KEY, "Value": "3f9a2c"}]}},
    )

    lab.client("iam").create_role(RoleName="exec", AssumeRolePolicyDocument="{}")
    lam = lab.client("lambda")
    lam.create_function(
        FunctionName="hello", Role=role_arn, Runtime="python3.13", Handler="app.handler",
        Code={"ZipFile": b"zip"}, Tags={"team": "a"},
    )  # fmt: skip
    lam.invoke(FunctionName="hello")
    lam.invoke(FunctionName=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:other")  # an ARN is taken as it is
    lab.client("sqs").create_queue(QueueName="orders")
    lab.client("sqs").list_queues()  # only this run's queues
    lab.client("s3").create_bucket(Bucket="receipts")
    assert lab.trace.functions == {"hello"}


def _function(name: str) -> dict[str, Any]:
    return {"FunctionName": name, "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"}


def test_cleanup_deletes_only_the_runs_resources() -> None:
    session = StubbedSession()
    lam, sqs, iam = session.stub("lambda"), session.stub("sqs"), session.stub("iam")
    lam.add_response(
        "list_functions",
        {"Functions": [_function("ll-3f9a2c-hello"), _function("hello"), _function("ll-3f9a2c-foreign")]},
        {},
    )
    lam.add_response("list_tags", {"Tags": MINE}, {"Resource": ANY})
    lam.add_response(
        "list_event_source_mappings", {"EventSourceMappings": [{"UUID": MAPPING}]}, {"FunctionName": "ll-3f9a2c-hello"}
    )
    lam.add_response("delete_event_source_mapping", {}, {"UUID": MAPPING})
    lam.add_response("delete_function", {}, {"FunctionName": "ll-3f9a2c-hello"})
    lam.add_response("list_tags", {"Tags": {TAG_KEY: "000000"}}, {"Resource": ANY})  # prefixed, another run's tag
    urls = [f"https://sqs/{ACCOUNT}/ll-3f9a2c-orders"]
    sqs.add_response("list_queues", {"QueueUrls": urls}, {"QueueNamePrefix": "ll-3f9a2c-"})
    sqs.add_response("list_queue_tags", {"Tags": MINE}, {"QueueUrl": urls[0]})
    sqs.add_response("delete_queue", {}, {"QueueUrl": urls[0]})
    created = datetime(2026, 12, 6, tzinfo=UTC)
    roles = [
        {"Path": "/", "RoleName": name, "RoleId": "AROAEXAMPLE1234567", "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
         "CreateDate": created}
        for name in ("admin", "ll-3f9a2c-exec")
    ]  # fmt: skip
    iam.add_response("list_roles", {"Roles": roles}, {})
    iam.add_response("list_role_tags", {"Tags": [{"Key": TAG_KEY, "Value": "3f9a2c"}]}, {"RoleName": "ll-3f9a2c-exec"})
    attached = {"AttachedPolicies": [{"PolicyName": "basic", "PolicyArn": "arn:aws:iam::aws:policy/basic"}]}
    iam.add_response("list_attached_role_policies", attached, {"RoleName": "ll-3f9a2c-exec"})
    iam.add_response(
        "detach_role_policy", {}, {"RoleName": "ll-3f9a2c-exec", "PolicyArn": "arn:aws:iam::aws:policy/basic"}
    )
    iam.add_response("list_role_policies", {"PolicyNames": ["inline"]}, {"RoleName": "ll-3f9a2c-exec"})
    iam.add_response("delete_role_policy", {}, {"RoleName": "ll-3f9a2c-exec", "PolicyName": "inline"})
    iam.add_response("list_instance_profiles_for_role", {"InstanceProfiles": []}, {"RoleName": "ll-3f9a2c-exec"})
    iam.add_response("delete_role", {}, {"RoleName": "ll-3f9a2c-exec"})
    layers = [
        {"LayerName": name, "LayerArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}"}
        for name in ("ll-3f9a2c-libs", "libs")
    ]
    lam.add_response("list_layers", {"Layers": layers}, {})
    lam.add_response(
        "list_layer_versions", {"LayerVersions": [{"Version": 1}, {"Version": 2}]}, {"LayerName": "ll-3f9a2c-libs"}
    )
    lam.add_response("delete_layer_version", {}, {"LayerName": "ll-3f9a2c-libs", "VersionNumber": 1})
    lam.add_response("delete_layer_version", {}, {"LayerName": "ll-3f9a2c-libs", "VersionNumber": 2})
    session.stub("events").add_response("list_rules", {"Rules": []}, {"NamePrefix": "ll-3f9a2c-"})
    session.stub("sns").add_response("list_topics", {"Topics": []}, {})
    session.stub("s3").add_response("list_buckets", {"Buckets": [{"Name": "company-data"}]}, {})
    session.stub("dynamodb").add_response("list_tables", {"TableNames": ["orders"]}, {})
    session.stub("kinesis").add_response("list_streams", {"StreamNames": [], "HasMoreStreams": False}, {})
    session.stub("logs").add_response(
        "describe_log_groups",
        {"logGroups": [{"logGroupName": "/aws/lambda/ll-3f9a2c-hello"}]},
        {"logGroupNamePrefix": "/aws/lambda/ll-3f9a2c-"},
    )
    session.stub("logs").add_response("delete_log_group", {}, {"logGroupName": "/aws/lambda/ll-3f9a2c-hello"})

    report = Cleanup(session.client, RUN).run()
    session.done()

    assert report.removed == [
        ("event source mapping", MAPPING),
        ("function", "ll-3f9a2c-hello"),
        ("layer", "ll-3f9a2c-libs:1"),
        ("layer", "ll-3f9a2c-libs:2"),
        ("queue", "ll-3f9a2c-orders"),
        ("role", "ll-3f9a2c-exec"),
        ("log group", "/aws/lambda/ll-3f9a2c-hello"),
    ]
    assert report.kept == [("function", "ll-3f9a2c-foreign", f"prefixed, but not tagged {TAG_KEY}=3f9a2c")]
    assert not report.failed
    # "hello", "admin", "company-data" and "orders" have no prefix: the stubs answered no call about them


def test_run_names() -> None:
    assert RUN.name("hello") == "ll-3f9a2c-hello" == RUN.name("ll-3f9a2c-hello")
    assert RUN.name("/aws/lambda/hello") == "/aws/lambda/ll-3f9a2c-hello"
    assert RUN.name("arn:aws:sqs:eu-west-1:1:q") == "arn:aws:sqs:eu-west-1:1:q"
    assert RUN.resource("role/exec") == "role/ll-3f9a2c-exec" and RUN.resource("orders") == "ll-3f9a2c-orders"
    assert RunNames.parse("ll-3f9a2c-") == RUN == RunNames.parse("3f9a2c")
    with pytest.raises(ValueError):
        RunNames.parse("ll-*")
    assert len(RunNames.new().prefix) == len("ll-3f9a2c-")
