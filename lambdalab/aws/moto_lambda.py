"""Lambda functions as the lab reads them from moto's store, as values.

moto stores functions, versions and aliases; the lab's Lambda services (function
lifecycle, invoke) read them here as :class:`FunctionVersion` values, and moto's
exceptions come back as the :class:`~lambdalab.errors.AwsError` AWS would give.  What
Lambda reports that moto does not keep (RevisionId, DeadLetterConfig) is the lab's own
table (:mod:`lambdalab.aws.function_table`).  Every name read of moto's storage is
listed in :data:`NEEDS` for the start-up self-test.

https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import AwsError
from .moto_needs import Needs

NEEDS = (
    Needs("moto.awslambda.models", "lambda_backends"),
    Needs(
        "moto.awslambda.models",
        "LambdaBackend",
        ("get_function", "publish_version", "list_functions", "list_aliases"),
    ),
    Needs(
        "moto.awslambda.models",
        "LambdaFunction",
        (
            "function_name",
            "version",
            "role",
            "run_time",
            "handler",
            "code_bytes",
            "code_sha_256",
            "timeout",
            "memory_size",
            "environment_vars",
            "reserved_concurrency",
            "get_configuration",
        ),
        sample=lambda cls: cls(
            "123456789012",
            {"FunctionName": "probe", "Role": "r", "Code": {"ZipFile": ""}, "Runtime": "python3.12"},
            "us-east-1",
            version="$LATEST",
        ),
    ),
    Needs(
        "moto.awslambda.models",
        "LambdaAlias",
        ("name", "function_version"),
        sample=lambda cls: cls("123456789012", "us-east-1", "probe", "probe", "1", "", None),
    ),
    Needs("moto.core.exceptions", "JsonRESTError"),
    Needs("moto.core.exceptions", "ServiceException"),
)


@dataclass(frozen=True)
class VersionRef:
    """Which function version: its name and ``$LATEST`` or a number."""

    function_name: str
    version: str


@dataclass(frozen=True)
class FunctionVersion:
    """One stored version of a function (what the lab's services read of it)."""

    function_name: str
    version: str  # "$LATEST" or "1", "2", ...
    role: str
    runtime: str
    handler: str
    code_zip: bytes = field(repr=False)
    code_sha256: str
    timeout: int
    memory_size: int
    environment: dict[str, str]
    reserved_concurrency: int | None


def ref(stored: Any) -> VersionRef:
    """Which version moto's function object is."""
    return VersionRef(str(stored.function_name), str(stored.version))


def _value(stored: Any) -> FunctionVersion:
    return FunctionVersion(
        function_name=str(stored.function_name),
        version=str(stored.version),
        role=str(stored.role),
        runtime=stored.run_time or "",
        handler=stored.handler or "",
        code_zip=stored.code_bytes,
        code_sha256=str(stored.code_sha_256),
        timeout=int(stored.timeout),
        memory_size=int(stored.memory_size),
        environment=dict(stored.environment_vars or {}),
        reserved_concurrency=stored.reserved_concurrency,
    )


def moto_errors() -> tuple[type[Exception], ...]:
    """moto's two kinds of API error."""
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


class MotoLambda:
    """The functions of one account and region."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id, self.region = account_id, region

    def _backend(self, region: str | None = None) -> Any:
        from moto.awslambda.models import lambda_backends

        return lambda_backends[self.account_id][region or self.region]

    def get(self, name: str, qualifier: str | None = None, *, region: str | None = None) -> FunctionVersion:
        """The stored version, or ResourceNotFoundException as AWS says it."""
        try:
            return _value(self._backend(region).get_function(name, qualifier))
        except moto_errors() as err:
            raise moto_error(err) from err

    def publish(self, name: str) -> None:
        """PublishVersion (moto publishes nothing when nothing changed since the last version)."""
        self._backend().publish_version(name)

    def configurations(self, function_version: str | None) -> list[dict[str, Any]]:
        """ListFunctions' documents: ``$LATEST`` of each, or every version with ``ALL``."""
        return [f.get_configuration() for f in self._backend().list_functions(function_version)]

    def aliases_to(self, name: str, version: str) -> list[str]:
        """The names of the aliases that point at ``version``."""
        return [a.name for a in self._backend().list_aliases(name) if a.function_version == version]
