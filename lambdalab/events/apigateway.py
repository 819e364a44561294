"""API Gateway: the proxy request events of REST APIs (payload format 1.0) and HTTP APIs
(payload format 2.0), and how each reads the function's answer.

- REST API (v1): the answer must be an object with ``statusCode`` (and may carry
  ``headers``, ``multiValueHeaders``, ``body``, ``isBase64Encoded``); anything else,
  or a function error, is **502** ``{"message": "Internal server error"}``.
- HTTP API (v2): the same object form, or the *simple* form: any JSON without
  ``statusCode`` is sent as the body with status 200 and ``content-type:
  application/json``.  A function error is **500** ``{"message":"Internal Server Error"}``.

https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ._common import ACCOUNT, WHEN
from .http import HttpResponse, body_text, header_map, invoke

if TYPE_CHECKING:
    from ..lab import Lab

API_ID = "1234567890"
REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
SOURCE_IP = "192.0.2.1"
USER_AGENT = "curl/8.5.0"


def _clf(when: datetime) -> str:
    """``06/Jan/2025:09:00:00 +0000``: the time form API Gateway puts in requestContext."""
    return when.strftime("%d/%b/%Y:%H:%M:%S +0000")


def rest_request(
    method: str = "GET",
    path: str = "/",
    *,
    resource: str = "/{proxy+}",
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    stage: str = "prod",
    when: datetime = WHEN,
    request_id: str = REQUEST_ID,
) -> dict[str, Any]:
    """A REST API proxy integration event (payload format 1.0)."""
    hdrs = {"Host": f"{API_ID}.execute-api.us-east-1.amazonaws.com", "User-Agent": USER_AGENT, **(headers or {})}
    proxy = path.lstrip("/")
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": hdrs,
        "multiValueHeaders": {k: [v] for k, v in hdrs.items()},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": {"proxy": proxy} if "{proxy+}" in resource else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "domainName": hdrs["Host"],
            "domainPrefix": API_ID,
            "extendedRequestId": "BQGojGkjGjoFdJw=",
            "httpMethod": method,
            "identity": {"sourceIp": SOURCE_IP, "userAgent": USER_AGENT},
            "path": f"/{stage}{path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": _clf(when),
            "requestTimeEpoch": int(when.timestamp() * 1000),
            "resourceId": "123456",
            "resourcePath": resource,
            "stage": stage,
        },
        "body": body,
        "isBase64Encoded": False,
    }


def http_request(
    method: str = "GET",
    path: str = "/",
    *,
    route_key: str = "$default",
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    cookies: list[str] | None = None,
    body: str | None = None,
    when: datetime = WHEN,
    request_id: str = "JKJaXmPLvHcESHA=",
) -> dict[str, Any]:
    """An HTTP API event (payload format 2.0): empty parts are left out, as AWS does."""
    hdrs = {
        "host": f"{API_ID}.execute-api.us-east-1.amazonaws.com",
        "user-agent": USER_AGENT,
        **{k.lower(): v for k, v in (headers or {}).items()},
    }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
    }
    if cookies:
        event["cookies"] = list(cookies)
    event["headers"] = hdrs
    if query:
        event["queryStringParameters"] = dict(query)
    event["requestContext"] = {
        "accountId": ACCOUNT,
        "apiId": API_ID,
        "domainName": hdrs["host"],
        "domainPrefix": API_ID,
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": SOURCE_IP,
            "userAgent": USER_AGENT,
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": _clf(when),
        "timeEpoch": int(when.timestamp() * 1000),
    }
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = False
    return event


def _object_form(answer: dict[str, Any]) -> HttpResponse | None:
    status = answer.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return None
    headers = header_map(answer)
    return HttpResponse(status, headers, body_text(answer))


def rest_response(answer: Any, function_error: str | None = None) -> HttpResponse:
    """What a REST API (proxy integration) answers for the function's result."""
    bad = HttpResponse(502, {"Content-Type": "application/json"}, json.dumps({"message": "Internal server error"}))
    if function_error:
        return HttpResponse(bad.status, bad.headers, bad.body, error=f"the function failed ({function_error})")
    shaped = _object_form(answer) if isinstance(answer, dict) else None
    if shaped is None:
        return HttpResponse(bad.status, bad.headers, bad.body, error="Malformed Lambda proxy response")
    return shaped


def http_response(answer: Any, function_error: str | None = None) -> HttpResponse:
    """What an HTTP API (payload format 2.0) answers for the function's result."""
    if function_error:
        return HttpResponse(
            500,
            {"Content-Type": "application/json"},
            json.dumps({"message": "Internal Server Error"}),
            error=f"the function failed ({function_error})",
        )
    if isinstance(answer, dict) and "statusCode" in answer:
        shaped = _object_form(answer)
        if shaped is not None:
            return shaped
        return HttpResponse(
            500,
            {"Content-Type": "application/json"},
            json.dumps({"message": "Internal Server Error"}),
            error="the statusCode is not a valid HTTP status",
        )
    body = answer if isinstance(answer, str) else json.dumps(answer)
    return HttpResponse(200, {"Content-Type": "application/json"}, body)


def call_rest(lab: Lab, function_name: str, method: str = "GET", path: str = "/", **options: Any) -> HttpResponse:
    """Send a request through a REST API (proxy integration) to ``function_name``."""
    answer, error = invoke(lab, function_name, rest_request(method, path, **options), source="apigateway")
    return rest_response(answer, error)


def call_http(lab: Lab, function_name: str, method: str = "GET", path: str = "/", **options: Any) -> HttpResponse:
    """Send a request through an HTTP API (payload format 2.0) to ``function_name``."""
    answer, error = invoke(lab, function_name, http_request(method, path, **options), source="apigateway")
    return http_response(answer, error)


def sample_rest() -> dict[str, Any]:
    return rest_request("GET", "/hello", query={"name": "me"}, headers={"Accept": "text/html"})


def sample_http() -> dict[str, Any]:
    return http_request(
        "POST",
        "/orders",
        query={"dryRun": "true"},
        headers={"content-type": "application/json"},
        cookies=["session=abc123"],
        body=json.dumps({"item": "book", "qty": 1}),
    )
