"""InvokeWithResponseStream: the function's answer as an event stream, chunk by chunk as it is written.

A function streams when its runtime does: on Node.js a handler wrapped in
``awslambda.streamifyResponse`` writes to its ``responseStream``; a custom runtime posts a chunked
response with ``Lambda-Runtime-Function-Response-Mode: streaming``.  AWS's managed Python runtime
does not stream ("Lambda supports response streaming on Node.js managed runtimes"; other languages
need a custom runtime or the Lambda Web Adapter), so a Python function answers in one piece: one
``PayloadChunk`` with the whole payload.  After the chunks, one ``InvokeComplete`` event; for a
function error it carries ``ErrorCode`` (the error type) and ``ErrorDetails`` (the error document
or message), with ``LogResult`` when ``LogType=Tail`` asked for it.

A streamed response may be up to 200 MB (raised from 20 MB); the request is 6 MB, as for Invoke.

https://docs.aws.amazon.com/lambda/latest/api/API_InvokeWithResponseStream.html
https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..engines import recursion
from ..errors import AwsError, validation
from ..runtime.types import InvokeResult
from . import event_stream, response_streams
from .gateway import Gateway, Request, Response
from .lambda_invoke import LOG_TAIL, decode_client_context

if TYPE_CHECKING:
    from ..ports import Ids
    from .lambda_invoke import InvokeService
    from .response_streams import ChunkQueue

TYPES = ("RequestResponse", "DryRun")


class StreamingInvokeService:
    """The InvokeWithResponseStream operation, on the lab's one invoke path."""

    def __init__(self, ids: Ids, invocations: InvokeService) -> None:
        self.ids, self.invocations = ids, invocations

    def register(self, gw: Gateway) -> None:
        gw.route("lambda", "InvokeWithResponseStream", self.invoke)

    def invoke(self, req: Request, gw: Gateway) -> Response:
        kind = req.headers.get("x-amz-invocation-type", "RequestResponse")
        if kind not in TYPES:
            raise validation(kind, "invocationType", f"Member must satisfy enum value set: [{', '.join(TYPES)}]")
        target, payload = self.invocations.checked(req, "RequestResponse")
        if kind == "DryRun":
            return Response(204, b"")
        request_id = self.ids.new_id()
        chunks = response_streams.start(
            self.invocations,
            target,
            payload,
            source="InvokeWithResponseStream",
            request_id=request_id,
            client_context=decode_client_context(req.headers.get("x-amz-client-context")),
            trace_header=recursion.from_request(req.headers.get("x-amzn-trace-id")),
        )
        first, value = chunks.next()
        if first == "end" and isinstance(value, AwsError):
            raise value  # refused before the function ran (a throttle, ...): an ordinary error response
        # botocore reads ResponseStreamContentType from Content-Type: the function's stream's type
        headers = {
            "Content-Type": str(value) if first == "start" else "application/json",
            "X-Amz-Executed-Version": target.executed_version,
            "x-amzn-RequestId": request_id,
        }
        tail = req.headers.get("x-amz-log-type") == "Tail"
        return Response(200, headers=headers, chunks=_events(first, value, chunks, tail))


def _events(first: str, value: object, chunks: ChunkQueue, tail: bool) -> Iterator[bytes]:
    """PayloadChunk events as the function writes, then InvokeComplete."""
    kind, item = first, value
    while kind != "end":
        if kind == "chunk" and isinstance(item, bytes) and item:
            yield event_stream.event("PayloadChunk", item)
        kind, item = chunks.next()
    complete: dict[str, str] = {}
    if isinstance(item, AwsError):
        complete = {"ErrorCode": item.code, "ErrorDetails": item.message}
    elif isinstance(item, InvokeResult):
        if item.function_error:
            complete["ErrorCode"] = item.error_type or "Unhandled"
            complete["ErrorDetails"] = item.payload.decode("utf-8", "replace")
        elif item.payload and not item.streamed:
            yield event_stream.event("PayloadChunk", item.payload)
        if tail:
            complete["LogResult"] = base64.b64encode(item.log.encode()[-LOG_TAIL:]).decode()
    yield event_stream.event("InvokeComplete", json.dumps(complete).encode(), "application/json")
