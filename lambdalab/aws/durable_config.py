"""``DurableConfig``: what makes a function durable, checked as Lambda checks it, and kept per function.

A function is durable when it is created with a ``DurableConfig``: ``ExecutionTimeout`` (seconds, 1 to
31,622,400: 366 days; required) bounds a whole execution, however many invocations it takes;
``RetentionPeriodInDays`` (1 to 90, default 14) is how long a closed execution's state and history stay
readable. Durable execution is chosen when a function is created: an update can change the settings of a
durable function but cannot make another function durable. moto does not know the setting, so the lab
keeps it here and adds it to the function's configuration documents. AWS does not publish the texts of
these refusals; the lab's say what is wrong in its own words.

https://docs.aws.amazon.com/lambda/latest/api/API_DurableConfig.html
https://docs.aws.amazon.com/lambda/latest/dg/durable-configuration.html
https://docs.aws.amazon.com/lambda/latest/dg/durable-supported-runtimes.html
https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking-esm.html
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ..errors import check_range, invalid_parameter

MAX_EXECUTION_TIMEOUT = 31_622_400  # 366 days
#: an execution an event source mapping starts lasts at most this long (the mapping waits for it, as a
#: synchronous invocation does): its function's ExecutionTimeout may not be longer
MAPPING_LIMIT_SECONDS = 900
DEFAULT_RETENTION_DAYS = 14
MAX_RETENTION_DAYS = 90
#: the managed runtimes AWS offers durable functions on (others: a container image)
DURABLE_RUNTIMES = ("python3.13", "python3.14", "nodejs22.x", "nodejs24.x", "java17", "java21", "java25")


@dataclass(frozen=True)
class DurableSettings:
    """A durable function's settings, defaults filled in."""

    execution_timeout: int
    retention_days: int = DEFAULT_RETENTION_DAYS

    def document(self) -> dict[str, int]:
        """The ``DurableConfig`` member of a function's configuration."""
        return {"ExecutionTimeout": self.execution_timeout, "RetentionPeriodInDays": self.retention_days}


def parse(config: Any, current: DurableSettings | None = None) -> DurableSettings:
    """The settings a ``DurableConfig`` request member asks for (over ``current`` on an update), or AWS's error."""
    if not isinstance(config, dict):
        raise invalid_parameter("DurableConfig must be an object.")
    timeout = config.get("ExecutionTimeout", current.execution_timeout if current else None)
    if timeout is None:
        raise invalid_parameter("You cannot create a function with a durable configuration without an executionTimeout")
    retention = config.get("RetentionPeriodInDays", current.retention_days if current else DEFAULT_RETENTION_DAYS)
    check_range(int(timeout), "durableConfig.executionTimeout", 1, MAX_EXECUTION_TIMEOUT)
    check_range(int(retention), "durableConfig.retentionPeriodInDays", 1, MAX_RETENTION_DAYS)
    return DurableSettings(int(timeout), int(retention))


def mapping_problem(function_name: str, settings: DurableSettings | None) -> str | None:
    """Why an event source mapping may not invoke this function (None when it may): a durable function whose
    executions may outlast the 15 minutes a mapping waits. AWS documents the refusal, not its text."""
    if settings is None or settings.execution_timeout <= MAPPING_LIMIT_SECONDS:
        return None
    return (
        f"The durable function {function_name} has an ExecutionTimeout of {settings.execution_timeout} seconds. "
        f"An event source mapping waits for each durable execution it starts, at most {MAPPING_LIMIT_SECONDS} "
        f"seconds: set the function's ExecutionTimeout to {MAPPING_LIMIT_SECONDS} seconds or less, or invoke it "
        "asynchronously from an intermediary function."
    )


def runtime_problem(runtime: str | None) -> str | None:
    """Why a runtime cannot host a durable function on AWS (None when it can)."""
    if runtime is None or runtime in DURABLE_RUNTIMES:
        return None
    return (
        f"The runtime parameter of {runtime} is not supported for durable functions. "
        f"Use one of: {', '.join(DURABLE_RUNTIMES)}."
    )


class DurableConfigs:
    """Which functions are durable, with their settings (versions share their function's)."""

    def __init__(self) -> None:
        self._settings: dict[str, DurableSettings] = {}
        self._lock = threading.Lock()

    def get(self, function_name: str) -> DurableSettings | None:
        with self._lock:
            return self._settings.get(function_name)

    def set(self, function_name: str, settings: DurableSettings) -> None:
        with self._lock:
            self._settings[function_name] = settings

    def forget(self, function_name: str) -> None:
        with self._lock:
            self._settings.pop(function_name, None)
