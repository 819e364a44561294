"""Only requests signed with the lab's own credentials reach it; the rest get AWS's errors."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import ClientError
from support import create_python, read_exports

import lambdalab
from lambdalab.credentials import Credentials

OLD_FIXED = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "aws_session_token": "testing"}
TOKEN_INVALID = "The security token included in the request is invalid."
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

# service, a harmless call, and what AWS answers: (status, code) for an unknown key, a wrong secret, no signature
PROTOCOLS: list[tuple[str, Callable[[Any], object], tuple[int, str], tuple[int, str], tuple[int, str]]] = [
    # rest-json
    ("lambda", lambda c: c.list_functions(), (403, "UnrecognizedClientException"),
     (403, "InvalidSignatureException"), (403, "MissingAuthenticationTokenException")),
    # JSON 1.0, query-compatible: the query code comes in x-amzn-query-error
    ("sqs", lambda c: c.list_queues(), (403, "InvalidClientTokenId"), (403, "SignatureDoesNotMatch"),
     (403, "MissingAuthenticationToken")),
    # query
    ("iam", lambda c: c.list_roles(), (403, "InvalidClientTokenId"), (403, "SignatureDoesNotMatch"),
     (403, "MissingAuthenticationToken")),
    ("sns", lambda c: c.list_topics(), (403, "InvalidClientTokenId"), (403, "SignatureDoesNotMatch"),
     (403, "MissingAuthenticationToken")),
    # JSON
    ("dynamodb", lambda c: c.list_tables(), (400, "UnrecognizedClientException"), (400, "InvalidSignatureException"),
     (400, "MissingAuthenticationTokenException")),
    ("kinesis", lambda c: c.list_streams(), (400, "UnrecognizedClientException"), (400, "InvalidSignatureException"),
     (400, "MissingAuthenticationTokenException")),
    # rest-xml
    ("s3", lambda c: c.list_buckets(), (403, "InvalidAccessKeyId"), (403, "SignatureDoesNotMatch"),
     (403, "AccessDenied")),
]  # fmt: skip


def _error(call: Callable[[], object]) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as exc:
        call()
    err = exc.value.response
    return err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"], err["Error"].get("Message", "")


@pytest.mark.parametrize(
    ("service", "call", "unknown", "wrong_secret", "unsigned"), PROTOCOLS, ids=[p[0] for p in PROTOCOLS]
)
def test_each_protocol_refuses_strangers_the_way_aws_does(
    lab: lambdalab.Lab,
    service: str,
    call: Callable[[Any], object],
    unknown: tuple[int, str],
    wrong_secret: tuple[int, str],
    unsigned: tuple[int, str],
) -> None:
    # GIVEN the lab's own client works
    call(lab.client(service))
    # WHEN the old fixed credentials, a random key or a wrong secret sign the same call
    fixed = _error(lambda: call(lab.client(service, **OLD_FIXED)))
    stranger = _error(lambda: call(lab.client(service, **Credentials.random().client_options())))
    bad_secret = {**lab.credentials.client_options(), "aws_secret_access_key": "x" * 40}
    forged = _error(lambda: call(lab.client(service, **bad_secret)))
    anonymous = _error(lambda: call(lab.client(service, config=Config(signature_version=UNSIGNED))))
    # THEN each is refused with the code and status AWS sends in that protocol
    assert fixed[:2] == stranger[:2] == unknown
    assert forged[:2] == wrong_secret
    assert anonymous[:2] == unsigned
    if service != "s3":
        assert fixed[2] == TOKEN_INVALID and forged[2] == SIGNATURE_MISMATCH


@pytest.fixture(scope="module")
def other_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Another learner's lab on the same machine: ``lambdalab server`` in its own process; its exports."""
    folder = tmp_path_factory.mktemp("other-lab")
    proc = subprocess.Popen([sys.executable, "-m", "lambdalab.cli", "server"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=folder)  # fmt: skip
    try:
        exports, _ = read_exports(proc, time.monotonic() + 60)
        yield exports
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_another_labs_credentials_are_refused(lab: lambdalab.Lab, other_lab: dict[str, str]) -> None:
    # GIVEN two labs on one machine, each with its own keys
    theirs = Credentials(other_lab["AWS_ACCESS_KEY_ID"], other_lab["AWS_SECRET_ACCESS_KEY"])
    assert theirs.access_key != lab.credentials.access_key
    # WHEN a client holding the other lab's keys calls this one (and the other way round)
    here = _error(lambda: lab.client("lambda", **theirs.client_options()).list_functions())
    there = _error(lambda: lab.client("lambda", endpoint_url=other_lab["AWS_ENDPOINT_URL"]).list_functions())
    # THEN neither lab knows the other's key
    assert here == there == (403, "UnrecognizedClientException", TOKEN_INVALID)
    # while each lab's own keys work on it
    lab.client("lambda").list_functions()
    lab.client("lambda", endpoint_url=other_lab["AWS_ENDPOINT_URL"], **theirs.client_options()).list_functions()


def test_a_session_token_that_is_not_the_keys_is_refused(lab: lambdalab.Lab) -> None:
    creds = lab.function_credentials
    lab.client("sqs", **creds.client_options()).list_queues()  # the functions' own key, with its token
    for token in ("not-the-token", None):
        options = {**creds.client_options(), "aws_session_token": token}
        client = lab.client("sqs", **options)
        assert _error(client.list_queues)[:2] == (403, "InvalidClientTokenId")


def _signed_invoke(lab: lambdalab.Lab, name: str, body: bytes) -> AWSRequest:
    url = f"{lab.endpoint_url}/2015-03-31/functions/{name}/invocations"
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    keys = lab.credentials
    SigV4Auth(BotoCredentials(keys.access_key, keys.secret_key), "lambda", lab.region).add_auth(request)
    return request


def _send(lab: lambdalab.Lab, request: AWSRequest, body: bytes) -> tuple[int, dict[str, str], bytes]:
    host = lab.endpoint_url.removeprefix("http://")
    conn = http.client.HTTPConnection(host, timeout=30)
    headers = {k: v for k, v in request.headers.items()}
    headers["Content-Length"] = str(len(body))
    conn.request("POST", request.url.removeprefix(lab.endpoint_url), body=body, headers=headers)
    response = conn.getresponse()
    out = response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    conn.close()
    return out


def test_a_body_changed_after_signing_is_refused(lab: lambdalab.Lab, role_arn: str) -> None:
    # GIVEN an Invoke request signed for one payload, to a function that counts its calls
    counter = "calls = []\ndef handler(event, context):\n    calls.append(event)\n    return calls\n"
    name = create_python(lab, role_arn, source=counter)
    signed = _signed_invoke(lab, name, b'{"amount": 1}')
    # WHEN it arrives as signed THEN it runs
    status, _, body = _send(lab, signed, b'{"amount": 1}')
    assert status == 200 and json.loads(body) == [{"amount": 1}]
    # WHEN someone on the way changes the payload (same length, same headers)
    status, headers, body = _send(lab, signed, b'{"amount": 9}')
    # THEN the signature no longer holds and nothing runs
    assert status == 403 and headers["x-amzn-errortype"] == "InvalidSignatureException"
    assert json.loads(body)["message"] == SIGNATURE_MISMATCH
    again = lab.client("lambda").invoke(FunctionName=name, Payload=b'{"amount": 2}')
    assert json.loads(again["Payload"].read()) == [{"amount": 1}, {"amount": 2}]


def test_a_plain_http_request_without_signature_is_refused(lab: lambdalab.Lab) -> None:
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{lab.endpoint_url}/2015-03-31/functions/", timeout=30)
    assert exc.value.code == 403
    assert exc.value.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_functions_call_the_lab_with_the_credentials_in_their_environment(lab: lambdalab.Lab, role_arn: str) -> None:
    source = (
        "import os, boto3\n"
        "def handler(event, context):\n"
        "    boto3.client('sqs').create_queue(QueueName='made-by-a-function')\n"
        "    return {k: os.environ.get(k, '') for k in ('AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN')}\n"
    )
    name = create_python(lab, role_arn, source=source)
    response = lab.client("lambda").invoke(FunctionName=name)
    assert "FunctionError" not in response
    env = json.loads(response["Payload"].read())
    keys = lab.function_credentials
    assert env == {"AWS_ACCESS_KEY_ID": keys.access_key, "AWS_SESSION_TOKEN": keys.token}
    assert keys.access_key.startswith("ASIA") and lab.credentials.access_key.startswith("AKIA")
    assert lab.client("sqs").get_queue_url(QueueName="made-by-a-function")


# -- Code.Location: a URL presigned for ten minutes, like S3's -----------------------------------
def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_the_code_url_is_presigned_and_expires_after_ten_minutes(lab: lambdalab.Lab, role_arn: str) -> None:
    # GIVEN a function's Code.Location
    name = create_python(lab, role_arn)
    other = create_python(lab, role_arn, source="def handler(e, c):\n    return 'other'\n")
    location = lab.client("lambda").get_function(FunctionName=name)["Code"]["Location"]
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=600" in location
    # THEN it downloads the package as stored
    status, body = _get(location)
    assert status == 200 and body[:2] == b"PK"
    # WHEN the signature is left off, forged, or used for another function's path THEN S3's errors answer
    bare = location.split("?", 1)[0]
    forged = location[:-8] + ("0" * 8 if not location.endswith("0" * 8) else "1" * 8)
    elsewhere = location.replace(f"/{name}/", f"/{other}/")
    for url, code in [(bare, b"<Code>AccessDenied</Code>"), (forged, b"<Code>SignatureDoesNotMatch</Code>"),
                      (elsewhere, b"<Code>SignatureDoesNotMatch</Code>")]:  # fmt: skip
        status, body = _get(url)
        assert status == 403 and code in body, (url, body)
    # WHEN ten minutes of lab time pass THEN it still works; one second more and it has expired
    lab.advance(600)
    assert _get(location)[0] == 200
    lab.advance(1)
    status, body = _get(location)
    assert status == 403 and b"<Message>Request has expired</Message>" in body


def test_s3_presigned_urls_from_boto3_work_and_cannot_be_altered(lab: lambdalab.Lab) -> None:
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="presigned")
    s3.put_object(Bucket="presigned", Key="a key/x+y.txt", Body=b"hello")
    v4 = lab.client("s3", config=Config(signature_version="s3v4"))
    for client in (s3, v4):  # boto3's default (S3's legacy V2 query signature) and SigV4
        url = client.generate_presigned_url("get_object", Params={"Bucket": "presigned", "Key": "a key/x+y.txt"})
        assert _get(url) == (200, b"hello")
        status, body = _get(url.replace("x%2By.txt", "x%2Bz.txt"))
        assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body


def test_another_account_calls_with_credentials_the_lab_keeps_for_it(lab: lambdalab.Lab) -> None:
    # GIVEN the old convention (a 12-digit key id names the account) with a made-up secret
    made_up = lab.client("sqs", aws_access_key_id="111122223333", aws_secret_access_key="x")
    assert _error(made_up.list_queues)[:2] == (403, "InvalidClientTokenId")
    # WHEN a client signs with the credentials the lab keeps for that account
    partner = lab.client("sqs", account="111122223333")
    url = partner.create_queue(QueueName="partners-own")["QueueUrl"]
    # THEN it acts as that account: what it creates is that account's, not the lab's
    assert "/111122223333/partners-own" in url
    assert "QueueUrls" not in lab.client("sqs").list_queues(QueueNamePrefix="partners-own")
    # AND no client picks its account by moto's header: its credentials say who it is
    own = lab.client("sqs", region_name=lab.region)

    def claim(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = "999999999999"

    own.meta.events.register("before-sign.sqs.CreateQueue", claim)
    assert "/123456789012/claims-another" in own.create_queue(QueueName="claims-another")["QueueUrl"]
