"""Client mistakes get the 4xx AWS gives, in the client's own protocol, and the lab lives on.

- a body shorter than its ``Content-Length`` (a client that went away) is refused
  and never run: 400 ``IncompleteBody`` (S3's name and words for it);
- a ``Content-Length`` that is not a whole number: 400;
- a payload larger than the operation takes is refused before it is read (413);
- JSON nested deeper than Python's parser goes: parsed without recursion up to
  the 1,000 levels AWS's parser takes, refused beyond;
- NUL bytes in a handler or an environment value: refused at create;
- an operation the service does not have: the service's own refusal, per protocol.

https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from raw_http import send
from support import create_python, unique

import lambdalab

COUNTER = "calls = []\ndef handler(event, context):\n    calls.append(event)\n    return len(calls)\n"
INCOMPLETE = "You did not provide the number of bytes specified by the Content-Length HTTP header."


@pytest.fixture(scope="module")
def counter(lab: lambdalab.Lab, role_arn: str) -> str:
    return create_python(lab, role_arn, source=COUNTER)


def _calls(lab: lambdalab.Lab, name: str) -> int:
    """How many events the counter has seen before this call."""
    return int(json.load(lab.client("lambda").invoke(FunctionName=name)["Payload"])) - 1


def _invoke_path(name: str) -> str:
    return f"/2015-03-31/functions/{name}/invocations"


def test_a_body_shorter_than_its_content_length_is_refused_and_never_runs(lab: lambdalab.Lab, counter: str) -> None:
    # GIVEN a client that announces 60 bytes and sends 32 before it disconnects
    before = _calls(lab, counter)
    body = b'{"n": "' + b"x" * 50 + b'"}'
    status, headers, answer = send(
        lab, "lambda", "POST", _invoke_path(counter), body, content_length="60", sent=body[:32]
    )
    # THEN the request is refused and the 32-byte prefix never reaches the function
    assert status == 400 and headers["x-amzn-errortype"] == "IncompleteBody"
    assert json.loads(answer)["message"] == INCOMPLETE
    assert _calls(lab, counter) == before + 1  # only the counting call itself


def test_a_truncated_sqs_message_is_not_sent(lab: lambdalab.Lab) -> None:
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName=unique("truncated"))["QueueUrl"]
    body = json.dumps({"QueueUrl": url, "MessageBody": "half of me"}).encode()
    headers = {"X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": "application/x-amz-json-1.0"}
    status, _, answer = send(lab, "sqs", "POST", "/", body, headers, content_length=str(len(body) + 30))
    assert status == 400
    assert json.loads(answer) == {"__type": "com.amazon.coral.service#IncompleteBody", "message": INCOMPLETE}
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None


@pytest.mark.parametrize("length", ["abc", "-5", "1e3"])
def test_a_content_length_that_is_not_a_whole_number_gets_400(lab: lambdalab.Lab, counter: str, length: str) -> None:
    status, headers, _ = send(lab, "lambda", "POST", _invoke_path(counter), b"{}", content_length=length)
    assert status == 400 and headers["x-amzn-errortype"] == "BadRequest"
    assert lab.client("lambda").list_functions()["Functions"]  # and the lab lives on


def test_an_invoke_payload_over_the_limit_is_refused_before_it_is_read(lab: lambdalab.Lab, counter: str) -> None:
    # a client announcing 500 MiB is answered at once: nothing waits for, or holds, the 500 MiB
    status, headers, answer = send(
        lab, "lambda", "POST", _invoke_path(counter), b"{}", content_length=str(500 * 1024 * 1024)
    )
    assert (status, headers["x-amzn-errortype"]) == (413, "RequestEntityTooLargeException")
    assert (
        json.loads(answer)["message"] == "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    )
    event = {"X-Amz-Invocation-Type": "Event"}
    status, _, answer = send(lab, "lambda", "POST", _invoke_path(counter), b"{}", event, content_length="2000000")
    assert status == 413
    assert json.loads(answer)["message"] == (
        "2000000 byte payload is too large for the Event invocation type (limit 1048576 bytes)"
    )


def test_json_nested_a_thousand_levels_is_parsed_without_recursion(lab: lambdalab.Lab, counter: str) -> None:
    lam = lab.client("lambda")
    deep, deeper = b"[" * 1000 + b"]" * 1000, b"[" * 1001 + b"]" * 1001
    # 1,000 levels is a JSON document AWS's parser takes: the invocation happens (the function's own
    # Python runtime then cannot parse it, and says so as a function error, not a 500)
    answer = lam.invoke(FunctionName=counter, Payload=deep)
    assert answer["StatusCode"] == 200 and answer["FunctionError"] == "Unhandled"
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName=counter, Payload=deeper)
    assert err.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert "Document nesting depth (1001) exceeds the maximum allowed (1000" in err.value.response["Error"]["Message"]
    # an API body: a 400, whoever parses it (the lab's handler or moto)
    for service, path, headers in (
        ("lambda", "/2015-03-31/functions", {"Content-Type": "application/json"}),
        ("sqs", "/", {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"}),
    ):
        status, answer_headers, body = send(lab, service, "POST", path, b'{"x": ' + deep + b"}", headers)
        code = answer_headers.get("x-amzn-errortype") or json.loads(body)["__type"].split("#")[-1]
        assert (status, code) == (400, "SerializationException")
    assert lam.list_functions()["Functions"]


def test_nul_bytes_in_a_handler_or_an_environment_value_are_refused_at_create(
    lab: lambdalab.Lab, role_arn: str, counter: str
) -> None:
    lam = lab.client("lambda")
    code = {"ZipFile": lambdalab.zip_files({"app.py": "def handler(e, c):\n    return 1\n"})}
    with pytest.raises(ClientError) as err:
        lam.create_function(FunctionName=unique(), Runtime="python3.12", Role=role_arn, Handler="app.han\x00dler",
                            Code=code)  # fmt: skip
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert (
        "at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+"
        in (err.value.response["Error"]["Message"])
    )
    for call in (
        lambda: lam.create_function(FunctionName=unique(), Runtime="python3.12", Role=role_arn, Handler="app.handler",
                                    Code=code, Environment={"Variables": {"GREETING": "hel\x00lo"}}),
        lambda: lam.update_function_configuration(FunctionName=counter, Environment={"Variables": {"A_B": "\x00"}}),
    ):  # fmt: skip
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Message"] == (
            "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: "
            "Map value must satisfy constraint: [Member must satisfy regular expression pattern: [^\\u0000]*]"
        )
    assert json.load(lam.invoke(FunctionName=counter)["Payload"]) >= 1


def test_unknown_operations_get_each_services_own_refusal(lab: lambdalab.Lab) -> None:
    json_10 = "application/x-amz-json-1.0"
    form = "application/x-www-form-urlencoded"
    # REST (Lambda): a path no operation has
    status, _, body = send(lab, "lambda", "GET", "/2015-03-31/nothing-here")
    assert (status, body) == (404, b"<UnknownOperationException/>\n")
    # JSON protocol: a target the service lacks
    for service, target in (("sqs", "AmazonSQS.Frobnicate"), ("dynamodb", "DynamoDB_20120810.Frobnicate")):
        status, _, body = send(lab, service, "POST", "/", b"{}", {"X-Amz-Target": target, "Content-Type": json_10})
        assert (status, json.loads(body)) == (400, {"__type": "com.amazon.coral.service#UnknownOperationException"})
    # query protocol: SQS's older one, and SNS
    for service, version in (("sqs", "2012-11-05"), ("sns", "2010-03-31")):
        body_in = f"Action=Frobnicate&Version={version}".encode()
        status, headers, body = send(lab, service, "POST", "/", body_in, {"Content-Type": form})
        assert status == 400 and headers["content-type"] == "text/xml"
        assert (
            b"<Code>InvalidAction</Code><Message>The action Frobnicate is not valid for this endpoint.</Message>"
            in body
        )
    # and what the services do have still works
    assert lab.client("sqs").list_queues() is not None and lab.client("sns").list_topics() is not None


def test_services_that_sign_with_another_services_name_keep_their_operations(lab: lambdalab.Lab) -> None:
    """DynamoDB Streams signs as ``dynamodb`` and API Gateway v2 as ``apigateway`` (botocore's
    ``signingName``): their operations are theirs, not unknown DynamoDB or API Gateway ones."""
    streams = lab.client("dynamodbstreams")
    assert streams.list_streams()["Streams"] == []
    with pytest.raises(ClientError) as err:  # a real DynamoDB Streams operation, answered by moto
        streams.describe_stream(StreamArn=lab.arn("dynamodb", "table/none/stream/2025-01-06T09:00:00"))
    assert err.value.response["Error"]["Code"] != "UnknownOperationException"
    assert lab.client("apigatewayv2").get_apis()["Items"] == []
    # OpenSearch signs as es, SES v2 as ses (a query service): both reach moto, which serves them
    assert lab.client("opensearch").list_domain_names()["DomainNames"] == []
    assert lab.client("sesv2").list_email_identities()["EmailIdentities"] == []
    # a target neither service has is still refused
    status, _, body = send(
        lab, "dynamodb", "POST", "/", b"{}",
        {"X-Amz-Target": "DynamoDBStreams_20120810.Frobnicate", "Content-Type": "application/x-amz-json-1.0"},
    )  # fmt: skip
    assert (status, json.loads(body)) == (400, {"__type": "com.amazon.coral.service#UnknownOperationException"})
