"""Asynchronous invocation settings: the FunctionEventInvokeConfig API.

One config per function qualifier ($LATEST, a version or an alias):
``MaximumRetryAttempts``, ``MaximumEventAgeInSeconds`` and ``DestinationConfig``.
Put **replaces** the whole config, update **merges** into it; moto 5.2 appends on
put and answers get with the first one, so the lab answers all five operations.

https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionEventInvokeConfig.html
https://docs.aws.amazon.com/lambda/latest/api/API_FunctionEventInvokeConfig.html
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..engines import async_policy
from ..errors import AwsError, invalid_parameter, not_found
from ..trace_kinds import EVENT_INVOKE_CONFIG
from .gateway import Gateway, Request, Response
from .pagination import page
from .targets import _ARN

if TYPE_CHECKING:
    from ..clock import Clock
    from ..trace import Trace
    from .targets import TargetResolver

_MAX_ITEMS = 50


@dataclass
class EventInvokeConfig:
    """The stored settings of one qualifier (None = not set: the default applies)."""

    function_arn: str  # qualified
    last_modified: float
    max_retries: int | None = None
    max_age: int | None = None
    on_success: str | None = None
    on_failure: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def retries(self) -> int:
        return async_policy.DEFAULT_MAX_RETRIES if self.max_retries is None else self.max_retries

    @property
    def age(self) -> int:
        return async_policy.DEFAULT_MAX_AGE if self.max_age is None else self.max_age

    def as_api(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"LastModified": self.last_modified, "FunctionArn": self.function_arn}
        if self.max_retries is not None:
            doc["MaximumRetryAttempts"] = self.max_retries
        if self.max_age is not None:
            doc["MaximumEventAgeInSeconds"] = self.max_age
        doc["DestinationConfig"] = {
            "OnSuccess": {"Destination": self.on_success} if self.on_success else {},
            "OnFailure": {"Destination": self.on_failure} if self.on_failure else {},
        }
        return doc


class EventInvokeConfigs:
    """The store, keyed by (function name, qualifier), and the API handlers."""

    def __init__(self, clock: Clock, trace: Trace, resolver: TargetResolver) -> None:
        self.clock, self.trace, self.resolver = clock, trace, resolver
        self._configs: dict[tuple[str, str], EventInvokeConfig] = {}
        self._lock = threading.Lock()

    def register(self, gw: Gateway) -> None:
        gw.route("lambda", "PutFunctionEventInvokeConfig", self.put)
        gw.route("lambda", "UpdateFunctionEventInvokeConfig", self.update)
        gw.route("lambda", "GetFunctionEventInvokeConfig", self.get)
        gw.route("lambda", "ListFunctionEventInvokeConfigs", self.list)
        gw.route("lambda", "DeleteFunctionEventInvokeConfig", self.delete)

    # -- lookup for the engine ------------------------------------------------------
    def lookup(self, function_name: str, qualifier: str | None) -> EventInvokeConfig | None:
        """The config that applies to an event invoked with this qualifier (None: defaults)."""
        with self._lock:
            return self._configs.get((function_name, qualifier or "$LATEST"))

    # -- helpers --------------------------------------------------------------------
    def _key(self, req: Request) -> tuple[str, str, str]:
        """(function name, qualifier, qualified ARN), checking the function exists."""
        target = self.resolver.resolve(req.params["FunctionName"], req.q("Qualifier"))
        name = target.spec.function_name
        hit = _ARN.match(req.params["FunctionName"])
        derived = hit.group("qualifier") if hit else None
        qualifier = req.q("Qualifier") or derived or "$LATEST"
        return name, qualifier, f"{target.spec.function_arn}:{qualifier}"

    @staticmethod
    def _missing(arn: str) -> AwsError:
        return not_found(f"The function {arn} doesn't have an EventInvokeConfig")

    @staticmethod
    def _check(body: dict[str, Any]) -> None:
        retries, age = body.get("MaximumRetryAttempts"), body.get("MaximumEventAgeInSeconds")
        problems = async_policy.check_settings(retries, age)
        if problems:
            n = len(problems)
            detail = "; ".join(f"Value '{v}' at '{f}' failed to satisfy constraint: {c}" for f, v, c in problems)
            raise AwsError("ValidationException", f"{n} validation error{'s' if n > 1 else ''} detected: {detail}", 400)
        dest = body.get("DestinationConfig") or {}
        for which in ("OnSuccess", "OnFailure"):
            arn = (dest.get(which) or {}).get("Destination")
            if not arn:
                continue
            kind = async_policy.destination_kind(arn)
            if kind is None:
                raise invalid_parameter(
                    f"The provided destination config DestinationConfig({which}={arn}) is invalid: "
                    "supported destinations are SQS queues, SNS topics, Lambda functions, "
                    "EventBridge event buses and (on failure only) S3 buckets."
                )
            if kind in ("sqs", "sns") and arn.endswith(".fifo"):
                # Lambda sends records to standard queues and topics only
                raise invalid_parameter(f"The destination ARN {arn} is invalid.")
            if kind == "s3" and which == "OnSuccess":
                raise invalid_parameter(
                    f"The provided destination config DestinationConfig(OnSuccess={arn}) is invalid: "
                    "S3 bucket destinations are supported for OnFailure only."
                )

    @staticmethod
    def _apply(cfg: EventInvokeConfig, body: dict[str, Any]) -> None:
        if "MaximumRetryAttempts" in body:
            cfg.max_retries = body["MaximumRetryAttempts"]
        if "MaximumEventAgeInSeconds" in body:
            cfg.max_age = body["MaximumEventAgeInSeconds"]
        dest = body.get("DestinationConfig")
        if dest is not None:
            if "OnSuccess" in dest:
                cfg.on_success = (dest.get("OnSuccess") or {}).get("Destination") or None
            if "OnFailure" in dest:
                cfg.on_failure = (dest.get("OnFailure") or {}).get("Destination") or None

    # -- handlers -------------------------------------------------------------------
    def put(self, req: Request, gw: Gateway) -> Response:
        body = req.json()
        name, qualifier, arn = self._key(req)
        self._check(body)
        cfg = EventInvokeConfig(arn, self.clock.now.timestamp())
        self._apply(cfg, body)
        with self._lock:
            self._configs[(name, qualifier)] = cfg
        self.trace.add(EVENT_INVOKE_CONFIG, name, qualifier=qualifier, operation="put")
        return Response.json(200, cfg.as_api())

    def update(self, req: Request, gw: Gateway) -> Response:
        body = req.json()
        name, qualifier, arn = self._key(req)
        self._check(body)
        with self._lock:
            cfg = self._configs.get((name, qualifier))
            if cfg is None:
                raise self._missing(arn)
            self._apply(cfg, body)
            cfg.last_modified = self.clock.now.timestamp()
        self.trace.add(EVENT_INVOKE_CONFIG, name, qualifier=qualifier, operation="update")
        return Response.json(200, cfg.as_api())

    def get(self, req: Request, gw: Gateway) -> Response:
        name, qualifier, arn = self._key(req)
        cfg = self.lookup(name, qualifier)
        if cfg is None:
            raise self._missing(arn)
        return Response.json(200, cfg.as_api())

    def delete(self, req: Request, gw: Gateway) -> Response:
        name, qualifier, arn = self._key(req)
        with self._lock:
            if self._configs.pop((name, qualifier), None) is None:
                raise self._missing(arn)
        self.trace.add(EVENT_INVOKE_CONFIG, name, qualifier=qualifier, operation="delete")
        return Response(204, b"")

    def list(self, req: Request, gw: Gateway) -> Response:
        hit = _ARN.match(req.params["FunctionName"])
        target = self.resolver.resolve(hit.group("name") if hit else req.params["FunctionName"])
        name = target.spec.function_name
        with self._lock:
            keys = sorted((q for n, q in self._configs if n == name), key=_qualifier_order)
            items = [self._configs[(name, q)] for q in keys]
        chunk, nxt = page(req, items, default=_MAX_ITEMS, maximum=_MAX_ITEMS)
        doc: dict[str, Any] = {"FunctionEventInvokeConfigs": [c.as_api() for c in chunk]}
        if nxt:
            doc["NextMarker"] = nxt
        return Response.json(200, doc)


def _qualifier_order(qualifier: str) -> tuple[int, int, str]:
    if qualifier == "$LATEST":
        return (0, 0, "")
    if qualifier.isdigit():
        return (1, int(qualifier), "")
    return (2, 0, qualifier)
