"""One HTTP listener on 127.0.0.1 for every function URL of a lab.

A URL is ``http://127.0.0.1:<port>/<url-id>/``: the first part of the path picks the URL and the
rest is the path the function sees (``rawPath``), so browsers, ``curl`` and ``requests`` reach it
without any name resolution, and so does a proxy that forwards a path prefix
(``jupyter-server-proxy``: ``<hub>/user/<you>/proxy/<port>/<url-id>/``; see :func:`browser_url`).
A ``Host`` of ``<url-id>.lambda-url.<region>.localhost:<port>`` is routed too (the path is then
the function's whole path): Chromium and curl resolve ``*.localhost`` to the loopback address
themselves, which keeps absolute links in a page working.

Only the learner's own processes are answered: the kernel says which user holds the other end
of each connection (``/proc/net/tcp``), and another user's gets 403.  Each request is then checked
as Lambda does (SigV4 for ``AWS_IAM``, the two permissions of :mod:`lambdalab.aws.url_auth`), turned
into the payload format 2.0 event, run through the one invoke path of the lab, and the function's
answer mapped back (:mod:`lambdalab.aws.url_events`).

https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..errors import AwsError
from ..runtime.peers import socket_uid
from ..trace_kinds import INVOKE_DENIED
from . import response_streams, url_auth
from .auth import AuthFailure, Keyring
from .response_streams import ChunkQueue
from .sigv4 import HttpRequest, split_query
from .url_events import (
    HttpAnswer,
    HttpCall,
    answer_of,
    bad_gateway,
    event_v2,
    forbidden,
    is_preflight,
    not_authorized,
    preflight,
    with_cors,
)
from .url_streams import stream_response

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

    from ..clock import Clock
    from ..ports import Ids, Place
    from ..trace import Trace
    from .function_urls import FunctionUrls, UrlConfig
    from .http_apis import HttpApis
    from .lambda_invoke import InvokeService
    from .lambda_policy import PolicyService

#: "Maximum request payload size: 6 MB" for buffered and streamed URLs alike (urls-invocation)
REQUEST_LIMIT = 6 * 1024 * 1024
_HOST = re.compile(r"^(?P<id>[a-z0-9]{32})\.lambda-url\.[a-z0-9-]+\.localhost(:\d+)?$")


class UrlListener:
    """The listener, started on first use; ``url`` is its address."""

    def __init__(
        self,
        place: Place,
        ids: Ids,
        clock: Clock,
        trace: Trace,
        urls: FunctionUrls,
        invocations: InvokeService,
        policies: PolicyService,
        keyring: Keyring,
    ) -> None:
        self.place, self.ids, self.clock, self.trace = place, ids, clock, trace
        self.urls, self.invocations, self.policies, self.keyring = urls, invocations, policies, keyring
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        #: API Gateway HTTP APIs served beside the URLs (connected by :mod:`lambdalab.wiring`)
        self.http_apis: HttpApis | None = None

    # -- life ------------------------------------------------------------------------------
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, the listener started now if it was not yet."""
        with self._lock:
            if self._server is None:
                if self._closed:
                    raise AwsError("ServiceException", "This lab is closed.", 500)
                self._start()
            assert self._server is not None
            return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _start(self) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Handler(WSGIRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=Handler)
        server.daemon_threads = True  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"lambdalab-function-urls-{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            server, thread, self._server = self._server, self._thread, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    # -- WSGI ------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        answer = self.answer(environ)

        def start(answer: HttpAnswer, chunked: bool) -> None:
            headers = [(k, v) for k, v in answer.headers if k.lower() != "content-length"]
            if not chunked:
                headers.append(("Content-Length", str(len(answer.body))))
            try:
                reason = HTTPStatus(answer.status).phrase
            except ValueError:
                reason = "Unknown"
            start_response(f"{answer.status} {reason}", headers)

        if isinstance(answer, Streaming):
            return stream_response(answer.chunks, answer.call, answer.cors, answer.request_id, start)
        start(answer, False)
        return [answer.body]

    def answer(self, environ: dict[str, Any]) -> HttpAnswer | Streaming:
        if not self._own_user(environ):
            return forbidden()
        raw_uri = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "")))
        raw_path, _, query = raw_uri.partition("?")
        host = str(environ.get("HTTP_HOST", ""))
        routed = _route(host, raw_path)
        if routed is None:
            return self._http_api(environ, raw_path, query)
        url_id, path = routed
        config = self.urls.by_id(url_id)
        if config is None:
            return forbidden()
        call = _call(environ, path, query)
        if call is None:
            return too_large()
        body, headers = call.body, list(call.headers)
        if config.cors and is_preflight(call):
            return preflight(call, config.cors)
        signed = HttpRequest(call.method, raw_path, split_query(query), dict(headers), body)
        answer = self.invoke(config, call, signed)
        return answer if isinstance(answer, Streaming) else with_cors(answer, call, config.cors)

    def _http_api(self, environ: dict[str, Any], raw_path: str, query: str) -> HttpAnswer:
        """A request for an API Gateway HTTP API (``/<api-id>/...``), or 403 when the path names nothing."""
        parts = raw_path.split("/", 2)
        if self.http_apis is None or len(parts) < 2 or not re.fullmatch(r"[a-z0-9]{1,10}", parts[1]):
            return forbidden()
        call = _call(environ, "/" + (parts[2] if len(parts) > 2 else ""), query)
        if call is None:
            return too_large()
        return self.http_apis.answer(parts[1], call) or forbidden()

    def invoke(self, config: UrlConfig, call: HttpCall, signed: HttpRequest) -> HttpAnswer | Streaming:
        """Authorize, build the event, run the function (streamed: in a thread of its own), map its answer."""
        caller, authorizer = None, None
        if config.auth_type == "AWS_IAM":
            try:
                sig = self.keyring.verify(signed)
            except AuthFailure:
                return not_authorized()
            if sig.service != "lambda":
                return not_authorized()
            caller = self.keyring.account_of(sig.access_key) or self.place.account_id
            authorizer = {
                "iam": {
                    "accessKey": sig.access_key,
                    "accountId": caller,
                    "callerId": sig.access_key,
                    "cognitoIdentity": None,
                    "principalOrgId": self.policies.org_of(caller),
                    "userArn": f"arn:aws:iam::{caller}:root",
                    "userId": sig.access_key,
                }
            }
        statements = self.policies.statements(config.function_name, config.qualifier)
        missing = url_auth.missing_permission(
            statements,
            config.auth_type,
            caller_account=caller,
            own_account=self.place.account_id,
            org_id=self.policies.org_of(caller) if caller else None,
        )
        if missing is not None:
            who = caller or "anonymous"
            reason = f"the resource-based policy does not allow {who} to perform {missing} through the function URL"
            self.trace.add(INVOKE_DENIED, config.function_name, caller=who, reason=reason, source="FunctionUrl")
            return not_authorized()
        request_id = self.ids.new_id()
        event = event_v2(
            call,
            account_id=caller or "anonymous",
            api_id=config.url_id,
            domain_name=f"{config.url_id}.lambda-url.{self.place.region}.on.aws",
            request_id=request_id,
            now=self.clock.now,
            authorizer=authorizer,
        )
        try:
            target = self.invocations.resolve(config.function_name, config.qualifier)
            if config.invoke_mode == "RESPONSE_STREAM":
                payload = json.dumps(event).encode()
                chunks = response_streams.start(
                    self.invocations, target, payload, source="FunctionUrl", request_id=request_id
                )
                return Streaming(chunks, call, config.cors, request_id)
            result = self.invocations.run(
                target, json.dumps(event).encode(), source="FunctionUrl", request_id=request_id
            )
        except AwsError as err:
            if err.code == "TooManyRequestsException":
                return HttpAnswer(429, [("Content-Type", "application/json")], b'{"Message":"Rate Exceeded."}')
            return bad_gateway()
        answer = bad_gateway() if result.function_error else answer_of(result.payload)
        answer.headers.append(("x-amzn-RequestId", request_id))
        return answer

    def _own_user(self, environ: dict[str, Any]) -> bool:
        """Is the other end of this connection a process of the lab's own user?"""
        server = self._server
        try:
            client = (str(environ["REMOTE_ADDR"]), int(environ["REMOTE_PORT"]))
        except (KeyError, ValueError):
            return False
        if server is None:
            return False
        return socket_uid(client, ("127.0.0.1", int(server.server_address[1]))) == os.getuid()


def too_large() -> HttpAnswer:
    return HttpAnswer(413, [("Content-Type", "application/json")], b'{"Message":"Request Entity Too Large"}')


def _call(environ: dict[str, Any], path: str, query: str) -> HttpCall | None:
    """The request as it arrived (None: its body is over the 6 MB a request may carry)."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > REQUEST_LIMIT:
        return None
    body = environ["wsgi.input"].read(length) if length else b""
    headers = [(k[5:].replace("_", "-").lower(), str(v)) for k, v in environ.items() if k.startswith("HTTP_")]
    if environ.get("CONTENT_TYPE"):
        headers.append(("content-type", str(environ["CONTENT_TYPE"])))
    if length:
        headers.append(("content-length", str(length)))
    return HttpCall(
        method=str(environ["REQUEST_METHOD"]),
        path=path,
        query=query,
        headers=headers,
        body=body,
        source_ip=str(environ.get("REMOTE_ADDR", "127.0.0.1")),
        protocol=str(environ.get("SERVER_PROTOCOL", "HTTP/1.1")),
    )


@dataclass(frozen=True)
class Streaming:
    """A RESPONSE_STREAM request under way: its chunks arrive in ``chunks``."""

    chunks: ChunkQueue
    call: HttpCall
    cors: dict[str, Any] | None
    request_id: str


def _route(host: str, raw_path: str) -> tuple[str, str] | None:
    """(URL id, the function's path) from the Host header or the first part of the path."""
    hit = _HOST.match(host.lower())
    if hit:
        return hit.group("id"), raw_path or "/"
    parts = raw_path.split("/", 2)
    if len(parts) < 2 or not re.fullmatch(r"[a-z0-9]{32}", parts[1]):
        return None
    return parts[1], "/" + (parts[2] if len(parts) > 2 else "")


def browser_url(function_url: str, environ: dict[str, str] | None = None) -> str:
    """Where a browser reaches ``function_url``: itself on this machine, or through jupyter-server-proxy in a hub.

    In a JupyterHub the learner's browser runs elsewhere and cannot open 127.0.0.1; with
    ``jupyter-server-proxy`` installed the single-user server forwards
    ``<JUPYTERHUB_SERVICE_PREFIX>proxy/<port>/...`` to ``127.0.0.1:<port>/...``.
    """
    env = os.environ if environ is None else environ
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX")
    if not prefix:
        return function_url
    try:
        import jupyter_server_proxy  # noqa: F401
    except ImportError:
        return function_url
    hit = re.match(r"^http://127\.0\.0\.1:(\d+)(/.*)$", function_url)
    if not hit:
        return function_url
    return f"{prefix.rstrip('/')}/proxy/{hit.group(1)}{hit.group(2)}"
