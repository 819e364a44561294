"""Exercise 1 of ``09-http-endpoints-and-layers``, a layer: one helper module shared by two functions.

Layers and the paths Lambda puts them on: https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html
"""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile
from typing import Any

from ...packaging import zip_files
from .. import _shared
from ..core import Attempt, Problem
from ._common import make_function

LAYER = "shared-helpers"
GREETERS = ("greeter-a", "greeter-b")
#: the helper module both greeters import
GREETINGS = 'def hello(name):\n    return f"Hello, {name}!"\n'
GREETER = 'import greetings\n\n\ndef handler(event, context):\n    return greetings.hello(event.get("name", "you"))\n'

_NO_LAYERS = "\n".join(f'lam.update_function_configuration(FunctionName="{n}", Layers=[])' for n in GREETERS)


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
            make_function(self.lab, name, GREETER)

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
