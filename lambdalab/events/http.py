"""What a synchronous HTTP caller (ALB, API Gateway) sends back to the browser,
and the invoke they all make.  The callers differ only in the request event they
build and in how they read the function's answer (see ``alb`` and ``apigateway``)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..lab import Lab


@dataclass(frozen=True)
class HttpResponse:
    """The HTTP response the client receives."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    reason: str = ""
    #: for a caller's own error (a 502), why it gave up on the function's answer
    error: str | None = None

    @property
    def status_line(self) -> str:
        return f"HTTP/1.1 {self.status} {self.reason or _reason(self.status)}"

    def __str__(self) -> str:
        head = "\n".join([self.status_line, *(f"{k}: {v}" for k, v in self.headers.items())])
        return f"{head}\n\n{self.body}"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def invoke(lab: Lab, function_name: str, event: dict[str, Any], source: str) -> tuple[Any, str | None]:
    """Invoke synchronously as a service does: (the parsed answer or raw text, function error)."""
    target = lab.invocations.resolve(function_name)
    result = lab.invocations.run(target, json.dumps(event).encode(), source=source)
    text = result.payload.decode(errors="replace")
    try:
        answer = json.loads(text)
    except ValueError:
        answer = text
    return answer, result.function_error


def body_text(answer: dict[str, Any]) -> str:
    body = answer.get("body")
    if body is None:
        return ""
    if answer.get("isBase64Encoded") and isinstance(body, str):
        return base64.b64decode(body).decode(errors="replace")
    return body if isinstance(body, str) else json.dumps(body)


def header_map(answer: dict[str, Any]) -> dict[str, str]:
    """headers and multiValueHeaders merged (comma-joined), as the client sees them."""
    out: dict[str, str] = {}
    for name, value in (answer.get("headers") or {}).items():
        out[str(name)] = str(value)
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        out[str(name)] = ", ".join(str(v) for v in (values if isinstance(values, list) else [values]))
    return out
