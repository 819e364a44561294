"""A streaming Node.js function that waits at a gate: it writes a part, then polls a tiny HTTP server the
test opens once it has seen that part, then writes the next. A response that was not streamed could not
show the first part before the gate opens."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support import unique

import lambdalab

#: writes a part, waits until the test has read it (the gate answers 200), writes the next
GATED = """
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const out = event.rawPath !== undefined
    ? awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers: { 'Content-Type': 'text/plain' },
                                                        cookies: ['seen=1'] })
    : responseStream;
  out.write('part 0;');
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${process.env.GATE_PORT}/go`);
    if (res.status === 200) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  out.write('part 1;');
  if (event.fail) throw new Error('broke after the first part');
  out.end();
});
"""


class Gate:
    """A tiny HTTP server the function polls: 204 until the test opens it, then 200."""

    def __init__(self) -> None:
        self.open = threading.Event()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200 if gate.open.is_set() else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@contextmanager
def running_gate() -> Iterator[Gate]:
    """A gate for one test, shut down after it."""
    g = Gate()
    try:
        yield g
    finally:
        g.close()


def gated_function(lab: lambdalab.Lab, role_arn: str, gate: Gate) -> str:
    name = unique("stream")
    lab.client("lambda").create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": lambdalab.zip_files({"index.js": GATED})},
        Timeout=30,
        Environment={"Variables": {"GATE_PORT": str(gate.port)}},
    )
    return name
