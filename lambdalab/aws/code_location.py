"""Download links for stored archives (a function's ``Code.Location``, a layer's ``Content.Location``).

AWS answers with an S3 URL presigned for ten minutes; the lab presigns a path of its own
endpoint the same way (SigV4 in the query, service ``s3``), and the gateway checks the
signature.  An expired or unsigned link gets S3's AccessDenied.

https://docs.aws.amazon.com/lambda/latest/api/API_FunctionCodeLocation.html
https://docs.aws.amazon.com/lambda/latest/api/API_LayerVersionContentOutput.html
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from . import sigv4
from .auth import AuthFailure, error_for
from .gateway import SIGNATURE, Response

if TYPE_CHECKING:
    from ..credentials import Credentials

#: "valid for 10 minutes"
SECONDS = 600
_S3_GET = sigv4.HttpRequest("GET", "/", [], {}, b"")


def presigned(
    endpoint_url: str, kind: str, parts: tuple[str, ...], credentials: Credentials, region: str, now: datetime
) -> str:
    """A URL of ``/_lambdalab/<kind>/<parts...>`` that works for :data:`SECONDS` of lab time from ``now``."""
    path = f"/_lambdalab/{kind}/" + "/".join(quote(part, safe="") for part in parts)
    return sigv4.presign(
        endpoint_url,
        path,
        credentials,
        region=region,
        service="s3",
        now=now,
        expires=SECONDS,
        host=endpoint_url.split("://", 1)[1],
    )


def refusal(environ: dict[str, Any], now: datetime) -> Response | None:
    """S3's answer to a link that is not presigned or has expired; None for a good one."""
    signed = environ[SIGNATURE]
    if signed.in_query and signed.expires_at is not None and not signed.expired(now):
        return None
    kind = "expired" if signed.in_query and signed.expires_at is not None else "missing"
    status, headers, body = error_for(AuthFailure(kind), _S3_GET)
    return Response(status, body, headers)
