"""API Gateway HTTP APIs as the lab reads them from moto's store (apigatewayv2), as values.

moto stores APIs, routes, integrations and stages but serves none of them; the lab's listener does
(:mod:`lambdalab.aws.http_apis`).  Every name read of moto's storage is listed in :data:`NEEDS`.

https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .moto_needs import Needs

NEEDS = (
    Needs("moto.apigatewayv2.models", "apigatewayv2_backends"),
    Needs(
        "moto.apigatewayv2.models",
        "Api",
        ("api_id", "protocol_type", "routes", "integrations", "stages"),
        sample=lambda cls: cls("us-east-1", "probe", "", None, "", "false", "false", "HTTP", "", {}, "", _NoTags()),
    ),
)


class _NoTags:
    """What a sample Api needs of its backend."""

    def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
        pass


@dataclass(frozen=True)
class Integration:
    integration_type: str  # AWS_PROXY for a Lambda proxy integration
    uri: str  # the function's ARN (or its invocations URI)
    payload_format_version: str


@dataclass(frozen=True)
class HttpApi:
    """One HTTP API: its routes (route key -> target), integrations by id, stage names."""

    api_id: str
    routes: dict[str, str]
    integrations: dict[str, Integration]
    stages: tuple[str, ...]


def http_api(account_id: str, region: str, api_id: str) -> HttpApi | None:
    """The HTTP API ``api_id``, or None (no such API, or a WebSocket one)."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    api: Any = apigatewayv2_backends[account_id][region].apis.get(api_id)
    if api is None or api.protocol_type != "HTTP":
        return None
    return HttpApi(
        api_id=str(api.api_id),
        routes={str(r.route_key): str(r.target or "") for r in api.routes.values()},
        integrations={
            str(i.id): Integration(
                str(i.integration_type), str(i.integration_uri or ""), str(i.payload_format_version or "2.0")
            )
            for i in api.integrations.values()
        },
        stages=tuple(str(name) for name in api.stages),
    )
