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
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from ..engines import recursion
from ..errors import AwsError
from . import json_documents
from .auth import AuthFailure, Keyring, error_for
from .operations import Operation, operation_of, unknown_operation
from .sigv4 import HttpRequest, Malformed, Signature, read_signature, split_query
from .wire_errors import document, protocol_of

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: the WSGI environ key under which a verified request carries its :class:`Signature`
SIGNATURE = "lambdalab.signature"
#: the largest body read for any service but S3: Lambda's CreateFunction with a 50 MB zip, base64-encoded
MAX_BODY = 69_905_067
#: the largest S3 upload the lab takes (moto keeps objects in memory; AWS takes 5 GB in one PUT)
MAX_S3_BODY = 300 * 1024 * 1024


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
    #: the other account the request's verified signature speaks for (None: the lab's own)
    caller_account: str | None = None

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            data = json_documents.loads(self.body)
        except json_documents.DocumentError as err:
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
    #: a body sent as it is produced (chunked, no Content-Length): InvokeWithResponseStream's events
    chunks: Iterable[bytes] | None = None

    @classmethod
    def json(cls, status: int, data: object, headers: dict[str, str] | None = None) -> Response:
        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        return cls(status, json.dumps(data).encode(), hdrs)


Handler = Callable[[Request, "Gateway"], "Response | None"]
#: a check of every request for one service's operations (a handler's or moto's), before either runs:
#: it raises AwsError to refuse, or returns the request rewritten (say, a name in the form moto reads)
Guard = Callable[[Request], "Request | None"]
#: a check of an operation's Content-Length before its body is read: the error, or None
SizeCheck = Callable[[Mapping[str, str], int], "AwsError | None"]


class _Refused(Exception):
    """A request refused before anything reads it: its answer, in the client's protocol."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        super().__init__(status)
        self.response = Response(status, body, headers)


class Gateway:
    """WSGI middleware: lab handlers first, moto for the rest.

    Before anything reads a request, the gateway checks what a client can get wrong
    on the wire: a ``Content-Length`` that is not a number, a body larger than the
    operation takes (refused unread), a body shorter than its ``Content-Length``
    (a client that went away: refused, never run), an operation the service does
    not have.  Each gets the 4xx answer in the client's own protocol.
    """

    def __init__(self, moto_app: WSGIApp, keyring: Keyring) -> None:
        self.moto_app = moto_app
        self.keyring = keyring
        self._handlers: dict[tuple[str, str], Handler] = {}
        self._guards: dict[str, list[Guard]] = {}
        self._size_checks: dict[tuple[str, str], SizeCheck] = {}
        self._raw: dict[str, Callable[[dict[str, Any]], Response]] = {}
        #: a fresh request id for each error response (the lab hands in its seeded ids)
        self.request_ids: Callable[[], str] = lambda: str(uuid.uuid4())

    # -- registration ----------------------------------------------------------
    def route(self, service: str, operation: str, handler: Handler) -> None:
        """Answer ``operation`` of ``service`` with ``handler`` (None = let moto answer)."""
        self._handlers[(service, operation)] = handler

    def guard(self, service: str, check: Guard) -> None:
        """Run ``check`` on every request for an operation of ``service``; it raises AwsError to refuse."""
        self._guards.setdefault(service, []).append(check)

    def size_check(self, service: str, operation: str, check: SizeCheck) -> None:
        """Judge ``operation``'s Content-Length before its body is read (AWS refuses those unread)."""
        self._size_checks[(service, operation)] = check

    def raw(self, prefix: str, handler: Callable[[dict[str, Any]], Response]) -> None:
        """Serve plain HTTP under ``/_lambdalab/<prefix>/`` (code downloads and the like)."""
        self._raw[prefix] = handler

    # -- WSGI ------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # the caller's trace header, for the pushes moto makes while it answers (SNS, S3: engines.recursion)
        with recursion.answering(environ.get("HTTP_X_AMZN_TRACE_ID")):
            return self._call(environ, start_response)

    def _call(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        try:
            self._read_checked_body(environ, path)
        except _Refused as refused:
            return self._write(refused.response, start_response)
        signed = self._authenticate(environ)
        if isinstance(signed, Response):
            return self._write(signed, start_response)
        environ[SIGNATURE] = signed
        # the account moto files the request under is the signer's, never the client's own say
        environ.pop("HTTP_X_MOTO_ACCOUNT_ID", None)
        other = self.keyring.account_of(signed.access_key)
        if other:
            environ["HTTP_X_MOTO_ACCOUNT_ID"] = other
        if path.startswith("/_lambdalab/"):
            prefix = path.split("/")[2]
            raw = self._raw.get(prefix)
            return self._write(raw(environ) if raw else Response(404, b"not found"), start_response)
        service = signed.service
        http = _http_request(environ, self._read_body(environ))
        op = operation_of(service, http, path)
        if op is not None and op.name is None:
            return self._write(Response(*_reorder(unknown_operation(service, http, op))), start_response)
        if op is not None and op.name is not None:
            resp = self._answer(service, op, environ, path)
            if resp is not None:
                return self._write(resp, start_response)
        if op is not None and not _moto_can_parse(http.body):
            error = AwsError("SerializationException", "The request body nests too deeply to be parsed.", 400)
            return self._write(Response(*_reorder(_error_in_protocol(http, service, error))), start_response)
        return self.moto_app(environ, start_response)

    def _answer(self, service: str, op: Operation, environ: dict[str, Any], path: str) -> Response | None:
        """Guards, then the lab's handler; None lets moto answer."""
        assert op.name is not None
        handler = self._handlers.get((service, op.name))
        guards = self._guards.get(service, [])
        if handler is None and not guards:
            return None
        req = Request(
            service=service,
            operation=op.name,
            method=environ["REQUEST_METHOD"],
            path=path,
            params=op.params,
            query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            headers=_headers(environ),
            body=self._read_body(environ),
            caller_account=self.keyring.account_of(environ[SIGNATURE].access_key),
        )
        try:
            for check in guards:
                req = check(req) or req
            if req.path != path:  # rewritten: moto reads the new form too (moto routes on RAW_URI)
                query = urlencode(req.query, doseq=True)
                environ["PATH_INFO"], environ["QUERY_STRING"] = req.path, query
                environ["RAW_URI"] = environ["REQUEST_URI"] = quote(req.path) + (f"?{query}" if query else "")
            return handler(req, self) if handler is not None else None
        except AwsError as err:
            return error_response(err, self.request_ids())
        except Exception as err:  # noqa: BLE001 - a lab bug must not look like a network failure
            traceback.print_exc()
            return error_response(
                AwsError("ServiceException", f"lambdalab internal error: {err!r}", 500), self.request_ids()
            )

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
        req = _http_request(environ, self._read_body(environ))
        try:
            return self.keyring.verify(req)
        except AuthFailure as failure:
            status, headers, body = error_for(failure, req)
            return Response(status, body, headers)

    def _read_checked_body(self, environ: dict[str, Any], path: str) -> None:
        """Read the body once, refusing (see the class docstring) what a client got wrong."""
        if "lambdalab.body" in environ:
            return
        peek = _http_request(environ, b"")
        try:
            signature = read_signature(peek)
        except Malformed:
            signature = None  # the signature check refuses it, with the body read
        service = signature.service if signature else None
        raw_length = str(environ.get("CONTENT_LENGTH") or "").strip()
        if raw_length and not raw_length.isdigit():
            raise _Refused(*_bad_request(peek, service, "The Content-Length header must be a whole number of bytes."))
        length = int(raw_length or 0)
        limit = MAX_S3_BODY if service == "s3" else MAX_BODY
        op = operation_of(service, peek, path) if service and service != "s3" else None
        check = self._size_checks.get((service or "", op.name or "")) if op else None
        too_large = check(peek.headers, length) if check else None
        if too_large is None and length > limit:
            operation = op.name if op and op.name else "this"
            too_large = AwsError(
                "RequestEntityTooLargeException",
                f"Request must be smaller than {limit} bytes for the {operation} operation",
                413,
            )
        if too_large is not None:
            raise _Refused(*_error_in_protocol(peek, service, too_large))
        if environ.get("wsgi.input_terminated") and not raw_length:  # chunked: no length announced
            body = environ["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                raise _Refused(
                    *_error_in_protocol(
                        peek,
                        service,
                        AwsError("RequestEntityTooLargeException", f"Request must be smaller than {limit} bytes", 413),
                    )
                )
        else:
            body = _read_exactly(environ["wsgi.input"], length)
            if len(body) < length:  # the client announced more than it sent, and went away
                message = "You did not provide the number of bytes specified by the Content-Length HTTP header."
                raise _Refused(*_error_in_protocol(peek, service, AwsError("IncompleteBody", message, 400)))
        environ["wsgi.input"] = io.BytesIO(body)
        environ["lambdalab.body"] = body
        environ["CONTENT_LENGTH"] = str(len(body))

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        """The body as :meth:`_read_checked_body` read it (``forward`` environs carry theirs in wsgi.input)."""
        if "lambdalab.body" not in environ:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["lambdalab.body"] = body
        return bytes(environ["lambdalab.body"])

    @staticmethod
    def _write(resp: Response, start_response: Callable[..., Any]) -> Iterable[bytes]:
        reason = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content"}.get(resp.status, "")
        headers = dict(resp.headers)
        if resp.chunks is not None:
            start_response(f"{resp.status} {reason}".strip(), list(headers.items()))
            return resp.chunks
        headers["Content-Length"] = str(len(resp.body))
        start_response(f"{resp.status} {reason}".strip(), list(headers.items()))
        return [resp.body]


def _http_request(environ: Mapping[str, Any], body: bytes) -> HttpRequest:
    raw_uri = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    raw_path = raw_uri.split("?", 1)[0] if raw_uri.startswith("/") else quote(environ.get("PATH_INFO", ""))
    return HttpRequest(
        method=environ["REQUEST_METHOD"],
        raw_path=raw_path,
        query=split_query(environ.get("QUERY_STRING", "")),
        headers=_headers(environ),
        body=body,
    )


def _read_exactly(stream: Any, length: int) -> bytes:
    """Up to ``length`` bytes: fewer only when the client stopped sending."""
    chunks, left = [], length
    while left > 0:
        chunk = stream.read(min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _error_in_protocol(req: HttpRequest, service: str | None, err: AwsError) -> tuple[int, dict[str, str], bytes]:
    protocol, _ = protocol_of(req, service)
    status, headers, body = document(protocol, err.status, err.code, err.message, service=service)
    return status, headers, body


def _bad_request(req: HttpRequest, service: str | None, message: str) -> tuple[int, dict[str, str], bytes]:
    return _error_in_protocol(req, service, AwsError("BadRequest", message, 400))


def _moto_can_parse(body: bytes) -> bool:
    """False for a JSON body too deep for Python's parser (moto would answer 500)."""
    if not body.lstrip().startswith((b"{", b"[")):
        return True
    try:
        json.loads(body)
    except RecursionError:
        return False
    except ValueError:
        pass  # moto answers malformed JSON itself
    return True


def _reorder(answer: tuple[int, dict[str, str], bytes]) -> tuple[int, bytes, dict[str, str]]:
    status, headers, body = answer
    return status, body, headers


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
