"""IAM roles as Lambda's checks read them from moto's store: trust and identity policies.

moto stores roles and their policies but never evaluates them;
:mod:`lambdalab.aws.iam_policy` does, over the documents read here.  Every name read
of moto's storage is listed in :data:`NEEDS` for the start-up self-test.

https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
"""

from __future__ import annotations

from typing import Any

from ..errors import invalid_parameter
from . import iam_policy
from .moto_lambda import moto_errors
from .moto_needs import Needs

NEEDS = (
    Needs("moto.iam.models", "iam_backends"),
    Needs("moto.iam.models", "IAMBackend", ("get_role_by_arn",)),
    Needs(
        "moto.iam.models",
        "Role",
        ("assume_role_policy_document", "policies", "managed_policies"),
        sample=lambda cls: cls("123456789012", "aws", "AROAPROBE", "probe", "{}", "/", None, "", [], None),
    ),
    Needs(
        "moto.iam.models",
        "ManagedPolicy",
        ("versions",),
        sample=lambda cls: cls("probe", "123456789012", "us-east-1", document="{}"),
    ),
    Needs(
        "moto.iam.models",
        "PolicyVersion",
        ("document", "is_default"),
        sample=lambda cls: cls("arn:aws:iam::123456789012:policy/probe", "{}"),
    ),
)


def _role(account_id: str, role_arn: str) -> Any | None:
    from moto.iam.models import iam_backends

    try:
        return iam_backends[account_id]["aws"].get_role_by_arn(role_arn)
    except moto_errors():
        return None


def role_policies(account_id: str, role_arn: str) -> list[str | dict[str, Any]]:
    """The identity policies in force for a role: inline and attached managed ones."""
    found = _role(account_id, role_arn)
    if found is None:
        return []
    docs: list[str | dict[str, Any]] = list(found.policies.values())
    for policy in found.managed_policies.values():
        docs.extend(v.document for v in policy.versions if v.is_default)
    return docs


def check_role_assumable(account_id: str, role_arn: str) -> None:
    """Lambda assumes the execution role when it creates the function; refuse as AWS does."""
    found = _role(account_id, role_arn)
    if found is None or not iam_policy.trust_allows(found.assume_role_policy_document):
        raise invalid_parameter("The role defined for the function cannot be assumed by Lambda.")
