"""An HTTP request as the payload format 2.0 event, a function's answer as the HTTP response, and CORS.

Pure functions: the function URL listener (:mod:`lambdalab.aws.url_listener`) and API Gateway HTTP
APIs feed them what arrived and write out what they return.

The event (urls-invocation, "Request payload format"): ``version`` 2.0, ``routeKey`` and
``stage`` ``$default``, the path and query as sent (``rawPath``, ``rawQueryString``), header
names in lower case with repeated headers joined by commas, the ``Cookie`` header split into
``cookies``, repeated query parameters joined by commas, and a body that is base64 when the
content is binary.  ``requestContext.authorizer.iam`` describes the caller of an ``AWS_IAM`` URL.

The response ("Response payload format"): an object with ``statusCode`` is read as the
response (``headers``, ``cookies`` as ``Set-Cookie`` headers, ``body``, ``isBase64Encoded``);
anything else the function returns (a string, a list, an object without ``statusCode``) is the
body of a 200 ``application/json`` response as it is, so ``"Hello"`` arrives with its quotes.

CORS (urls-configuration, "Cross-origin resource sharing"): with a ``Cors`` setting the URL answers
a preflight ``OPTIONS`` itself and adds the ``Access-Control-*`` headers to every response, in
place of any the function set.

https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

#: bodies of these content types reach the function as text; any other body as base64
TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")
TEXT_SUFFIXES = ("+json", "+xml")


@dataclass(frozen=True)
class HttpCall:
    """One HTTP request as it arrived: method, path and query as sent, headers in order."""

    method: str
    path: str
    query: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ",".join(values) if values else None


@dataclass
class HttpAnswer:
    """What goes back to the client: status, headers (Set-Cookie may repeat), body."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def is_text(content_type: str | None) -> bool:
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return kind.startswith(TEXT_TYPES) or kind.endswith(TEXT_SUFFIXES)


def event_v2(
    call: HttpCall,
    *,
    account_id: str,
    api_id: str,
    domain_name: str,
    request_id: str,
    now: datetime,
    authorizer: dict[str, Any] | None = None,
    route_key: str = "$default",
    stage: str = "$default",
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The payload format 2.0 event for ``call``."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in call.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    event: dict[str, Any] = {"version": "2.0", "routeKey": route_key, "rawPath": call.path}
    event["rawQueryString"] = call.query
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if call.query:
        params: dict[str, str] = {}
        for key, value in parse_qsl(call.query, keep_blank_values=True):
            params[key] = f"{params[key]},{value}" if key in params else value
        event["queryStringParameters"] = params
    event["requestContext"] = {
        "accountId": account_id,
        "apiId": api_id,
        "authentication": None,
        "authorizer": authorizer,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".", 1)[0],
        "http": {
            "method": call.method,
            "path": call.path,
            "protocol": call.protocol,
            "sourceIp": call.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if path_parameters:
        event["pathParameters"] = path_parameters
    if call.body:
        text = is_text(headers.get("content-type"))
        if text:
            try:
                event["body"] = call.body.decode("utf-8")
            except UnicodeDecodeError:
                text = False
        if not text:
            event["body"] = base64.b64encode(call.body).decode()
        event["isBase64Encoded"] = not text
    else:
        event["isBase64Encoded"] = False
    return event


def answer_of(payload: bytes) -> HttpAnswer:
    """The HTTP response for what a function returned (its JSON payload), as the URL maps it.

    A ``statusCode`` that is not a number, or a body that is not what ``isBase64Encoded`` says,
    is a malformed answer: 502.
    """
    try:
        doc = json.loads(payload) if payload else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or "statusCode" not in doc:
        return HttpAnswer(200, [("Content-Type", "application/json")], payload)
    status = doc.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return bad_gateway()
    headers: list[tuple[str, str]] = []
    for name, value in (doc.get("headers") or {}).items():
        headers.append((str(name), _header_value(value)))
    for cookie in doc.get("cookies") or []:
        headers.append(("Set-Cookie", str(cookie)))
    body = doc.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        data = json.dumps(body).encode()
    elif doc.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except binascii.Error:
            return bad_gateway()
    else:
        data = body.encode("utf-8")
    return HttpAnswer(status, headers, data)


def bad_gateway() -> HttpAnswer:
    """What a URL answers when the function failed or its answer cannot be read."""
    return HttpAnswer(502, [("Content-Type", "application/json")], b'{"Message":"Internal Server Error"}')


def forbidden() -> HttpAnswer:
    """What the listener answers for a path that names no URL (or a caller that is not the learner)."""
    return HttpAnswer(403, [("Content-Type", "application/json")], b'{"Message":"Forbidden"}')


#: the body AWS gives when a URL's auth type or resource-based policy refuses the caller
#: (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html)
NOT_AUTHORIZED = (
    b'{"Message":"Forbidden. For troubleshooting Function URL authorization issues, see: '
    b'https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}'
)


def not_authorized() -> HttpAnswer:
    """403 for a request the URL's auth type or the function's resource-based policy does not allow."""
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", "AccessDeniedException")]
    return HttpAnswer(403, headers, NOT_AUTHORIZED)


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- CORS ---------------------------------------------------------------------------
def _allowed(origin: str, cors: Mapping[str, Any]) -> str | None:
    """The Access-Control-Allow-Origin value for ``origin``, or None when it is not allowed."""
    origins = [str(o) for o in cors.get("AllowOrigins") or []]
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


def preflight(call: HttpCall, cors: Mapping[str, Any]) -> HttpAnswer:
    """The URL's own answer to a CORS preflight (``OPTIONS`` with ``Origin``): the function is not invoked."""
    answer = HttpAnswer(200)
    origin = call.header("origin") or ""
    allow = _allowed(origin, cors)
    wanted = (call.header("access-control-request-method") or "").upper()
    methods = [str(m).upper() for m in cors.get("AllowMethods") or []]
    if allow is None or not wanted or not ("*" in methods or wanted in methods):
        return answer
    answer.headers.append(("Access-Control-Allow-Origin", allow))
    answer.headers.append(("Access-Control-Allow-Methods", ",".join(methods)))
    if cors.get("AllowHeaders"):
        answer.headers.append(("Access-Control-Allow-Headers", ",".join(map(str, cors["AllowHeaders"]))))
    if cors.get("AllowCredentials"):
        answer.headers.append(("Access-Control-Allow-Credentials", "true"))
    if cors.get("MaxAge") is not None:
        answer.headers.append(("Access-Control-Max-Age", str(cors["MaxAge"])))
    answer.headers.append(("Vary", "Origin"))
    return answer


def is_preflight(call: HttpCall) -> bool:
    return (
        call.method == "OPTIONS" and bool(call.header("origin")) and bool(call.header("access-control-request-method"))
    )


def with_cors(answer: HttpAnswer, call: HttpCall, cors: Mapping[str, Any] | None) -> HttpAnswer:
    """The function's answer with the URL's CORS headers in place of any ``Access-Control-*`` it set."""
    if not cors:
        return answer
    kept = [(k, v) for k, v in answer.headers if not k.lower().startswith("access-control-")]
    origin = call.header("origin")
    allow = _allowed(origin, cors) if origin else None
    if allow is not None:
        kept.append(("Access-Control-Allow-Origin", allow))
        if cors.get("ExposeHeaders"):
            kept.append(("Access-Control-Expose-Headers", ",".join(map(str, cors["ExposeHeaders"]))))
        if cors.get("AllowCredentials"):
            kept.append(("Access-Control-Allow-Credentials", "true"))
        kept.append(("Vary", "Origin"))
    return HttpAnswer(answer.status, kept, answer.body)
