"""Who may invoke: each principal type allowed by a matching statement and refused without one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support import create_python

import lambdalab
from lambdalab.aws.lambda_policy import Caller, allows, statement

ACCOUNT = "123456789012"
OTHER = "111122223333"
FN = "arn:aws:lambda:us-east-1:123456789012:function:f"


def st(**body: str) -> dict:
    return statement({"StatementId": "s", "Action": "lambda:InvokeFunction", **body}, FN)


# -- the decision, as a pure function ---------------------------------------------------
def test_service_principal_with_source_arn_allows_only_that_source() -> None:
    policy = [st(Principal="sns.amazonaws.com", SourceArn="arn:aws:sns:us-east-1:123456789012:orders")]
    assert allows(policy, Caller("sns.amazonaws.com", ACCOUNT, "arn:aws:sns:us-east-1:123456789012:orders"))
    assert not allows(policy, Caller("sns.amazonaws.com", ACCOUNT, "arn:aws:sns:us-east-1:123456789012:other"))
    assert not allows(policy, Caller("s3.amazonaws.com", ACCOUNT, "arn:aws:sns:us-east-1:123456789012:orders"))


def test_source_arn_is_matched_with_arn_like_wildcards() -> None:
    policy = [st(Principal="events.amazonaws.com", SourceArn="arn:aws:events:us-east-1:123456789012:rule/nightly-*")]
    assert allows(
        policy, Caller("events.amazonaws.com", ACCOUNT, "arn:aws:events:us-east-1:123456789012:rule/nightly-report")
    )
    assert not allows(
        policy, Caller("events.amazonaws.com", ACCOUNT, "arn:aws:events:us-east-1:123456789012:rule/hourly")
    )


def test_service_principal_without_source_arn_allows_any_source_even_another_accounts() -> None:
    policy = [st(Principal="s3.amazonaws.com")]
    assert allows(policy, Caller("s3.amazonaws.com", ACCOUNT, "arn:aws:s3:::mine"))
    assert allows(policy, Caller("s3.amazonaws.com", OTHER, "arn:aws:s3:::someone-elses-bucket"))
    guarded = [st(Principal="s3.amazonaws.com", SourceAccount=ACCOUNT)]
    assert not allows(guarded, Caller("s3.amazonaws.com", OTHER, "arn:aws:s3:::someone-elses-bucket"))


def test_account_principal_and_org_condition() -> None:
    assert allows([st(Principal=OTHER)], Caller(account=OTHER))
    assert not allows([st(Principal=OTHER)], Caller(account="999999999999"))
    assert allows([st(Principal=f"arn:aws:iam::{OTHER}:root")], Caller(account=OTHER))
    org = [st(Principal="*", PrincipalOrgID="o-a1b2c3d4e5")]
    assert allows(org, Caller(account=OTHER, org_id="o-a1b2c3d4e5"))
    assert not allows(org, Caller(account=OTHER, org_id="o-zzzzzzzzzz"))
    assert not allows(org, Caller(account=OTHER))


def test_only_invoke_actions_allow_invoking() -> None:
    get_only = [statement({"StatementId": "g", "Action": "lambda:GetFunction", "Principal": OTHER}, FN)]
    assert not allows(get_only, Caller(account=OTHER))
    assert allows(
        [statement({"StatementId": "a", "Action": "lambda:*", "Principal": OTHER}, FN)], Caller(account=OTHER)
    )


# -- end to end: another account's Invoke -------------------------------------------------
@pytest.fixture(scope="module")
def fn(lab: lambdalab.Lab, role_arn: str) -> str:
    return create_python(lab, role_arn, FunctionName="shared")


def other_account(lab: lambdalab.Lab, account: str = OTHER) -> Any:
    """A client that signs as a caller from ``account``."""
    return lab.client("lambda", account=account)


def test_another_account_is_refused_without_a_statement(lab: lambdalab.Lab, fn: str) -> None:
    with pytest.raises(ClientError) as err:
        other_account(lab).invoke(FunctionName=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}", Payload=b"{}")
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"arn:aws:iam::{OTHER}:root is not authorized to perform: lambda:InvokeFunction" in str(err.value)
    assert lab.trace.where("invoke-denied", fn)[-1].detail["caller"] == OTHER
    # the function's own account needs no statement
    assert lab.client("lambda").invoke(FunctionName=fn, Payload=b"{}")["StatusCode"] == 200


def test_another_account_is_allowed_by_an_account_statement(lab: lambdalab.Lab, fn: str) -> None:
    lab.client("lambda").add_permission(
        FunctionName=fn, StatementId="partner", Action="lambda:InvokeFunction", Principal=OTHER
    )
    answer = other_account(lab).invoke(
        FunctionName=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}", Payload=b'{"hi": 1}'
    )
    assert json.load(answer["Payload"])["event"] == {"hi": 1}
    with pytest.raises(ClientError):
        other_account(lab, "999999999999").invoke(
            FunctionName=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}", Payload=b"{}"
        )


def test_an_organization_statement_admits_its_member_accounts(lab: lambdalab.Lab, fn: str) -> None:
    lab.client("lambda").add_permission(
        FunctionName=fn, StatementId="org", Action="lambda:InvokeFunction", Principal="*", PrincipalOrgID="o-a1b2c3d4e5"
    )
    member, outsider = "222233334444", "555566667777"
    lab.policies.organizations["o-a1b2c3d4e5"] = {member}
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}"
    assert other_account(lab, member).invoke(FunctionName=arn, Payload=b"{}")["StatusCode"] == 200
    with pytest.raises(ClientError) as err:
        other_account(lab, outsider).invoke(FunctionName=arn, Payload=b"{}")
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"


def test_a_statement_on_an_alias_covers_calls_through_that_alias_only(lab: lambdalab.Lab, fn: str) -> None:
    lam = lab.client("lambda")
    version = lam.publish_version(FunctionName=fn)["Version"]
    lam.create_alias(FunctionName=fn, Name="prod", FunctionVersion=version)
    lam.add_permission(
        FunctionName=fn,
        StatementId="prod-only",
        Action="lambda:InvokeFunction",
        Principal="444455556666",
        Qualifier="prod",
    )
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}"
    assert other_account(lab, "444455556666").invoke(FunctionName=f"{arn}:prod", Payload=b"{}")["StatusCode"] == 200
    with pytest.raises(ClientError):
        other_account(lab, "444455556666").invoke(FunctionName=arn, Payload=b"{}")
