"""What several exercises start from: the execution role and sample functions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..packaging import zip_files, zip_folder

if TYPE_CHECKING:
    from ..lab import Lab
    from ..remote.connected_lab import ConnectedLab

ROLE_NAME = "lambda-exec"
BASIC_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
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
