"""Execution roles: Lambda must be able to assume them (trust policy), as AWS checks."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from support import LAMBDA_TRUST, create_python, unique

import lambdalab
from lambdalab.aws import iam_policy

CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."


def _role(lab: lambdalab.Lab, trust: dict) -> str:
    name = unique("role")
    return str(lab.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_role_lambda_can_assume_is_accepted(lab: lambdalab.Lab) -> None:
    name = create_python(lab, _role(lab, LAMBDA_TRUST))
    assert lab.client("lambda").get_function(FunctionName=name)["Configuration"]["State"] == "Active"


def test_role_trusting_another_service_is_refused(lab: lambdalab.Lab) -> None:
    ec2_trust = json.loads(json.dumps(LAMBDA_TRUST).replace("lambda.amazonaws.com", "ec2.amazonaws.com"))
    with pytest.raises(ClientError) as exc:
        create_python(lab, _role(lab, ec2_trust))
    assert _error(exc) == ("InvalidParameterValueException", CANNOT_ASSUME)


def test_role_that_does_not_exist_is_refused(lab: lambdalab.Lab) -> None:
    with pytest.raises(ClientError) as exc:
        create_python(lab, f"arn:aws:iam::{lab.account_id}:role/nobody")
    assert _error(exc) == ("InvalidParameterValueException", CANNOT_ASSUME)


def test_trust_policy_with_deny_is_refused(lab: lambdalab.Lab) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": LAMBDA_TRUST["Statement"] + [{**LAMBDA_TRUST["Statement"][0], "Effect": "Deny"}],
    }
    with pytest.raises(ClientError) as exc:
        create_python(lab, _role(lab, trust))
    assert _error(exc)[0] == "InvalidParameterValueException"


def test_malformed_role_arn_fails_validation(lab: lambdalab.Lab) -> None:
    with pytest.raises(ClientError) as exc:
        create_python(lab, "my-role")
    assert exc.value.response["Error"]["Code"] == "ValidationException"


def test_update_configuration_checks_the_new_role(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn)
    ec2_trust = json.loads(json.dumps(LAMBDA_TRUST).replace("lambda.amazonaws.com", "ec2.amazonaws.com"))
    with pytest.raises(ClientError) as exc:
        lab.client("lambda").update_function_configuration(FunctionName=name, Role=_role(lab, ec2_trust))
    assert _error(exc) == ("InvalidParameterValueException", CANNOT_ASSUME)


def test_basic_execution_managed_policy_is_available(lab: lambdalab.Lab, role_arn: str) -> None:
    from lambdalab.aws.moto_iam import role_policies

    docs = role_policies(lab.account_id, role_arn)
    log_group = lab.arn("logs", "log-group:/aws/lambda/f:*")
    assert iam_policy.is_allowed(docs, "logs:PutLogEvents", log_group)
    assert not iam_policy.is_allowed(docs, "sqs:SendMessage", lab.arn("sqs", "q"))


def test_inline_policy_counts(lab: lambdalab.Lab, role_arn: str) -> None:
    from lambdalab.aws.moto_iam import role_policies

    iam = lab.client("iam")
    role_name = role_arn.rsplit("/", 1)[-1]
    queue = lab.arn("sqs", "orders")
    iam.put_role_policy(
        RoleName=role_name,
        PolicyName="send",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue}],
            }
        ),
    )
    assert iam_policy.is_allowed(role_policies(lab.account_id, role_arn), "sqs:SendMessage", queue)
    iam.delete_role_policy(RoleName=role_name, PolicyName="send")


@pytest.mark.parametrize(
    ("statement", "allowed"),
    [
        ({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}, True),
        ({"Effect": "Allow", "Action": ["sqs:ReceiveMessage"], "Resource": "arn:aws:sqs:*:*:q"}, False),
        ({"Effect": "Allow", "NotAction": "sns:*", "Resource": "*"}, True),
        ({"Effect": "Allow", "Action": "SQS:SendMessage", "Resource": "arn:aws:sqs:us-east-1:123456789012:q"}, True),
    ],
)
def test_identity_policy_evaluation(statement: dict, allowed: bool) -> None:
    doc = {"Version": "2012-10-17", "Statement": [statement]}
    assert iam_policy.is_allowed([doc], "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q") is allowed


def test_explicit_deny_wins() -> None:
    allow = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    deny = {"Statement": [{"Effect": "Deny", "Action": "sqs:SendMessage", "Resource": "*"}]}
    assert not iam_policy.is_allowed([allow, deny], "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q")


def test_trust_policy_forms() -> None:
    listed = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
                "Action": ["sts:AssumeRole"],
            }
        ]
    }
    assert iam_policy.trust_allows(listed)
    assert iam_policy.trust_allows(json.dumps(listed))
    wrong_action = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:TagSession"}]
    }
    assert not iam_policy.trust_allows(wrong_action)
