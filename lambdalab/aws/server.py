"""The lab's AWS endpoint: moto's WSGI application (:func:`moto_app`) behind the lab's
gateway, served by a threaded server on 127.0.0.1 and a free port.

Threaded, because a function invoked synchronously calls back into the same
endpoint (its SDK uses ``AWS_ENDPOINT_URL``) while its invoke request waits.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from .gateway import Gateway
from .moto_needs import Needs

NEEDS = (
    Needs("moto.moto_server.werkzeug_app", "DomainDispatcherApplication"),
    Needs("moto.moto_server.werkzeug_app", "create_backend_app"),
    Needs("moto.moto_server.werkzeug_app", "MotoRequestHandler"),
)


def moto_app() -> Any:
    """moto's WSGI application: every service, dispatched by host and path as moto's server does."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


class Endpoint:
    """A running HTTP server for one gateway; ``stop()`` frees the port and thread."""

    def __init__(self, gateway: Gateway, host: str = "127.0.0.1", port: int = 0) -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler

        class Handler(MotoRequestHandler):  # type: ignore[misc]
            protocol_version = "HTTP/1.1"  # keep-alive: boto3 reuses its connection

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        self._server: BaseWSGIServer = make_server(host, port, gateway, threaded=True, request_handler=Handler)
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        bound, self.port = self._server.server_address[:2]
        self.host = bound.decode() if isinstance(bound, bytes | bytearray) else str(bound)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"lambdalab-endpoint-{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
