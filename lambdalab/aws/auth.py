"""Who may use the lab's endpoint: requests signed with the lab's own credentials.

The gateway checks the SigV4 signature of every request against the lab's random
credentials (:mod:`lambdalab.credentials`), so another lab, another user on the
machine or a process that never saw the secret is refused, with the error its SDK
expects from AWS in the service's own protocol:

- unknown access key (or a session token that is not the key's):
  ``UnrecognizedClientException`` (JSON services), ``InvalidClientTokenId`` (query
  services: IAM, SNS, STS; SQS's JSON through ``x-amzn-query-error``),
  ``InvalidAccessKeyId`` (S3), "The security token included in the request is invalid.";
- wrong signature (a wrong secret, a body changed on the way):
  ``InvalidSignatureException`` / ``SignatureDoesNotMatch``;
- no signature at all: ``MissingAuthenticationTokenException`` /
  ``MissingAuthenticationToken`` / S3's ``AccessDenied``.

The lab does not compare the request's time with its own: the lab's clock is
virtual (a notebook's boto3 follows it, a function's SDK in its own process does
not), so AWS's five-minute skew rule would refuse one or the other.  Presigned URLs
the lab issues itself (``Code.Location``) do expire, on the lab's clock.

https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html
https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Iterable
from xml.sax.saxutils import escape

from ..credentials import Credentials
from .sigv4 import (
    HttpRequest,
    Malformed,
    Signature,
    body_matches,
    expected_s3_v2_signature,
    expected_signature,
    read_s3_v2_signature,
    read_signature,
)

REQUEST_ID = "00000000-0000-0000-0000-000000000000"
TOKEN_INVALID = "The security token included in the request is invalid."
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


class AuthFailure(Exception):
    """Why a request is refused: ``kind`` is missing, unknown-key, signature, malformed, body-hash or expired."""

    def __init__(self, kind: str, detail: str = "", sig: Signature | None = None) -> None:
        super().__init__(kind, detail)
        self.kind = kind
        self.detail = detail
        self.access_key = sig.access_key if sig else None
        self.service = sig.service if sig else None


class Keyring:
    """The credentials a lab accepts, by access key."""

    def __init__(self, credentials: Iterable[Credentials]) -> None:
        self._keys = {c.access_key: c for c in credentials}

    def verify(self, req: HttpRequest) -> Signature:
        """The request's signature when it holds; raises :class:`AuthFailure` otherwise."""
        try:
            sig = read_signature(req) or read_s3_v2_signature(req)
        except Malformed as err:
            raise AuthFailure("malformed", str(err)) from None
        if sig is None:
            raise AuthFailure("missing")
        known = self._keys.get(sig.access_key)
        if known is None or not hmac.compare_digest(sig.token or "", known.token or ""):
            raise AuthFailure("unknown-key", sig=sig)
        expected = (expected_signature if sig.version == 4 else expected_s3_v2_signature)(req, sig, known.secret_key)
        if not hmac.compare_digest(sig.signature, expected):
            raise AuthFailure("signature", sig=sig)
        if not body_matches(req):
            raise AuthFailure("body-hash" if sig.service == "s3" else "signature", sig=sig)
        return sig


# -- the error each protocol answers ---------------------------------------------------
# (status, code) per failure kind; messages below
_JSON = {
    "missing": (400, "MissingAuthenticationTokenException"),
    "unknown-key": (400, "UnrecognizedClientException"),
    "signature": (400, "InvalidSignatureException"),
    "malformed": (400, "IncompleteSignatureException"),
}
_REST_JSON = {kind: (403 if kind != "malformed" else 400, code) for kind, (_, code) in _JSON.items()}
_QUERY = {
    "missing": (403, "MissingAuthenticationToken"),
    "unknown-key": (403, "InvalidClientTokenId"),
    "signature": (403, "SignatureDoesNotMatch"),
    "malformed": (400, "IncompleteSignature"),
}
_S3 = {
    "missing": (403, "AccessDenied"),
    "unknown-key": (403, "InvalidAccessKeyId"),
    "signature": (403, "SignatureDoesNotMatch"),
    "malformed": (400, "AuthorizationHeaderMalformed"),
    "body-hash": (400, "XAmzContentSHA256Mismatch"),
    "expired": (403, "AccessDenied"),
}
_MESSAGES = {
    "missing": "Missing Authentication Token",
    "unknown-key": TOKEN_INVALID,
    "signature": SIGNATURE_MISMATCH,
}
_S3_MESSAGES = {
    "missing": "Access Denied",
    "unknown-key": "The AWS Access Key Id you provided does not exist in our records.",
    "signature": "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method.",
    "body-hash": "The provided 'x-amz-content-sha256' header does not match what was computed.",
    "expired": "Request has expired",
}
_SIGNING_NAMES = {"monitoring": "cloudwatch", "email": "ses", "execute-api": "apigateway", "states": "stepfunctions"}


def protocol_of(req: HttpRequest, service: str | None) -> tuple[str, bool]:
    """The wire protocol the client expects an error in, and whether it is SQS-style query-compatible JSON."""
    target = req.headers.get("x-amz-target", "")
    model = _model_metadata(service)
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


def _model_metadata(service: str | None) -> dict[str, object]:
    if not service:
        return {}
    from .sdk import service_model

    try:
        return dict(service_model(_SIGNING_NAMES.get(service, service)).metadata)
    except Exception:  # noqa: BLE001 - botocore's UnknownServiceError and the like: no model, no metadata
        return {}


def error_for(failure: AuthFailure, req: HttpRequest) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the error AWS answers ``failure`` with."""
    service = failure.service
    protocol, query_compatible = protocol_of(req, service)
    if protocol == "rest-xml":
        return _s3_error(failure)
    kind = failure.kind if failure.kind in _JSON else "signature"
    message = failure.detail if failure.kind == "malformed" else _MESSAGES[kind]
    headers = {"x-amzn-RequestId": REQUEST_ID}
    if protocol == "query":
        status, code = _QUERY[kind]
        namespace = str(_model_metadata(service).get("xmlNamespace") or "")
        xmlns = f' xmlns="{escape(namespace)}"' if namespace else ""
        body = (
            f"<ErrorResponse{xmlns}><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{escape(message)}</Message></Error><RequestId>{REQUEST_ID}</RequestId></ErrorResponse>"
        )
        return status, {**headers, "Content-Type": "text/xml"}, body.encode()
    if protocol == "rest-json":
        status, code = _REST_JSON[kind]
        headers["x-amzn-ErrorType"] = code
        return status, {**headers, "Content-Type": "application/json"}, json.dumps({"message": message}).encode()
    status, code = _JSON[kind]
    if query_compatible:
        status, query_code = _QUERY[kind]
        headers["x-amzn-query-error"] = f"{query_code};Sender"
    doc = {"__type": f"com.amazon.coral.service#{code}", "message": message}
    return status, {**headers, "Content-Type": "application/x-amz-json-1.0"}, json.dumps(doc).encode()


def _s3_error(failure: AuthFailure) -> tuple[int, dict[str, str], bytes]:
    kind = failure.kind if failure.kind in _S3 else "signature"
    status, code = _S3[kind]
    message = failure.detail if kind == "malformed" else _S3_MESSAGES[kind]
    extra = f"<AWSAccessKeyId>{escape(failure.access_key)}</AWSAccessKeyId>" if failure.access_key else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{extra}"
        f"<RequestId>{REQUEST_ID}</RequestId></Error>"
    )
    return status, {"Content-Type": "application/xml", "x-amz-request-id": REQUEST_ID}, body.encode()
