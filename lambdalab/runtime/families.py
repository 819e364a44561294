"""Runtime families: one object per kind of Lambda runtime the lab can run.

A family owns a set of runtime identifiers (``python3.x``, ``nodejsNN.x``,
``provided.*``) and says everything that depends on them:

- how an execution environment starts: the interpreter or launcher, the runtime
  directory and the variables it adds to Lambda's;
- the line an environment's first log starts with when the exact version is not
  installed here, and why this machine cannot run the runtime at all;
- which file of the .zip the handler setting names, and the deploy-time hint when
  the package does not have it (:func:`lambdalab.packaging.handler_problem`);
- which files must be executable, and how a missing entrypoint is reported.

The launcher, the runtime and the packaging hints ask :func:`family_of` instead of
testing runtime strings.  Adding a runtime is one :class:`Family` subclass and one
:func:`register` call.

https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html
https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

NODE_BOOTSTRAP = Path(__file__).with_name("node") / "bootstrap.mjs"


class Host(Protocol):
    """What a family may ask of this machine (the launcher answers)."""

    @property
    def root(self) -> Path:
        """The runtime's own scratch directory."""
        ...

    @property
    def python(self) -> str:
        """The Python interpreter that runs Python functions."""
        ...

    @property
    def python_version(self) -> str:
        """Its version, ``"3.11.7"``."""
        ...

    def node(self) -> tuple[str, int] | None:
        """The ``node`` executable and its major version, or None when Node.js is not installed."""
        ...

    def python_runtime_dir(self) -> Path:
        """A /var/runtime with awslambdaric and the AWS SDK, staged once."""
        ...


@dataclass(frozen=True)
class Start:
    """How one family starts an execution environment."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # added to the variables Lambda defines
    path: str | None = None  # a directory put first on PATH
    notice: str | None = None  # one line for the first invocation's log


class Family:
    """A kind of runtime: what is true of every runtime identifier it owns."""

    #: short name: "python", "nodejs", "provided"
    name = ""
    #: how the refusal of an unknown runtime lists this family
    label = ""
    #: the files a handler "<file>.<function>" may name, "{}" standing for <file>
    handler_files: tuple[str, ...] = ()
    #: how the packaging hint says where the handler's file is looked for
    handler_lookup = ""
    #: files of the package that must be executable
    executables: tuple[str, ...] = ()

    def owns(self, runtime: str) -> bool:
        raise NotImplementedError

    def unavailable(self, runtime: str, host: Host) -> str | None:
        """Why this machine cannot run ``runtime`` (None when it can)."""
        return None

    def start(self, runtime: str, handler: str, task_root: Path, host: Host) -> Start:
        raise NotImplementedError

    def package_problem(self, handler: str, files: set[str]) -> str | None:
        """Why the handler setting will not find its file in a package of ``files``, or None."""
        if "." not in handler:
            return (
                f"The handler '{handler}' has no dot: Lambda expects '<file>.<function>', for example "
                "'index.handler'. Invocations will fail with Runtime.MalformedHandlerName."
            )
        module = handler.rsplit(".", 1)[0]
        candidates = [pattern.format(module) for pattern in self.handler_files]
        if not candidates or any(c in files for c in candidates):
            return None
        nested = [n for n in files if any(n.endswith("/" + c) for c in candidates)]
        where = f" It is inside a folder ({nested[0]}): zip the file itself, not its folder (zip -j)." if nested else ""
        return (
            f"The handler '{handler}' names the file '{module}', but the package has no "
            f"{' or '.join(candidates)} at its top level ({self.handler_lookup} {candidates[0]}).{where} "
            "AWS accepts this package and every invocation then fails with Runtime.ImportModuleError."
        )

    def entrypoint_error(self, exc: OSError) -> str:
        """What Lambda says when the environment's process cannot even start."""
        return str(exc)


def _not_installed(runtime: str, running_on: str) -> str:
    return f"lambdalab: {runtime} is not installed here; running this function on {running_on}"


class PythonFamily(Family):
    """``python3.x``: AWS's runtime interface client, ``python -m awslambdaric <handler>``.

    https://docs.aws.amazon.com/lambda/latest/dg/python-image.html
    """

    name = "python"
    label = "python3.x"
    handler_files = ("{}.py", "{}/__init__.py")
    handler_lookup = "Python imports"
    #: awslambdaric writes JSON with non-ASCII text unescaped on these, escaped on older ones
    _UNESCAPED_JSON = ("python3.12", "python3.13", "python3.14", "python3.15")

    def owns(self, runtime: str) -> bool:
        return runtime.startswith("python3")

    def start(self, runtime: str, handler: str, task_root: Path, host: Host) -> Start:
        runtime_dir = str(host.python_runtime_dir())
        have = ".".join(host.python_version.split(".")[:2])
        notice = (
            None if runtime.removeprefix("python") == have else _not_installed(runtime, f"Python {host.python_version}")
        )
        return Start(
            argv=[host.python, "-S", "-m", "awslambdaric", handler],
            env={"LAMBDA_RUNTIME_DIR": runtime_dir, "PYTHONPATH": runtime_dir},
            path=str(Path(host.python).parent),
            notice=notice,
        )

    def escapes_non_ascii(self, runtime: str) -> bool:
        """Does a response on ``runtime`` write ``"é"`` as ``"\\u00e9"``?"""
        return runtime not in self._UNESCAPED_JSON


class NodeFamily(Family):
    """``nodejsNN.x``: our small runtime interface client, ``node bootstrap.mjs``.

    As AWS's nodejs22.x and nodejs24.x do, the runtime ships the durable execution SDK
    (``@aws/durable-execution-sdk-js`` and the ``@aws-sdk/client-lambda`` it calls) in its own
    ``node_modules``, which ``make setup`` installs from ``runtime/node/package-lock.json``; NODE_PATH
    lists it in Lambda's order: the layers' folders, the runtime's node_modules, the runtime, the task root.
    Of the AWS SDK for JavaScript v3 that AWS's Node.js runtimes include, only ``@aws-sdk/client-lambda``
    is there. The durable SDK asks for Node.js 22 (its ``engines``); on Node.js 20 it runs all the lab's
    tests use: steps and their retries, waits, callbacks and their timeouts, parallel, map, child contexts.

    https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html
    https://docs.aws.amazon.com/lambda/latest/dg/durable-supported-runtimes.html
    """

    name = "nodejs"
    label = "nodejs*.x (with Node.js installed)"
    handler_files = ("{}.js", "{}.mjs", "{}.cjs")
    handler_lookup = "Node.js looks for"

    def owns(self, runtime: str) -> bool:
        return runtime.startswith("nodejs")

    def unavailable(self, runtime: str, host: Host) -> str | None:
        if host.node() is not None:
            return None
        return (
            f"The runtime {runtime} needs Node.js, which is not installed on this machine "
            "(no 'node' executable on PATH). Install Node.js to run this function."
        )

    def start(self, runtime: str, handler: str, task_root: Path, host: Host) -> Start:
        node = host.node()
        assert node is not None, "check unavailable() first"
        path, major = node
        wanted = re.match(r"nodejs(\d+)", runtime)
        notice = _not_installed(runtime, f"Node.js {major}") if wanted and int(wanted.group(1)) != major else None
        runtime_dir = NODE_BOOTSTRAP.parent
        _runtime_modules_above(task_root, runtime_dir / "node_modules")
        node_path = os.pathsep.join(map(str, (runtime_dir / "node_modules", runtime_dir, task_root)))
        return Start(
            argv=[path, str(NODE_BOOTSTRAP)],
            env={"LAMBDA_RUNTIME_DIR": str(runtime_dir), "NODE_PATH": node_path},
            path=str(Path(path).parent),
            notice=notice,
        )


def _runtime_modules_above(task_root: Path, modules: Path) -> None:
    """Let ``import`` find the runtime's packages too: a ``node_modules`` link beside the task roots.

    Lambda's Node.js runtimes search NODE_PATH for ES modules as well as for ``require``
    (https://aws.amazon.com/blogs/compute/node-js-18-x-runtime-now-available-in-aws-lambda/); Node.js
    itself searches it for ``require`` only. A loader hook would do the same at a cost of 300 ms a cold
    start on Node.js 20 (its hooks thread); the link costs nothing. Packages of the function's own
    node_modules still come first; the runtime's come before a layer's of the same name.
    """
    link = task_root.parent / "node_modules"
    if not link.exists() and modules.is_dir():
        try:
            link.symlink_to(modules, target_is_directory=True)
        except FileExistsError:
            pass  # another environment's start made it


class CustomFamily(Family):
    """``provided.al2023`` / ``provided.al2``: the package's own executable ``bootstrap``.

    https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html
    """

    name = "provided"
    label = "provided.al2/provided.al2023"
    executables = ("bootstrap",)
    _RUNTIMES = ("provided", "provided.al2", "provided.al2023")

    def owns(self, runtime: str) -> bool:
        return runtime in self._RUNTIMES

    def start(self, runtime: str, handler: str, task_root: Path, host: Host) -> Start:
        runtime_dir = host.root / "provided-runtime"
        runtime_dir.mkdir(exist_ok=True)
        return Start(argv=[str(task_root / "bootstrap")], env={"LAMBDA_RUNTIME_DIR": str(runtime_dir)})

    def package_problem(self, handler: str, files: set[str]) -> str | None:
        if "bootstrap" in files:
            return None
        return (
            "A custom runtime needs an executable file named 'bootstrap' at the top of the .zip; "
            f"this package has {sorted(files)}. Lambda will fail with Runtime.InvalidEntrypoint."
        )

    def entrypoint_error(self, exc: OSError) -> str:
        return f"Couldn't find valid bootstrap(s): [{exc.filename or 'bootstrap'}] ({exc.strerror})"


_FAMILIES: list[Family] = []


F = TypeVar("F", bound=Family)


def register(family: F) -> F:
    """Let the lab run the runtimes ``family`` owns."""
    _FAMILIES.append(family)
    return family


def family_of(runtime: str) -> Family | None:
    """The family that owns ``runtime``, or None when the lab cannot run it."""
    return next((f for f in _FAMILIES if f.owns(runtime)), None)


def cannot_run(runtime: str) -> str:
    """Why the lab refuses a runtime no family owns."""
    labels = [f.label for f in _FAMILIES]
    listed = ", ".join(labels[:-1]) + " and " + labels[-1] if len(labels) > 1 else "".join(labels)
    return f"The runtime {runtime} cannot run in lambdalab: this machine runs {listed} functions."


PYTHON = register(PythonFamily())
NODEJS = register(NodeFamily())
CUSTOM = register(CustomFamily())
