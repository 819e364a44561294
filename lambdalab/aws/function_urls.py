"""Function URL configurations: Create / Get / Update / Delete / ListFunctionUrlConfigs, answered by the lab.

A function (``$LATEST``) or one of its aliases has at most one URL; a version number cannot have
one.  ``AuthType`` is ``AWS_IAM`` (requests signed with SigV4, the caller's permissions decide) or
``NONE`` (anyone; the function's resource-based policy decides).  ``InvokeMode`` is ``BUFFERED``
(the default: the whole response at once, up to 6 MB) or ``RESPONSE_STREAM``.

moto 5.2 ignores the ``Qualifier``, reports ``InvokeMode`` as ``Buffered``, has no
ListFunctionUrlConfigs and serves nothing at the URL it makes up.  The lab keeps URL configs itself
and serves every URL from one HTTP listener on 127.0.0.1 (:mod:`lambdalab.aws.url_listener`), so the
``FunctionUrl`` it reports is one a browser or ``curl`` on this machine can open:
``http://127.0.0.1:<port>/<url-id>/`` (routed by the URL id, the first part of the path).  What AWS
would answer, ``https://<url-id>.lambda-url.<region>.on.aws/``, is the event's ``domainName``.

https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html
https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunctionUrlConfig.html
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..errors import AwsError, check_range, not_found, validation
from ..timestamps import iso_millis
from .gateway import Gateway, Request, Response
from .pagination import page
from .targets import _ARN

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..clock import Clock
    from ..ports import Ids, Place
    from .moto_lambda import MotoLambda

AUTH_TYPES = ("NONE", "AWS_IAM")
INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")
GONE = "The resource you requested does not exist."
_QUALIFIER = re.compile(r"^(?!\d+$)[0-9a-zA-Z-_]{1,128}$")


@dataclass(frozen=True)
class UrlConfig:
    """One function URL: whose it is, how it is reached and who may call it."""

    url_id: str
    function_name: str
    qualifier: str | None  # an alias, or None for the function itself ($LATEST)
    function_arn: str  # qualified with the alias when there is one
    auth_type: str
    invoke_mode: str
    created: str
    modified: str
    cors: dict[str, Any] | None = field(default=None, compare=False)

    def document(self, base_url: str, *, listed: bool = False) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "FunctionUrl": f"{base_url}/{self.url_id}/",
            "FunctionArn": self.function_arn,
            "AuthType": self.auth_type,
        }
        if self.cors is not None:
            doc["Cors"] = self.cors
        doc["CreationTime"] = self.created
        if listed or self.modified != self.created:
            doc["LastModifiedTime"] = self.modified
        doc["InvokeMode"] = self.invoke_mode
        return doc


def check_cors(cors: Any) -> None:
    """The limits AWS's model puts on a Cors setting."""
    if cors is None:
        return
    if not isinstance(cors, dict):
        raise validation(cors, "cors", "Member must be a structure")
    methods = cors.get("AllowMethods") or []
    if len(methods) > 6:
        raise validation(methods, "cors.allowMethods", "Member must have length less than or equal to 6")
    for method in methods:
        if len(str(method)) > 6:
            raise validation(method, "cors.allowMethods.member", "Member must have length less than or equal to 6")
    for origin in cors.get("AllowOrigins") or []:
        if not 1 <= len(str(origin)) <= 253:
            raise validation(origin, "cors.allowOrigins.member", "Member must have length less than or equal to 253")
    for key in ("AllowHeaders", "ExposeHeaders"):
        if len(cors.get(key) or []) > 100:
            raise validation(
                cors[key], f"cors.{key[0].lower()}{key[1:]}", "Member must have length less than or equal to 100"
            )
    if cors.get("MaxAge") is not None:
        check_range(int(cors["MaxAge"]), "cors.maxAge", 0, 86400)


class FunctionUrls:
    """The URL configs of the lab and their API; the listener reads them by URL id."""

    def __init__(self, place: Place, ids: Ids, clock: Clock, store: MotoLambda, base_url: Callable[[], str]) -> None:
        self.place, self.ids, self.clock, self.store = place, ids, clock, store
        #: the listener's address, started on first use (``http://127.0.0.1:<port>``)
        self.base_url = base_url
        self._lock = threading.Lock()
        self._configs: dict[tuple[str, str | None], UrlConfig] = {}

    def register(self, gw: Gateway) -> None:
        gw.route("lambda", "CreateFunctionUrlConfig", self.create)
        gw.route("lambda", "GetFunctionUrlConfig", self.get)
        gw.route("lambda", "UpdateFunctionUrlConfig", self.update)
        gw.route("lambda", "DeleteFunctionUrlConfig", self.delete)
        gw.route("lambda", "ListFunctionUrlConfigs", self.list)

    # -- what the listener reads -----------------------------------------------------
    def by_id(self, url_id: str) -> UrlConfig | None:
        with self._lock:
            return next((c for c in self._configs.values() if c.url_id == url_id), None)

    def forget(self, function_name: str, qualifier: str | None = None, *, every: bool = False) -> None:
        """A function (every: all its URLs) or an alias was deleted."""
        with self._lock:
            for key in [k for k in self._configs if k[0] == function_name and (every or k[1] == qualifier)]:
                del self._configs[key]

    # -- the API ----------------------------------------------------------------------
    def create(self, req: Request, gw: Gateway) -> Response:
        name, qualifier = self._target(req)
        body = req.json()
        auth = self._auth(body.get("AuthType"), required=True)
        mode = self._mode(body.get("InvokeMode"))
        check_cors(body.get("Cors"))
        arn = self.place.arn("lambda", f"function:{name}") + (f":{qualifier}" if qualifier else "")
        now = self._now()
        digest = hashlib.sha256(f"{arn}/{self.ids.new_id()}".encode()).hexdigest()
        url_id = "".join(c if c.isalpha() else "abcdefghij"[int(c)] for c in digest[:32])
        config = UrlConfig(url_id, name, qualifier, arn, str(auth), mode, now, now, body.get("Cors"))
        with self._lock:
            if (name, qualifier) in self._configs:
                raise AwsError(
                    "ResourceConflictException",
                    f"Failed to create function url config for [functionArn = {arn}]. "
                    "Error message:  FunctionUrlConfig exists for this Lambda function",
                    409,
                )
            self._configs[(name, qualifier)] = config
        return Response.json(201, config.document(self.base_url()))

    def get(self, req: Request, gw: Gateway) -> Response:
        return Response.json(200, self._config(req).document(self.base_url(), listed=True))

    def update(self, req: Request, gw: Gateway) -> Response:
        current = self._config(req)
        body = req.json()
        changes: dict[str, Any] = {"modified": self._now()}
        if body.get("AuthType") is not None:
            changes["auth_type"] = self._auth(body["AuthType"], required=False)
        if body.get("InvokeMode") is not None:
            changes["invoke_mode"] = self._mode(body["InvokeMode"])
        if "Cors" in body:
            check_cors(body["Cors"])
            changes["cors"] = body["Cors"]
        updated = replace(current, **changes)
        with self._lock:
            self._configs[(current.function_name, current.qualifier)] = updated
        return Response.json(200, updated.document(self.base_url(), listed=True))

    def delete(self, req: Request, gw: Gateway) -> Response:
        config = self._config(req)
        self.forget(config.function_name, config.qualifier)
        return Response(204, b"")

    def list(self, req: Request, gw: Gateway) -> Response:
        name, _ = self._target(req, qualified=False)
        with self._lock:
            configs = [c for c in self._configs.values() if c.function_name == name]
        configs.sort(key=lambda c: c.qualifier or "")
        chunk, nxt = page(req, configs, default=50, maximum=50)
        out: dict[str, Any] = {"FunctionUrlConfigs": [c.document(self.base_url(), listed=True) for c in chunk]}
        if nxt:
            out["NextMarker"] = nxt
        return Response.json(200, out)

    # -- helpers ----------------------------------------------------------------------
    def _now(self) -> str:
        """``CreationTime`` / ``LastModifiedTime``: ``2025-01-06T09:00:00.000Z``."""
        return iso_millis(self.clock.now)

    def _target(self, req: Request, *, qualified: bool = True) -> tuple[str, str | None]:
        """(function name, alias or None) the request names; the function (and alias) must exist."""
        hit = _ARN.match(req.params["FunctionName"])
        if not hit or hit.group("qualifier"):
            raise validation(
                req.params["FunctionName"],
                "functionName",
                "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"
                "([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)",
            )
        name = hit.group("name")
        qualifier = req.q("Qualifier") if qualified else None
        if qualifier is not None and not _QUALIFIER.match(qualifier):
            raise validation(
                qualifier, "qualifier", "Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)"
            )
        try:
            self.store.get(name, qualifier)
        except AwsError as err:
            arn = self.place.arn("lambda", f"function:{name}") + (f":{qualifier}" if qualifier else "")
            raise not_found(f"Function not found: {arn}") from err
        return name, qualifier

    def _config(self, req: Request) -> UrlConfig:
        name, qualifier = self._target(req)
        with self._lock:
            found = self._configs.get((name, qualifier))
        if found is None:
            raise not_found(GONE)
        return found

    @staticmethod
    def _auth(value: Any, *, required: bool) -> str:
        if value not in AUTH_TYPES:
            raise validation(value, "authType", f"Member must satisfy enum value set: [{', '.join(AUTH_TYPES)}]")
        return str(value)

    @staticmethod
    def _mode(value: Any) -> str:
        if value is None:
            return "BUFFERED"
        if value not in INVOKE_MODES:
            raise validation(value, "invokeMode", f"Member must satisfy enum value set: [{', '.join(INVOKE_MODES)}]")
        return str(value)
