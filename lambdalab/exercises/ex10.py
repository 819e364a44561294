"""Exercises for ``10-operating-functions``: JSON logs at a level, a concurrency ceiling, a warm floor."""

from __future__ import annotations

from typing import Any

from ..packaging import zip_files
from . import _shared
from .core import Attempt, NextStep, Problem

LOGGING_FUNCTION = "orders-api"
LOGGING_HANDLER = """import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    logger.info("order received")
    logger.warning("stock is low")
    return {"ok": True}
"""
CEILING_FUNCTION = "report-builder"
FLOOR_FUNCTION = "checkout"
SIMPLE_HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


def _ensure(lab: Any, name: str, source: str) -> None:
    if not _shared.function_exists(lab, name):
        lab.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=_shared.ensure_role(lab),
            Handler="app.handler",
            Code={"ZipFile": zip_files({"app.py": source})},
        )


class JsonLogsAtWarn(Problem):
    """``orders-api`` logs every INFO line as text; make it log JSON, and only its warnings and worse."""

    title = "JSON logs, warnings and worse"
    _hint = (
        "Log format and log levels are one setting of the function, `LoggingConfig`, changed with "
        "`update_function_configuration`. Levels exist only with the JSON format, and there are two of them: "
        "`ApplicationLogLevel` filters what your code logs, `SystemLogLevel` what Lambda itself writes."
    )
    _solution = (
        "```python\n"
        'lam.update_function_configuration(FunctionName="orders-api",\n'
        '    LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"})\n'
        "```"
    )
    _undo = 'lam.update_function_configuration(FunctionName="orders-api", LoggingConfig={"LogFormat": "Text"})'

    mistakes = (
        Attempt(
            'lam.update_function_configuration(FunctionName="orders-api", LoggingConfig={"LogFormat": "JSON"})',
            names="INFO",
            undo=_undo,
        ),
        Attempt(
            'lam.update_function_configuration(FunctionName="orders-api",\n'
            '    LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": "WARN"})',
            names="SystemLogLevel",
            undo=_undo,
        ),
        Attempt(
            'lam.update_function_configuration(FunctionName="orders-api",\n'
            '    LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "ERROR"})',
            names="ERROR",
            undo=_undo,
        ),
    )
    correct_forms = (
        Attempt(
            'lam.update_function_configuration(FunctionName="orders-api", LoggingConfig={\n'
            '    "LogFormat": "JSON", "ApplicationLogLevel": "WARN", "SystemLogLevel": "INFO"})',
            undo=_undo,
        ),
        Attempt(  # the function's ARN names it too
            'arn = lam.get_function(FunctionName="orders-api")["Configuration"]["FunctionArn"]\n'
            'lam.update_function_configuration(FunctionName=arn, LoggingConfig={"ApplicationLogLevel": "WARN", "LogFormat": "JSON"})',
            undo=_undo,
        ),
    )

    def setup(self) -> None:
        _ensure(self.lab, LOGGING_FUNCTION, LOGGING_HANDLER)

    def _check(self) -> bool | str | None:
        config = (_shared.function_config(self.lab, LOGGING_FUNCTION) or {}).get("LoggingConfig") or {}
        if config.get("LogFormat") != "JSON":
            return None
        application, system = config.get("ApplicationLogLevel"), config.get("SystemLogLevel")
        if system == "WARN" and application == "INFO":
            return (
                "SystemLogLevel is WARN: that hides Lambda's own platform.start and platform.report records, "
                "not the function's INFO lines. The function's own lines follow ApplicationLogLevel."
            )
        if application == "INFO":
            return "The logs are JSON now, but ApplicationLogLevel is INFO: 'order received' still reaches the logs."
        if application in ("ERROR", "FATAL"):
            return f"ApplicationLogLevel {application} also hides the warning 'stock is low'. Warnings must stay."
        if application != "WARN":
            return f"ApplicationLogLevel is {application}: more than warnings and worse gets through."
        return True

    def _congrats(self) -> str:
        return "orders-api writes JSON records now, and only 'stock is low' of its own lines reaches the logs."

    def solve(self) -> None:
        self.lab.client("lambda").update_function_configuration(
            FunctionName=LOGGING_FUNCTION, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"}
        )

    def attempt_wrong(self) -> bool:
        self.lab.client("lambda").update_function_configuration(
            FunctionName=LOGGING_FUNCTION, LoggingConfig={"LogFormat": "JSON"}
        )
        return True


class ConcurrencyCeiling(Problem):
    """``report-builder`` must never run more than 10 requests at once, whatever else runs in the account."""

    title = "At most 10 at once"
    _hint = (
        "A ceiling for one function is its *reserved concurrency*: `put_function_concurrency`. It also keeps "
        "those 10 for the function alone. The account's quota is shared by every function, and provisioned "
        "concurrency is a floor (environments kept ready), not a ceiling."
    )
    _solution = (
        '```python\nlam.put_function_concurrency(FunctionName="report-builder", ReservedConcurrentExecutions=10)\n```'
    )
    _undo = 'lam.delete_function_concurrency(FunctionName="report-builder")'

    mistakes = (
        Attempt("lab.account_concurrency = 10", names="account", undo="lab.account_concurrency = 1000"),
        Attempt(
            'lam.put_function_concurrency(FunctionName="report-builder", ReservedConcurrentExecutions=0)',
            names="0",
            undo=_undo,
        ),
        Attempt(
            'version = lam.publish_version(FunctionName="report-builder")["Version"]\n'
            'lam.put_provisioned_concurrency_config(FunctionName="report-builder", Qualifier=version,\n'
            "    ProvisionedConcurrentExecutions=10)",
            names="provisioned",
            undo='for c in lam.list_provisioned_concurrency_configs(FunctionName="report-builder")'
            '["ProvisionedConcurrencyConfigs"]:\n'
            '    lam.delete_provisioned_concurrency_config(FunctionName="report-builder", '
            'Qualifier=c["FunctionArn"].split(":")[-1])',
        ),
    )
    correct_forms = (
        Attempt(
            'lam.put_function_concurrency(FunctionName=lam.get_function(FunctionName="report-builder")'
            '["Configuration"]["FunctionArn"], ReservedConcurrentExecutions=10)',
            undo=_undo,
        ),
        Attempt(  # a partial ARN: account and name
            'lam.put_function_concurrency(FunctionName=f"{lab.account_id}:function:report-builder", '
            "ReservedConcurrentExecutions=10)",
            undo=_undo,
        ),
    )

    def setup(self) -> None:
        _ensure(self.lab, CEILING_FUNCTION, SIMPLE_HANDLER)

    def _check(self) -> bool | str | None:
        lam = self.lab.client("lambda")
        reserved = lam.get_function_concurrency(FunctionName=CEILING_FUNCTION).get("ReservedConcurrentExecutions")
        if reserved is None:
            if self.lab.account_concurrency != 1000:
                return (
                    f"lab.account_concurrency is {self.lab.account_concurrency}: that is the account's quota, shared "
                    "by every function. Set it back to 1000 and give report-builder a limit of its own."
                )
            provisioned = lam.list_provisioned_concurrency_configs(FunctionName=CEILING_FUNCTION)
            if provisioned["ProvisionedConcurrencyConfigs"]:
                return (
                    "Provisioned concurrency keeps environments ready (a floor): beyond them the function still "
                    "scales on demand. A ceiling is reserved concurrency."
                )
            return None
        if reserved == 0:
            return "Reserved concurrency 0 throttles every request: report-builder would never run."
        if reserved != 10:
            return f"Reserved concurrency is {reserved}, not 10."
        burst = self.lab.burst(CEILING_FUNCTION, 15)
        if burst.counts().get("throttled") != 5:
            return f"A burst of 15 requests gave {burst.counts()}: expected 10 to run and 5 throttled."
        return True

    def _congrats(self) -> str:
        return "check() sent 15 requests at once: 10 ran, 5 were throttled (ReservedFunctionConcurrentInvocationLimitExceeded)."

    def solve(self) -> None:
        self.lab.client("lambda").put_function_concurrency(
            FunctionName=CEILING_FUNCTION, ReservedConcurrentExecutions=10
        )


class WarmFloor(Problem):
    """Requests to ``checkout:live`` must not wait for an init: keep 5 environments initialised for the alias."""

    title = "Five environments ready for checkout:live"
    _hint = (
        "Provisioned concurrency is set on a version or an alias (`put_provisioned_concurrency_config`, with "
        "`Qualifier`). Lambda needs a while to initialise the environments: the config is IN_PROGRESS, then "
        "READY. In the lab that takes 60 virtual seconds; move the clock with `lab.advance`."
    )
    _solution = (
        "```python\n"
        'lam.put_provisioned_concurrency_config(FunctionName="checkout", Qualifier="live",\n'
        "    ProvisionedConcurrentExecutions=5)\n"
        "lab.advance(60)\n"
        "```"
    )
    _undo = (
        'for c in lam.list_provisioned_concurrency_configs(FunctionName="checkout")["ProvisionedConcurrencyConfigs"]:\n'
        '    lam.delete_provisioned_concurrency_config(FunctionName="checkout", Qualifier=c["FunctionArn"].split(":")[-1])'
    )

    mistakes = (
        Attempt(
            'lam.put_provisioned_concurrency_config(FunctionName="checkout", Qualifier="live",\n'
            "    ProvisionedConcurrentExecutions=2)\nlab.advance(60)",
            names="2",
            undo=_undo,
        ),
        Attempt(
            'lam.put_function_concurrency(FunctionName="checkout", ReservedConcurrentExecutions=5)',
            names="reserved",
            undo='lam.delete_function_concurrency(FunctionName="checkout")',
        ),
        Attempt(  # more memory speeds an init up; it does not skip it
            'lam.update_function_configuration(FunctionName="checkout", MemorySize=1024)',
            names="MemorySize",
            undo='lam.update_function_configuration(FunctionName="checkout", MemorySize=128)',
        ),
    )
    correct_forms = (
        Attempt(  # the alias's version: invocations through the alias use it too
            'version = lam.get_alias(FunctionName="checkout", Name="live")["FunctionVersion"]\n'
            'lam.put_provisioned_concurrency_config(FunctionName="checkout", Qualifier=version,\n'
            "    ProvisionedConcurrentExecutions=5)\nlab.advance(60)",
            undo=_undo,
        ),
        Attempt(  # more than 5 is more than asked, and still right
            'lam.put_provisioned_concurrency_config(FunctionName="checkout", Qualifier="live",\n'
            "    ProvisionedConcurrentExecutions=8)\nlab.advance(120)",
            undo=_undo,
        ),
    )

    def setup(self) -> None:
        _ensure(self.lab, FLOOR_FUNCTION, SIMPLE_HANDLER)
        lam = self.lab.client("lambda")
        if not _shared.function_exists(self.lab, FLOOR_FUNCTION, "live"):
            version = lam.publish_version(FunctionName=FLOOR_FUNCTION)["Version"]
            lam.create_alias(FunctionName=FLOOR_FUNCTION, Name="live", FunctionVersion=version)

    def _check(self) -> bool | str | None:
        lam = self.lab.client("lambda")
        configs = lam.list_provisioned_concurrency_configs(FunctionName=FLOOR_FUNCTION)["ProvisionedConcurrencyConfigs"]
        if not configs:
            memory = (_shared.function_config(self.lab, FLOOR_FUNCTION) or {}).get("MemorySize", 128)
            if memory != 128:
                return (
                    f"MemorySize {memory} gives the function more CPU, so its init runs faster, but every new "
                    "environment still has one. Provisioned concurrency initialises environments ahead."
                )
            if lam.get_function_concurrency(FunctionName=FLOOR_FUNCTION).get("ReservedConcurrentExecutions"):
                return (
                    "Reserved concurrency sets aside concurrency (and caps it): the environments still start "
                    "when requests come, each with an init. Provisioned concurrency initialises them ahead."
                )
            return None
        if any(c["Status"] != "READY" for c in configs):
            return NextStep("The config is IN_PROGRESS: Lambda is initialising the environments. Run lab.advance(60).")
        total = sum(c["AllocatedProvisionedConcurrentExecutions"] for c in configs)
        if total < 5:
            return f"Only {total} environments are provisioned: a burst of 5 would start {5 - total} with an init."
        burst = self.lab.burst(FLOOR_FUNCTION, 5, qualifier="live")
        if burst.counts() != {"provisioned": 5}:
            return f"A burst of 5 requests to checkout:live got {burst.counts()}: is the config on live or its version?"
        return True

    def _congrats(self) -> str:
        return "check() sent 5 requests at once to checkout:live: all 5 ran in provisioned environments, no init."

    def solve(self) -> None:
        self.lab.client("lambda").put_provisioned_concurrency_config(
            FunctionName=FLOOR_FUNCTION, Qualifier="live", ProvisionedConcurrentExecutions=5
        )
        self.lab.advance(60)
