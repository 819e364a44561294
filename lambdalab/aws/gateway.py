"""The front door of the lab's AWS endpoint: a WSGI layer in front of moto.

Every request from boto3, the ``aws`` CLI or a function's own SDK arrives here.
The gateway first checks the request's SigV4 signature against the lab's own
credentials (:mod:`lambdalab.aws.auth`), then finds the AWS service (from the
SigV4 credential scope, as AWS's front ends do) and the API operation (from botocore's own service model, so the
URL templates are AWS's).  A handler registered for ``(service, operation)``
answers it, or returns ``None`` to let moto answer; anything else goes straight
to moto.  Handlers raise :class:`~lambdalab.errors.AwsError` and the gateway
writes the error response AWS would (REST-JSON: ``x-amzn-ErrorType`` header and
a ``{"Type", "message"}`` body).

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
"""

from __future__ import annotations

import io
import json
import re
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from ..errors import AwsError
from .auth import AuthFailure, Keyring, error_for
from .sigv4 import HttpRequest, Signature, split_query

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: the WSGI environ key under which a verified request carries its :class:`Signature`
SIGNATURE = "lambdalab.signature"


@dataclass
class Request:
    """One API request, parsed just enough for a handler."""

    service: str
    operation: str
    method: str
    path: str
    params: dict[str, str]  # URI template values, already unquoted
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
        except ValueError as err:
            raise AwsError("SerializationException", f"Could not parse request body: {err}") from err
        return data if isinstance(data, dict) else {}

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: object, headers: dict[str, str] | None = None) -> Response:
        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        return cls(status, json.dumps(data).encode(), hdrs)


Handler = Callable[[Request, "Gateway"], "Response | None"]


class _OperationMap:
    """Maps (method, path) to an operation name using botocore's service model."""

    def __init__(self, service: str) -> None:
        from .sdk import service_model

        model = service_model(service)
        self._routes: list[tuple[str, re.Pattern[str], str, int]] = []
        for name in model.operation_names:
            http = model.operation_model(name).http
            uri = http["requestUri"].split("?", 1)[0]
            pattern = re.sub(
                r"\{([A-Za-z]+)(\+?)\}",
                lambda m: f"(?P<{m.group(1)}>.+)" if m.group(2) else f"(?P<{m.group(1)}>[^/]+)",
                uri,
            )
            # more literal characters = more specific; try those first
            literal = len(re.sub(r"\{[^}]+\}", "", uri))
            self._routes.append((http["method"], re.compile(f"^{pattern}/?$"), name, literal))
        self._routes.sort(key=lambda r: -r[3])

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        for m, rx, name, _ in self._routes:
            if m != method:
                continue
            hit = rx.match(path)
            if hit:
                return name, {k: unquote(v) for k, v in hit.groupdict().items()}
        return None


class Gateway:
    """WSGI middleware: lab handlers first, moto for the rest."""

    def __init__(self, moto_app: WSGIApp, keyring: Keyring) -> None:
        self.moto_app = moto_app
        self.keyring = keyring
        self._handlers: dict[tuple[str, str], Handler] = {}
        self._maps: dict[str, _OperationMap] = {}
        self._raw: dict[str, Callable[[dict[str, Any]], Response]] = {}
        #: a fresh request id for each error response (the lab hands in its seeded ids)
        self.request_ids: Callable[[], str] = lambda: str(uuid.uuid4())

    # -- registration ----------------------------------------------------------
    def route(self, service: str, operation: str, handler: Handler) -> None:
        """Answer ``operation`` of ``service`` with ``handler`` (None = let moto answer)."""
        if service not in self._maps:
            self._maps[service] = _OperationMap(service)
        self._handlers[(service, operation)] = handler

    def raw(self, prefix: str, handler: Callable[[dict[str, Any]], Response]) -> None:
        """Serve plain HTTP under ``/_lambdalab/<prefix>/`` (code downloads and the like)."""
        self._raw[prefix] = handler

    # -- WSGI ------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        signed = self._authenticate(environ)
        if isinstance(signed, Response):
            return self._write(signed, start_response)
        environ[SIGNATURE] = signed
        if path.startswith("/_lambdalab/"):
            prefix = path.split("/")[2]
            raw = self._raw.get(prefix)
            return self._write(raw(environ) if raw else Response(404, b"not found"), start_response)
        service = signed.service
        if service in self._maps:
            found = self._maps[service].match(environ["REQUEST_METHOD"], path)
            if found and (service, found[0]) in self._handlers:
                body = self._read_body(environ)
                req = Request(
                    service=service,
                    operation=found[0],
                    method=environ["REQUEST_METHOD"],
                    path=path,
                    params=found[1],
                    query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
                    headers=_headers(environ),
                    body=body,
                )
                resp: Response | None
                try:
                    resp = self._handlers[(service, found[0])](req, self)
                except AwsError as err:
                    resp = error_response(err, self.request_ids())
                except Exception as err:  # noqa: BLE001 - a lab bug must not look like a network failure
                    traceback.print_exc()
                    resp = error_response(
                        AwsError("ServiceException", f"lambdalab internal error: {err!r}", 500), self.request_ids()
                    )
                if resp is not None:
                    return self._write(resp, start_response)
        return self.moto_app(environ, start_response)

    def forward(self, req: Request, environ_overrides: dict[str, Any] | None = None) -> Response:
        """Let moto answer ``req`` and hand back its response (to amend it)."""
        environ = {
            "REQUEST_METHOD": req.method,
            "PATH_INFO": req.path,
            "QUERY_STRING": "&".join(f"{k}={v}" for k, vs in req.query.items() for v in vs),
            "wsgi.input": io.BytesIO(req.body),
            "CONTENT_LENGTH": str(len(req.body)),
            "wsgi.url_scheme": "http",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
        for k, v in req.headers.items():
            key = k.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = v if key == "CONTENT_TYPE" else environ[key]
            else:
                environ["HTTP_" + key] = v
        environ.update(environ_overrides or {})
        captured: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"] = int(status.split()[0])
            captured["headers"] = dict(headers)

        chunks = self.moto_app(environ, start)
        body = b"".join(chunks)
        close = getattr(chunks, "close", None)
        if close:
            close()
        return Response(captured["status"], body, captured["headers"])

    # -- helpers ---------------------------------------------------------------
    def _authenticate(self, environ: dict[str, Any]) -> Signature | Response:
        """The request's verified signature, or the error AWS answers an unsigned or forged one with."""
        raw_uri = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
        raw_path = raw_uri.split("?", 1)[0] if raw_uri.startswith("/") else quote(environ.get("PATH_INFO", ""))
        req = HttpRequest(
            method=environ["REQUEST_METHOD"],
            raw_path=raw_path,
            query=split_query(environ.get("QUERY_STRING", "")),
            headers=_headers(environ),
            body=self._read_body(environ),
        )
        try:
            return self.keyring.verify(req)
        except AuthFailure as failure:
            status, headers, body = error_for(failure, req)
            return Response(status, body, headers)

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        if "lambdalab.body" in environ:
            return bytes(environ["lambdalab.body"])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["lambdalab.body"] = body
        return body

    @staticmethod
    def _write(resp: Response, start_response: Callable[..., Any]) -> list[bytes]:
        reason = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content"}.get(resp.status, "")
        headers = dict(resp.headers)
        headers["Content-Length"] = str(len(resp.body))
        start_response(f"{resp.status} {reason}".strip(), list(headers.items()))
        return [resp.body]


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    out = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        out["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        out["content-length"] = str(environ["CONTENT_LENGTH"])
    return out


def error_response(err: AwsError, request_id: str) -> Response:
    """The REST-JSON error document Lambda (and other REST services) send, under a request id of its own."""
    sender = "User" if err.status < 500 else "Service"
    return Response.json(
        err.status,
        {**err.fields, "Type": sender, "message": err.message},
        {**err.headers, "x-amzn-ErrorType": err.code, "x-amzn-RequestId": request_id},
    )
