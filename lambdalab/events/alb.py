"""Application Load Balancer: the request event a Lambda target receives, and how the
load balancer turns the function's answer into an HTTP response.

The ALB invokes synchronously.  The answer must be a JSON object with an integer
``statusCode``; ``statusDescription``, ``headers`` (or ``multiValueHeaders`` when the
target group has them on), ``body`` and ``isBase64Encoded`` are read too.  A
function error, or an answer the load balancer cannot read, becomes **502 Bad Gateway**.

https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
https://docs.aws.amazon.com/lambda/latest/dg/services-alb.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._common import ACCOUNT, REGION
from .http import HttpResponse, body_text, header_map, invoke

if TYPE_CHECKING:
    from ..lab import Lab

TARGET_GROUP = (
    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/lambda-279XGJDqGZ5rsrHC2Fjr/49e9d65c45c6791a"
)
BROWSER_HEADERS = {
    "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,image/apng,*/*;q=0.8",
    "accept-encoding": "gzip",
    "accept-language": "en-US,en;q=0.9",
    "connection": "keep-alive",
    "host": "lambda-alb-123578498.us-east-1.elb.amazonaws.com",
    "upgrade-insecure-requests": "1",
    "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/71.0.3578.98 Safari/537.36",
    "x-amzn-trace-id": "Root=1-5c536348-3d683b8b04734faae651f476",
    "x-forwarded-for": "72.12.164.125",
    "x-forwarded-port": "80",
    "x-forwarded-proto": "http",
    "x-imforwardedfor": "0",
}
BAD_GATEWAY = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


def request(
    method: str = "GET",
    path: str = "/",
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: str = "",
    is_base64: bool = False,
    multi_value: bool = False,
    target_group_arn: str = TARGET_GROUP,
) -> dict[str, Any]:
    """The event an ALB sends (``multi_value``: the target group's multi-value headers setting)."""
    hdrs = {k.lower(): v for k, v in (BROWSER_HEADERS if headers is None else headers).items()}
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": target_group_arn}},
        "httpMethod": method,
        "path": path,
    }
    if multi_value:
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in (query or {}).items()}
        event["multiValueHeaders"] = {k: [v] for k, v in hdrs.items()}
    else:
        event["queryStringParameters"] = dict(query or {})
        event["headers"] = hdrs
    event["body"] = body
    event["isBase64Encoded"] = is_base64
    return event


def response(answer: Any, function_error: str | None = None) -> HttpResponse:
    """The HTTP response the ALB sends for a function's answer."""
    if function_error:
        return _bad_gateway(f"the function failed ({function_error})")
    if not isinstance(answer, dict):
        return _bad_gateway("the answer is not a JSON object")
    status = answer.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return _bad_gateway("the answer has no valid statusCode")
    description = str(answer.get("statusDescription") or "")
    reason = description.split(" ", 1)[1] if " " in description else ""
    return HttpResponse(status, header_map(answer), body_text(answer), reason)


def _bad_gateway(why: str) -> HttpResponse:
    return HttpResponse(
        502, {"Server": "awselb/2.0", "Content-Type": "text/html"}, BAD_GATEWAY, "Bad Gateway", error=why
    )


def call(lab: Lab, function_name: str, method: str = "GET", path: str = "/", **request_options: Any) -> HttpResponse:
    """Send a request through an (imaginary) ALB to ``function_name``; the HTTP response comes back."""
    answer, error = invoke(lab, function_name, request(method, path, **request_options), source="alb")
    return response(answer, error)


def sample() -> dict[str, Any]:
    return request("GET", "/lambda", query={"query": "1234ABCD"})
