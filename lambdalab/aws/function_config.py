"""Validation of a function's configuration, as CreateFunction and
UpdateFunctionConfiguration do it.

Pure functions over the request body: each raises the :class:`AwsError` AWS
would answer with.  botocore checks minimums on the client (Timeout >= 1,
MemorySize >= 128); the maximums and the rest are checked by the service.

One rule is the lab's own: a handler or an environment value holding a NUL byte
(or another control character in the handler) is refused at create, in AWS's
validation wording.  Botocore's model does not exclude them (Handler is
``[^\\s]+``, values have no pattern), but no process can be handed them in its
environment; what AWS does at invoke time with such a function is not documented.

https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from functools import cache
from typing import Any

from ..deployment_package import UNZIPPED_LIMIT, PackageError, unzipped_size
from ..errors import AwsError, check_range, invalid_parameter, validation

TIMEOUT_RANGE = (1, 900)
MEMORY_RANGE = (128, 10240)
ZIP_LIMIT = 50 * 1024 * 1024  # direct upload
ENV_LIMIT = 4096

#: Environment variables Lambda sets itself and will not let a function override.
RESERVED_ENV = (
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
)  # fmt: skip

#: Runtimes AWS no longer accepts for creating or updating functions (as of late 2026).
BLOCKED_RUNTIMES = {
    "python2.7": "python3.13", "python3.6": "python3.13", "python3.7": "python3.13",
    "python3.8": "python3.13", "nodejs": "nodejs22.x", "nodejs4.3": "nodejs22.x",
    "nodejs4.3-edge": "nodejs22.x", "nodejs6.10": "nodejs22.x", "nodejs8.10": "nodejs22.x",
    "nodejs10.x": "nodejs22.x", "nodejs12.x": "nodejs22.x", "nodejs14.x": "nodejs22.x",
    "nodejs16.x": "nodejs22.x", "dotnetcore1.0": "dotnet8", "dotnetcore2.0": "dotnet8",
    "dotnetcore2.1": "dotnet8", "dotnetcore3.1": "dotnet8", "dotnet6": "dotnet8",
    "ruby2.5": "ruby3.3", "ruby2.7": "ruby3.3", "go1.x": "provided.al2023",
    "provided": "provided.al2023", "java8": "java21",
}  # fmt: skip

_ROLE = re.compile(r"^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
#: the lab's addition to the Handler pattern: control characters (NUL...) no process could be handed
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: what a process environment can hold: no NUL, no lone UTF-16 surrogates
_PROCESS_TEXT = re.compile(r"[^\x00\ud800-\udfff]*")
_ENV_KEY = re.compile(r"^[a-zA-Z]([a-zA-Z0-9_])+$")


@cache
def known_runtimes() -> tuple[str, ...]:
    """The Runtime enum of the Lambda API model botocore ships."""
    from .sdk import service_model

    shape = service_model("lambda").shape_for("Runtime")
    return tuple(shape.enum)


def check_function_name(name: str) -> None:
    """CreateFunction's FunctionName rules (:mod:`lambdalab.aws.function_names`)."""
    from .function_names import check_create_name

    check_create_name(name)


def check_runtime(runtime: str | None) -> None:
    if runtime is None:
        return
    if runtime in BLOCKED_RUNTIMES:
        raise invalid_parameter(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating "
            f"AWS Lambda functions. We recommend you use the new runtime ({BLOCKED_RUNTIMES[runtime]}) "
            "while creating or updating functions."
        )
    if runtime not in known_runtimes():
        enum = ", ".join(known_runtimes())
        raise validation(runtime, "runtime", f"Member must satisfy enum value set: [{enum}]")


def check_handler(handler: str | None) -> None:
    if handler is None:
        return
    if len(handler) > 128:
        raise validation(handler, "handler", "Member must have length less than or equal to 128")
    if not re.fullmatch(r"[^\s]+", handler) or _CONTROL.search(handler):
        raise validation(handler, "handler", r"Member must satisfy regular expression pattern: [^\s]+")


def check_limits(body: Mapping[str, Any]) -> None:
    if body.get("Timeout") is not None:
        check_range(body["Timeout"], "timeout", *TIMEOUT_RANGE)
    if body.get("MemorySize") is not None:
        check_range(body["MemorySize"], "memorySize", *MEMORY_RANGE)


def check_environment(env: Mapping[str, Any] | None) -> None:
    variables = (env or {}).get("Variables") or {}
    for key in variables:
        if not _ENV_KEY.match(key):
            raise validation(
                key, "environment.variables", r"Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+"
            )
    if any(isinstance(v, str) and not _PROCESS_TEXT.fullmatch(v) for v in variables.values()):
        raise AwsError(
            "ValidationException",
            "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: "
            "Map value must satisfy constraint: [Member must satisfy regular expression pattern: [^\\u0000]*]",
            400,
        )
    reserved = [k for k in variables if k in RESERVED_ENV]
    if reserved:
        raise invalid_parameter(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not supported "
            f"for modification. Reserved keys used in this request: {', '.join(reserved)}"
        )
    size = sum(len(k) + len(str(v)) for k, v in variables.items())
    if size > ENV_LIMIT:
        raise invalid_parameter(
            "Lambda was unable to configure your environment variables because the environment "
            f"variables you have provided exceeded the 4KB limit. String measured: {size}"
        )


def check_role_format(role: str | None) -> None:
    if role is None:
        return
    if not _ROLE.match(role):
        raise validation(role, "role", f"Member must satisfy regular expression pattern: {_ROLE.pattern}")


def check_zip(data: bytes, operation: str, *, uploaded: bool = True) -> list[str]:
    """The deployment package must be a readable zip within Lambda's quotas; returns its names.

    ``uploaded``: the zip came in the request (50 MB zipped at most), not from S3.
    The unzipped size is counted while inflating, never taken from the headers.
    """
    if uploaded and len(data) > ZIP_LIMIT:
        raise AwsError(
            "RequestEntityTooLargeException",
            f"Request must be smaller than 69905067 bytes for the {operation} operation",
            413,
        )
    try:
        unzipped_size(data, UNZIPPED_LIMIT)
        return zipfile.ZipFile(io.BytesIO(data)).namelist()
    except PackageError as err:
        if err.too_large:
            raise invalid_parameter(f"Unzipped size must be smaller than {UNZIPPED_LIMIT} bytes") from err
        raise invalid_parameter(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from err


_LOG_GROUP = re.compile(r"[\.\-_/#A-Za-z0-9]+")
#: what Lambda answers for a log level with the Text format (as AWS words it, quotes included)
TEXT_LEVELS = (
    'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request '
    'or change the LogFormat to "JSON" and try again.'
)


def check_logging(config: Mapping[str, Any] | None) -> None:
    """``LoggingConfig``: enums and the log group's pattern, and no levels with the Text format.

    A LoggingConfig that names no LogFormat is a Text one: levels need ``"LogFormat": "JSON"`` in
    the same request.
    """
    from ..runtime.json_logs import APPLICATION_LEVELS, SYSTEM_LEVELS

    if config is None:
        return
    enums = (
        ("LogFormat", "loggingConfig.logFormat", ("JSON", "Text")),
        ("ApplicationLogLevel", "loggingConfig.applicationLogLevel", APPLICATION_LEVELS),
        ("SystemLogLevel", "loggingConfig.systemLogLevel", SYSTEM_LEVELS),
    )
    for key, field, allowed in enums:
        value = config.get(key)
        if value is not None and value not in allowed:
            raise validation(value, field, f"Member must satisfy enum value set: [{', '.join(allowed)}]")
    group = config.get("LogGroup")
    if group is not None:
        if not 1 <= len(group) <= 512:
            bound = "greater than or equal to 1" if not group else "less than or equal to 512"
            raise validation(group, "loggingConfig.logGroup", f"Member must have length {bound}")
        if not _LOG_GROUP.fullmatch(group):
            raise validation(
                group, "loggingConfig.logGroup", f"Member must satisfy regular expression pattern: {_LOG_GROUP.pattern}"
            )
    if config.get("LogFormat", "Text") == "Text" and (
        config.get("ApplicationLogLevel") or config.get("SystemLogLevel")
    ):
        raise invalid_parameter(TEXT_LEVELS)


def check_configuration(body: Mapping[str, Any]) -> None:
    """Everything in a Create/UpdateFunctionConfiguration body that AWS validates itself."""
    check_runtime(body.get("Runtime"))
    check_handler(body.get("Handler"))
    check_limits(body)
    check_environment(body.get("Environment"))
    check_role_format(body.get("Role"))
    check_logging(body.get("LoggingConfig"))
