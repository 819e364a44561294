"""The Lambda Runtime API, served to one execution environment.

A runtime (awslambdaric, our Node.js bootstrap, a custom ``bootstrap``) learns
the API's address from ``AWS_LAMBDA_RUNTIME_API=host:port`` only, so every
execution environment gets its own listening port on 127.0.0.1.  Routes, as in
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html :

- ``GET  /2018-06-01/runtime/invocation/next`` blocks until an event is offered
- ``POST /2018-06-01/runtime/invocation/{id}/response``
- ``POST /2018-06-01/runtime/invocation/{id}/error`` (``Lambda-Runtime-Function-Error-Type``)
- ``POST /2018-06-01/runtime/init/error``

A small HTTP/1.1 server with keep-alive and TCP_NODELAY (without it a warm
invoke waits for delayed ACKs: 40 ms instead of a fraction of one).

It serves only its own environment's processes: ``admit`` decides for each new
connection (the environment checks who holds the other end, :mod:`.peers`), and
any other process gets ``403`` and a closed connection.  An event goes to a
poller whose connection is still open: a ``/next`` that was abandoned (its client
closed or was killed while it waited) leaves the event for the next poller, and so
does one whose answer could not be written.

A runtime may stream its answer instead (``Lambda-Runtime-Function-Response-Mode: streaming``, a
chunked body): each chunk goes on to the invocation's ``stream`` as it arrives, up to
:data:`MAX_STREAMED` bytes, and an error after the first chunk comes in the trailers
``Lambda-Runtime-Function-Error-Type`` and ``Lambda-Runtime-Function-Error-Body`` (base64)
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming).

A buffered answer may be at most :data:`MAX_PAYLOAD` bytes (6 MB and 100 bytes,
the limit of AWS's own Runtime API: ``interop.MaxPayloadSize`` in
https://github.com/aws/aws-lambda-runtime-interface-emulator).  A larger one is
refused without being read: the runtime gets ``413 RequestEntityTooLarge`` and
the invocation fails with ``Function.ResponseSizeTooLarge``, "Response payload
size (N bytes) exceeded maximum allowed payload size (6291556 bytes)." AWS's
runtime interface clients raise when their answer is refused and the runtime
exits, so the environment is discarded.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lambdalab.runtime.outcome import response_too_large
from lambdalab.runtime.realtime import epoch_ms_at

if TYPE_CHECKING:
    from lambdalab.runtime.types import LogEvent

PREFIX = "/2018-06-01/runtime"
MAX_PAYLOAD = 6 * 1024 * 1024 + 100  # 6291556 bytes
#: a streamed response's limit: 200 MB (raised from 20 MB in 2025; urls-invocation, configuration-response-streaming)
MAX_STREAMED = 200 * 1024 * 1024
STREAMING = "lambda-runtime-function-response-mode"
_POLL = 0.25  # seconds between checks of "closed" while a thread waits
_MAX_HEADER_LINES = 100
_LINE = 65536


@dataclass
class Invocation:
    """One event offered to an environment, and what the runtime answered."""

    request_id: str
    payload: bytes
    invoked_function_arn: str
    timeout: float
    client_context: str | None = None
    trace_id: str = ""
    offered_at: float | None = None  # time.monotonic() when it was queued for the runtime
    delivered_at: float | None = None  # time.monotonic() when /next returned it
    finished_at: float | None = None
    kind: str | None = None  # "response" or "error"
    body: bytes = b""
    error_type: str | None = None
    #: the size of an answer refused for being larger than MAX_PAYLOAD
    refused_size: int | None = None
    #: where a streamed answer goes chunk by chunk (a :class:`~lambdalab.runtime.types.ResponseStream`)
    stream: Any = None
    #: the runtime streamed its answer (the chunks went to ``stream``; ``body`` stays empty)
    streamed: bool = False
    #: the log events written before it was handed out (a cold start's init), and during it
    before_start: list[LogEvent] | None = None
    events: list[LogEvent] | None = None
    done: threading.Event = field(default_factory=threading.Event)


class RuntimeApiServer:
    """The Runtime API of one execution environment on 127.0.0.1:<port>."""

    def __init__(self, admit: Callable[[socket.socket], bool] | None = None) -> None:
        self._admit = admit
        self.refused = 0  # connections from processes that are not the environment's
        self.waiting = 0  # /next requests waiting for an event
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(_POLL)
        self.port: int = self._listener.getsockname()[1]
        self._offers: deque[Invocation] = deque()
        self._current: Invocation | None = None
        self._lock = threading.Lock()
        self._offered = threading.Condition(self._lock)
        self._closed = threading.Event()
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self.init_error: tuple[bytes, str] | None = None
        #: called as an invocation is handed out, before its clock starts (the log reads the init output)
        self.before_delivery: Callable[[Invocation], None] | None = None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        acceptor = threading.Thread(target=self._accept_loop, name=f"runtime-api-{self.port}", daemon=True)
        self._threads.append(acceptor)
        acceptor.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def wake_fd(self) -> int:
        """Readable whenever an invocation finished or init failed."""
        return self._wake_r

    def clear_wake(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def offer(self, invocation: Invocation) -> None:
        """Queue an invocation: the runtime gets it at its next ``/next``, after those queued before it."""
        invocation.offered_at = time.monotonic()
        with self._offered:
            self._offers.append(invocation)
            self._offered.notify()

    def close(self) -> None:
        """Stop accepting, drop every connection, end and join every thread."""
        if self._closed.is_set():
            return
        self._closed.set()
        try:
            self._listener.close()
        except OSError:
            pass
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in list(self._threads):
            if thread is not threading.current_thread():
                thread.join(timeout=2)
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    # -- server side -------------------------------------------------------
    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(None)
            with self._lock:
                if self._closed.is_set():
                    conn.close()
                    return
                self._conns.add(conn)
                thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            if self._admit is not None and not self._admit(conn):
                self.refused += 1
                _write_response(conn, *_not_yours(), close=True)
                return
            while not self._closed.is_set():
                request = _read_request(reader, conn, self._stream_for)
                if request is None:
                    return
                if request.streamed is not None:
                    status, out_headers, out_body = self._finish_stream(request)
                    _write_response(conn, status, out_headers, out_body)
                    continue
                if request.size > MAX_PAYLOAD:
                    self._refuse(request)
                    _write_response(conn, *_too_large(), close=True)
                    return  # the rest of the body stays unread: the connection goes
                if request.method == "GET" and request.path.split("?", 1)[0] == PREFIX + "/invocation/next":
                    if not self._deliver(conn):
                        return
                    continue
                status, out_headers, out_body = self._route(request.method, request.path, request.headers, request.body)
                if status == 0:  # closed while waiting
                    return
                _write_response(conn, status, out_headers, out_body)
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            try:
                reader.close()
                conn.close()
            except OSError:
                pass

    def _route(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        path = path.split("?", 1)[0]
        if not path.startswith(PREFIX):
            return _json(404, {"errorMessage": "Not found", "errorType": "NotFound"})
        route = path[len(PREFIX) :]
        if method == "POST" and route == "/init/error":
            self.init_error = (body, headers.get("lambda-runtime-function-error-type", "Runtime.Unknown"))
            self._wake()
            return _json(202, {"status": "OK"})
        if method == "POST" and route.startswith("/invocation/"):
            parts = route.split("/")
            if len(parts) == 4 and parts[3] in ("response", "error"):
                return self._finish(parts[2], parts[3], headers, body)
        return _json(404, {"errorMessage": f"Unknown route {method} {path}", "errorType": "NotFound"})

    def _refuse(self, request: _Request) -> None:
        """An answer too large to accept: the invocation fails as AWS's does."""
        route = request.path.split("?", 1)[0][len(PREFIX) :]
        if route == "/init/error":
            self.init_error = (b"", "Runtime.Unknown")
            self._wake()
            return
        parts = route.split("/")
        if request.method != "POST" or len(parts) != 4 or parts[3] not in ("response", "error"):
            return
        with self._lock:
            inv = self._current
            if inv is None or inv.request_id != parts[2] or inv.done.is_set():
                return
            self._current = None
        inv.refused_size = request.size
        self._complete(inv, "error", response_too_large(request.size, MAX_PAYLOAD), "Function.ResponseSizeTooLarge")

    def _deliver(self, conn: socket.socket) -> bool:
        """Answer ``/next`` with the next event; False when there is none to give (closed, or the poller left)."""
        inv = self._take(conn)
        if inv is None:
            return False
        if self.before_delivery is not None:
            self.before_delivery(inv)  # what the runtime wrote until now comes before START
        now = time.monotonic()
        inv.delivered_at = now
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(epoch_ms_at(now + inv.timeout)),
            "Lambda-Runtime-Invoked-Function-Arn": inv.invoked_function_arn,
            "Lambda-Runtime-Trace-Id": inv.trace_id,
        }
        if inv.client_context is not None:
            headers["Lambda-Runtime-Client-Context"] = inv.client_context
        try:
            _write_response(conn, 200, headers, inv.payload)
        except OSError:
            with self._offered:  # not delivered after all: the next poller gets it
                if self._current is inv:
                    self._current, inv.delivered_at = None, None
                    self._offers.appendleft(inv)
                    self._offered.notify()
            return False
        return True

    def _take(self, conn: socket.socket) -> Invocation | None:
        """The next event, once one is offered, for a poller whose connection is still open."""
        with self._offered:
            self.waiting += 1
            try:
                while not self._closed.is_set():
                    if _gone(conn):
                        return None  # an abandoned /next: whatever comes is for the next poller
                    if self._offers:
                        inv = self._offers.popleft()
                        self._current = inv
                        return inv
                    self._offered.wait(_POLL)
            finally:
                self.waiting -= 1
        return None

    def _finish(
        self, request_id: str, kind: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            inv = self._current
            if inv is None or inv.request_id != request_id or inv.done.is_set():
                return _json(400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
            self._current = None
        error_type = headers.get("lambda-runtime-function-error-type") if kind == "error" else None
        self._complete(inv, kind, body, error_type)
        return _json(202, {"status": "OK"})

    def _stream_for(self, method: str, path: str, headers: dict[str, str]) -> Invocation | None:
        """The invocation a streamed response is for (its chunks go to the invocation's stream)."""
        if method != "POST" or headers.get(STREAMING, "").lower() != "streaming":
            return None
        parts = path.split("?", 1)[0][len(PREFIX) :].split("/")
        with self._lock:
            inv = self._current
        if len(parts) != 4 or parts[3] != "response" or inv is None or inv.request_id != parts[2] or inv.done.is_set():
            return None
        inv.streamed = True
        if inv.stream is not None:
            inv.stream.start(headers.get("content-type") or "application/octet-stream")
        return inv

    def _finish_stream(self, request: _Request) -> tuple[int, dict[str, str], bytes]:
        """A streamed response ended: done, or failed (an error in the trailers, or past MAX_STREAMED)."""
        inv = request.streamed
        assert inv is not None
        with self._lock:
            if self._current is inv:
                self._current = None
        error_type = request.trailers.get("lambda-runtime-function-error-type")
        if request.size > MAX_STREAMED:
            self._complete(
                inv, "error", response_too_large(request.size, MAX_STREAMED), "Function.ResponseSizeTooLarge"
            )
        elif error_type:
            try:
                body = base64.b64decode(request.trailers.get("lambda-runtime-function-error-body", ""))
            except (binascii.Error, ValueError):
                body = b""
            self._complete(inv, "error", body, error_type)
        else:
            self._complete(inv, "response", b"", None)
        return _json(202, {"status": "OK"})

    def _complete(self, inv: Invocation, kind: str, body: bytes, error_type: str | None) -> None:
        inv.finished_at = time.monotonic()
        inv.kind = kind
        inv.body = body
        inv.error_type = error_type
        inv.done.set()
        self._wake()


def _json(status: int, doc: object) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(doc).encode()


def _gone(conn: socket.socket) -> bool:
    """The client closed its end (or reset it): nothing it asked for can reach it."""
    try:
        return conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def _not_yours() -> tuple[int, dict[str, str], bytes]:
    message = "This Runtime API serves only the processes of its own execution environment."
    return _json(403, {"errorMessage": message, "errorType": "Forbidden"})


def _too_large() -> tuple[int, dict[str, str], bytes]:
    return _json(
        413,
        {
            "errorMessage": f"Exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes).",
            "errorType": "RequestEntityTooLarge",
        },
    )


_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    413: "Request Entity Too Large",
}


def _write_response(
    conn: socket.socket, status: int, headers: dict[str, str], body: bytes, *, close: bool = False
) -> None:
    head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head.append(f"Content-Length: {len(body)}")
    if close:
        head.append("Connection: close")
    conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


@dataclass
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    size: int  # the body's size: as announced, or as counted for a chunked body
    #: the invocation a streamed response went to (its body was handed on, not kept)
    streamed: Invocation | None = None
    trailers: dict[str, str] = field(default_factory=dict)


def _read_request(  # type: ignore[no-untyped-def]
    reader, conn: socket.socket, stream_for: Callable[[str, str, dict[str, str]], Invocation | None] | None = None
) -> _Request | None:
    """One request; a body larger than MAX_PAYLOAD is counted, never kept; a streamed response is handed on."""
    line = reader.readline(_LINE)
    while line in (b"\r\n", b"\n"):
        line = reader.readline(_LINE)
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) < 2:
        raise ValueError("bad request line")
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADER_LINES):
        hline = reader.readline(_LINE)
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
        trailers: dict[str, str] = {}
        _, size = _read_chunked(reader, _handing_on(streamed), trailers)
        return _Request(parts[0], parts[1], headers, b"", size, streamed, trailers)
    if chunked:
        body, size = _read_chunked(reader)
    else:
        size = int(headers.get("content-length", "0") or 0)
        if size < 0:
            raise ValueError("negative Content-Length")
        body = reader.read(size) if size <= MAX_PAYLOAD else b""
    return _Request(parts[0], parts[1], headers, body, size)


def _handing_on(inv: Invocation) -> Callable[[bytes], None]:
    """Each chunk of a streamed response to the invocation's stream, while within MAX_STREAMED."""
    sent = [0]

    def hand_on(chunk: bytes) -> None:
        sent[0] += len(chunk)
        if inv.stream is not None and sent[0] <= MAX_STREAMED:
            inv.stream.write(chunk)

    return hand_on


def _read_chunked(  # type: ignore[no-untyped-def]
    reader, sink: Callable[[bytes], None] | None = None, trailers: dict[str, str] | None = None
) -> tuple[bytes, int]:
    """A chunked body: kept while it fits in MAX_PAYLOAD, only counted beyond (or each chunk to ``sink``)."""
    kept = bytearray()
    size = 0
    while True:
        length = int(reader.readline(_LINE).split(b";")[0].strip() or b"0", 16)
        if length == 0:
            while (line := reader.readline(_LINE)) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if trailers is not None:
                    trailers[name.strip().lower()] = value.strip()
            return bytes(kept), size
        while length:
            chunk = reader.read(min(length, _LINE))
            if not chunk:
                raise ValueError("connection closed inside a chunk")
            length -= len(chunk)
            size += len(chunk)
            if sink is not None:
                sink(chunk)
            elif size <= MAX_PAYLOAD:
                kept += chunk
            elif kept:
                kept = bytearray()  # too large: count the rest, keep nothing
        reader.readline(_LINE)
