"""A response streamed to the Runtime API, chunk by chunk.

A runtime may stream its answer (``Lambda-Runtime-Function-Response-Mode: streaming``, a
chunked body): each chunk goes on to the invocation's ``stream`` as it arrives, up to
:data:`MAX_STREAMED` bytes, and an error after the first chunk comes in the trailers
``Lambda-Runtime-Function-Error-Type`` and ``Lambda-Runtime-Function-Error-Body`` (base64)
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from lambdalab.runtime.invocation import Invocation
from lambdalab.runtime.outcome import response_too_large

#: a streamed response's limit: 200 MB (raised from 20 MB in 2025; urls-invocation, configuration-response-streaming)
MAX_STREAMED = 200 * 1024 * 1024
STREAMING = "lambda-runtime-function-response-mode"
ERROR_TYPE = "lambda-runtime-function-error-type"
ERROR_BODY = "lambda-runtime-function-error-body"


def is_streaming(method: str, headers: dict[str, str]) -> bool:
    """The request announces a streamed response (``Lambda-Runtime-Function-Response-Mode: streaming``)."""
    return method == "POST" and headers.get(STREAMING, "").lower() == "streaming"


def handing_on(inv: Invocation) -> Callable[[bytes], None]:
    """Each chunk of a streamed response to the invocation's stream, while within MAX_STREAMED."""
    sent = [0]

    def hand_on(chunk: bytes) -> None:
        sent[0] += len(chunk)
        if inv.stream is not None and sent[0] <= MAX_STREAMED:
            inv.stream.write(chunk)

    return hand_on


def streamed_answer(size: int, trailers: dict[str, str]) -> tuple[str, bytes, str | None]:
    """How a streamed response ended, as ``(kind, body, error type)``: done, or failed (an error in the trailers,
    or past MAX_STREAMED)."""
    error_type = trailers.get(ERROR_TYPE)
    if size > MAX_STREAMED:
        return "error", response_too_large(size, MAX_STREAMED), "Function.ResponseSizeTooLarge"
    if error_type:
        try:
            body = base64.b64decode(trailers.get(ERROR_BODY, ""))
        except (binascii.Error, ValueError):
            body = b""
        return "error", body, error_type
    return "response", b"", None
