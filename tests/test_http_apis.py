"""API Gateway HTTP APIs (moto's apigatewayv2) answering real HTTP on loopback with Lambda proxy integrations."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from support import create_python

import lambdalab
from lambdalab.aws.http_apis import match_route

ACCOUNT = "123456789012"
SHOW = (
    "def handler(event, context):\n"
    "    return {'route': event['routeKey'], 'params': event.get('pathParameters'), 'raw': event['rawPath'],\n"
    "            'stage': event['requestContext']['stage'], 'api': event['requestContext']['apiId'],\n"
    "            'query': event.get('queryStringParameters'), 'version': event['version']}\n"
)


def build_api(lab: lambdalab.Lab, function_arn: str, stage: str, *routes: str) -> dict[str, Any]:
    apigw = lab.client("apigatewayv2")
    api: dict[str, Any] = apigw.create_api(Name="shop", ProtocolType="HTTP")
    integration = apigw.create_integration(
        ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=function_arn, PayloadFormatVersion="2.0"
    )
    for key in routes:
        apigw.create_route(ApiId=api["ApiId"], RouteKey=key, Target=f"integrations/{integration['IntegrationId']}")
    apigw.create_stage(ApiId=api["ApiId"], StageName=stage, AutoDeploy=True)
    return api


@pytest.fixture(scope="module")
def function_arn(lab: lambdalab.Lab, role_arn: str) -> str:
    name = create_python(lab, role_arn, SHOW, FunctionName="show-route")
    return str(lab.client("lambda").get_function_configuration(FunctionName=name)["FunctionArn"])


def test_a_route_needs_the_permission_then_answers_with_a_2_0_event(lab: lambdalab.Lab, function_arn: str) -> None:
    api = build_api(lab, function_arn, "$default", "GET /items/{id}", "ANY /{proxy+}")
    endpoint = api["ApiEndpoint"]
    assert endpoint == f"{lab.url_listener.url()}/{api['ApiId']}"
    denied = requests.get(endpoint + "/items/7", timeout=30)
    assert denied.status_code == 500 and denied.json() == {"message": "Internal Server Error"}
    reason = lab.trace.where("invoke-denied", "show-route")[-1].detail
    assert reason["source_arn"] == f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api['ApiId']}/$default/GET/items/{{id}}"
    lab.client("lambda").add_permission(
        FunctionName="show-route",
        StatementId=f"apigw-{api['ApiId']}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api['ApiId']}/*",
    )
    event = requests.get(endpoint + "/items/7?size=2", timeout=30).json()
    assert event == {
        "route": "GET /items/{id}",
        "params": {"id": "7"},
        "raw": "/items/7",
        "stage": "$default",
        "api": api["ApiId"],
        "query": {"size": "2"},
        "version": "2.0",
    }
    other = requests.post(endpoint + "/basket/add", timeout=30).json()
    assert other["route"] == "ANY /{proxy+}" and other["params"] == {"proxy": "basket/add"}
    assert lab.client("apigatewayv2").get_api(ApiId=api["ApiId"])["ApiEndpoint"] == endpoint


def test_a_named_stage_is_part_of_the_path_and_no_route_is_404(lab: lambdalab.Lab, function_arn: str) -> None:
    api = build_api(lab, function_arn, "prod", "GET /hello")
    lab.client("lambda").add_permission(
        FunctionName="show-route",
        StatementId=f"apigw-{api['ApiId']}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api['ApiId']}/prod/GET/hello",
    )
    event = requests.get(api["ApiEndpoint"] + "/prod/hello", timeout=30).json()
    assert event["stage"] == "prod" and event["raw"] == "/prod/hello" and event["route"] == "GET /hello"
    missing = requests.get(api["ApiEndpoint"] + "/prod/bye", timeout=30)
    assert missing.status_code == 404 and missing.json() == {"message": "Not Found"}
    assert requests.get(api["ApiEndpoint"] + "/hello", timeout=30).status_code == 404  # no $default stage


def test_route_selection() -> None:
    routes = ["GET /items/{id}", "GET /items/special", "ANY /items/{id}", "GET /{proxy+}", "$default"]
    assert match_route(routes, "GET", "/items/special") == ("GET /items/special", {})
    assert match_route(routes, "GET", "/items/3") == ("GET /items/{id}", {"id": "3"})
    assert match_route(routes, "DELETE", "/items/3") == ("ANY /items/{id}", {"id": "3"})
    assert match_route(routes, "GET", "/a/b/c") == ("GET /{proxy+}", {"proxy": "a/b/c"})
    assert match_route(routes, "POST", "/a") == ("$default", {})
    assert match_route(["GET /"], "GET", "/") == ("GET /", {})
    assert match_route(["GET /items"], "GET", "/other") is None
