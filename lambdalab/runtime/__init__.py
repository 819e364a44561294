"""A local AWS Lambda runtime: execution environments as subprocesses.

The lab gives a :class:`Runtime` a :class:`FunctionSpec` and a payload and gets an
:class:`InvokeResult` back, as Lambda's Invoke API would report it
(https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html).  Inside, each
execution environment is a process speaking the Lambda Runtime API
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):

- ``types``       the values, and :class:`Runtime`, the protocol every runtime satisfies
- ``runtime``     :class:`SubprocessRuntime`: execution environments as subprocesses
- ``fake``        :class:`FakeRuntime`: Python callables in process, for tests
- ``pool``        warm/cold reuse, concurrency, throttling (shared by both)
- ``outcome``     how an invocation's outcome is reported (shared by both)
- ``environment`` one environment: process, output, timeout, memory, crashes
- ``api``         the Runtime API HTTP server of one environment
- ``launchers``   an environment's command line and Lambda's environment variables
- ``families``    one object per kind of runtime (python3.x, nodejsNN.x, provided.*)
- ``logs``        START / END / REPORT lines
- ``realtime``    the real clock (the lab's own clock is virtual)
- ``node/bootstrap.mjs`` the Node.js runtime interface client
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lambdalab.runtime.fake import FakeContext, FakeRuntime, OutOfMemory, RuntimeExit, SandboxTimeout
    from lambdalab.runtime.runtime import SubprocessRuntime
    from lambdalab.runtime.types import EnvironmentInfo, FunctionSpec, InvokeResult, Runtime, RuntimeFailure

#: where each name lives: importing the package stays cheap (the packaging hints need only ``families``)
_HOMES = {
    "EnvironmentInfo": "types",
    "FunctionSpec": "types",
    "InvokeResult": "types",
    "Runtime": "types",
    "RuntimeFailure": "types",
    "SubprocessRuntime": "runtime",
    "FakeContext": "fake",
    "FakeRuntime": "fake",
    "OutOfMemory": "fake",
    "RuntimeExit": "fake",
    "SandboxTimeout": "fake",
}
__all__ = [
    "EnvironmentInfo",
    "FakeContext",
    "FakeRuntime",
    "FunctionSpec",
    "InvokeResult",
    "OutOfMemory",
    "Runtime",
    "RuntimeExit",
    "RuntimeFailure",
    "SandboxTimeout",
    "SubprocessRuntime",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
