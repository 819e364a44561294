"""What several exercises start from: the execution role and sample functions."""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import trace_kinds as k
from ..course import LAMBDA_TRUST_POLICY
from ..packaging import handler_problem, zip_files, zip_folder

if TYPE_CHECKING:
    from ..lab import Lab
    from ..remote.connected_lab import ConnectedLab
    from ..trace import Record

ROLE_NAME = "lambda-exec"
BASIC_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST_POLICY: dict[str, Any] = LAMBDA_TRUST_POLICY  # one literal, in lambdalab.course
#: The sample functions the notebooks deploy (data/functions in the repository).
FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "data" / "functions"

HELLO_PY = """import json


def handler(event, context):
    print("event:", json.dumps(event, sort_keys=True))
    name = event.get("name", "world")
    return {"message": f"Hello, {name}!"}
"""


def error_code(err: Exception) -> str:
    response = getattr(err, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def ensure_role(
    lab: Lab | ConnectedLab,
    name: str = ROLE_NAME,
    policies: tuple[str, ...] = (BASIC_POLICY_ARN,),
    inline: dict[str, dict[str, Any]] | None = None,
) -> str:
    """An execution role Lambda can assume (created once, with these managed and inline policies); its ARN."""
    iam = lab.client("iam")
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        pass
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))["Role"]["Arn"])
    for policy_arn in policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    for policy_name, document in (inline or {}).items():
        iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
    return arn


def hello_package() -> bytes:
    folder = FUNCTIONS_DIR / "hello-python"
    return zip_folder(folder) if folder.is_dir() else zip_files({"app.py": HELLO_PY})


def ensure_hello(lab: Lab | ConnectedLab, name: str = "hello") -> None:
    """The Python greeting function, deployed under ``name`` if it is not there yet."""
    lam = lab.client("lambda")
    try:
        lam.get_function(FunctionName=name)
        return
    except lam.exceptions.ResourceNotFoundException:
        pass
    lam.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=ensure_role(lab),
        Handler="app.handler",
        Code={"ZipFile": hello_package()},
    )


def function_exists(lab: Lab | ConnectedLab, name: str, qualifier: str | None = None) -> bool:
    lam = lab.client("lambda")
    try:
        if qualifier:
            lam.get_function(FunctionName=name, Qualifier=qualifier)
        else:
            lam.get_function(FunctionName=name)
        return True
    except lam.exceptions.ResourceNotFoundException:
        return False


def function_config(lab: Lab | ConnectedLab, name: str) -> dict[str, Any] | None:
    """The function's configuration, or None when there is no such function yet."""
    lam = lab.client("lambda")
    try:
        return dict(lam.get_function_configuration(FunctionName=name))
    except lam.exceptions.ResourceNotFoundException:
        return None


def package_names(lab: Lab | ConnectedLab, name: str) -> list[str]:
    """The file names in the function's deployment package, downloaded from ``Code.Location`` as a learner would."""
    location = lab.client("lambda").get_function(FunctionName=name)["Code"]["Location"]
    with urllib.request.urlopen(location) as download:  # noqa: S310 - the lab's own endpoint on 127.0.0.1
        return zipfile.ZipFile(io.BytesIO(download.read())).namelist()


def handler_mismatch(lab: Lab | ConnectedLab, config: dict[str, Any]) -> str | None:
    """Why the function's handler setting names no file of its package (None when it does)."""
    return handler_problem(config.get("Runtime"), config.get("Handler"), package_names(lab, config["FunctionName"]))


def runs_since_change(lab: Lab | ConnectedLab, name: str) -> list[Record]:
    """The function's invocations since it was last created or changed: what ran before a fix is not judged."""
    runs: list[Record] = []
    for record in lab.trace.where(function=name):
        if record.kind in (k.FUNCTION_CREATED, k.FUNCTION_UPDATED):
            runs = []
        elif record.kind == k.INVOKE:
            runs.append(record)
    return runs


def role_documents(lab: Lab | ConnectedLab, role_name: str) -> list[Any]:
    """The permissions policies of a role, inline and attached managed ones, read through the IAM API."""
    iam = lab.client("iam")
    names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    docs: list[Any] = [iam.get_role_policy(RoleName=role_name, PolicyName=n)["PolicyDocument"] for n in names]
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        docs.append(version["PolicyVersion"]["Document"])
    return docs
