"""Function names and ARNs as Lambda's API reads them: whose function, in which Region.

Every Lambda operation that names a function takes a name (``my-function``), a
partial ARN (``123456789012:function:my-function``) or an ARN, with an optional
version or alias.  An ARN can name a function the lab does not hold:

- another Region: ``ResourceNotFoundException``, "Functions from 'eu-west-1' are
  not reachable in this region ('us-east-1')" (the answer AWS gives; reported by
  users of the Go and Rust SDKs);
- another account: that account's function is reached only through its
  resource-based policy, so a caller it does not name gets
  ``AccessDeniedException``, "User: ... is not authorized to perform:
  lambda:GetFunction on resource: ... because no resource-based policy allows the
  lambda:GetFunction action" (the lab holds one account's functions).

The length rules are the API reference's: CreateFunction takes a name of at most
64 characters, or an ARN of at most 140; the other operations take up to the
model's maximum (a name longer than 64 there is simply not found).

https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#lambda-CreateFunction-request-FunctionName
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#lambda-Invoke-request-FunctionName
https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-cross-account.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

from ..errors import AwsError, invalid_parameter, not_found, validation
from .lambda_policy import caller_account

if TYPE_CHECKING:
    from .gateway import Request

NAME_ONLY_LIMIT = 64
_REF = re.compile(
    r"^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:(?P<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?(?:function:)?(?P<name>[a-zA-Z0-9-_.]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$"
)
#: the IAM action of an operation, where it differs from the operation's name
_ACTIONS = {"Invoke": "InvokeFunction", "InvokeAsync": "InvokeAsync"}


@dataclass(frozen=True)
class FunctionRef:
    """What a FunctionName value names; region and account None when it does not say."""

    name: str
    qualifier: str | None
    region: str | None
    account: str | None


def parse(value: str) -> FunctionRef | None:
    """The parts of a name, partial ARN or ARN; None when it is none of those."""
    hit = _REF.match(value)
    if not hit:
        return None
    return FunctionRef(hit.group("name"), hit.group("qualifier"), hit.group("region"), hit.group("account"))


@cache
def constraints(operation: str) -> tuple[str, int]:
    """The FunctionName pattern and maximum length of ``operation``, from botocore's model."""
    from .sdk import service_model

    shape = service_model("lambda").operation_model(operation).input_shape.members["FunctionName"]
    return str(shape.metadata["pattern"]), int(shape.metadata["max"])


def check_create_name(value: str) -> None:
    """CreateFunction's rules: the pattern, then 64 characters for a name alone, 140 for an ARN."""
    pattern, longest = constraints("CreateFunction")
    if not value or not re.fullmatch(pattern, value):
        raise validation(value, "functionName", f"Member must satisfy regular expression pattern: {pattern}")
    limit = NAME_ONLY_LIMIT if ":" not in value else longest
    if len(value) > limit:
        raise validation(value, "functionName", f"Member must have length less than or equal to {limit}")


class FunctionNameGuard:
    """A gateway guard: refuses a FunctionName that names another Region's or account's function."""

    def __init__(self, region: str, account_id: str) -> None:
        self.region = region
        self.account_id = account_id

    def __call__(self, req: Request) -> Request | None:
        value = req.params.get("FunctionName")
        if value is None and req.operation == "CreateFunction":
            name = req.json().get("FunctionName")
            value = name if isinstance(name, str) else None
        ref = parse(value) if value else None
        if ref is None:
            return None  # no name, or one the operation's own validation refuses
        if ref.region and ref.region != self.region:
            raise not_found(f"Functions from '{ref.region}' are not reachable in this region ('{self.region}')")
        if ref.account and ref.account != self.account_id:
            caller = caller_account(req, self.account_id)
            arn = f"arn:aws:lambda:{ref.region or self.region}:{ref.account}:function:{ref.name}"
            arn += f":{ref.qualifier}" if ref.qualifier else ""
            if caller == ref.account:  # the caller's own account: it holds no functions in this lab
                raise not_found(f"Function not found: {arn}")
            action = "lambda:" + _ACTIONS.get(req.operation, req.operation)
            raise AwsError(
                "AccessDeniedException",
                f"User: arn:aws:iam::{caller}:root is not authorized to perform: {action} on resource: {arn} "
                f"because no resource-based policy allows the {action} action",
                403,
            )
        asked = req.q("Qualifier")
        if ref.qualifier and asked and asked != ref.qualifier:
            raise invalid_parameter(
                "The derived qualifier from the function name does not match the specified qualifier."
            )
        return _plain(req, str(value), ref)


def _plain(req: Request, value: str, ref: FunctionRef) -> Request | None:
    """The request with the function named by its name alone and the qualifier as ``Qualifier``.

    The same function either way; moto reads only this form.
    """
    if "FunctionName" not in req.params or value == ref.name:
        return None
    if ref.qualifier and "Qualifier" not in _members(req.operation):
        return None  # the operation takes no qualifier: leave the name for its own validation
    marker = f"/functions/{value}"
    at = req.path.find(marker)
    if at < 0:
        return None
    rest = req.path[at + len(marker) :]
    if rest and not rest.startswith("/"):
        return None
    query = dict(req.query)
    if ref.qualifier:
        query["Qualifier"] = [ref.qualifier]
    return replace(
        req,
        path=req.path[:at] + f"/functions/{ref.name}" + rest,
        params={**req.params, "FunctionName": ref.name},
        query=query,
    )


@cache
def _members(operation: str) -> frozenset[str]:
    from .sdk import service_model

    return frozenset(service_model("lambda").operation_model(operation).input_shape.members)
