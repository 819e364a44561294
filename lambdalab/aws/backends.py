"""Reading moto's stored resources from inside the lab (same process).

Helpers that turn moto's exceptions into the :class:`AwsError` AWS would give.
"""

from __future__ import annotations

from typing import Any

from ..errors import AwsError, invalid_parameter
from . import iam_policy


def lambda_backend(account_id: str, region: str) -> Any:
    from moto.awslambda.models import lambda_backends

    return lambda_backends[account_id][region]


def _moto_errors() -> tuple[type[Exception], ...]:
    from moto.core.exceptions import JsonRESTError, ServiceException

    return (JsonRESTError, ServiceException)


def moto_error(err: Exception) -> AwsError:
    """A moto exception (either of its two kinds) as an AwsError."""
    error_type = getattr(err, "error_type", None)
    if error_type:  # JsonRESTError: code is the HTTP status
        status = getattr(err, "code", 400)
        return AwsError(str(error_type), str(getattr(err, "message", err)), status if isinstance(status, int) else 400)
    code = str(getattr(err, "code", "ServiceException"))
    status = 404 if code.endswith("NotFoundException") or code == "NoSuchEntity" else 400
    return AwsError(code, str(getattr(err, "message", err)), status)


def get_function(account_id: str, region: str, name: str, qualifier: str | None = None) -> Any:
    """The stored function version, or ResourceNotFoundException as AWS says it."""
    try:
        return lambda_backend(account_id, region).get_function(name, qualifier)
    except _moto_errors() as err:
        raise moto_error(err) from err


def role(account_id: str, role_arn: str) -> Any | None:
    from moto.iam.models import iam_backends

    try:
        return iam_backends[account_id]["aws"].get_role_by_arn(role_arn)
    except _moto_errors():
        return None


def role_policies(account_id: str, role_arn: str) -> list[str | dict[str, Any]]:
    """The identity policies in force for a role: inline and attached managed ones."""
    found = role(account_id, role_arn)
    if found is None:
        return []
    docs: list[str | dict[str, Any]] = list(found.policies.values())
    for policy in found.managed_policies.values():
        docs.extend(v.document for v in policy.versions if v.is_default)
    return docs


def check_role_assumable(account_id: str, role_arn: str) -> None:
    """Lambda assumes the execution role when it creates the function; refuse as AWS does."""
    found = role(account_id, role_arn)
    if found is None or not iam_policy.trust_allows(found.assume_role_policy_document):
        raise invalid_parameter("The role defined for the function cannot be assumed by Lambda.")
