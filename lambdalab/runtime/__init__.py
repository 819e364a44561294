"""A local AWS Lambda runtime: execution environments as subprocesses.

The lab gives the runtime a :class:`FunctionSpec` and a payload and gets an
:class:`InvokeResult` back, as Lambda's Invoke API would report it
(https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html).  Inside, each
execution environment is a process speaking the Lambda Runtime API
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):

- ``runtime``     :class:`Runtime`: warm/cold reuse, concurrency, throttling
- ``environment`` one environment: process, output, timeout, memory, crashes
- ``api``         the Runtime API HTTP server of one environment
- ``launchers``   per-runtime command line and Lambda's environment variables
- ``logs``        START / END / REPORT lines
- ``realtime``    the real clock (the lab's own clock is virtual)
- ``node/bootstrap.mjs`` the Node.js runtime interface client
"""

from __future__ import annotations

from lambdalab.runtime.runtime import EnvironmentInfo, Runtime
from lambdalab.runtime.types import FunctionSpec, InvokeResult, RuntimeFailure

__all__ = ["EnvironmentInfo", "FunctionSpec", "InvokeResult", "Runtime", "RuntimeFailure"]
