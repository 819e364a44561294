"""The Lambda Runtime API, served to one execution environment.

A runtime (awslambdaric, our Node.js bootstrap, a custom ``bootstrap``) learns
the API's address from ``AWS_LAMBDA_RUNTIME_API=host:port`` only, so every
execution environment gets its own listening port on 127.0.0.1.  Routes, as in
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html :

- ``GET  /2018-06-01/runtime/invocation/next`` blocks until an event is offered
- ``POST /2018-06-01/runtime/invocation/{id}/response``
- ``POST /2018-06-01/runtime/invocation/{id}/error`` (``Lambda-Runtime-Function-Error-Type``)
- ``POST /2018-06-01/runtime/init/error``

A small HTTP/1.1 server (:mod:`.api_http`) with keep-alive and TCP_NODELAY (without it a warm
invoke waits for delayed ACKs: 40 ms instead of a fraction of one).

It serves only its own environment's processes: ``admit`` decides for each new
connection (the environment checks who holds the other end, :mod:`.peers`), and
any other process gets ``403`` and a closed connection.  An event goes to a
poller whose connection is still open: a ``/next`` that was abandoned (its client
closed or was killed while it waited) leaves the event for the next poller, and so
does one whose answer could not be written.

A runtime may stream its answer instead, a chunked body handed on chunk by chunk to the
invocation's ``stream`` (:mod:`.response_streaming`).

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

import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable

from lambdalab.runtime.api_http import Reply, Request, gone, json_reply, read_request, write_response
from lambdalab.runtime.invocation import Invocation
from lambdalab.runtime.outcome import response_too_large
from lambdalab.runtime.realtime import epoch_ms_at
from lambdalab.runtime.response_streaming import handing_on, is_streaming, streamed_answer

PREFIX = "/2018-06-01/runtime"
MAX_PAYLOAD = 6 * 1024 * 1024 + 100  # 6291556 bytes
_POLL = 0.25  # seconds between checks of "closed" while a thread waits


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
                write_response(conn, *_not_yours(), close=True)
                return
            while not self._closed.is_set():
                request = read_request(reader, conn, MAX_PAYLOAD, self._stream_for)
                if request is None:
                    return
                if request.streamed is not None:
                    status, out_headers, out_body = self._finish_stream(request)
                    write_response(conn, status, out_headers, out_body)
                    continue
                if request.size > MAX_PAYLOAD:
                    self._refuse(request)
                    write_response(conn, *_too_large(), close=True)
                    return  # the rest of the body stays unread: the connection goes
                if request.method == "GET" and request.path.split("?", 1)[0] == PREFIX + "/invocation/next":
                    if not self._deliver(conn):
                        return
                    continue
                status, out_headers, out_body = self._route(request.method, request.path, request.headers, request.body)
                if status == 0:  # closed while waiting
                    return
                write_response(conn, status, out_headers, out_body)
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

    def _route(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        path = path.split("?", 1)[0]
        if not path.startswith(PREFIX):
            return json_reply(404, {"errorMessage": "Not found", "errorType": "NotFound"})
        route = path[len(PREFIX) :]
        if method == "POST" and route == "/init/error":
            self.init_error = (body, headers.get("lambda-runtime-function-error-type", "Runtime.Unknown"))
            self._wake()
            return json_reply(202, {"status": "OK"})
        if method == "POST" and route.startswith("/invocation/"):
            parts = route.split("/")
            if len(parts) == 4 and parts[3] in ("response", "error"):
                return self._finish(parts[2], parts[3], headers, body)
        return json_reply(404, {"errorMessage": f"Unknown route {method} {path}", "errorType": "NotFound"})

    def _refuse(self, request: Request) -> None:
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
            write_response(conn, 200, headers, inv.payload)
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
                    if gone(conn):
                        return None  # an abandoned /next: whatever comes is for the next poller
                    if self._offers:
                        inv = self._offers.popleft()
                        self._current = inv
                        return inv
                    self._offered.wait(_POLL)
            finally:
                self.waiting -= 1
        return None

    def _finish(self, request_id: str, kind: str, headers: dict[str, str], body: bytes) -> Reply:
        with self._lock:
            inv = self._current
            if inv is None or inv.request_id != request_id or inv.done.is_set():
                return json_reply(400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
            self._current = None
        error_type = headers.get("lambda-runtime-function-error-type") if kind == "error" else None
        self._complete(inv, kind, body, error_type)
        return json_reply(202, {"status": "OK"})

    def _stream_for(
        self, method: str, path: str, headers: dict[str, str]
    ) -> tuple[Invocation, Callable[[bytes], None]] | None:
        """The invocation a streamed response is for, and the sink that hands its chunks to the invocation's stream."""
        if not is_streaming(method, headers):
            return None
        parts = path.split("?", 1)[0][len(PREFIX) :].split("/")
        with self._lock:
            inv = self._current
        if len(parts) != 4 or parts[3] != "response" or inv is None or inv.request_id != parts[2] or inv.done.is_set():
            return None
        inv.streamed = True
        if inv.stream is not None:
            inv.stream.start(headers.get("content-type") or "application/octet-stream")
        return inv, handing_on(inv)

    def _finish_stream(self, request: Request) -> Reply:
        """A streamed response ended: done, or failed (an error in the trailers, or past MAX_STREAMED)."""
        inv = request.streamed
        assert inv is not None
        with self._lock:
            if self._current is inv:
                self._current = None
        self._complete(inv, *streamed_answer(request.size, request.trailers))
        return json_reply(202, {"status": "OK"})

    def _complete(self, inv: Invocation, kind: str, body: bytes, error_type: str | None) -> None:
        inv.finished_at = time.monotonic()
        inv.kind = kind
        inv.body = body
        inv.error_type = error_type
        inv.done.set()
        self._wake()


def _not_yours() -> Reply:
    message = "This Runtime API serves only the processes of its own execution environment."
    return json_reply(403, {"errorMessage": message, "errorType": "Forbidden"})


def _too_large() -> Reply:
    return json_reply(
        413,
        {
            "errorMessage": f"Exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes).",
            "errorType": "RequestEntityTooLarge",
        },
    )
