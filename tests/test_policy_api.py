"""AddPermission, GetPolicy, RemovePermission: validation and the statements AWS writes."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from support import create_python

import lambdalab

ACCOUNT = "123456789012"


def code(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    e = err.value.response["Error"]
    return str(e["Code"]), str(e["Message"])


@pytest.fixture(scope="module")
def fn(lab: lambdalab.Lab, role_arn: str) -> str:
    return create_python(lab, role_arn, FunctionName="LogScheduledEvent")


def test_statement_for_a_service_with_source_arn(lab: lambdalab.Lab, fn: str) -> None:
    out = lab.client("lambda").add_permission(
        FunctionName=fn,
        StatementId="PerMinuteScheduledEvent",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=f"arn:aws:events:us-east-1:{ACCOUNT}:rule/PerMinuteRule",
    )
    assert out["Statement"] == (
        '{"Sid":"PerMinuteScheduledEvent","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},'
        '"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:LogScheduledEvent",'
        '"Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:events:us-east-1:123456789012:rule/PerMinuteRule"}}}'
    )


def test_principal_forms_and_conditions(lab: lambdalab.Lab, fn: str) -> None:
    lam = lab.client("lambda")
    account = json.loads(
        lam.add_permission(
            FunctionName=fn, StatementId="acct", Action="lambda:InvokeFunction", Principal="111122223333"
        )["Statement"]
    )
    assert account["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    arn = json.loads(
        lam.add_permission(
            FunctionName=fn, StatementId="arn", Action="lambda:GetFunction", Principal="arn:aws:iam::444455556666:root"
        )["Statement"]
    )
    assert arn["Principal"] == {"AWS": "arn:aws:iam::444455556666:root"} and arn["Action"] == "lambda:GetFunction"
    org = json.loads(
        lam.add_permission(
            FunctionName=fn,
            StatementId="org",
            Action="lambda:InvokeFunction",
            Principal="*",
            PrincipalOrgID="o-a1b2c3d4e5",
        )["Statement"]
    )
    assert org["Principal"] == "*" and org["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    s3 = json.loads(
        lam.add_permission(
            FunctionName=fn,
            StatementId="s3",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceArn="arn:aws:s3:::my-bucket",
            SourceAccount=ACCOUNT,
        )["Statement"]
    )
    assert s3["Condition"] == {
        "StringEquals": {"AWS:SourceAccount": ACCOUNT},
        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"},
    }
    url = json.loads(
        lam.add_permission(
            FunctionName=fn,
            StatementId="url",
            Action="lambda:InvokeFunctionUrl",
            Principal="*",
            FunctionUrlAuthType="NONE",
        )["Statement"]
    )
    assert url["Condition"] == {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}
    policy = json.loads(lam.get_policy(FunctionName=fn)["Policy"])
    assert policy["Version"] == "2012-10-17" and policy["Id"] == "default"
    assert [s["Sid"] for s in policy["Statement"]] == ["PerMinuteScheduledEvent", "acct", "arn", "org", "s3", "url"]


def test_statement_id_must_be_new(lab: lambdalab.Lab, fn: str) -> None:
    with pytest.raises(ClientError) as err:
        lab.client("lambda").add_permission(
            FunctionName=fn, StatementId="acct", Action="lambda:InvokeFunction", Principal="*"
        )
    assert code(err) == (
        "ResourceConflictException",
        "The statement id (acct) provided already exists. Please provide a new "
        "statement id, or remove the existing statement.",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("StatementId", "has space", "Value 'has space' at 'statementId' failed to satisfy constraint"),
        ("Action", "InvokeFunction", "Value 'InvokeFunction' at 'action' failed to satisfy constraint"),
        ("SourceAccount", "12", "Value '12' at 'sourceAccount' failed to satisfy constraint"),
        (
            "PrincipalOrgID",
            "org-12345678901",
            "Value 'org-12345678901' at 'principalOrgID' failed to satisfy constraint",
        ),
    ],
)
def test_parameters_are_validated(lab: lambdalab.Lab, fn: str, field: str, value: str, message: str) -> None:
    params = {"FunctionName": fn, "StatementId": "v", "Action": "lambda:InvokeFunction", "Principal": "*", field: value}
    with pytest.raises(ClientError) as err:
        lab.client("lambda").add_permission(**params)
    assert code(err)[0] == "ValidationException" and message in code(err)[1]


def test_latest_cannot_carry_a_policy_but_a_version_or_alias_can(lab: lambdalab.Lab, fn: str) -> None:
    lam = lab.client("lambda")
    with pytest.raises(ClientError) as err:
        lam.add_permission(
            FunctionName=fn, StatementId="q", Action="lambda:InvokeFunction", Principal="*", Qualifier="$LATEST"
        )
    assert code(err) == ("InvalidParameterValueException", "We currently do not support adding policies for $LATEST.")
    version = lam.publish_version(FunctionName=fn)["Version"]
    lam.create_alias(FunctionName=fn, Name="live", FunctionVersion=version)
    st = json.loads(
        lam.add_permission(
            FunctionName=fn, StatementId="q", Action="lambda:InvokeFunction", Principal="*", Qualifier="live"
        )["Statement"]
    )
    assert st["Resource"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}:live"
    assert [s["Sid"] for s in json.loads(lam.get_policy(FunctionName=fn, Qualifier="live")["Policy"])["Statement"]] == [
        "q"
    ]
    with pytest.raises(ClientError) as err:
        lam.add_permission(
            FunctionName=fn, StatementId="q2", Action="lambda:InvokeFunction", Principal="*", Qualifier="nope"
        )
    assert code(err)[0] == "ResourceNotFoundException"


def test_revision_id_guards_concurrent_edits(lab: lambdalab.Lab, fn: str) -> None:
    lam = lab.client("lambda")
    revision = lam.get_policy(FunctionName=fn)["RevisionId"]
    lam.add_permission(
        FunctionName=fn, StatementId="rev1", Action="lambda:InvokeFunction", Principal="*", RevisionId=revision
    )
    with pytest.raises(ClientError) as err:
        lam.add_permission(
            FunctionName=fn, StatementId="rev2", Action="lambda:InvokeFunction", Principal="*", RevisionId=revision
        )
    assert code(err)[0] == "PreconditionFailedException"
    assert lam.get_policy(FunctionName=fn)["RevisionId"] != revision


def test_the_policy_revision_id_is_the_functions_and_a_permission_change_moves_it(
    lab: lambdalab.Lab, role_arn: str
) -> None:
    """GetPolicy's RevisionId is the function's RevisionId; AddPermission and RemovePermission give the
    function a new one (PreconditionFailedException: "the latest RevisionId for the Lambda function or
    alias"; for AddPermission and RemovePermission "call GetPolicy to retrieve" it)."""
    lam = lab.client("lambda")
    name = create_python(lab, role_arn)
    before = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    lam.add_permission(
        FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com"
    )
    after = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    assert after != before and lam.get_policy(FunctionName=name)["RevisionId"] == after
    with pytest.raises(ClientError) as err:  # the function's old RevisionId no longer guards an update
        lam.update_function_configuration(FunctionName=name, Timeout=5, RevisionId=before)
    assert code(err)[0] == "PreconditionFailedException"
    lam.remove_permission(FunctionName=name, StatementId="s3", RevisionId=after)
    assert lam.get_function_configuration(FunctionName=name)["RevisionId"] not in (before, after)


def test_a_permission_change_keeps_the_warm_environment(lab: lambdalab.Lab, role_arn: str) -> None:
    lam = lab.client("lambda")
    name = create_python(lab, role_arn)
    lam.invoke(FunctionName=name)
    lam.add_permission(
        FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com"
    )
    lam.invoke(FunctionName=name)
    assert [r.detail["cold"] for r in lab.trace.where("invoke", name)] == [True, False]


def test_remove_permission_then_an_empty_policy_is_not_found(lab: lambdalab.Lab, role_arn: str) -> None:
    lam = lab.client("lambda")
    name = create_python(lab, role_arn)
    with pytest.raises(ClientError) as err:
        lam.get_policy(FunctionName=name)
    assert code(err) == ("ResourceNotFoundException", "The resource you requested does not exist.")
    lam.add_permission(
        FunctionName=name, StatementId="only", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com"
    )
    lam.remove_permission(FunctionName=name, StatementId="only")
    with pytest.raises(ClientError) as err:
        lam.remove_permission(FunctionName=name, StatementId="only")
    assert code(err) == ("ResourceNotFoundException", "Statement only is not found in resource policy.")
    with pytest.raises(ClientError) as err:
        lam.get_policy(FunctionName=name)
    assert code(err)[0] == "ResourceNotFoundException"


def test_a_deleted_function_loses_its_policy(lab: lambdalab.Lab, role_arn: str) -> None:
    lam = lab.client("lambda")
    name = create_python(lab, role_arn)
    lam.add_permission(
        FunctionName=name, StatementId="x", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com"
    )
    lam.delete_function(FunctionName=name)
    create_python(lab, role_arn, FunctionName=name)
    with pytest.raises(ClientError):
        lam.get_policy(FunctionName=name)
