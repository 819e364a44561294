"""The execution role's durable permissions, decided over policy documents (no lab): AWS's managed policy,
statements on the function's ARN with and without a qualifier, and an explicit deny.
https://docs.aws.amazon.com/lambda/latest/dg/durable-security.html"""

from __future__ import annotations

from typing import Any

from lambdalab.aws import durable_permissions as dp

ROLE = "arn:aws:iam::123456789012:role/service-role/orders-role"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:orders"
EXECUTION = f"{FUNCTION}:3/durable-execution/o-1/4b1f"
#: AWSLambdaBasicDurableExecutionRolePolicy's document (v3)
MANAGED = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "lambda:CheckpointDurableExecution",
                "lambda:GetDurableExecutionState",
            ],
            "Resource": "*",
        }
    ],
}


def _statement(effect: str, resource: str) -> dict[str, Any]:
    actions = [dp.CHECKPOINT, dp.GET_STATE]
    return {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": actions, "Resource": resource}]}


def _refusal(*policies: dict[str, Any], action: str = dp.CHECKPOINT) -> str | None:
    refused = dp.refusal(list(policies), action, ROLE, "orders", EXECUTION)
    return None if refused is None else f"{refused.status} {refused.code}: {refused.message}"


def test_the_managed_policy_and_a_qualifier_pattern_allow_both_actions() -> None:
    for action in (dp.CHECKPOINT, dp.GET_STATE):
        assert _refusal(MANAGED, action=action) is None
        assert _refusal(_statement("Allow", f"{FUNCTION}:*"), action=action) is None
        assert _refusal(_statement("Allow", f"{FUNCTION}:3/durable-execution/*"), action=action) is None


def test_an_unqualified_function_arn_never_matches_an_execution() -> None:
    assert _refusal(_statement("Allow", FUNCTION), action=dp.GET_STATE) == (
        "403 AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/orders-role/orders is not "
        f"authorized to perform: lambda:GetDurableExecutionState on resource: {EXECUTION} because no "
        "identity-based policy allows the lambda:GetDurableExecutionState action"
    )
    assert _refusal(_statement("Allow", f"{FUNCTION}:4/durable-execution/*")) is not None  # another version


def test_an_explicit_deny_wins_over_the_managed_policy_and_says_so() -> None:
    assert _refusal(MANAGED, _statement("Deny", f"{FUNCTION}:*")) == (
        "403 AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/orders-role/orders is not "
        f"authorized to perform: lambda:CheckpointDurableExecution on resource: {EXECUTION} with an explicit deny "
        "in an identity-based policy"
    )
