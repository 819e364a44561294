"""The account's concurrency and provisioned concurrency: GetAccountSettings and the ProvisionedConcurrencyConfig API.

- ``GetAccountSettings``: the account's limits (``ConcurrentExecutions``, 1,000 unless
  ``lab.account_concurrency`` says otherwise; ``UnreservedConcurrentExecutions``, what
  reserved concurrency leaves of it; the code size quotas) and its usage (function count,
  total code size).
- ``PutProvisionedConcurrencyConfig`` on a published version or an alias (never
  ``$LATEST``): the config is ``IN_PROGRESS`` while Lambda initialises the environments,
  then ``READY`` with all of them allocated, or ``FAILED`` with ``StatusReason``
  ``FUNCTION_ERROR_INIT_FAILURE`` when the function's init fails (none allocated).  AWS gives no figure for how long that takes
  (it depends on the function's init); the lab takes :data:`ALLOCATION_SECONDS` of virtual
  time.  Put again replaces the config, Delete releases the environments at once.
  ``Get``/``List``/``Delete`` as the API reference says; a Get of a qualifier without a
  config is ``ProvisionedConcurrencyConfigNotFoundException``.

When a config becomes READY the runtime initialises its environments (:meth:`Runtime.provision
<lambdalab.runtime.types.Runtime.provision>`): their INIT phase runs then, and its logs (``INIT_START``,
the init code's output) go to each environment's log stream at that moment.  Invocations through the
config's qualifier (Invoke, asynchronous invocations, event source mappings, function URLs) take those
environments first: no ``Init Duration`` in REPORT, ``AWS_LAMBDA_INITIALIZATION_TYPE`` is
``provisioned-concurrency``; beyond them they spill over to on-demand environments.  Another qualifier
(``$LATEST``, the version behind an alias) never uses them; Delete releases them.  The lab keeps few real
processes: it initialises up to half its cap of environments ahead, and makes the rest when a request
first needs one (still without Init Duration; that init's output is logged then, outside the request's
``LogResult``).  A burst (:mod:`lambdalab.engines.burst`) counts its environments in the scaling model
(:mod:`lambdalab.engines.function_scaling`).

https://docs.aws.amazon.com/lambda/latest/api/API_GetAccountSettings.html
https://docs.aws.amazon.com/lambda/latest/api/API_PutProvisionedConcurrencyConfig.html
https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..engines.function_scaling import ACCOUNT_CONCURRENCY, Fleet
from ..errors import AwsError, invalid_parameter
from ..timestamps import lambda_timestamp
from ..trace_kinds import PROVISIONED_CONCURRENCY
from .gateway import Gateway, Request, Response
from .pagination import page

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..clock import Clock, Timer
    from ..ports import Target
    from ..runtime.types import LogEvent, Runtime
    from ..trace import Trace
    from .moto_lambda import MotoLambda
    from .targets import TargetResolver

#: virtual seconds from Put to READY (the lab's figure)
ALLOCATION_SECONDS = 60.0
#: a FAILED config's StatusReason when the function's init fails
INIT_FAILURE = "FUNCTION_ERROR_INIT_FAILURE"
#: the code size quotas GetAccountSettings reports (bytes): 75 GB in all, 250 MB unzipped, 50 MB zipped
TOTAL_CODE_SIZE = 80_530_636_800
CODE_SIZE_UNZIPPED = 262_144_000
CODE_SIZE_ZIPPED = 52_428_800


@dataclass
class ProvisionedConfig:
    """One qualifier's provisioned concurrency."""

    function_arn: str  # qualified
    version: str  # the version it provisions (an alias's target)
    requested: int
    allocated: int
    status: str  # IN_PROGRESS, READY, FAILED
    last_modified: str
    timer: Timer | None = None
    status_reason: str | None = None  # why a FAILED allocation failed

    def as_api(self, with_arn: bool = False) -> dict[str, Any]:
        doc: dict[str, Any] = {"FunctionArn": self.function_arn} if with_arn else {}
        doc.update(
            RequestedProvisionedConcurrentExecutions=self.requested,
            AvailableProvisionedConcurrentExecutions=self.allocated,
            AllocatedProvisionedConcurrentExecutions=self.allocated,
            Status=self.status,
            **({"StatusReason": self.status_reason} if self.status_reason else {}),
            LastModified=self.last_modified,
        )
        return doc


class Fleets(dict[str, Fleet]):
    """The virtual environments of every function, by name."""

    def of(self, function_name: str) -> Fleet:
        return self.setdefault(function_name, Fleet())


class ConcurrencyService:
    """GetAccountSettings and Put/Get/Delete/ListProvisionedConcurrencyConfig(s)."""

    def __init__(
        self,
        clock: Clock,
        trace: Trace,
        resolver: TargetResolver,
        store: MotoLambda,
        fleets: Fleets,
        runner: Runtime,
        write_logs: Callable[[Target, str, Sequence[LogEvent]], None],
    ) -> None:
        self.clock, self.trace, self.resolver, self.store, self.fleets = clock, trace, resolver, store, fleets
        #: the runtime that initialises the environments, and where their init logs go
        self.runner, self.write_logs = runner, write_logs
        #: the account's concurrency quota (``lab.account_concurrency``)
        self.account_concurrency = ACCOUNT_CONCURRENCY
        self._configs: dict[str, ProvisionedConfig] = {}  # by qualified ARN

    def register(self, gw: Gateway) -> None:
        gw.route("lambda", "GetAccountSettings", self.get_account_settings)
        gw.route("lambda", "PutProvisionedConcurrencyConfig", self.put)
        gw.route("lambda", "GetProvisionedConcurrencyConfig", self.get)
        gw.route("lambda", "DeleteProvisionedConcurrencyConfig", self.delete)
        gw.route("lambda", "ListProvisionedConcurrencyConfigs", self.list)

    # -- the account ----------------------------------------------------------------
    def reservations(self) -> tuple[int, dict[str, int]]:
        """The account's unreserved concurrency, and every reserved function's reservation."""
        names = {c["FunctionName"] for c in self.store.configurations(None)}
        reserved = {name: r for name in names if (r := self.store.get(name).reserved_concurrency) is not None}
        return self.account_concurrency - sum(reserved.values()), reserved

    def unreserved(self) -> int:
        return self.reservations()[0]

    def get_account_settings(self, req: Request, gw: Gateway) -> Response:
        configs = self.store.configurations("ALL")
        limit = {
            "TotalCodeSize": TOTAL_CODE_SIZE,
            "CodeSizeUnzipped": CODE_SIZE_UNZIPPED,
            "CodeSizeZipped": CODE_SIZE_ZIPPED,
            "ConcurrentExecutions": self.account_concurrency,
            "UnreservedConcurrentExecutions": self.unreserved(),
        }
        usage = {
            "TotalCodeSize": sum(int(c.get("CodeSize") or 0) for c in configs),
            "FunctionCount": len({c["FunctionName"] for c in configs}),
        }
        return Response.json(200, {"AccountLimit": limit, "AccountUsage": usage})

    # -- provisioned concurrency ------------------------------------------------------
    def put(self, req: Request, gw: Gateway) -> Response:
        qualifier = req.q("Qualifier") or ""
        target = self.resolver.resolve(req.params["FunctionName"], qualifier)
        if target.executed_version == "$LATEST":
            raise invalid_parameter(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
            )
        count = int(req.json().get("ProvisionedConcurrentExecutions", 0))
        name = target.spec.function_name
        old = self._configs.pop(target.invoked_arn, None)
        if old is not None and old.timer is not None:
            old.timer.cancel()
        config = ProvisionedConfig(target.invoked_arn, target.executed_version, count, 0, "IN_PROGRESS", self._stamp())
        self._configs[target.invoked_arn] = config
        self.trace.add(PROVISIONED_CONCURRENCY, name, qualifier=qualifier, status="IN_PROGRESS", allocated=0)
        config.timer = self.clock.call_later(ALLOCATION_SECONDS, lambda: self._ready(name, qualifier, config))
        return Response.json(202, config.as_api())

    def _ready(self, name: str, qualifier: str, config: ProvisionedConfig) -> None:
        """The environments are initialised: READY, or FAILED (``FUNCTION_ERROR_INIT_FAILURE``) when an init fails."""
        from ..runtime.types import InitLog, RuntimeFailure

        target = self.resolver.resolve(config.function_arn)
        try:
            inits = self.runner.provision(target.spec, config.function_arn, config.requested)
        except RuntimeFailure as err:  # a runtime the lab cannot run: no environment initialises
            inits = [InitLog("", (), err.code)]
        for init in inits:
            self.write_logs(target, init.log_stream_name, init.events)
        config.timer = None
        if any(init.error_type for init in inits):
            self.runner.deprovision(config.function_arn)  # requests through the qualifier go on demand
            config.status, config.status_reason = "FAILED", INIT_FAILURE
        else:
            config.status, config.allocated = "READY", config.requested
        self._provision(name, config.version)
        self.trace.add(
            PROVISIONED_CONCURRENCY, name, qualifier=qualifier, status=config.status, allocated=config.allocated
        )

    def _provision(self, name: str, version: str) -> None:
        """The version's provisioned environments: the sum of its READY configs (version and aliases)."""
        count = sum(c.allocated for c in self._configs.values() if c.version == version and c.status == "READY")
        self.fleets.of(name).provision(version, count)

    def get(self, req: Request, gw: Gateway) -> Response:
        if req.q("List") == "ALL":  # the same path: ListProvisionedConcurrencyConfigs
            return self.list(req, gw)
        target = self.resolver.resolve(req.params["FunctionName"], req.q("Qualifier") or "")
        config = self._configs.get(target.invoked_arn)
        if config is None:
            raise AwsError(
                "ProvisionedConcurrencyConfigNotFoundException",
                "No Provisioned Concurrency Config found for this function",
                404,
            )
        return Response.json(200, config.as_api())

    def delete(self, req: Request, gw: Gateway) -> Response:
        qualifier = req.q("Qualifier") or ""
        target = self.resolver.resolve(req.params["FunctionName"], qualifier)
        self._release(target.invoked_arn)
        return Response(204, b"")

    def forget(self, function_name: str, qualifier: str | None = None) -> None:
        """A deleted alias, version or function (``qualifier`` None) loses its configs and their environments."""
        for arn in list(self._configs):
            name, _, configured = arn.split(":function:", 1)[1].partition(":")
            if name == function_name and qualifier in (None, configured):
                self._release(arn)

    def _release(self, arn: str) -> None:
        """Drop the config of a qualified ARN (if any): its environments are released at once."""
        config = self._configs.pop(arn, None)
        if config is None:
            return
        if config.timer is not None:
            config.timer.cancel()
        name, _, qualifier = arn.split(":function:", 1)[1].partition(":")
        self._provision(name, config.version)
        self.runner.deprovision(arn)
        self.trace.add(PROVISIONED_CONCURRENCY, name, qualifier=qualifier, status="DELETED", allocated=0)

    def list(self, req: Request, gw: Gateway) -> Response:
        target = self.resolver.resolve(req.params["FunctionName"])
        prefix = target.spec.function_arn + ":"
        items = [c.as_api(with_arn=True) for arn, c in sorted(self._configs.items()) if arn.startswith(prefix)]
        chunk, nxt = page(req, items, default=50, maximum=50)
        out: dict[str, Any] = {"ProvisionedConcurrencyConfigs": chunk}
        if nxt:
            out["NextMarker"] = nxt
        return Response.json(200, out)

    def _stamp(self) -> str:
        """``LastModified`` as Lambda writes it: ``2025-01-06T09:00:00.000+0000``."""
        return lambda_timestamp(self.clock.now)
