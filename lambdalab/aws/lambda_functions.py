"""The function lifecycle API: create, get, list, update, publish, delete.

moto stores functions, versions and aliases; this module checks each request
the way Lambda does before moto sees it, and reports what Lambda reports after
(``RevisionId``, ``State``, ``LastUpdateStatus``, ``DeadLetterConfig``, a
``Code.Location`` that really downloads the package, presigned for ten minutes as
S3's are).

ListFunctions returns at most 50 functions per response whatever ``MaxItems`` says, and "a subset of
the FunctionConfiguration fields": no ``State``, ``LastUpdateStatus`` and their reasons
(https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html).

https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html
"""

from __future__ import annotations

import json
import warnings
from typing import TYPE_CHECKING, Any

from ..deployment_package import unzipped_size
from ..errors import AwsError, invalid_parameter
from ..packaging import handler_problem
from ..trace_kinds import FUNCTION_CREATED, FUNCTION_DELETED, FUNCTION_UPDATED, WARNING
from . import code_location, durable_config, function_code, function_config, moto_iam
from .function_logging import log_settings, logging_document
from .function_names import FunctionNameGuard
from .function_table import FunctionTable
from .gateway import Gateway, Request, Response
from .layers import check_combined_size
from .moto_lambda import FunctionVersion, MotoLambda, VersionRef
from .pagination import page

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..clock import Clock
    from ..credentials import Credentials
    from ..ports import Ids, Place
    from ..runtime.types import Runtime
    from ..trace import Trace
    from .concurrency import ConcurrencyService
    from .function_urls import FunctionUrls
    from .lambda_layers import LayerService
    from .lambda_policy import PolicyService
    from .layers import LayerVersion


#: ListFunctions leaves these out; GetFunction gives them
NOT_LISTED = (
    "State",
    "StateReason",
    "StateReasonCode",
    "LastUpdateStatus",
    "LastUpdateStatusReason",
    "LastUpdateStatusReasonCode",
    "RuntimeVersionConfig",
)
LIST_PAGE = 50


class LambdaLabWarning(UserWarning):
    """Something AWS accepts now but that will fail later; the lab says so early."""


class FunctionService:
    """CreateFunction, GetFunction, Update..., DeleteFunction, and moto's configuration hooks."""

    def __init__(
        self,
        place: Place,
        ids: Ids,
        clock: Clock,
        trace: Trace,
        runner: Runtime,
        policies: PolicyService,
        store: MotoLambda,
        table: FunctionTable,
        endpoint_url: Callable[[], str],
        credentials: Credentials,
    ) -> None:
        self.place, self.ids, self.clock, self.trace = place, ids, clock, trace
        self.runner, self.policies = runner, policies
        self.endpoint_url = endpoint_url
        #: what ``Code.Location`` URLs are presigned with (the lab's own credentials)
        self.credentials = credentials
        self.store = store
        #: RevisionId and DeadLetterConfig of every version (moto keeps neither)
        self.table = table
        #: the functions' ``Layers`` (moto never sees them; connected by :mod:`lambdalab.wiring`)
        self.layers: LayerService | None = None
        #: the function URLs, which a deleted function or alias loses (connected by :mod:`lambdalab.wiring`)
        self.urls: FunctionUrls | None = None
        #: provisioned concurrency, which a deleted function, version or alias loses (connected by :mod:`lambdalab.wiring`)
        self.concurrency: ConcurrencyService | None = None
        #: which functions are durable (moto does not know DurableConfig)
        self.durable_configs = durable_config.DurableConfigs()

    def register(self, gw: Gateway) -> None:
        gw.guard("lambda", FunctionNameGuard(self.place.region, self.place.account_id))
        gw.route("lambda", "CreateFunction", self.create_function)
        gw.route("lambda", "UpdateFunctionConfiguration", self.update_configuration)
        gw.route("lambda", "UpdateFunctionCode", self.update_code)
        gw.route("lambda", "GetFunction", self.get_function)
        gw.route("lambda", "ListFunctions", self.list_functions)
        gw.route("lambda", "DeleteFunction", self.delete_function)
        gw.route("lambda", "DeleteAlias", self.delete_alias)
        gw.raw("code", self.download_code)

    # -- hooks called by moto_hooks_lambda ---------------------------------------
    def configuration(self, fn: VersionRef, config: dict[str, Any], on_create: bool) -> dict[str, Any]:
        """Amend moto's GetFunctionConfiguration document with what Lambda reports."""
        name, version = fn.function_name, fn.version
        config["RevisionId"] = self.table.revision(name, version) or self.table.new_revision(name, version)
        config["State"] = "Active"
        config["LastUpdateStatus"] = "Successful"
        config["LoggingConfig"] = logging_document(self.table.logging(name, version), name)
        dlq = self.table.dead_letter(name, version)
        if dlq:
            config["DeadLetterConfig"] = {"TargetArn": dlq}
        durable = self.durable_configs.get(name)
        if durable is not None:
            config["DurableConfig"] = durable.document()
        for key in [k for k, v in config.items() if v is None]:
            del config[key]
        if not config.get("Layers"):
            config.pop("Layers", None)
        if self.layers is not None:
            self.layers.configuration(self.place.arn("lambda", f"function:{name}"), version, config)
        return config

    def changed(self, fn: VersionRef, what: str, updates: dict[str, Any] | None, creating: bool) -> None:
        """Code or configuration changed (or moto is creating the function): new RevisionId, old environments retired."""
        name, version = fn.function_name, fn.version
        if creating:
            self.table.new_revision(name, version)
            return
        if updates and "DeadLetterConfig" in updates:
            self.table.set_dead_letter(name, version, (updates["DeadLetterConfig"] or {}).get("TargetArn") or None)
        self.table.new_revision(name, version)
        self.runner.retire(name)
        self.trace.add(FUNCTION_UPDATED, name, what=what)

    def published(self, fn: VersionRef) -> None:
        """A version was published: it keeps $LATEST's RevisionId, DeadLetterConfig and layers."""
        self.table.published(fn.function_name, fn.version)
        if self.layers is not None:
            self.layers.store.published(self.place.arn("lambda", f"function:{fn.function_name}"), fn.version)

    # -- handlers -----------------------------------------------------------------
    def create_function(self, req: Request, gw: Gateway) -> Response:
        body = req.json()
        name = body.get("FunctionName", "")
        function_config.check_function_name(name)
        function_config.check_configuration(body)
        package_type = body.get("PackageType", "Zip")
        code = body.get("Code") or {}
        if package_type == "Image" or "ImageUri" in code:
            raise invalid_parameter(
                "The lab runs .zip deployment packages only: container images need a registry and "
                "Docker, which the lab does without. Use PackageType Zip."
            )
        if not body.get("Runtime") or not body.get("Handler"):
            raise invalid_parameter(
                "Runtime and Handler are mandatory parameters for functions created with deployment packages."
            )
        names = function_code.package_names(self.place.account_id, code, "CreateFunction")
        durable = self._durable_settings(body, None, body.get("Runtime"))
        moto_iam.check_role_assumable(self.place.account_id, body["Role"])
        self._warn_handler(body.get("Runtime"), body.get("Handler"), names)
        req, layers = self._take_layers(req, code, None)
        resp = gw.forward(req)
        if resp.status >= 300:
            return resp
        config = json.loads(resp.body)
        fn = self.store.get(name.split(":")[-1])
        self._attach_layers(fn, layers, config)
        dlq = body.get("DeadLetterConfig", {}).get("TargetArn")
        if dlq:
            self.table.set_dead_letter(fn.function_name, fn.version, dlq)
            config["DeadLetterConfig"] = {"TargetArn": dlq}
        if body.get("LoggingConfig") is not None:
            settings = log_settings(body["LoggingConfig"], fn.function_name)
            self.table.set_logging(fn.function_name, fn.version, settings)
            config["LoggingConfig"] = logging_document(settings, fn.function_name)
        if durable is not None:
            self.durable_configs.set(fn.function_name, durable)
            config["DurableConfig"] = durable.document()
        config.update(State="Pending", StateReason="The function is being created.", StateReasonCode="Creating")
        config.pop("LastUpdateStatus", None)
        self.trace.add(FUNCTION_CREATED, fn.function_name, runtime=body.get("Runtime"))
        return Response.json(201, config)

    def update_configuration(self, req: Request, gw: Gateway) -> Response:
        body = req.json()
        function_config.check_configuration(body)
        fn = self.store.get(req.params["FunctionName"])
        self._check_revision(fn, body.get("RevisionId"))
        if "Role" in body:
            moto_iam.check_role_assumable(self.place.account_id, body["Role"])
        current = self.durable_configs.get(fn.function_name)
        if "DurableConfig" in body and current is None:  # durable-configuration.html: "only ... when creating"
            raise invalid_parameter("Durable execution can only be enabled when a function is created.")
        durable = self._durable_settings(body, current, body.get("Runtime", fn.runtime))
        if durable is not None:
            self.durable_configs.set(fn.function_name, durable)
        if "Handler" in body or "Runtime" in body:
            self._warn_handler(
                body.get("Runtime", fn.runtime), body.get("Handler", fn.handler), function_code.names_of(fn.code_zip)
            )
        req, layers = self._take_layers(req, None, fn.code_zip)
        resp = gw.forward(req)
        if resp.status < 300 and layers is not None:
            config = json.loads(resp.body)
            self._attach_layers(fn, layers, config)
            resp = Response.json(resp.status, config)
        if resp.status < 300 and body.get("LoggingConfig") is not None:
            settings = log_settings(body["LoggingConfig"], fn.function_name)
            self.table.set_logging(fn.function_name, fn.version, settings)
            config = json.loads(resp.body)
            config["LoggingConfig"] = logging_document(settings, fn.function_name)
            resp = Response.json(resp.status, config)
        return self._in_progress(resp)

    def update_code(self, req: Request, gw: Gateway) -> Response:
        body = req.json()
        fn = self.store.get(req.params["FunctionName"])
        self._check_revision(fn, body.get("RevisionId"))
        names = function_code.package_names(self.place.account_id, body, "UpdateFunctionCode")
        if names is not None:
            self._warn_handler(fn.runtime, fn.handler, names)
        attached = (
            self.layers.store.attached(self.place.arn("lambda", f"function:{fn.function_name}"), "$LATEST")
            if self.layers
            else ()
        )
        new_code = function_code.package_bytes(self.place.account_id, body) if attached else None
        if new_code:
            check_combined_size(unzipped_size(new_code), list(attached))
        resp = gw.forward(req)
        if body.get("Publish") and resp.status < 300:
            self.store.publish(fn.function_name)
        return self._in_progress(resp)

    @staticmethod
    def _durable_settings(
        body: dict[str, Any], current: durable_config.DurableSettings | None, runtime: str | None
    ) -> durable_config.DurableSettings | None:
        """The durable settings a Create/UpdateFunctionConfiguration asks for (None: it asks for none)."""
        if "DurableConfig" not in body:
            return None
        problem = durable_config.runtime_problem(runtime)
        if problem:
            raise invalid_parameter(problem)
        return durable_config.parse(body["DurableConfig"], current)

    def get_function(self, req: Request, gw: Gateway) -> Response:
        resp = gw.forward(req)
        if resp.status >= 300:
            return resp
        doc = json.loads(resp.body)
        config = doc["Configuration"]
        version = config.get("Version", "$LATEST")
        doc["Code"] = {"RepositoryType": "S3", "Location": self.code_location(config["FunctionName"], version)}
        return Response.json(200, doc)

    def code_location(self, name: str, version: str) -> str:
        """A URL that downloads the package for ten minutes of lab time, presigned as S3 does."""
        return code_location.presigned(
            self.endpoint_url(),
            "code",
            (self.place.region, name, version),
            self.credentials,
            self.place.region,
            self.clock.now,
        )

    def list_functions(self, req: Request, gw: Gateway) -> Response:
        configs = sorted(
            self.store.configurations(req.q("FunctionVersion")),
            key=lambda c: (c["FunctionName"], _version_key(c["Version"])),
        )
        chunk, nxt = page(req, configs, default=LIST_PAGE, maximum=10000, per_response=LIST_PAGE)
        out: dict[str, Any] = {"Functions": [{k: v for k, v in c.items() if k not in NOT_LISTED} for c in chunk]}
        if nxt:
            out["NextMarker"] = nxt
        return Response.json(200, out)

    def delete_function(self, req: Request, gw: Gateway) -> Response:
        name = req.params["FunctionName"]
        qualifier = req.q("Qualifier")
        if qualifier == "$LATEST":
            raise invalid_parameter("$LATEST version cannot be deleted without deleting the function.")
        fn = self.store.get(name, qualifier)
        if qualifier:
            aliases = self.store.aliases_to(fn.function_name, qualifier)
            if aliases:
                raise AwsError(
                    "ResourceConflictException",
                    f"Unable to delete version because the following aliases reference it: {aliases}",
                    409,
                )
        resp = gw.forward(req)
        if resp.status < 300:
            if not qualifier:
                self.policies.forget(fn.function_name)
                self.durable_configs.forget(fn.function_name)
            self.table.forget(fn.function_name, qualifier)
            if self.urls is not None:
                self.urls.forget(fn.function_name, qualifier, every=not qualifier)
            if self.concurrency is not None:
                self.concurrency.forget(fn.function_name, qualifier)
            if self.layers is not None:
                self.layers.store.forget(self.place.arn("lambda", f"function:{fn.function_name}"), qualifier)
            self.runner.retire(fn.function_name, qualifier)
            self.trace.add(FUNCTION_DELETED, fn.function_name, qualifier=qualifier)
        return resp

    def delete_alias(self, req: Request, gw: Gateway) -> Response:
        """DeleteAlias: the alias goes with its function URL and its provisioned concurrency (urls-configuration)."""
        fn = self.store.get(req.params["FunctionName"])
        resp = gw.forward(req)
        if resp.status < 300:
            if self.urls is not None:
                self.urls.forget(fn.function_name, req.params["Name"])
            if self.concurrency is not None:
                self.concurrency.forget(fn.function_name, req.params["Name"])
        return resp

    def download_code(self, environ: dict[str, Any]) -> Response:
        """``Code.Location``: the package as stored, for a URL the lab presigned and that has not expired.

        The gateway has checked the signature already; S3 refuses an expired one with AccessDenied.
        """
        refused = code_location.refusal(environ, self.clock.now)
        if refused is not None:
            return refused
        parts = environ["PATH_INFO"].split("/")  # /_lambdalab/code/<region>/<name>/<version>
        if len(parts) != 6:
            return Response(404, b"not found")
        _, _, _, region, name, version = parts
        try:
            fn = self.store.get(name, version, region=region)
        except AwsError:
            return Response(404, b"not found")
        return Response(200, fn.code_zip, {"Content-Type": "application/zip"})

    # -- helpers ------------------------------------------------------------------
    def _take_layers(
        self, req: Request, code: dict[str, Any] | None, code_zip: bytes | None
    ) -> tuple[Request, tuple[LayerVersion, ...] | None]:
        """The request without ``Layers`` (moto would look for them in its own store), and the layers it sets."""
        if self.layers is None:
            return req, None
        if code_zip is None and code is not None:
            code_zip = function_code.package_bytes(self.place.account_id, code)
        size = unzipped_size(code_zip) if code_zip else None
        return self.layers.take_layers(req, size)

    def _attach_layers(
        self, fn: FunctionVersion, layers: tuple[LayerVersion, ...] | None, config: dict[str, Any]
    ) -> None:
        if self.layers is None or layers is None:
            return
        arn = self.place.arn("lambda", f"function:{fn.function_name}")
        self.layers.store.attach(arn, fn.version, layers)
        config.pop("Layers", None)
        self.layers.configuration(arn, fn.version, config)

    def _warn_handler(self, runtime: str | None, handler: str | None, names: list[str] | None) -> None:
        if names is None:
            return
        problem = handler_problem(runtime, handler, names)
        if problem:
            warnings.warn(problem, LambdaLabWarning, stacklevel=2)
            self.trace.add(WARNING, None, message=problem)

    def _check_revision(self, fn: FunctionVersion, revision: str | None) -> None:
        if revision and revision != self.table.revision(fn.function_name, fn.version):
            raise AwsError(
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
                412,
            )

    @staticmethod
    def _in_progress(resp: Response) -> Response:
        if resp.status >= 300:
            return resp
        config = json.loads(resp.body)
        config.update(
            LastUpdateStatus="InProgress",
            LastUpdateStatusReason="The function is being created.",
            LastUpdateStatusReasonCode="Creating",
        )
        return Response.json(resp.status, config)


def _version_key(version: str) -> int:
    return -1 if version == "$LATEST" else int(version)
