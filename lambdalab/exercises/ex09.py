"""Exercises for ``09-http-endpoints-and-layers``: share code in a layer, open a function URL, allow a page (CORS)."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import zipfile
from typing import Any

from ..aws.url_auth import missing_permission
from ..packaging import zip_files
from . import _shared
from .core import Attempt, Problem

LAYER = "shared-helpers"
GREETERS = ("greeter-a", "greeter-b")
#: the helper module both greeters import
GREETINGS = 'def hello(name):\n    return f"Hello, {name}!"\n'
GREETER = 'import greetings\n\n\ndef handler(event, context):\n    return greetings.hello(event.get("name", "you"))\n'

WEB = "hello-web"
PAGE = (
    "def handler(event, context):\n"
    '    return {"statusCode": 200, "headers": {"Content-Type": "text/html"},\n'
    '            "body": "<h1>Hello from Lambda</h1>"}\n'
)
SHOP_API = "price-api"
SHOP = "https://shop.example.com"
PRICES = 'import json\n\n\ndef handler(event, context):\n    return {"tea": 3.5, "coffee": 4}\n'

_NO_LAYERS = "\n".join(f'lam.update_function_configuration(FunctionName="{n}", Layers=[])' for n in GREETERS)
_UNDO_URL = (
    "from lambdalab.exercises import ex09\n"
    "ex09.take_back_url(lab)"
)  # fmt: skip


def _function(lab: Any, name: str, source: str) -> None:
    if not _shared.function_exists(lab, name):
        lab.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=_shared.ensure_role(lab),
            Handler="app.handler",
            Code={"ZipFile": zip_files({"app.py": source})},
        )


def _url(lab: Any, name: str) -> dict[str, Any] | None:
    lam = lab.client("lambda")
    try:
        return dict(lam.get_function_url_config(FunctionName=name))
    except lam.exceptions.ResourceNotFoundException:
        return None


def _statements(lab: Any, name: str) -> list[dict[str, Any]]:
    lam = lab.client("lambda")
    try:
        return list(json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"])
    except lam.exceptions.ResourceNotFoundException:
        return []


def _http(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def take_back_url(lab: Any) -> None:
    """Undo an attempt at :class:`OpenToEveryone`: no URL, no statements."""
    lam = lab.client("lambda")
    if _url(lab, WEB) is not None:
        lam.delete_function_url_config(FunctionName=WEB)
    for st in _statements(lab, WEB):
        lam.remove_permission(FunctionName=WEB, StatementId=st["Sid"])


def _open_to_everyone(lab: Any, name: str) -> None:
    """The two statements a function URL with AuthType NONE needs since October 2025."""
    lam = lab.client("lambda")
    lam.add_permission(
        FunctionName=name,
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
    )


def _why_no_import(name: str, runtime: str, names: list[str], out: Any) -> str:
    """Why ``name`` (running ``runtime``) did not greet, from the file names in its layer's zip.

    Lambda puts ``/opt/python`` and ``/opt/python/lib/python3.x/site-packages`` (x the function's own
    version) on Python's path (https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths).
    """
    if "greetings.py" in names:
        return (
            f"{name} still cannot import greetings: the layer has greetings.py at the top of its zip, "
            "so it lands in /opt, which is not on Python's path. Put it at python/greetings.py "
            "(Lambda adds /opt/python) and publish a new version."
        )
    own = f"python/lib/{runtime}/site-packages/"
    elsewhere = [n for n in names if n.endswith("/site-packages/greetings.py") and not n.startswith(own)]
    if elsewhere:
        return (
            f"{name} still cannot import greetings: the layer has it at {elsewhere[0]}, and a {runtime} "
            f"function looks only in python/ and in {own.rstrip('/')} (the folder of its own Python version). "
            "Put it at python/greetings.py, which every Python runtime reads, and publish a new version."
        )
    return f"{name} answered {out!r}: does the layer's greetings.py define hello(name)?"


class ShareAHelper(Problem):
    """``greeter-a`` and ``greeter-b`` both ``import greetings``; neither package has it."""

    title = "Share a helper module through a layer"
    _hint = (
        "Publish a layer named `shared-helpers` whose zip has the module at `python/greetings.py` (Lambda puts "
        "`/opt/python` on Python's import path), then set `Layers=[<the layer version ARN>]` on both functions "
        "with `update_function_configuration`. The module's source is `ex09.GREETINGS`."
    )
    _solution = (
        "```python\n"
        "from lambdalab.exercises import ex09\n\n"
        'layer = lam.publish_layer_version(LayerName="shared-helpers", CompatibleRuntimes=["python3.13"],\n'
        '                                  Content={"ZipFile": lambdalab.zip_files({"python/greetings.py": ex09.GREETINGS})})\n'
        'for name in ("greeter-a", "greeter-b"):\n'
        '    lam.update_function_configuration(FunctionName=name, Layers=[layer["LayerVersionArn"]])\n'
        "```"
    )

    mistakes = (
        Attempt(  # the module at the top of the zip: it lands in /opt, which is not on the import path
            "from lambdalab.exercises import ex09\n"
            'layer = lam.publish_layer_version(LayerName="shared-helpers", Content={"ZipFile": lambdalab.zip_files({"greetings.py": ex09.GREETINGS})})\n'
            'for name in ("greeter-a", "greeter-b"):\n'
            '    lam.update_function_configuration(FunctionName=name, Layers=[layer["LayerVersionArn"]])',
            names="python/",
            undo=_NO_LAYERS,
        ),
        Attempt(
            "from lambdalab.exercises import ex09\n"
            'layer = lam.publish_layer_version(LayerName="shared-helpers", Content={"ZipFile": lambdalab.zip_files({"python/greetings.py": ex09.GREETINGS})})\n'
            'lam.update_function_configuration(FunctionName="greeter-a", Layers=[layer["LayerVersionArn"]])',
            names="greeter-b",
            undo=_NO_LAYERS,
        ),
        Attempt(  # the site-packages path copied from a guide written for another Python version
            "from lambdalab.exercises import ex09\n"
            'files = {"python/lib/python3.12/site-packages/greetings.py": ex09.GREETINGS}\n'
            'arn = lam.publish_layer_version(LayerName="shared-helpers", Content={"ZipFile": lambdalab.zip_files(files)})["LayerVersionArn"]\n'
            'for name in ("greeter-a", "greeter-b"):\n'
            "    lam.update_function_configuration(FunctionName=name, Layers=[arn])",
            names="its own Python version",
            undo=_NO_LAYERS,
        ),
    )
    correct_forms = (
        Attempt(  # the site-packages folder of the function's Python version is on the path too
            "from lambdalab.exercises import ex09\n"
            'files = {"python/lib/python3.13/site-packages/greetings.py": ex09.GREETINGS}\n'
            'arn = lam.publish_layer_version(LayerName="shared-helpers", Content={"ZipFile": lambdalab.zip_files(files)})["LayerVersionArn"]\n'
            'lam.update_function_configuration(FunctionName="greeter-a", Layers=[arn])\n'
            'lam.update_function_configuration(FunctionName="greeter-b", Layers=[arn])',
            undo=_NO_LAYERS,
        ),
        Attempt(  # the zip written by hand with the standard library
            "import io, zipfile\n"
            "from lambdalab.exercises import ex09\n"
            "buffer = io.BytesIO()\n"
            'with zipfile.ZipFile(buffer, "w") as archive:\n'
            '    archive.writestr("python/greetings.py", ex09.GREETINGS)\n'
            'layer = lam.publish_layer_version(LayerName="shared-helpers", Content={"ZipFile": buffer.getvalue()},\n'
            '                                  CompatibleRuntimes=["python3.13"], CompatibleArchitectures=["x86_64"])\n'
            'for name in ("greeter-a", "greeter-b"):\n'
            '    lam.update_function_configuration(FunctionName=name, Layers=[layer["LayerVersionArn"]])',
            undo=_NO_LAYERS,
        ),
    )

    def setup(self) -> None:
        for name in GREETERS:
            _function(self.lab, name, GREETER)

    def _layer_of(self, name: str) -> str | None:
        config = _shared.function_config(self.lab, name) or {}
        arns = [layer["Arn"] for layer in config.get("Layers", []) if f":layer:{LAYER}:" in layer["Arn"]]
        return arns[0] if arns else None

    def _check(self) -> bool | str | None:
        found = {name: self._layer_of(name) for name in GREETERS}
        if not any(found.values()):
            return None
        missing = [name for name, arn in found.items() if arn is None]
        if missing:
            return f"{', '.join(missing)} has no version of the layer {LAYER} yet: add it to both functions."
        lam = self.lab.client("lambda")
        config_of = {name: _shared.function_config(self.lab, name) or {} for name in GREETERS}
        for name, arn in found.items():
            out = json.loads(lam.invoke(FunctionName=name, Payload=b'{"name": "Ada"}')["Payload"].read())
            if out == "Hello, Ada!":
                continue
            location = lam.get_layer_version_by_arn(Arn=arn)["Content"]["Location"]
            with urllib.request.urlopen(location, timeout=60) as resp:
                names = zipfile.ZipFile(io.BytesIO(resp.read())).namelist()
            return _why_no_import(name, str(config_of[name].get("Runtime", "")), names, out)
        return True

    def _congrats(self) -> str:
        return "Both greeters import greetings from /opt/python: one copy of the helper, in one layer."

    def solve(self) -> None:
        lam = self.lab.client("lambda")
        archive = zip_files({"python/greetings.py": GREETINGS})
        arn = lam.publish_layer_version(LayerName=LAYER, Content={"ZipFile": archive})["LayerVersionArn"]
        for name in GREETERS:
            lam.update_function_configuration(FunctionName=name, Layers=[arn])

    def attempt_wrong(self) -> bool:
        lam = self.lab.client("lambda")
        arn = lam.publish_layer_version(LayerName=LAYER, Content={"ZipFile": zip_files({"greetings.py": GREETINGS})})
        for name in GREETERS:
            lam.update_function_configuration(FunctionName=name, Layers=[arn["LayerVersionArn"]])
        return True


class OpenToEveryone(Problem):
    """``hello-web`` returns a page; give it a URL anyone may open, with only the permissions that takes."""

    title = "Open a function URL to everyone"
    _hint = (
        '`create_function_url_config` with `AuthType="NONE"` makes the URL; the function\'s policy must then let '
        "`*` call it. Since October 2025 that takes two statements: `lambda:InvokeFunctionUrl` (with "
        '`FunctionUrlAuthType="NONE"`) and `lambda:InvokeFunction` with `InvokedViaFunctionUrl=True`, so the '
        "second one opens the URL and not the Invoke API."
    )
    _solution = (
        "```python\n"
        'url = lam.create_function_url_config(FunctionName="hello-web", AuthType="NONE")["FunctionUrl"]\n'
        'lam.add_permission(FunctionName="hello-web", StatementId="url", Action="lambda:InvokeFunctionUrl",\n'
        '                   Principal="*", FunctionUrlAuthType="NONE")\n'
        'lam.add_permission(FunctionName="hello-web", StatementId="invoke", Action="lambda:InvokeFunction",\n'
        '                   Principal="*", InvokedViaFunctionUrl=True)\n'
        "```"
    )

    mistakes = (
        Attempt(  # the rule before October 2025
            'lam.create_function_url_config(FunctionName="hello-web", AuthType="NONE")\n'
            'lam.add_permission(FunctionName="hello-web", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="NONE")',
            names="lambda:InvokeFunction",
            undo=_UNDO_URL,
        ),
        Attempt(
            'lam.create_function_url_config(FunctionName="hello-web", AuthType="AWS_IAM")\n'
            'lam.add_permission(FunctionName="hello-web", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="AWS_IAM")\n'
            'lam.add_permission(FunctionName="hello-web", StatementId="invoke", Action="lambda:InvokeFunction", Principal="*", InvokedViaFunctionUrl=True)',
            names="AWS_IAM",
            undo=_UNDO_URL,
        ),
        Attempt(  # works, but anyone may now call the Invoke API too
            'lam.create_function_url_config(FunctionName="hello-web", AuthType="NONE")\n'
            'lam.add_permission(FunctionName="hello-web", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="NONE")\n'
            'lam.add_permission(FunctionName="hello-web", StatementId="invoke", Action="lambda:InvokeFunction", Principal="*")',
            names="InvokedViaFunctionUrl",
            undo=_UNDO_URL,
        ),
    )
    correct_forms = (
        Attempt(
            'lam.add_permission(FunctionName="hello-web", StatementId="invoke", Action="lambda:InvokeFunction", Principal="*", InvokedViaFunctionUrl=True)\n'
            'lam.add_permission(FunctionName="hello-web", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*")\n'
            'lam.create_function_url_config(FunctionName="hello-web", AuthType="NONE")',
            undo=_UNDO_URL,
        ),
        Attempt(  # the notebook's own helper, after the URL
            'url = lam.create_function_url_config(FunctionName="hello-web", AuthType="NONE")["FunctionUrl"]\n'
            'open_to_everyone("hello-web")',
            undo=_UNDO_URL,
        ),
    )

    def setup(self) -> None:
        _function(self.lab, WEB, PAGE)

    def _check(self) -> bool | str | None:
        config = _url(self.lab, WEB)
        if config is None:
            return None
        if config["AuthType"] != "NONE":
            return (
                f"The URL's AuthType is {config['AuthType']}: only requests signed with AWS credentials get in, "
                "and a browser does not sign. Use AuthType NONE (update_function_url_config)."
            )
        statements = _statements(self.lab, WEB)
        for st in statements:
            condition = json.dumps(st.get("Condition") or {})
            if st.get("Principal") == "*" and st.get("Action") == "lambda:InvokeFunction":
                if "InvokedViaFunctionUrl" not in condition:
                    return (
                        f"The statement {st['Sid']} lets anyone call lambda:InvokeFunction by any means, the Invoke "
                        "API included. Replace it with one that has InvokedViaFunctionUrl=True: it then opens "
                        "the URL only."
                    )
        account = config["FunctionArn"].split(":")[4]
        missing = missing_permission(statements, "NONE", caller_account=None, own_account=account)
        if missing is not None:
            since = " (new URLs need it since October 2025)" if missing == "lambda:InvokeFunction" else ""
            return f"Opening the URL answers 403: the policy does not let * perform {missing}{since}."
        status, headers, body = _http(config["FunctionUrl"])
        if status != 200 or b"Hello from Lambda" not in body:
            return f"Opening the URL answered {status}: {body[:200].decode(errors='replace')}"
        return True

    def _congrats(self) -> str:
        return "The URL answers anyone with the page, and the Invoke API stays closed to strangers."

    def solve(self) -> None:
        take_back_url(self.lab)
        lam = self.lab.client("lambda")
        lam.create_function_url_config(FunctionName=WEB, AuthType="NONE")
        _open_to_everyone(self.lab, WEB)

    def attempt_wrong(self) -> bool:
        lam = self.lab.client("lambda")
        lam.create_function_url_config(FunctionName=WEB, AuthType="NONE")
        lam.add_permission(
            FunctionName=WEB,
            StatementId="url",
            Action="lambda:InvokeFunctionUrl",
            Principal="*",
            FunctionUrlAuthType="NONE",
        )
        return True


_NO_CORS = 'lam.update_function_url_config(FunctionName="price-api", Cors={})'


class LetTheShopIn(Problem):
    """A page at https://shop.example.com POSTs JSON to ``price-api``'s URL; the browser's preflight must pass."""

    title = "Allow the shop's page to call the URL (CORS)"
    _hint = (
        "Set `Cors` on the URL (`update_function_url_config`): `AllowOrigins` the shop's origin only, "
        "`AllowMethods` with `POST`, and `AllowHeaders` with `content-type` (a JSON POST sends it, so the "
        "browser asks first). The URL then answers the preflight `OPTIONS` itself."
    )
    _solution = (
        "```python\n"
        'lam.update_function_url_config(FunctionName="price-api", Cors={\n'
        '    "AllowOrigins": ["https://shop.example.com"], "AllowMethods": ["POST"], "AllowHeaders": ["content-type"]})\n'
        "```"
    )

    mistakes = (
        Attempt(
            'lam.update_function_url_config(FunctionName="price-api", Cors={"AllowOrigins": ["*"], "AllowMethods": ["*"], "AllowHeaders": ["*"]})',
            names="any site",
            undo=_NO_CORS,
        ),
        Attempt(
            'lam.update_function_url_config(FunctionName="price-api", Cors={"AllowOrigins": ["https://shop.example.com"], "AllowMethods": ["GET"], "AllowHeaders": ["content-type"]})',
            names="POST",
            undo=_NO_CORS,
        ),
        Attempt(
            'lam.update_function_url_config(FunctionName="price-api", Cors={"AllowOrigins": ["https://shop.example.com"], "AllowMethods": ["POST"]})',
            names="content-type",
            undo=_NO_CORS,
        ),
    )
    correct_forms = (
        Attempt(
            'lam.update_function_url_config(FunctionName="price-api", Cors={"AllowOrigins": ["https://shop.example.com"], '
            '"AllowMethods": ["GET", "POST"], "AllowHeaders": ["Content-Type", "x-api-key"], "MaxAge": 600})',
            undo=_NO_CORS,
        ),
        Attempt(  # any method and header, from the shop's page only
            'lam.update_function_url_config(FunctionName="price-api", Cors={"AllowOrigins": ["https://shop.example.com"], '
            '"AllowMethods": ["*"], "AllowHeaders": ["*"]})',
            undo=_NO_CORS,
        ),
    )

    def setup(self) -> None:
        _function(self.lab, SHOP_API, PRICES)
        if _url(self.lab, SHOP_API) is None:
            lam = self.lab.client("lambda")
            lam.create_function_url_config(FunctionName=SHOP_API, AuthType="NONE")
            _open_to_everyone(self.lab, SHOP_API)

    def _check(self) -> bool | str | None:
        config = _url(self.lab, SHOP_API)
        if config is None:
            return "price-api has no URL any more: run the setup cell again."
        cors = config.get("Cors") or {}
        if not any(cors.values()):
            return None
        if "*" in (cors.get("AllowOrigins") or []):
            return (
                "AllowOrigins is *: any site's page may now call price-api from its visitors' browsers. "
                f"Name the shop's origin, {SHOP}."
            )
        _, headers, _ = _http(
            config["FunctionUrl"],
            "OPTIONS",
            {"Origin": SHOP, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
        )
        allowed = {k.lower(): v for k, v in headers.items()}
        if allowed.get("access-control-allow-origin") != SHOP:
            methods = [str(m).upper() for m in cors.get("AllowMethods") or []]
            if "POST" not in methods and "*" not in methods:
                return f"The preflight asks for POST, and AllowMethods is {methods}: add POST."
            return f"The preflight from {SHOP} gets no Access-Control-Allow-Origin: is the origin spelled as here?"
        allowed_headers = [h.strip().lower() for h in allowed.get("access-control-allow-headers", "").split(",")]
        if "content-type" not in allowed_headers and "*" not in allowed_headers:
            return (
                "The page POSTs JSON, so its request carries content-type, and the preflight asks for it: "
                "AllowHeaders must list content-type."
            )
        return True

    def _congrats(self) -> str:
        return "The URL answers the shop's preflight itself; the browser may now send the POST."

    def solve(self) -> None:
        self.lab.client("lambda").update_function_url_config(
            FunctionName=SHOP_API,
            Cors={"AllowOrigins": [SHOP], "AllowMethods": ["POST"], "AllowHeaders": ["content-type"]},
        )

    def attempt_wrong(self) -> bool:
        self.lab.client("lambda").update_function_url_config(
            FunctionName=SHOP_API,
            Cors={"AllowOrigins": [SHOP], "AllowMethods": ["GET"], "AllowHeaders": ["content-type"]},
        )
        return True
