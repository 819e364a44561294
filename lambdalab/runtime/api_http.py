"""The HTTP/1.1 under the Runtime API: requests read, answers written.

A runtime client (awslambdaric, the Node.js bootstrap, a custom ``bootstrap``) speaks
plain HTTP/1.1 to ``AWS_LAMBDA_RUNTIME_API``
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): keep-alive,
``Content-Length`` or chunked bodies (with trailers, for a streamed response),
``Expect: 100-continue``.  A body larger than the limit it is read with is counted,
never kept.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from lambdalab.runtime.invocation import Invocation

MAX_HEADER_LINES = 100
LINE = 65536

REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    413: "Request Entity Too Large",
}

Reply = tuple[int, dict[str, str], bytes]
#: which invocation a chunked request streams to, and where its chunks go (None: an ordinary request)
StreamFor = Callable[[str, str, dict[str, str]], tuple[Invocation, Callable[[bytes], None]] | None]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    size: int  # the body's size: as announced, or as counted for a chunked body
    #: the invocation a streamed response went to (its body was handed on, not kept)
    streamed: Invocation | None = None
    trailers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, doc: object) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(doc).encode()


def gone(conn: socket.socket) -> bool:
    """The client closed its end (or reset it): nothing it asked for can reach it."""
    try:
        return conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def write_response(
    conn: socket.socket, status: int, headers: dict[str, str], body: bytes, *, close: bool = False
) -> None:
    head = [f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head.append(f"Content-Length: {len(body)}")
    if close:
        head.append("Connection: close")
    conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


def read_request(  # type: ignore[no-untyped-def]
    reader, conn: socket.socket, limit: int, stream_for: StreamFor | None = None
) -> Request | None:
    """One request; a body larger than ``limit`` is counted, never kept; a streamed response is handed on."""
    line = reader.readline(LINE)
    while line in (b"\r\n", b"\n"):
        line = reader.readline(LINE)
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) < 2:
        raise ValueError("bad request line")
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_LINES):
        hline = reader.readline(LINE)
        if not hline:
            return None
        if hline in (b"\r\n", b"\n"):
            break
        name, _, value = hline.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    else:
        raise ValueError("too many header lines")
    if headers.get("expect", "").lower() == "100-continue":
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    streamed = stream_for(parts[0], parts[1], headers) if stream_for is not None and chunked else None
    if streamed is not None:
        inv, sink = streamed
        trailers: dict[str, str] = {}
        _, size = read_chunked(reader, limit, sink, trailers)
        return Request(parts[0], parts[1], headers, b"", size, inv, trailers)
    if chunked:
        body, size = read_chunked(reader, limit)
    else:
        size = int(headers.get("content-length", "0") or 0)
        if size < 0:
            raise ValueError("negative Content-Length")
        body = reader.read(size) if size <= limit else b""
    return Request(parts[0], parts[1], headers, body, size)


def read_chunked(  # type: ignore[no-untyped-def]
    reader, limit: int, sink: Callable[[bytes], None] | None = None, trailers: dict[str, str] | None = None
) -> tuple[bytes, int]:
    """A chunked body: kept while it fits in ``limit``, only counted beyond (or each chunk to ``sink``)."""
    kept = bytearray()
    size = 0
    while True:
        length = int(reader.readline(LINE).split(b";")[0].strip() or b"0", 16)
        if length == 0:
            while (line := reader.readline(LINE)) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if trailers is not None:
                    trailers[name.strip().lower()] = value.strip()
            return bytes(kept), size
        while length:
            chunk = reader.read(min(length, LINE))
            if not chunk:
                raise ValueError("connection closed inside a chunk")
            length -= len(chunk)
            size += len(chunk)
            if sink is not None:
                sink(chunk)
            elif size <= limit:
                kept += chunk
            elif kept:
                kept = bytearray()  # too large: count the rest, keep nothing
        reader.readline(LINE)
