"""API Gateway HTTP APIs with Lambda proxy integrations, answering real HTTP requests on loopback.

A learner builds the API with moto's ``apigatewayv2`` (CreateApi with ``ProtocolType=HTTP``, an
``AWS_PROXY`` integration naming the function, a route such as ``GET /items/{id}`` whose target is
``integrations/<id>``, a stage, usually ``$default`` with auto-deploy); moto stores them and the lab
serves them from the function URL listener: ``http://127.0.0.1:<port>/<api-id>/<path>`` for the
``$default`` stage, ``.../<api-id>/<stage>/<path>`` for a named one.  ``ApiEndpoint`` in CreateApi's and
GetApi's answers says so.

A request picks its route the way API Gateway does (the most specific match: a route without path
variables, then with them, then a greedy ``{proxy+}``, a method before ``ANY``; ``$default`` last),
becomes the payload format 2.0 event (``routeKey``, ``pathParameters``, ``stage``, ``rawPath`` with the
stage), and the function runs only if its policy lets ``apigateway.amazonaws.com`` invoke it from the
route's ARN, ``arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD><path>``; otherwise, as for a
function error, the client gets ``500 {"message":"Internal Server Error"}``.  No route: ``404``.  The lab
serves payload format 2.0 integrations; a 1.0 one answers 500 and says why in the trace.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..errors import AwsError
from ..ports import Caller
from ..trace_kinds import INVOKE_DENIED
from . import moto_apigatewayv2
from .gateway import Gateway, Request, Response
from .url_events import HttpAnswer, HttpCall, answer_of, event_v2

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..clock import Clock
    from ..ports import Ids, Place
    from ..trace import Trace
    from .lambda_invoke import InvokeService
    from .lambda_policy import PolicyService


def server_error() -> HttpAnswer:
    return HttpAnswer(500, [("Content-Type", "application/json")], b'{"message":"Internal Server Error"}')


def not_found() -> HttpAnswer:
    return HttpAnswer(404, [("Content-Type", "application/json")], b'{"message":"Not Found"}')


_FUNCTION = re.compile(r"(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9-_]+(:[a-zA-Z0-9-_$]+)?)")


def match_route(routes: list[str], method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The route key a request takes, and its path parameters (pure)."""
    best: tuple[tuple[int, int, int], str, dict[str, str]] | None = None
    for key in routes:
        if key == "$default" or " " not in key:
            continue
        route_method, template = key.split(" ", 1)
        if route_method not in (method, "ANY"):
            continue
        params = _match(template, path)
        if params is None:
            continue
        greedy = any(p.endswith("+}") for p in template.split("/"))
        rank = (2 if greedy else 1 if "{" in template else 0, 1 if route_method == "ANY" else 0, -len(template))
        if best is None or rank < best[0]:
            best = (rank, key, params)
    if best is not None:
        return best[1], best[2]
    return ("$default", {}) if "$default" in routes else None


def _match(template: str, path: str) -> dict[str, str] | None:
    pattern, names = "", []
    for part in template.strip("/").split("/"):
        hit = re.fullmatch(r"\{([A-Za-z0-9_]+)(\+?)\}", part)
        if hit:
            names.append(hit.group(1))
            pattern += "/(.+)" if hit.group(2) else "/([^/]+)"
        else:
            pattern += "/" + re.escape(part) if part else ""
    found = re.fullmatch(pattern or "/", path if pattern else path or "/")
    return dict(zip(names, found.groups(), strict=True)) if found else None


def source_arn(place: Place, api_id: str, stage: str, route_key: str) -> str:
    """The ARN API Gateway invokes from: ``<api-id>/<stage>/<METHOD><path>`` (``$default`` for that route)."""
    tail = "$default" if route_key == "$default" else route_key.replace(" ", "", 1)
    return place.arn("execute-api", f"{api_id}/{stage}/{tail}")


class HttpApis:
    """Serves the lab's HTTP APIs; amends moto's ApiEndpoint to the address that answers."""

    def __init__(
        self,
        place: Place,
        ids: Ids,
        clock: Clock,
        trace: Trace,
        invocations: InvokeService,
        policies: PolicyService,
        base_url: Callable[[], str],
    ) -> None:
        self.place, self.ids, self.clock, self.trace = place, ids, clock, trace
        self.invocations, self.policies, self.base_url = invocations, policies, base_url

    def register(self, gw: Gateway) -> None:
        for operation in ("CreateApi", "GetApi", "UpdateApi", "GetApis"):
            gw.route("apigateway", operation, self.amend_endpoint)

    def amend_endpoint(self, req: Request, gw: Gateway) -> Response:
        resp = gw.forward(req)
        if resp.status >= 300:
            return resp
        doc = json.loads(resp.body)
        for api in doc.get("items", [doc]):
            if api.get("protocolType") == "HTTP" and api.get("apiId"):
                api["apiEndpoint"] = f"{self.base_url()}/{api['apiId']}"
        return Response.json(resp.status, doc, {k: v for k, v in resp.headers.items() if k.lower() != "content-length"})

    def answer(self, api_id: str, call: HttpCall) -> HttpAnswer | None:
        """The answer to ``call`` (its path after the API id), or None when ``api_id`` is no HTTP API of the lab."""
        api = moto_apigatewayv2.http_api(self.place.account_id, self.place.region, api_id)
        if api is None:
            return None
        first = call.path.strip("/").split("/", 1)[0]
        if first and first in api.stages and first != "$default":
            stage, rest = first, "/" + call.path.strip("/").split("/", 1)[1] if "/" in call.path.strip("/") else "/"
        elif "$default" in api.stages:
            stage, rest = "$default", call.path
        else:
            return not_found()
        route = match_route(list(api.routes), call.method, rest or "/")
        if route is None:
            return not_found()
        route_key, params = route
        target = api.routes[route_key]
        integration = api.integrations.get(target.removeprefix("integrations/"))
        function = _FUNCTION.search(integration.uri) if integration else None
        if integration is None or function is None or integration.integration_type != "AWS_PROXY":
            return server_error()
        name = function.group(1)
        try:
            target_fn = self.invocations.resolve(name)
        except AwsError:
            return server_error()
        arn = source_arn(self.place, api_id, stage, route_key)
        caller = Caller(service="apigateway.amazonaws.com", account=self.place.account_id, source_arn=arn)
        reason = self.policies.check(target_fn.spec.function_name, target_fn.qualifier, caller)
        if reason is not None or integration.payload_format_version != "2.0":
            why = reason or "the lab serves payload format 2.0 integrations only"
            self.trace.add(
                INVOKE_DENIED,
                target_fn.spec.function_name,
                caller="apigateway.amazonaws.com",
                reason=why,
                source_arn=arn,
            )
            return server_error()
        request_id = self.ids.new_id()
        event: dict[str, Any] = event_v2(
            call,
            account_id=self.place.account_id,
            api_id=api_id,
            domain_name=f"{api_id}.execute-api.{self.place.region}.amazonaws.com",
            request_id=request_id,
            now=self.clock.now,
            route_key=route_key,
            stage=stage,
            path_parameters=params or None,
        )
        event["requestContext"].pop("authorizer", None)  # no authorizer on the route
        try:
            result = self.invocations.run(
                target_fn, json.dumps(event).encode(), source="ApiGateway", request_id=request_id
            )
        except AwsError:
            return server_error()
        answer = server_error() if result.function_error else answer_of(result.payload)
        answer = HttpAnswer(answer.status, [*answer.headers, ("apigw-requestid", request_id)], answer.body)
        return server_error() if answer.status == 502 else answer
