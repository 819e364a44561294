"""Function URLs: the config API, the listener, the 2.0 event, the response mapping, auth and CORS."""

from __future__ import annotations

import base64
import http.client
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import botocore.auth
import botocore.awsrequest
import pytest
import requests
from botocore.exceptions import ClientError
from support import create_python

import lambdalab
from lambdalab.aws import url_listener
from lambdalab.aws.url_auth import missing_permission
from lambdalab.aws.url_events import HttpCall, answer_of, event_v2, preflight, with_cors
from lambdalab.course import open_url_to_everyone

ACCOUNT = "123456789012"
OTHER = "111122223333"
#: answers with what it was given, or what the request's path asks it to return
ECHO = """
import base64, json
def handler(event, context):
    path = event['rawPath']
    if path == '/string':
        return 'Hello, world!'
    if path == '/object':
        return {'message': 'hi'}
    if path == '/binary':
        return {'statusCode': 200, 'headers': {'Content-Type': 'image/png'},
                'body': base64.b64encode(bytes(range(8))).decode(), 'isBase64Encoded': True}
    if path == '/fail':
        raise ValueError('no')
    if path == '/html':
        return {'statusCode': 200, 'headers': {'Content-Type': 'text/html'}, 'body': '<h1 id="greeting">Hello from Lambda</h1>'}
    return {'statusCode': 201, 'headers': {'Content-Type': 'application/json', 'X-Custom': 'yes',
            'Access-Control-Allow-Origin': 'http://evil'}, 'cookies': ['a=1; Max-Age=60', 'b=2'], 'body': json.dumps(event)}
"""


def code(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    e = err.value.response["Error"]
    return str(e["Code"]), str(e["Message"])


@pytest.fixture(scope="module")
def public(lab: lambdalab.Lab, role_arn: str) -> str:
    """The FunctionUrl of an ECHO function with a NONE URL, open to everyone."""
    name = create_python(lab, role_arn, ECHO, FunctionName="public-echo")
    cors = {
        "AllowOrigins": ["https://example.com"],
        "AllowMethods": ["GET", "POST"],
        "AllowHeaders": ["x-api-key"],
        "MaxAge": 300,
    }
    url = lab.client("lambda").create_function_url_config(FunctionName=name, AuthType="NONE", Cors=cors)["FunctionUrl"]
    open_url_to_everyone(lab, name)
    return str(url)


# -- the API ---------------------------------------------------------------------------
def test_create_get_update_list_delete(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn)
    lam = lab.client("lambda")
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    created = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
    assert created["InvokeMode"] == "BUFFERED" and created["AuthType"] == "AWS_IAM"
    assert created["FunctionUrl"].startswith(lab.url_listener.url() + "/") and created["FunctionUrl"].endswith("/")
    live = lam.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="NONE")
    assert live["FunctionArn"].endswith(":live") and live["FunctionUrl"] != created["FunctionUrl"]
    with pytest.raises(ClientError) as err:
        lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    assert code(err) == (
        "ResourceConflictException",
        f"Failed to create function url config for [functionArn = arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}]. "
        "Error message:  FunctionUrlConfig exists for this Lambda function",
    )
    with pytest.raises(ClientError) as err:
        lam.create_function_url_config(FunctionName=name, Qualifier="1", AuthType="NONE")
    assert code(err)[0] == "ValidationException"
    with pytest.raises(ClientError) as err:
        lam.create_function_url_config(FunctionName=name, Qualifier="nope", AuthType="NONE")
    assert code(err)[0] == "ResourceNotFoundException"
    updated = lam.update_function_url_config(FunctionName=name, InvokeMode="RESPONSE_STREAM", Cors={"MaxAge": 10})
    assert updated["InvokeMode"] == "RESPONSE_STREAM" and updated["AuthType"] == "AWS_IAM"
    assert updated["FunctionUrl"] == created["FunctionUrl"]  # a URL never changes
    listed = lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert [c["FunctionArn"].rsplit(":", 1)[-1] for c in listed] == [name, "live"]
    lam.delete_function_url_config(FunctionName=name, Qualifier="live")
    with pytest.raises(ClientError) as err:
        lam.get_function_url_config(FunctionName=name, Qualifier="live")
    assert code(err) == ("ResourceNotFoundException", "The resource you requested does not exist.")
    lam.delete_function(FunctionName=name)
    assert requests.get(created["FunctionUrl"], timeout=30).status_code == 403


def test_deleting_an_alias_deletes_its_url_and_its_provisioned_concurrency(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn)
    lam = lab.client("lambda")
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    own = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]
    live = lam.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="NONE")["FunctionUrl"]
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1)
    lam.delete_alias(FunctionName=name, Name="live")
    assert [c["FunctionUrl"] for c in lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]] == [own]
    assert lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"] == []
    assert requests.get(live, timeout=30).status_code == 403
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")  # a new alias of that name starts bare
    with pytest.raises(ClientError) as err:
        lam.get_function_url_config(FunctionName=name, Qualifier="live")
    assert code(err) == ("ResourceNotFoundException", "The resource you requested does not exist.")
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    statuses = [r.detail["status"] for r in lab.trace.where("provisioned-concurrency", name)]
    assert statuses == ["IN_PROGRESS", "DELETED"]
    lam.delete_function(FunctionName=name)


def test_the_api_checks_its_values(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn)
    lam = lab.client("lambda")
    for kwargs in (
        {"AuthType": "PUBLIC"},
        {"AuthType": "NONE", "InvokeMode": "STREAM"},
        {"AuthType": "NONE", "Cors": {"MaxAge": 86401}},
    ):
        with pytest.raises(ClientError) as err:
            lam.create_function_url_config(FunctionName=name, **kwargs)
        assert code(err)[0] in ("ValidationException", "InvalidParameterValueException"), kwargs


# -- requests through the URL -----------------------------------------------------------
def test_no_policy_no_entry_then_both_permissions(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, ECHO)
    lam = lab.client("lambda")
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    refused = requests.get(url, timeout=30)
    assert refused.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert refused.json() == {
        "Message": "Forbidden. For troubleshooting Function URL authorization issues, see: "
        "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
    }
    lam.add_permission(
        FunctionName=name,
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    assert requests.get(url, timeout=30).status_code == 403  # since October 2025: InvokeFunction too
    lam.add_permission(
        FunctionName=name,
        StatementId="invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
    )
    assert requests.get(url, timeout=30).status_code == 201
    denied = [r for r in lab.trace if r.kind == "invoke-denied" and r.function == name]
    assert len(denied) == 2 and "lambda:InvokeFunction " in denied[1].detail["reason"]
    # the InvokeFunction statement opens the URL, not the Invoke API, to other accounts
    with pytest.raises(ClientError) as err:
        lab.client("lambda", account=OTHER).invoke(FunctionName=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}")
    assert code(err)[0] == "AccessDeniedException"


def test_the_event_is_payload_format_2(public: str) -> None:
    resp = requests.post(
        public + "orders/7?size=2&tag=a&tag=b",
        data=b'{"item": "tea"}',
        headers={"Content-Type": "application/json", "Cookie": "session=abc; theme=dark", "X-Trace": "1"},
        timeout=30,
    )
    assert resp.status_code == 201
    event = resp.json()
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/orders/7" and event["rawQueryString"] == "size=2&tag=a&tag=b"
    assert event["queryStringParameters"] == {"size": "2", "tag": "a,b"}
    assert event["cookies"] == ["session=abc", "theme=dark"] and "cookie" not in event["headers"]
    assert event["headers"]["x-trace"] == "1" and event["headers"]["content-type"] == "application/json"
    assert event["body"] == '{"item": "tea"}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    url_id = urlsplit(public).path.strip("/")
    assert context["apiId"] == url_id and context["domainName"] == f"{url_id}.lambda-url.us-east-1.on.aws"
    assert context["http"]["method"] == "POST" and context["http"]["path"] == "/orders/7"
    assert context["authorizer"] is None and context["accountId"] == "anonymous"
    assert resp.headers["x-amzn-RequestId"] == context["requestId"]


def test_a_binary_body_arrives_base64(public: str) -> None:
    data = bytes(range(256))
    event = requests.post(public, data=data, headers={"Content-Type": "application/octet-stream"}, timeout=30).json()
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == data


def test_response_mapping(public: str) -> None:
    custom = requests.get(public, timeout=30)
    assert custom.status_code == 201 and custom.headers["X-Custom"] == "yes"
    assert custom.raw.headers.getlist("Set-Cookie") == ["a=1; Max-Age=60", "b=2"]
    string = requests.get(public + "string", timeout=30)
    assert string.status_code == 200 and string.headers["Content-Type"] == "application/json"
    assert string.content == b'"Hello, world!"'  # the plain-string shortcut keeps the JSON quotes
    assert requests.get(public + "object", timeout=30).json() == {"message": "hi"}
    binary = requests.get(public + "binary", timeout=30)
    assert binary.content == bytes(range(8)) and binary.headers["Content-Type"] == "image/png"
    failed = requests.get(public + "fail", timeout=30)
    assert failed.status_code == 502 and failed.json() == {"Message": "Internal Server Error"}


def test_cors_preflight_and_headers(public: str) -> None:
    pre = requests.options(
        public + "orders",
        headers={"Origin": "https://example.com", "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] == "https://example.com"
    assert pre.headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert pre.headers["Access-Control-Allow-Headers"] == "x-api-key" and pre.headers["Access-Control-Max-Age"] == "300"
    other = requests.options(
        public, headers={"Origin": "https://elsewhere.com", "Access-Control-Request-Method": "POST"}, timeout=30
    )
    assert "Access-Control-Allow-Origin" not in other.headers
    got = requests.get(public, headers={"Origin": "https://example.com"}, timeout=30)
    assert got.headers["Access-Control-Allow-Origin"] == "https://example.com"  # the URL's, not the function's


def test_host_routing(public: str) -> None:
    parts = urlsplit(public)
    url_id = parts.path.strip("/")
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    conn.request("GET", "/string", headers={"Host": f"{url_id}.lambda-url.us-east-1.localhost:{parts.port}"})
    assert conn.getresponse().read() == b'"Hello, world!"'
    conn.close()


def test_aws_iam_needs_a_signature(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, ECHO)
    url = lab.client("lambda").create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]
    assert requests.get(url, timeout=30).status_code == 403
    creds = lab.credentials
    signed = botocore.awsrequest.AWSRequest(method="GET", url=url + "string")
    botocore.auth.SigV4Auth(
        botocore.credentials.Credentials(creds.access_key, creds.secret_key, creds.token), "lambda", "us-east-1"
    ).add_auth(signed)
    resp = requests.get(url + "string", headers=dict(signed.headers), timeout=30)
    assert resp.status_code == 200 and resp.content == b'"Hello, world!"'
    event_req = botocore.awsrequest.AWSRequest(method="GET", url=url)
    botocore.auth.SigV4Auth(
        botocore.credentials.Credentials(creds.access_key, creds.secret_key, creds.token), "lambda", "us-east-1"
    ).add_auth(event_req)
    event = requests.get(url, headers=dict(event_req.headers), timeout=30).json()
    assert event["requestContext"]["authorizer"]["iam"]["accountId"] == ACCOUNT
    assert event["requestContext"]["accountId"] == ACCOUNT


def test_another_user_is_refused(lab: lambdalab.Lab, public: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(url_listener, "socket_uid", lambda client, server: 4242)
    assert requests.get(public + "string", timeout=30).status_code == 403


def test_browser_url_through_jupyter_server_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "http://127.0.0.1:41234/abcdefghijabcdefghijabcdefghijab/"
    assert url_listener.browser_url(url, {}) == url
    try:
        import jupyter_server_proxy  # noqa: F401
    except ImportError:
        assert url_listener.browser_url(url, {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}) == url
    else:
        assert url_listener.browser_url(url, {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}) == (
            "/user/ada/proxy/41234/abcdefghijabcdefghijabcdefghijab/"
        )


# -- the pure parts -----------------------------------------------------------------------
def test_event_without_body_or_query() -> None:
    call = HttpCall("GET", "/", "", [("Host", "x"), ("Accept", "a"), ("Accept", "b")], b"")
    event = event_v2(
        call, account_id="anonymous", api_id="id", domain_name="id.lambda-url.us-east-1.on.aws",
        request_id="r", now=datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC),
    )  # fmt: skip
    assert "body" not in event and "queryStringParameters" not in event and "cookies" not in event
    assert event["headers"]["accept"] == "a,b" and event["isBase64Encoded"] is False
    assert event["requestContext"]["time"] == "06/Jan/2025:09:00:00 +0000"
    assert event["requestContext"]["timeEpoch"] == 1736154000000


def test_malformed_answers_are_502() -> None:
    assert answer_of(b'{"statusCode": "two hundred"}').status == 502
    assert answer_of(b'{"statusCode": 200, "body": "!!", "isBase64Encoded": true}').status == 502
    assert answer_of(b'{"statusCode": 204}').body == b""


def test_cors_replaces_the_functions_headers() -> None:
    call = HttpCall("GET", "/", "", [("Origin", "https://a.com")], b"")
    answer = answer_of(b'{"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*"}}')
    out = with_cors(answer, call, {"AllowOrigins": ["https://a.com"], "ExposeHeaders": ["x-id"]})
    assert [v for k, v in out.headers if k == "Access-Control-Allow-Origin"] == ["https://a.com"]
    assert ("Access-Control-Expose-Headers", "x-id") in out.headers
    no = preflight(
        HttpCall("OPTIONS", "/", "", [("Origin", "https://a.com"), ("Access-Control-Request-Method", "DELETE")], b""),
        {"AllowOrigins": ["*"], "AllowMethods": ["GET"]},
    )
    assert no.headers == []


def _st(action: str, principal: Any = "*", condition: dict[str, Any] | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        st["Condition"] = condition
    return st


def test_url_permissions() -> None:
    url_none = _st("lambda:InvokeFunctionUrl", condition={"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}})
    invoke_via = _st("lambda:InvokeFunction", condition={"Bool": {"lambda:InvokedViaFunctionUrl": "true"}})
    check = {"own_account": ACCOUNT}
    assert missing_permission([], "NONE", caller_account=None, **check) == "lambda:InvokeFunctionUrl"
    assert missing_permission([url_none], "NONE", caller_account=None, **check) == "lambda:InvokeFunction"
    assert missing_permission([url_none, invoke_via], "NONE", caller_account=None, **check) is None
    # a statement for AWS_IAM URLs does not open a NONE one
    url_iam = _st("lambda:InvokeFunctionUrl", condition={"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}})
    assert missing_permission([url_iam, invoke_via], "NONE", caller_account=None, **check) == "lambda:InvokeFunctionUrl"
    # AWS_IAM: the own account by its identity policy, another account by the resource policy
    assert missing_permission([], "AWS_IAM", caller_account=ACCOUNT, **check) is None
    assert missing_permission([], "AWS_IAM", caller_account=OTHER, **check) == "lambda:InvokeFunctionUrl"
    partner = {"AWS": f"arn:aws:iam::{OTHER}:root"}
    both = [_st("lambda:InvokeFunctionUrl", partner), _st("lambda:InvokeFunction", partner)]
    assert missing_permission(both, "AWS_IAM", caller_account=OTHER, **check) is None
    assert json.dumps(both)  # plain documents
