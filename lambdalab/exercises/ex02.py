"""Exercises for ``02-deploy-and-manage``: deploy, version, alias, delete.

Deployment packages: https://docs.aws.amazon.com/lambda/latest/dg/nodejs-package.html; versions and aliases:
https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from ..packaging import zip_files, zip_folder
from . import _shared
from .core import Attempt, Problem

NODE_FUNCTION = "helloworld-alb"
ALB_EVENT = {"httpMethod": "GET", "path": "/", "headers": {"accept": "text/html"}, "body": ""}
VERSIONED = "hello-versions"

#: the lines an attempt starts with: the notebook's first cell has no role_arn yet
ROLE = 'role_arn = lab.client("iam").get_role(RoleName="lambda-exec")["Role"]["Arn"]\n'
SOURCE = 'source = open("../data/functions/helloworld-alb/index.js").read()\n'
DELETE_NODE = 'lam.delete_function(FunctionName="helloworld-alb")'
DELETE_ALIAS = 'lam.delete_alias(FunctionName="hello", Name="live")'
START_AGAIN = 'lam.delete_function(FunctionName="hello-versions")\nexercise.setup()'


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
        'role_arn = lab.client("iam").get_role(RoleName="lambda-exec")["Role"]["Arn"]\n'
        "lam.create_function(\n"
        '    FunctionName="helloworld-alb", Runtime="nodejs22.x", Handler="index.handler",\n'
        '    Role=role_arn, Code={"ZipFile": lambdalab.zip_folder("../data/functions/helloworld-alb")},\n'
        ")\n"
        "```"
    )

    mistakes = (
        Attempt(  # the folder zipped, not its contents
            ROLE + SOURCE + 'lam.create_function(FunctionName="helloworld-alb", Runtime="nodejs22.x", Role=role_arn, '
            'Handler="index.handler",\n    Code={"ZipFile": lambdalab.zip_files({"helloworld-alb/index.js": source})})',
            names="inside a folder",
            undo=DELETE_NODE,
        ),
        Attempt(
            ROLE + 'lam.create_function(FunctionName="helloworld-alb", Runtime="python3.13", Role=role_arn, '
            'Handler="index.handler",\n    Code={"ZipFile": lambdalab.zip_folder("../data/functions/helloworld-alb")})',
            names="pick a nodejs runtime",
            undo=DELETE_NODE,
        ),
        Attempt(  # the handler setting of the Python functions
            ROLE + 'lam.create_function(FunctionName="helloworld-alb", Runtime="nodejs22.x", Role=role_arn, '
            'Handler="app.handler",\n    Code={"ZipFile": lambdalab.zip_folder("../data/functions/helloworld-alb")})',
            names="no app.js",
            undo=DELETE_NODE,
        ),
        Attempt(  # the file renamed in the package
            ROLE + SOURCE + 'lam.create_function(FunctionName="helloworld-alb", Runtime="nodejs22.x", Role=role_arn, '
            'Handler="index.handler",\n    Code={"ZipFile": lambdalab.zip_files({"helloworld.js": source})})',
            names="no index.js",
            undo=DELETE_NODE,
        ),
    )
    correct_forms = (
        Attempt(
            SOURCE
            + 'lam.create_function(FunctionName="helloworld-alb", Runtime="nodejs20.x", Handler="index.handler",\n'
            '    Role=f"arn:aws:iam::{lab.account_id}:role/lambda-exec", Code={"ZipFile": lambdalab.zip_files({"index.js": source})})',
            undo=DELETE_NODE,
        ),
        Attempt(  # a package built with zipfile, and more settings
            ROLE + "buffer = io.BytesIO()\n"
            'with zipfile.ZipFile(buffer, "w") as package:\n'
            '    package.write("../data/functions/helloworld-alb/index.js", "index.js")\n'
            'lam.create_function(FunctionName="helloworld-alb", Runtime="nodejs22.x", Handler="index.handler", '
            'Role=role_arn,\n    Code={"ZipFile": buffer.getvalue()}, MemorySize=256, Timeout=10, '
            'Description="ALB demo")\n'
            'lam.get_waiter("function_active_v2").wait(FunctionName="helloworld-alb")',
            undo=DELETE_NODE,
        ),
    )

    def setup(self) -> None:
        _shared.ensure_role(self.lab)

    def _check(self) -> bool | str | None:
        config = _shared.function_config(self.lab, NODE_FUNCTION)
        if config is None:
            return None
        if not str(config.get("Runtime", "")).startswith("nodejs"):
            return f"helloworld-alb runs on {config.get('Runtime')}: it is JavaScript, so pick a nodejs runtime."
        mismatch = _shared.handler_mismatch(self.lab, config)
        if mismatch:
            return mismatch
        response = self.lab.client("lambda").invoke(FunctionName=NODE_FUNCTION, Payload=json.dumps(ALB_EVENT))
        self._did("invoked helloworld-alb once with a test request")
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
        return "helloworld-alb answered statusCode 200 with an HTML body."

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

    mistakes = (
        Attempt(
            'lam.create_alias(FunctionName="hello", Name="live", FunctionVersion="$LATEST")',
            names="points to $LATEST",
            undo=DELETE_ALIAS,
        ),
        Attempt(
            'version = lam.publish_version(FunctionName="hello")["Version"]\n'
            'lam.create_alias(FunctionName="hello", Name="Live", FunctionVersion=version)',
            names="case-sensitive",
            undo='lam.delete_alias(FunctionName="hello", Name="Live")',
        ),
        Attempt(  # half the traffic sent on to another version
            'first = lam.publish_version(FunctionName="hello")["Version"]\n'
            'lam.update_function_configuration(FunctionName="hello", Description="canary")\n'
            'lam.get_waiter("function_updated_v2").wait(FunctionName="hello")\n'
            'second = lam.publish_version(FunctionName="hello")["Version"]\n'
            'lam.create_alias(FunctionName="hello", Name="live", FunctionVersion=first,\n'
            '                 RoutingConfig={"AdditionalVersionWeights": {second: 0.5}})',
            names="RoutingConfig",
            undo=DELETE_ALIAS,
        ),
    )
    correct_forms = (
        Attempt(  # the alias on $LATEST first, then moved to a version
            'lam.create_alias(FunctionName="hello", Name="live", FunctionVersion="$LATEST")\n'
            'published = lam.publish_version(FunctionName="hello", Description="frozen")\n'
            'lam.update_alias(FunctionName="hello", Name="live", FunctionVersion=published["Version"])',
            undo=DELETE_ALIAS,
        ),
        Attempt(
            'arn = lam.get_function(FunctionName="hello")["Configuration"]["FunctionArn"]\n'
            'lam.create_alias(FunctionName=arn, Name="live", FunctionVersion=lam.publish_version(FunctionName=arn)["Version"],\n'
            '                 Description="what callers use")',
            undo=DELETE_ALIAS,
        ),
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
            names = [a["Name"] for a in self.lab.client("lambda").list_aliases(FunctionName="hello")["Aliases"]]
            near = [n for n in names if n.lower() == "live"]
            if near:
                return f"hello has an alias {near[0]}, not live: alias names are case-sensitive."
            return None
        if alias["FunctionVersion"] == "$LATEST":
            return (
                "live points to $LATEST, which changes with every update-function-code. Publish a version "
                "and update the alias to it (update_alias(..., FunctionVersion=...))."
            )
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        if weights:
            shares = ", ".join(f"{w:.0%} to version {v}" for v, w in weights.items())
            return (
                f"live points to version {alias['FunctionVersion']}, but its RoutingConfig sends {shares}. "
                "The alias should run the one version: leave RoutingConfig out."
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

    mistakes = (
        Attempt(
            'lam.delete_function(FunctionName="hello-versions")', names="without a Qualifier", undo="exercise.setup()"
        ),
        Attempt(
            'lam.delete_function(FunctionName="hello-versions", Qualifier="2")',
            names="you deleted version 2",
            undo=START_AGAIN,
        ),
        Attempt(
            'for version in ("1", "2"):\n    lam.delete_function(FunctionName="hello-versions", Qualifier=version)',
            names="both gone",
            undo=START_AGAIN,
        ),
    )
    correct_forms = (
        Attempt('lam.delete_function(FunctionName="hello-versions:1")', undo=START_AGAIN),
        Attempt(
            'arn = lam.get_function(FunctionName="hello-versions")["Configuration"]["FunctionArn"]\n'
            'lam.delete_function(FunctionName=arn, Qualifier="1")',
            undo=START_AGAIN,
        ),
    )

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
        if "2" not in versions and "1" in versions:
            return "You deleted version 2: the exercise asks to delete version 1 and keep version 2."
        if "2" not in versions:
            return (
                f"Versions 1 and 2 are both gone (versions left: {', '.join(versions)}): delete only version 1. "
                "Run setup() to start again."
            )
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
