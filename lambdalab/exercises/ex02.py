"""Exercises for ``02-deploy-and-manage``: deploy, version, alias, delete."""

from __future__ import annotations

import json
import warnings
from typing import Any

from ..packaging import zip_files, zip_folder
from . import _shared
from .core import Problem

NODE_FUNCTION = "helloworld-alb"
ALB_EVENT = {"httpMethod": "GET", "path": "/", "headers": {"accept": "text/html"}, "body": ""}
VERSIONED = "hello-versions"


def _node_package() -> bytes:
    folder = _shared.FUNCTIONS_DIR / NODE_FUNCTION
    if folder.is_dir():
        return zip_folder(folder)
    return zip_files(
        {"index.js": "exports.handler = async () => ({statusCode: 200, body: '<h1>Hello from Lambda!</h1>'});\n"}
    )


class DeployNodeFunction(Problem):
    """Deploy ``data/functions/helloworld-alb`` as the Node.js function ``helloworld-alb``."""

    title = "Deploy a Node.js function"
    _hint = (
        'Build the package with `lambdalab.zip_folder("../data/functions/helloworld-alb")` so that '
        "index.js sits at the top of the .zip, then `create_function` with a `nodejs22.x` runtime, "
        "Handler `index.handler` and the role's ARN. check() invokes the function once with a test request."
    )
    _solution = (
        "```python\n"
        'role_arn = iam.get_role(RoleName="lambda-exec")["Role"]["Arn"]\n'
        "lam.create_function(\n"
        '    FunctionName="helloworld-alb", Runtime="nodejs22.x", Handler="index.handler",\n'
        '    Role=role_arn, Code={"ZipFile": lambdalab.zip_folder("../data/functions/helloworld-alb")},\n'
        ")\n"
        "```"
    )

    def setup(self) -> None:
        _shared.ensure_role(self.lab)

    def _check(self) -> bool | str | None:
        config = _shared.function_config(self.lab, NODE_FUNCTION)
        if config is None:
            return None
        if not str(config.get("Runtime", "")).startswith("nodejs"):
            return f"helloworld-alb runs on {config.get('Runtime')}: it is JavaScript, so pick a nodejs runtime."
        response = self.lab.client("lambda").invoke(FunctionName=NODE_FUNCTION, Payload=json.dumps(ALB_EVENT))
        result = json.load(response["Payload"])
        if response.get("FunctionError"):
            return (
                f"The function is deployed but fails when invoked: {result.get('errorType')}: "
                f"{str(result.get('errorMessage')).splitlines()[0]}"
            )
        if not isinstance(result, dict) or result.get("statusCode") != 200 or "<h1>" not in str(result.get("body")):
            return f"The function answered {json.dumps(result)[:200]}, not statusCode 200 with an HTML body."
        return True

    def _congrats(self) -> str:
        return "check() invoked helloworld-alb and got statusCode 200 with an HTML body."

    def solve(self) -> None:
        lam = self.lab.client("lambda")
        try:
            lam.delete_function(FunctionName=NODE_FUNCTION)
        except lam.exceptions.ResourceNotFoundException:
            pass
        lam.create_function(
            FunctionName=NODE_FUNCTION,
            Runtime="nodejs22.x",
            Handler="index.handler",
            Role=_shared.ensure_role(self.lab),
            Code={"ZipFile": _node_package()},
        )

    def attempt_wrong(self) -> bool:
        # the classic mistake: zipping the folder, so index.js ends up inside it
        source = (_shared.FUNCTIONS_DIR / NODE_FUNCTION / "index.js").read_text()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.lab.client("lambda").create_function(
                FunctionName=NODE_FUNCTION,
                Runtime="nodejs22.x",
                Handler="index.handler",
                Role=_shared.ensure_role(self.lab),
                Code={"ZipFile": zip_files({f"{NODE_FUNCTION}/index.js": source})},
            )
        return True


class AliasToVersion(Problem):
    """Publish a version of ``hello`` and point an alias ``live`` at it."""

    title = "An alias on a published version"
    _hint = (
        '`publish_version(FunctionName="hello")` freezes the current code and configuration as a numbered '
        'version; `create_alias(FunctionName="hello", Name="live", FunctionVersion=...)` names it.'
    )
    _solution = (
        "```python\n"
        'version = lam.publish_version(FunctionName="hello")["Version"]\n'
        'lam.create_alias(FunctionName="hello", Name="live", FunctionVersion=version)\n'
        "```"
    )

    def setup(self) -> None:
        _shared.ensure_hello(self.lab)

    def _alias(self) -> dict[str, Any] | None:
        lam = self.lab.client("lambda")
        try:
            return dict(lam.get_alias(FunctionName="hello", Name="live"))
        except lam.exceptions.ResourceNotFoundException:
            return None

    def _check(self) -> bool | str | None:
        alias = self._alias()
        if alias is None:
            return None
        if alias["FunctionVersion"] == "$LATEST":
            return (
                "live points to $LATEST, which changes with every update-function-code. Publish a version "
                "and update the alias to it (update_alias(..., FunctionVersion=...))."
            )
        return True

    def _congrats(self) -> str:
        return "Callers of hello:live now run a version whose code cannot change under them."

    def solve(self) -> None:
        self.setup()
        lam = self.lab.client("lambda")
        version = lam.publish_version(FunctionName="hello")["Version"]
        if self._alias() is None:
            lam.create_alias(FunctionName="hello", Name="live", FunctionVersion=version)
        else:
            lam.update_alias(FunctionName="hello", Name="live", FunctionVersion=version)

    def attempt_wrong(self) -> bool:
        self.lab.client("lambda").create_alias(FunctionName="hello", Name="live", FunctionVersion="$LATEST")
        return True


class DeleteOneVersion(Problem):
    """Delete version 1 of ``hello-versions`` and keep the function and its version 2."""

    title = "Delete one version"
    _hint = (
        "`delete_function` deletes the whole function, every version and alias, unless you pass "
        "`Qualifier=` with the version to delete."
    )
    _solution = '```python\nlam.delete_function(FunctionName="hello-versions", Qualifier="1")\n```'

    def setup(self) -> None:
        """``hello-versions`` with two published versions (1 and 2)."""
        lam = self.lab.client("lambda")
        if _shared.function_exists(self.lab, VERSIONED):
            return
        _shared.ensure_hello(self.lab, VERSIONED)
        lam.publish_version(FunctionName=VERSIONED, Description="first")
        code = zip_files({"app.py": _shared.HELLO_PY.replace("Hello,", "Hello again,")})
        lam.update_function_code(FunctionName=VERSIONED, ZipFile=code)
        lam.publish_version(FunctionName=VERSIONED, Description="second")

    def _versions(self) -> list[str]:
        pages = self.lab.client("lambda").get_paginator("list_versions_by_function")
        return [v["Version"] for page in pages.paginate(FunctionName=VERSIONED) for v in page["Versions"]]

    def _check(self) -> bool | str | None:
        if not _shared.function_exists(self.lab, VERSIONED):
            return (
                "hello-versions is gone altogether: without a Qualifier, delete_function removes the function "
                "with all its versions and aliases. Run setup() to recreate it and try again."
            )
        versions = self._versions()
        if "1" in versions and "2" in versions:
            return None
        if "2" not in versions:
            return f"Version 2 is missing (versions left: {', '.join(versions)}); keep it and delete only version 1."
        if "1" in versions:
            return None
        return True

    def _congrats(self) -> str:
        return "Version 1 is gone; $LATEST and version 2 remain."

    def solve(self) -> None:
        self.setup()
        self.lab.client("lambda").delete_function(FunctionName=VERSIONED, Qualifier="1")

    def attempt_wrong(self) -> bool:
        self.lab.client("lambda").delete_function(FunctionName=VERSIONED)
        return True
