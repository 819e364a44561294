"""A function's ``LoggingConfig``: the log format, the two log levels and the log group.

Text or JSON, application and system levels (JSON only, INFO by default), and a custom log group
instead of ``/aws/lambda/<function name>``:
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html
"""

from __future__ import annotations

from typing import Any

from ..runtime.types import LogSettings


def log_settings(config: dict[str, Any], function_name: str) -> LogSettings:
    """A LoggingConfig of a request as the function keeps it: a given one replaces every setting.

    JSON without levels logs at INFO; a LogGroup that is the default one is no custom group.
    """
    json_format = config.get("LogFormat") == "JSON"
    group = config.get("LogGroup")
    return LogSettings(
        log_format="JSON" if json_format else "Text",
        application_level=(config.get("ApplicationLogLevel") or "INFO") if json_format else None,
        system_level=(config.get("SystemLogLevel") or "INFO") if json_format else None,
        log_group=None if group in (None, f"/aws/lambda/{function_name}") else group,
    )


def logging_document(settings: LogSettings, function_name: str) -> dict[str, str]:
    """``LoggingConfig`` as GetFunctionConfiguration reports it (levels only with JSON)."""
    doc = {"LogFormat": settings.log_format}
    if settings.json:
        doc["ApplicationLogLevel"] = settings.application_level or "INFO"
        doc["SystemLogLevel"] = settings.system_level or "INFO"
    doc["LogGroup"] = settings.group_of(function_name)
    return doc
