"""Which API operation a request names, read from botocore's own service models.

Each protocol names the operation its own way: REST services by method and URI
template (Lambda: ``POST /2015-03-31/functions/{FunctionName}/invocations`` is
``Invoke``), JSON services by the ``X-Amz-Target`` header (``AmazonSQS.SendMessage``),
query services by the ``Action`` parameter.  A request that names nothing the
service has gets the service's own refusal (see :func:`unknown_operation`):

- REST: ``404`` and the body ``<UnknownOperationException/>``, as AWS's front ends
  answer a path they do not route (recorded for DynamoDB, CloudSearch and Bedrock);
- JSON: ``400 {"__type": "com.amazon.coral.service#UnknownOperationException"}``;
- query: ``400 InvalidAction``, "The action Frobnicate is not valid for this endpoint."

S3 (REST-XML) names buckets and keys in its paths; moto routes those itself.
Several services sign with another's name (DynamoDB Streams as ``dynamodb``,
OpenSearch as ``es``, SES v2 as ``ses``): a request in another protocol than the
signing name's model, or a REST path outside Lambda's, is left for moto to name.

https://smithy.io/2.0/aws/protocols/index.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import parse_qs, unquote

from .sigv4 import HttpRequest
from .wire_errors import REQUEST_ID, document, model_metadata, model_name

#: protocols whose operations the lab names itself (S3's REST-XML is left to moto)
NAMED = ("rest-json", "json", "query")


@dataclass(frozen=True)
class Operation:
    """The operation a request names: ``name`` None when the service has no such operation."""

    name: str | None
    asked: str  # the target, action or method and path the request gave
    params: dict[str, str]  # URI template values (REST), already unquoted


class RouteMap:
    """Maps (method, path) to an operation name with a REST service's URI templates."""

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


@cache
def route_map(service: str) -> RouteMap:
    return RouteMap(service)


@cache
def _operation_names(service: str) -> frozenset[str]:
    from .sdk import service_model

    return frozenset(service_model(service).operation_names)


#: services that sign with another service's name (SigV4 scope ``dynamodb`` for DynamoDB Streams,
#: ``apigateway`` for API Gateway v2): the request's target prefix or path tells them apart
_SHARED_SIGNING_NAMES = {"dynamodb": ("dynamodbstreams",), "apigateway": ("apigatewayv2",)}


def operation_of(service: str | None, req: HttpRequest, path: str) -> Operation | None:
    """The operation ``req`` names; None when the lab leaves naming it to moto."""
    if service is None:
        return None
    named = _operation_of(model_name(service), req, path)
    if named is None or named.name is None:  # a REST path of the sibling's (API Gateway v2) names nothing here
        for sibling in _SHARED_SIGNING_NAMES.get(service, ()):
            found = _operation_of(sibling, req, path)
            if found is not None and found.name is not None:
                return found
    return named


def _operation_of(model: str, req: HttpRequest, path: str) -> Operation | None:
    """The operation ``req`` names in botocore's ``model``; None when moto is left to name it."""
    metadata = model_metadata(model)
    protocol = str(metadata.get("protocol") or "")
    if protocol not in NAMED:
        return None
    names = _operation_names(model)
    target = req.headers.get("x-amz-target", "")
    if protocol == "json" and target:
        prefix, _, name = target.partition(".")
        known = prefix == metadata.get("targetPrefix") and name in names
        return Operation(name if known else None, target, {})
    action = req.param("Action") or _form_action(req)
    if protocol in ("json", "query") and action is not None:  # SQS speaks query too
        return Operation(action if action in names else None, action, {})
    if protocol == "query" and _is_form(req):
        return Operation(None, "", {})  # a query request without its Action
    if protocol == "rest-json":
        # an ARN in a label (a durable execution's) has slashes: only the raw path keeps them encoded
        found = route_map(model).match(req.method, path) or route_map(model).match(req.method, req.raw_path)
        if found:
            return Operation(found[0], f"{req.method} {path}", found[1])
        if model in _REST_JUDGED:
            return Operation(None, path, {})
    return None  # likely another service's protocol under a shared signing name: moto answers


#: REST services whose every path the lab judges: siblings that sign with their name (lambda-core,
#: lambda-microvms, lambda-web) are ones neither moto nor the lab serves.  Other REST signing names
#: are shared by services moto does serve (es and opensearch, appconfig and appconfigdata, ...).
_REST_JUDGED = frozenset({"lambda"})


def _is_form(req: HttpRequest) -> bool:
    return req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")


def _form_action(req: HttpRequest) -> str | None:
    if not _is_form(req):
        return None
    values = parse_qs(req.body.decode("utf-8", errors="replace")).get("Action")
    return values[0] if values else None


def unknown_operation(service: str, req: HttpRequest, op: Operation) -> tuple[int, dict[str, str], bytes]:
    """The answer AWS gives a request for an operation the service does not have."""
    protocol = str(model_metadata(service).get("protocol"))
    if req.headers.get("x-amz-target"):
        return document("json", 400, "UnknownOperationException", None, service=service)
    if protocol in ("query", "json"):  # an Action the service lacks, or none at all
        if not op.asked:
            return document(
                "query", 400, "MissingAction", "The request must contain the parameter Action.", service=service
            )
        message = f"The action {op.asked} is not valid for this endpoint."
        return document("query", 400, "InvalidAction", message, service=service)
    return 404, {"x-amzn-RequestId": REQUEST_ID}, b"<UnknownOperationException/>\n"
