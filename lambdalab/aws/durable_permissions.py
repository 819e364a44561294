"""The execution role's durable permissions: what a durable function's own SDK calls need.

Inside a durable function the SDK calls ``CheckpointDurableExecution`` (to save each operation) and
``GetDurableExecutionState`` (to page in a long history) with the function's execution role. Lambda
authorizes both against the durable execution's ARN (``...:function:name:version/durable-execution/...``),
so a statement on an unqualified function ARN does not match; ``function:name:*`` does. The AWS managed
policy ``AWSLambdaBasicDurableExecutionRolePolicy`` grants both actions on ``*`` with CloudWatch Logs.

Without them the call is refused with ``AccessDeniedException`` (403) in IAM's words for an assumed role
(the session is the function's name). The SDK reads a 4xx other than a throttle or a stale checkpoint token
as an error no retry can mend: the invocation answers ``FAILED`` and the execution fails.

Who calls: the lab's functions all sign with one temporary key (:mod:`lambdalab.credentials`). A call
signed with it on an execution's ARN is that execution's function's (only its invocation holds the
checkpoint token), so that function's role is the one checked. A call signed with the lab's own key (a
cell, the CLI) is the account's own and is not checked.

https://docs.aws.amazon.com/lambda/latest/dg/durable-security.html
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicDurableExecutionRolePolicy.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import AwsError
from . import iam_policy

CHECKPOINT = "lambda:CheckpointDurableExecution"
GET_STATE = "lambda:GetDurableExecutionState"


def refusal(
    policies: Iterable[str | iam_policy.Document], action: str, role_arn: str, function_name: str, execution_arn: str
) -> AwsError | None:
    """AWS's ``AccessDeniedException`` when the role's ``policies`` do not allow ``action`` on the execution."""
    policies = list(policies)
    if iam_policy.is_allowed(policies, action, execution_arn):
        return None
    account, role_name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    user = f"arn:aws:sts::{account}:assumed-role/{role_name}/{function_name}"
    why = (
        "with an explicit deny in an identity-based policy"
        if iam_policy.explicitly_denied(policies, action, execution_arn)
        else f"because no identity-based policy allows the {action} action"
    )
    return AwsError(
        "AccessDeniedException",
        f"User: {user} is not authorized to perform: {action} on resource: {execution_arn} {why}",
        403,
    )
