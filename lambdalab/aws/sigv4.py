"""Signature Version 4: who signed a request, and whether the signature holds.

Every request to AWS is signed with the caller's secret access key: the client
hashes a canonical form of the request (method, path, query, the headers it lists
as signed, the body's SHA-256) into a string to sign, and sends an HMAC of it,
either in the ``Authorization`` header or in the query string (a presigned URL).
The service recomputes the HMAC with the secret it holds for the access key and
refuses the request when the two differ.  The expected signature is computed here
with botocore's own signer, fed the request exactly as it arrived.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-authentication-methods.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from ..credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
TIMESTAMP = "%Y%m%dT%H%M%SZ"
_CREDENTIAL = re.compile(r"^([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request$")


class Malformed(ValueError):
    """A SigV4 ``Authorization`` header or query that cannot be read."""


@dataclass(frozen=True)
class Signature:
    """The SigV4 fields a request carries."""

    access_key: str
    date: str  # YYYYMMDD of the credential scope
    region: str
    service: str
    timestamp: str  # X-Amz-Date, YYYYMMDDTHHMMSSZ
    signed_headers: tuple[str, ...]
    signature: str
    token: str | None
    in_query: bool  # a presigned URL
    expires_at: datetime | None  # a presigned URL's end: X-Amz-Date + X-Amz-Expires (S3's V2: Expires)
    version: int = 4  # 2: S3's legacy signature

    def expired(self, now: datetime) -> bool:
        """A presigned URL whose validity has passed at ``now``."""
        return self.expires_at is not None and now > self.expires_at


@dataclass(frozen=True)
class HttpRequest:
    """A request as it arrived: the raw path and query, every header, the body."""

    method: str
    raw_path: str  # percent-encoded, as on the request line
    query: Sequence[tuple[str, str]]  # raw (still percent-encoded) pairs, in order
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def param(self, name: str) -> str | None:
        for key, value in self.query:
            if unquote(key) == name:
                return unquote(value)
        return None


def read_signature(req: HttpRequest) -> Signature | None:
    """The SigV4 fields of ``req`` (header or query string); None when it carries none."""
    auth = req.headers.get("authorization", "")
    if auth.startswith(ALGORITHM + " "):
        fields = dict(_split_field(part) for part in auth[len(ALGORITHM) + 1 :].split(","))
        for name in ("Credential", "SignedHeaders", "Signature"):
            if not fields.get(name):
                raise Malformed(f"Authorization header requires '{name}' parameter.")
        timestamp = req.headers.get("x-amz-date") or ""
        return _signature(
            fields["Credential"],
            fields["SignedHeaders"],
            fields["Signature"],
            timestamp,
            req.headers.get("x-amz-security-token"),
            in_query=False,
            expires=None,
        )
    if req.param("X-Amz-Algorithm") is not None:
        if req.param("X-Amz-Algorithm") != ALGORITHM:
            raise Malformed(f'X-Amz-Algorithm only supports "{ALGORITHM}"')
        values = {n: req.param(n) for n in ("X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Date")}
        missing = [n for n, v in values.items() if not v]
        if missing:
            raise Malformed(f"Query-string authentication requires the {', '.join(missing)} parameter(s).")
        expires = req.param("X-Amz-Expires")
        try:
            seconds = int(expires) if expires is not None else None
        except ValueError as err:
            raise Malformed("X-Amz-Expires should be a number") from err
        return _signature(
            str(values["X-Amz-Credential"]),
            str(values["X-Amz-SignedHeaders"]),
            str(values["X-Amz-Signature"]),
            str(values["X-Amz-Date"]),
            req.param("X-Amz-Security-Token"),
            in_query=True,
            expires=seconds,
        )
    return None


def _split_field(part: str) -> tuple[str, str]:
    name, _, value = part.strip().partition("=")
    return name, value


def _signature(
    credential: str,
    signed_headers: str,
    signature: str,
    timestamp: str,
    token: str | None,
    *,
    in_query: bool,
    expires: int | None,
) -> Signature:
    hit = _CREDENTIAL.match(credential)
    if hit is None:
        raise Malformed(f"Credential should be scoped to a valid region, not '{credential}'.")
    try:
        datetime.strptime(timestamp, TIMESTAMP)
    except ValueError as err:
        raise Malformed("Authorization requires a valid X-Amz-Date (YYYYMMDD'T'HHMMSS'Z').") from err
    key, date, region, service = hit.groups()
    end = None
    if expires is not None:
        end = datetime.strptime(timestamp, TIMESTAMP).replace(tzinfo=UTC) + timedelta(seconds=expires)
    return Signature(
        key,
        date,
        region,
        service,
        timestamp,
        tuple(signed_headers.lower().split(";")),
        signature.lower(),
        token,
        in_query,
        end,
    )


def payload_hash(req: HttpRequest, sig: Signature) -> str:
    """What the client put in the canonical request for the body."""
    declared = req.headers.get("x-amz-content-sha256")
    if declared:
        return declared
    if sig.in_query and sig.service == "s3":
        return UNSIGNED_PAYLOAD  # S3 presigned URLs never sign the body
    return hashlib.sha256(req.body).hexdigest()


def body_matches(req: HttpRequest) -> bool:
    """False when ``x-amz-content-sha256`` names a hash the body does not have."""
    declared = req.headers.get("x-amz-content-sha256", "")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", declared):
        return True  # UNSIGNED-PAYLOAD, STREAMING-... or absent: nothing to compare
    return hmac.compare_digest(declared.lower(), hashlib.sha256(req.body).hexdigest())


def expected_signature(req: HttpRequest, sig: Signature, secret_key: str) -> str:
    """The signature a client holding ``secret_key`` would have sent for ``req``."""
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.compat import HTTPHeaders
    from botocore.credentials import Credentials as BotoCredentials

    headers = HTTPHeaders()
    for name in sig.signed_headers:
        if name in req.headers:
            headers[name] = req.headers[name]
    query = canonical_query(req.query, drop="X-Amz-Signature" if sig.in_query else None)
    host = req.headers.get("host", "localhost")
    request = AWSRequest(method=req.method.upper(), url=f"http://{host}{req.raw_path}" + (f"?{query}" if query else ""))
    request.context["timestamp"] = sig.timestamp
    body_hash = payload_hash(req, sig)
    base = S3SigV4Auth if sig.service == "s3" else SigV4Auth

    class _Verifier(base):  # type: ignore[valid-type,misc]
        def headers_to_sign(self, request: Any) -> Any:
            return headers

        def payload(self, request: Any) -> str:
            return body_hash

    signer = _Verifier(BotoCredentials(sig.access_key, secret_key), sig.service, sig.region)
    canonical = signer.canonical_request(request)
    return str(signer.signature(signer.string_to_sign(request, canonical), request))


def canonical_query(pairs: Sequence[tuple[str, str]], drop: str | None = None) -> str:
    """Each name and value URI-encoded the one way SigV4 allows (``-_.~`` left as is)."""
    out = []
    for key, value in pairs:
        name = unquote(key)
        if name == drop:
            continue
        out.append(f"{quote(name, safe='-_.~')}={quote(unquote(value), safe='-_.~')}")
    return "&".join(sorted(out))


def split_query(raw: str) -> list[tuple[str, str]]:
    """``a=1&b`` -> ``[("a", "1"), ("b", "")]``, still percent-encoded."""
    pairs = []
    for part in raw.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((key, value))
    return pairs


def presign(
    url_base: str,
    raw_path: str,
    credentials: Credentials,
    *,
    region: str,
    service: str,
    now: datetime,
    expires: int,
    host: str,
) -> str:
    """A presigned GET URL for ``raw_path`` (as S3 makes them), signed at ``now``."""
    timestamp = now.astimezone(UTC).strftime(TIMESTAMP)
    params = [
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", f"{credentials.access_key}/{timestamp[:8]}/{region}/{service}/aws4_request"),
        ("X-Amz-Date", timestamp),
        ("X-Amz-Expires", str(expires)),
        ("X-Amz-SignedHeaders", "host"),
    ]
    if credentials.token:
        params.append(("X-Amz-Security-Token", credentials.token))
    pairs = [(quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in params]
    req = HttpRequest("GET", raw_path, pairs, {"host": host}, b"")
    sig = Signature(
        credentials.access_key,
        timestamp[:8],
        region,
        service,
        timestamp,
        ("host",),
        "",
        credentials.token,
        in_query=True,
        expires_at=None,
    )
    signature = expected_signature(req, sig, credentials.secret_key)
    query = "&".join(f"{k}={v}" for k, v in pairs)
    return f"{url_base}{raw_path}?{query}&X-Amz-Signature={signature}"


# -- S3's legacy signature (V2): boto3 still presigns S3 URLs with it by default ----------
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html


def read_s3_v2_signature(req: HttpRequest) -> Signature | None:
    """``Authorization: AWS <key>:<signature>`` or ``?AWSAccessKeyId=&Signature=&Expires=``."""
    auth = req.headers.get("authorization", "")
    if auth.startswith("AWS ") and ":" in auth:
        key, _, signature = auth[4:].strip().rpartition(":")
        return _v2(key, signature, req.headers.get("x-amz-security-token"), in_query=False, end=None)
    access_key, query_signature, expires = (req.param(n) for n in ("AWSAccessKeyId", "Signature", "Expires"))
    if access_key is None or query_signature is None or expires is None:
        return None
    try:
        end = datetime.fromtimestamp(int(expires), UTC)
    except (ValueError, OverflowError) as err:
        raise Malformed("Invalid date (should be seconds since epoch): " + expires) from err
    return _v2(access_key, query_signature, req.param("x-amz-security-token"), in_query=True, end=end)


def _v2(key: str, signature: str, token: str | None, *, in_query: bool, end: datetime | None) -> Signature:
    return Signature(key, "", "us-east-1", "s3", "", (), signature, token, in_query, end, version=2)


def expected_s3_v2_signature(req: HttpRequest, sig: Signature, secret_key: str) -> str:
    """The V2 signature a client holding ``secret_key`` would have sent, by botocore's HmacV1 signer."""
    from urllib.parse import urlsplit

    from botocore.auth import HmacV1Auth
    from botocore.compat import HTTPHeaders
    from botocore.credentials import Credentials as BotoCredentials

    headers = HTTPHeaders()
    for name, value in req.headers.items():
        headers[name] = value
    date = headers.get("date", "")
    if sig.in_query:  # the signed x-amz-*, Content-Type and Content-MD5 travel in the query
        for key, value in req.query:
            name = unquote(key).lower()
            if name.startswith("x-amz-") or name in ("content-md5", "content-type"):
                del headers[name]
                headers[name] = unquote(value)
        date = req.param("Expires") or ""

    class _Verifier(HmacV1Auth):  # type: ignore[misc]
        def _get_date(self) -> str:
            return date

    signer = _Verifier(BotoCredentials(sig.access_key, secret_key))
    query = "&".join(f"{k}={v}" for k, v in req.query)
    split = urlsplit(f"http://host{req.raw_path}" + (f"?{query}" if query else ""))
    return str(signer.sign_string(signer.canonical_string(req.method, split, headers)))
