"""Recursive loop detection in the API: Put/GetFunctionRecursionConfig, and the trace header SQS keeps.

- ``PutFunctionRecursionConfig`` sets a function's ``RecursiveLoop``: ``Terminate`` (the
  default: Lambda stops a chain after 16 invocations of the function) or ``Allow``;
  ``GetFunctionRecursionConfig`` reads it.
- ``SendMessage`` / ``SendMessageBatch`` from a function carry its trace header
  (``X-Amzn-Trace-Id``, which the AWS SDK adds inside Lambda); SQS keeps it with each
  message as the ``AWSTraceHeader`` system attribute unless the request sets one itself.
  The lab adds it to the request before moto stores the message (JSON protocol requests: SDKs still
  on SQS's query protocol send theirs untouched, without the attribute).

SNS and S3 pass the header of the request that published or wrote on to the invocation
(:mod:`lambdalab.engines.push_handoff`); ``Invoke`` reads it itself (:mod:`.lambda_invoke`).
The counting and the decision are :mod:`lambdalab.engines.recursion`'s.

https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionRecursionConfig.html
https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html (MessageSystemAttributes)
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..engines import recursion
from ..engines.recursion import ALLOW, TERMINATE
from ..errors import validation
from .gateway import Gateway, Request, Response

if TYPE_CHECKING:
    from .targets import TargetResolver

TRACE_HEADER = "x-amzn-trace-id"


class RecursionConfigs:
    """Each function's RecursiveLoop, and the SQS requests that carry a trace header."""

    def __init__(self, resolver: TargetResolver) -> None:
        self.resolver = resolver
        self._configs: dict[str, str] = {}  # by function name

    def register(self, gw: Gateway) -> None:
        gw.route("lambda", "PutFunctionRecursionConfig", self.put)
        gw.route("lambda", "GetFunctionRecursionConfig", self.get)
        gw.route("sqs", "SendMessage", self.send_message)
        gw.route("sqs", "SendMessageBatch", self.send_message)

    def config_of(self, function_name: str) -> str:
        return self._configs.get(function_name, TERMINATE)

    def put(self, req: Request, gw: Gateway) -> Response:
        value = req.json().get("RecursiveLoop")
        if value not in (ALLOW, TERMINATE):
            raise validation(value, "recursiveLoop", f"Member must satisfy enum value set: [{ALLOW}, {TERMINATE}]")
        name = self.resolver.resolve(req.params["FunctionName"]).spec.function_name
        self._configs[name] = value
        return Response.json(200, {"RecursiveLoop": value})

    def get(self, req: Request, gw: Gateway) -> Response:
        name = self.resolver.resolve(req.params["FunctionName"]).spec.function_name
        return Response.json(200, {"RecursiveLoop": self.config_of(name)})

    def send_message(self, req: Request, gw: Gateway) -> Response:
        """Keep the caller's trace header with the message(s), as SQS does (JSON protocol)."""
        header = recursion.from_request(req.headers.get(TRACE_HEADER) or req.headers.get("X-Amzn-Trace-Id"))
        content_type = req.headers.get("content-type") or req.headers.get("Content-Type") or ""
        if not header or not req.body or "json" not in content_type:  # the query protocol keeps its form as sent
            return gw.forward(req)
        body = req.json()
        for entry in body.get("Entries") or [body]:
            if isinstance(entry, dict):
                _with_trace_header(entry, header)
        return gw.forward(replace(req, body=json.dumps(body).encode()))


def _with_trace_header(entry: dict[str, Any], header: str) -> None:
    system = entry.setdefault("MessageSystemAttributes", {})
    if isinstance(system, dict) and "AWSTraceHeader" not in system:
        system["AWSTraceHeader"] = {"StringValue": header, "DataType": "String"}
