"""A function URL in ``RESPONSE_STREAM`` mode: the response goes to the client as the function writes it.

A Node.js handler wrapped in ``awslambda.streamifyResponse`` that calls
``awslambda.HttpResponseStream.from(responseStream, {statusCode, headers, cookies})`` first writes
that prelude (JSON, then eight zero bytes, content type
``application/vnd.awslambda.http-integration-response``): the URL answers with its status and headers
and sends the rest of the stream as the body, chunked.  A stream without the prelude is a 200 with the
stream's content type.  A function that does not stream (any Python function on AWS's managed runtime)
is answered whole, as in ``BUFFERED`` mode.  An error after the first chunk cannot change a status
already sent: the body just ends.

Limits (configuration-response-streaming): up to 200 MB per response; the first 6 MB at full speed,
the rest at up to 2 MB per second; the function's timeout bounds the whole stream.

https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html
https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..errors import AwsError
from ..runtime.types import InvokeResult
from .response_streams import ChunkQueue
from .url_events import HttpAnswer, HttpCall, answer_of, bad_gateway, with_cors

HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"
DELIMITER = b"\x00" * 8
#: full speed for the first 6 MB, then up to 2 MB/s
UNCAPPED_BYTES = 6 * 1024 * 1024
CAPPED_RATE = 2 * 1024 * 1024


def prelude_answer(prelude: bytes) -> HttpAnswer:
    """The status and headers an HttpResponseStream prelude sets (a malformed one: 502)."""
    try:
        doc = json.loads(prelude or b"{}")
    except ValueError:
        return bad_gateway()
    if not isinstance(doc, dict):
        return bad_gateway()
    status = doc.get("statusCode", 200)
    if not isinstance(status, int) or not 100 <= status <= 599:
        return bad_gateway()
    headers = [(str(k), str(v)) for k, v in (doc.get("headers") or {}).items()]
    headers += [("Set-Cookie", str(c)) for c in doc.get("cookies") or []]
    return HttpAnswer(status, headers)


def stream_response(
    chunks: ChunkQueue,
    call: HttpCall,
    cors: Mapping[str, Any] | None,
    request_id: str,
    start_response: Callable[[HttpAnswer, bool], None],
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[bytes]:
    """The body, chunk by chunk; ``start_response(answer, chunked)`` is called once, before the first byte."""
    kind, item = chunks.next()
    if kind == "end":  # the function did not stream: answer whole
        if isinstance(item, AwsError):
            answer = bad_gateway()
        else:
            assert isinstance(item, InvokeResult)
            answer = bad_gateway() if item.function_error else answer_of(item.payload)
        answer.headers.append(("x-amzn-RequestId", request_id))
        answer = with_cors(answer, call, cors)
        start_response(answer, False)
        yield answer.body
        return
    content_type = str(item)
    pieces = _pieces(chunks)
    pending = b""
    if content_type == HTTP_INTEGRATION:  # read the prelude first
        for piece in pieces:
            pending += piece
            if DELIMITER in pending:
                break
        prelude, _, pending = pending.partition(DELIMITER)
        answer = prelude_answer(prelude)
    else:
        answer = HttpAnswer(200, [("Content-Type", content_type)])
    answer.headers.append(("x-amzn-RequestId", request_id))
    start_response(with_cors(answer, call, cors), True)
    sent = 0
    for piece in _chain(pending, pieces):  # a failure after the status was sent just ends the body
        if sent + len(piece) > UNCAPPED_BYTES:
            sleep(min(len(piece), sent + len(piece) - UNCAPPED_BYTES) / CAPPED_RATE)
        sent += len(piece)
        yield piece


def _pieces(chunks: ChunkQueue) -> Iterator[bytes]:
    """The streamed chunks until the end."""
    while True:
        kind, item = chunks.next()
        if kind != "chunk":
            return
        if item:
            yield item


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest
