"""Errors a learner would see from AWS, and misuse of the lab itself.

Exception tree::

    LabError                      the lab was used wrongly (a second lab, a closed lab)
    AwsError(code, message, status, fields=..., headers=...)
        raised inside request handlers; the gateway turns it into the HTTP error
        response AWS sends (``x-amzn-ErrorType`` header, JSON body with ``message``
        and any extra ``fields`` of the error's shape, extra ``headers``), so boto3
        and the CLI raise exactly what they would raise against AWS.

AWS's error shapes: https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html

``TooManyRequestsException`` carries ``Reason`` (botocore's ``ThrottleReason``:
``ReservedFunctionConcurrentInvocationLimitExceeded`` when a function with reserved
concurrency is at its limit, 0 included; ``ConcurrentInvocationLimitExceeded`` when
the account's unreserved concurrency is used up) and a ``Retry-After`` header
(botocore's ``retryAfterSeconds``), as the Invoke API reference describes:
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html .  AWS does not
document the header's value; the lab says 1 second, the first step of Lambda's
own throttle backoff.
"""

from __future__ import annotations

from collections.abc import Mapping

#: botocore's ThrottleReason values the lab gives
RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"
RETRY_AFTER_SECONDS = 1


class LabError(RuntimeError):
    """The lab cannot do what was asked (explains why, in plain words)."""


class AwsError(Exception):
    """An AWS API error: code, message and HTTP status, as the service returns them."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        #: extra members of the error's body (e.g. ``Reason``)
        self.fields = dict(fields or {})
        #: extra response headers (e.g. ``Retry-After``)
        self.headers = dict(headers or {})


def invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameterValueException", message, 400)


#: AWS's refusal of a durable function invoked without a version, an alias or ``$LATEST`` in its name or ARN
#: (the text users report; https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking.html#durable-invoking-qualified-arns)
UNQUALIFIED_DURABLE = "You cannot invoke a durable function using an unqualified ARN."


def unqualified_durable() -> AwsError:
    return invalid_parameter(UNQUALIFIED_DURABLE)


#: the lab's refusal of a streamed invocation of a durable function (AWS documents none: see
#: :mod:`lambdalab.aws.durable_invoke`; the text is the lab's own)
STREAMED_DURABLE = (
    "Response streaming is not supported for durable functions: invoke {name} with Invoke, "
    "or through a function URL in BUFFERED mode."
)


def streamed_durable(function_name: str) -> AwsError:
    return invalid_parameter(STREAMED_DURABLE.format(name=function_name))


def not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message, 404)


def validation(value: object, field: str, constraint: str) -> AwsError:
    """The ``ValidationException`` AWS gives when a field breaks its API constraint."""
    return AwsError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}",
        400,
    )


def range_constraint(value: float, low: float, high: float) -> str | None:
    """AWS's constraint text for a number outside ``low``..``high`` (None when it is inside)."""
    if value < low:
        return f"Member must have value greater than or equal to {low}"
    if value > high:
        return f"Member must have value less than or equal to {high}"
    return None


def check_range(value: float, field: str, low: float, high: float) -> None:
    """Raise the ``ValidationException`` AWS gives for a number outside ``low``..``high``."""
    constraint = range_constraint(value, low, high)
    if constraint is not None:
        raise validation(value, field, constraint)


def throttled(reason: str = RESERVED_LIMIT) -> AwsError:
    """Lambda's answer to an invoke over a concurrency limit: 429 with its ``Reason``."""
    return AwsError(
        "TooManyRequestsException",
        "Rate Exceeded.",
        429,
        fields={"Reason": reason},
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class LocalOnlyError(LabError):
    """What was asked is known only to the local lab (a trace kind AWS does not show, a live view)."""
