"""Synchronous HTTP callers (ALB, API Gateway REST and HTTP APIs): the request event they
build and the HTTP response they make of the function's answer.  (Not push sources: they
wait for the answer; they live here beside them because they are the other integrations.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import create_python

import lambdalab
from lambdalab.events import alb, apigateway

ROOT = Path(__file__).resolve().parent.parent
ECHO = "import json\n\ndef handler(event, context):\n    return event['answer']\n"


@pytest.fixture(scope="module")
def hello(lab: lambdalab.Lab, role_arn: str) -> str:
    lab.client("lambda").create_function(
        FunctionName="helloworld-alb",
        Runtime="nodejs22.x",
        Handler="index.handler",
        Role=role_arn,
        Code={"ZipFile": lambdalab.zip_folder(ROOT / "data" / "functions" / "helloworld-alb")},
    )
    return "helloworld-alb"


def test_the_curriculum_html_function_behind_an_alb(lab: lambdalab.Lab, hello: str) -> None:
    response = alb.call(lab, hello, "GET", "/")
    assert (response.status, response.reason, response.body) == (200, "OK", "<h1>Hello from Lambda!</h1>")
    assert response.headers == {"Content-Type": "text/html"}
    assert str(response).startswith("HTTP/1.1 200 OK\nContent-Type: text/html\n\n<h1>")
    assert lab.trace.where("invoke", hello)[-1].detail["source"] == "alb"


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("just text", 502),
        ({"body": "no status"}, 502),
        ({"statusCode": "abc"}, 502),
        ([1, 2], 502),
        ({"statusCode": 404, "statusDescription": "404 Not Found", "body": "nope"}, 404),
    ],
)
def test_alb_reads_the_answer_or_answers_502(answer: object, status: int) -> None:
    response = alb.response(answer)
    assert response.status == status
    if status == 502:
        assert response.reason == "Bad Gateway" and "502 Bad Gateway" in response.body and response.error


def test_alb_502_when_the_function_fails(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, "def handler(event, context):\n    raise KeyError('x')\n")
    assert alb.call(lab, name).status == 502


def test_alb_request_shapes() -> None:
    single = alb.request("POST", "/orders", query={"a": "1"}, headers={"X-Test": "y"}, body="{}")
    assert list(single) == [
        "requestContext",
        "httpMethod",
        "path",
        "queryStringParameters",
        "headers",
        "body",
        "isBase64Encoded",
    ]
    assert single["headers"] == {"x-test": "y"}
    multi = alb.request("GET", "/", query={"a": "1"}, headers={"accept": "*/*"}, multi_value=True)
    assert multi["multiValueHeaders"] == {"accept": ["*/*"]} and multi["multiValueQueryStringParameters"] == {
        "a": ["1"]
    }
    assert "headers" not in multi


def test_base64_bodies_and_multi_value_headers_are_decoded() -> None:
    answer = {
        "statusCode": 200,
        "isBase64Encoded": True,
        "body": "aGVsbG8=",
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
    }
    response = alb.response(answer)
    assert response.body == "hello" and response.headers == {"Set-Cookie": "a=1, b=2"}


def test_rest_api_proxy_contract() -> None:
    event = apigateway.rest_request("GET", "/hello", query={"name": "me"})
    assert event["pathParameters"] == {"proxy": "hello"} and event["requestContext"]["path"] == "/prod/hello"
    assert event["multiValueQueryStringParameters"] == {"name": ["me"]}
    assert apigateway.rest_response({"statusCode": 201, "headers": {"a": "b"}, "body": "ok"}).status == 201
    bad = apigateway.rest_response({"body": "missing status"})
    assert (bad.status, bad.body) == (502, '{"message": "Internal server error"}')
    assert apigateway.rest_response({"statusCode": 200}, "Unhandled").status == 502


def test_http_api_simple_response_form() -> None:
    event = apigateway.http_request("GET", "/items")
    assert event["version"] == "2.0" and "queryStringParameters" not in event and "body" not in event
    simple = apigateway.http_response({"items": [1, 2]})
    assert (simple.status, simple.headers, simple.body) == (
        200,
        {"Content-Type": "application/json"},
        '{"items": [1, 2]}',
    )
    assert apigateway.http_response("plain").body == "plain"
    assert apigateway.http_response({"statusCode": 418, "body": "teapot"}).status == 418
    failed = apigateway.http_response(None, "Unhandled")
    assert (failed.status, failed.body) == (500, '{"message": "Internal Server Error"}')


def test_api_gateway_calls_end_to_end(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(
        lab, role_arn, "def handler(event, context):\n    return {'path': event.get('rawPath') or event.get('path')}\n"
    )
    assert apigateway.call_http(lab, name, "GET", "/x").body == '{"path": "/x"}'
    assert apigateway.call_rest(lab, name, "GET", "/x").status == 502  # no statusCode: REST APIs refuse it
