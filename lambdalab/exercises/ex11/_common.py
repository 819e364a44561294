"""What the exercises of ``11-durable-functions`` share: a durable function deployed behind the alias ``live``,
published the way the notebook's ``update_code`` does, and an execution started through that alias.

Each function is invoked as a durable function must be, qualified: ``check()`` starts executions of
``<name>:live`` (https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking.html#durable-invoking-qualified-arns).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from ...packaging import zip_files
from .. import _shared

DURABLE_ROLE = "durable-exec"
#: the durable function's SDK checkpoints with its execution role: AWS's managed policy grants that (and logs)
DURABLE_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicDurableExecutionRolePolicy"
DAY = 86_400
SETTINGS = {"ExecutionTimeout": 30 * DAY, "RetentionPeriodInDays": 7}

#: the alias every exercise's function is invoked through (a durable function is never invoked unqualified)
ALIAS = "live"


def deploy(lab: Any, name: str, source: str) -> None:
    """Create ``name`` as a durable function running ``source``, published behind ``live`` (unless it is there)."""
    if _shared.function_exists(lab, name, ALIAS):
        return
    if not _shared.function_exists(lab, name):
        lab.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=_shared.ensure_role(lab, DURABLE_ROLE, (DURABLE_POLICY_ARN,)),
            Handler="app.handler",
            Code={"ZipFile": zip_files({"app.py": source})},
            Timeout=60,
            DurableConfig=SETTINGS,
        )
    publish(lab, name)


def publish(lab: Any, name: str) -> None:
    """Publish ``name``'s code as a version and point ``live`` at it (what the notebook's update_code does)."""
    lam = lab.client("lambda")
    version = lam.publish_version(FunctionName=name)["Version"]
    if _shared.function_exists(lab, name, ALIAS):
        lam.update_alias(FunctionName=name, Name=ALIAS, FunctionVersion=version)
    else:
        lam.create_alias(FunctionName=name, Name=ALIAS, FunctionVersion=version)


def update(lab: Any, name: str, source: str) -> None:
    """Deploy ``source`` as ``name``'s code and publish it behind ``live``."""
    lab.client("lambda").update_function_code(FunctionName=name, ZipFile=zip_files({"app.py": source}))
    publish(lab, name)


def why_unpublished(lab: Any, name: str) -> str | None:
    """Why the code deployed to ``$LATEST`` is not what ``check()`` runs (None: ``live`` runs it)."""
    lam = lab.client("lambda")
    latest = lam.get_function_configuration(FunctionName=name)["CodeSha256"]
    live = lam.get_function_configuration(FunctionName=name, Qualifier=ALIAS)
    if live["CodeSha256"] == latest:
        return None
    return (
        f"{name}'s new code is in $LATEST, but the alias {ALIAS} still points at version {live['Version']}, which "
        f"runs the old code: check() invokes {name}:{ALIAS}, as a durable function is invoked through a version or "
        "an alias, never its bare name. Publish the new code (publish_version) and move the alias to it "
        "(update_alias), or deploy with update_code(), which does both."
    )


def code(name: str, source: str) -> str:
    """An attempt's code: the notebook's ``update_code`` makes ``source`` the app.py of ``name``."""
    return f"update_code({name!r}, '''{source}''')"


def latest_only(name: str, source: str) -> str:
    """An attempt's code that deploys ``source`` to ``$LATEST`` and publishes nothing."""
    return f"lam.update_function_code(FunctionName={name!r}, ZipFile=lambdalab.zip_files({{'app.py': '''{source}'''}}))"


def run(lab: Any, name: str, event: dict[str, Any]) -> str:
    """Start an execution of ``name:live``, play it on the clock; its ARN."""
    answer = lab.client("lambda").invoke(
        FunctionName=f"{name}:{ALIAS}", InvocationType="Event", Payload=json.dumps(event)
    )
    lab.run_until_idle()
    return str(answer["DurableExecutionArn"])


def unchanged(lab: Any, name: str, source: str) -> bool:
    """Is ``name`` still running the code the exercise started from?"""
    config = _shared.function_config(lab, name) or {}
    return bool(
        config.get("CodeSha256") == base64.b64encode(hashlib.sha256(zip_files({"app.py": source})).digest()).decode()
    )


def changed_and_live(lab: Any, name: str, source: str) -> bool | str | None:
    """What ``check()`` says before it runs ``name``: None while the code is the exercise's, why not when the new
    code is not behind ``live`` yet, True when ``live`` runs it."""
    if unchanged(lab, name, source):
        return None
    return why_unpublished(lab, name) or True
