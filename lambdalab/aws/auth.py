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
from .wire_errors import document, protocol_of

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

    def add(self, credentials: Credentials) -> None:
        """Accept ``credentials`` too (a caller from another account, see ``Lab.client``)."""
        self._keys[credentials.access_key] = credentials

    def account_of(self, access_key: str) -> str | None:
        """The other account a verified key signs for; None for the lab's own account."""
        known = self._keys.get(access_key)
        return known.account if known else None

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


def error_for(failure: AuthFailure, req: HttpRequest) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the error AWS answers ``failure`` with."""
    service = failure.service
    protocol, query_compatible = protocol_of(req, service)
    if protocol == "rest-xml":
        kind = failure.kind if failure.kind in _S3 else "signature"
        status, code = _S3[kind]
        message = failure.detail if kind == "malformed" else _S3_MESSAGES[kind]
        extra = f"<AWSAccessKeyId>{escape(failure.access_key)}</AWSAccessKeyId>" if failure.access_key else ""
        return document(protocol, status, code, message, service=service, s3_extra=extra)
    kind = failure.kind if failure.kind in _JSON else "signature"
    message = failure.detail if failure.kind == "malformed" else _MESSAGES[kind]
    if protocol == "query":
        status, code = _QUERY[kind]
        return document(protocol, status, code, message, service=service)
    if protocol == "rest-json":
        status, code = _REST_JSON[kind]
        return document(protocol, status, code, message, service=service)
    status, code = _JSON[kind]
    query_error = None
    if query_compatible:
        status, query_code = _QUERY[kind]
        query_error = f"{query_code};Sender"
    return document(protocol, status, code, message, service=service, query_error=query_error)
