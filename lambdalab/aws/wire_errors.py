"""An error on the wire, written the way the client's protocol expects it.

AWS services speak one of four protocols, and each writes errors its own way
(botocore parses each accordingly):

- ``rest-json`` (Lambda): the code in the ``x-amzn-ErrorType`` header, ``{"message"}`` body;
- ``json`` (SQS, DynamoDB, Kinesis, Logs, EventBridge): ``{"__type", "message"}``;
  SQS, "query-compatible", adds the query code in ``x-amzn-query-error``;
- ``query`` (IAM, SNS, STS, SQS's older protocol): ``<ErrorResponse><Error>...``;
- ``rest-xml`` (S3): ``<Error><Code>...``.

:func:`protocol_of` tells which one a request speaks, :func:`document` writes the error.

https://smithy.io/2.0/aws/protocols/index.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-faqs.html
"""

from __future__ import annotations

import json
import re
from functools import cache
from xml.sax.saxutils import escape

from .sigv4 import HttpRequest

REQUEST_ID = "00000000-0000-0000-0000-000000000000"
_SIGNING_NAMES = {"monitoring": "cloudwatch", "email": "ses", "execute-api": "apigateway", "states": "stepfunctions"}


def protocol_of(req: HttpRequest, service: str | None) -> tuple[str, bool]:
    """The wire protocol the client expects an error in, and whether it is SQS-style query-compatible JSON."""
    target = req.headers.get("x-amz-target", "")
    model = model_metadata(service)
    if target:
        return "json", bool(model.get("awsQueryCompatible") is not None or target.startswith("AmazonSQS."))
    if service == "s3":
        return "rest-xml", False
    if model.get("protocol") in ("query", "ec2", "rest-xml") or _has_action(req):
        return "query", False
    if model.get("protocol") == "rest-json" or re.match(r"^/\d{4}-\d{2}-\d{2}/", req.raw_path):
        return "rest-json", False
    return ("json", False) if service else ("rest-xml", False)


def _has_action(req: HttpRequest) -> bool:
    if req.param("Action"):
        return True
    return (
        req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded") and b"Action=" in req.body
    )


def model_name(service: str) -> str:
    """botocore's name for the service a SigV4 scope names (they differ for a few)."""
    return _SIGNING_NAMES.get(service, service)


def model_metadata(service: str | None) -> dict[str, object]:
    """The metadata of botocore's model for a signing name (``{}`` for a service it does not know)."""
    return dict(_metadata(service)) if service else {}


@cache
def _metadata(service: str) -> dict[str, object]:
    from .sdk import service_model

    try:
        return dict(service_model(model_name(service)).metadata)
    except Exception:  # noqa: BLE001 - botocore's UnknownServiceError and the like: no model, no metadata
        return {}


def document(
    protocol: str,
    status: int,
    code: str,
    message: str | None,
    *,
    service: str | None,
    query_error: str | None = None,
    s3_extra: str = "",
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of an error in ``protocol`` (``message`` None: a body without one)."""
    if protocol == "rest-xml":
        text = f"<Message>{escape(message)}</Message>" if message is not None else ""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code>{text}{s3_extra}<RequestId>{REQUEST_ID}</RequestId></Error>"
        )
        return status, {"Content-Type": "application/xml", "x-amz-request-id": REQUEST_ID}, body.encode()
    headers = {"x-amzn-RequestId": REQUEST_ID}
    if protocol == "query":
        namespace = str(model_metadata(service).get("xmlNamespace") or "")
        xmlns = f' xmlns="{escape(namespace)}"' if namespace else ""
        text = f"<Message>{escape(message)}</Message>" if message is not None else ""
        body = (
            f"<ErrorResponse{xmlns}><Error><Type>Sender</Type><Code>{code}</Code>{text}</Error>"
            f"<RequestId>{REQUEST_ID}</RequestId></ErrorResponse>"
        )
        return status, {**headers, "Content-Type": "text/xml"}, body.encode()
    doc: dict[str, str] = {} if message is None else {"message": message}
    if protocol == "rest-json":
        headers["x-amzn-ErrorType"] = code
        return status, {**headers, "Content-Type": "application/json"}, json.dumps(doc).encode()
    if query_error:
        headers["x-amzn-query-error"] = query_error
    doc = {"__type": f"com.amazon.coral.service#{code}", **doc}
    return status, {**headers, "Content-Type": "application/x-amz-json-1.0"}, json.dumps(doc).encode()
