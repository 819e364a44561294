"""The layer API: PublishLayerVersion, GetLayerVersion(ByArn), ListLayers, ListLayerVersions,
DeleteLayerVersion and the layer permission operations, answered by the lab.

moto 5.2 stores layers but gets several things wrong for a learner: ListLayers and
ListLayerVersions ignore ``CompatibleRuntime``, a layer version's ``Content.Location`` does not
download, its policy is not consulted when another account adds the layer, and a function's
layers are never put beside its code.  The lab keeps layers in :mod:`lambdalab.aws.layers`
(moto never sees them: :meth:`LayerService.take_layers` removes ``Layers`` from a function
request before moto reads it, and adds them back to the function's configuration).

https://docs.aws.amazon.com/lambda/latest/api/API_PublishLayerVersion.html
https://docs.aws.amazon.com/lambda/latest/api/API_GetLayerVersion.html
https://docs.aws.amazon.com/lambda/latest/api/API_ListLayers.html
https://docs.aws.amazon.com/lambda/latest/api/API_AddLayerVersionPermission.html
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..deployment_package import UNZIPPED_LIMIT, unzipped_size
from ..errors import AwsError, invalid_parameter, not_found, validation
from ..timestamps import lambda_timestamp
from . import code_location, function_config, moto_s3
from .gateway import Gateway, Request, Response
from .layers import GONE, LayerStore, LayerVersion, check_combined_size, check_layer_list, lookup, parse_version_arn
from .pagination import page

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..clock import Clock
    from ..credentials import Credentials
    from ..ports import Ids, Place

_NAME = re.compile(r"^[a-zA-Z0-9-_]+$")
_PRINCIPAL = re.compile(r"^(\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root)$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
_SID = re.compile(r"^([a-zA-Z0-9-_]+)$")
LIST_PAGE = 50


class LayerService:
    """The layer operations, and the ``Layers`` of CreateFunction / UpdateFunctionConfiguration."""

    def __init__(
        self,
        place: Place,
        ids: Ids,
        clock: Clock,
        store: LayerStore,
        endpoint_url: Callable[[], str],
        credentials: Credentials,
        org_of: Callable[[str], str | None],
    ) -> None:
        self.place, self.ids, self.clock, self.store = place, ids, clock, store
        self.endpoint_url, self.credentials, self.org_of = endpoint_url, credentials, org_of

    def register(self, gw: Gateway) -> None:
        gw.route("lambda", "PublishLayerVersion", self.publish)
        gw.route("lambda", "GetLayerVersion", self.get)
        gw.route("lambda", "GetLayerVersionByArn", self.get_by_arn_or_list)
        gw.route("lambda", "ListLayers", self.list_layers)
        gw.route("lambda", "ListLayerVersions", self.list_versions)
        gw.route("lambda", "DeleteLayerVersion", self.delete)
        gw.route("lambda", "AddLayerVersionPermission", self.add_permission)
        gw.route("lambda", "GetLayerVersionPolicy", self.get_policy)
        gw.route("lambda", "RemoveLayerVersionPermission", self.remove_permission)
        gw.raw("layer", self.download)

    # -- the function side ----------------------------------------------------------------
    def take_layers(self, req: Request, code_size: int | None) -> tuple[Request, tuple[LayerVersion, ...] | None]:
        """Check a function request's ``Layers`` and remove them for moto: (request for moto, layers or None).

        None: the request does not set ``Layers``.  ``code_size``: the function's code unzipped (for the
        250 MB rule), None when not known here.
        """
        body = req.json()
        if "Layers" not in body:
            return req, None
        arns = [str(a) for a in body.pop("Layers") or []]
        check_layer_list(arns)
        account = req.caller_account or self.place.account_id
        layers = tuple(lookup(self.store, arn, account, self.org_of(account)) for arn in arns)
        if code_size is not None:
            check_combined_size(code_size, list(layers))
        return replace(req, body=json.dumps(body).encode()), layers

    def configuration(self, function_arn: str, version: str, config: dict[str, Any]) -> None:
        """Add the version's layers to a FunctionConfiguration document (``Layers``: Arn and CodeSize)."""
        layers = self.store.attached(function_arn, version)
        if layers:
            config["Layers"] = [{"Arn": layer.arn, "CodeSize": len(layer.zip_bytes)} for layer in layers]

    # -- the API ----------------------------------------------------------------------
    def publish(self, req: Request, gw: Gateway) -> Response:
        layer_arn = self._layer_arn(req.params["LayerName"])
        body = req.json()
        content = body.get("Content")
        if not isinstance(content, dict):
            raise validation(None, "content", "Member must not be null")
        runtimes = [str(r) for r in body.get("CompatibleRuntimes") or []]
        for runtime in runtimes:
            function_config.check_runtime(runtime)
        if len(runtimes) > 15:
            raise validation(runtimes, "compatibleRuntimes", "Member must have length less than or equal to 15")
        architectures = [str(a) for a in body.get("CompatibleArchitectures") or []]
        if len(architectures) > 2 or any(a not in ("x86_64", "arm64") for a in architectures):
            raise validation(
                architectures,
                "compatibleArchitectures",
                "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]",
            )
        data = self._archive(content)
        function_config.check_zip(data, "PublishLayerVersion", uploaded="ZipFile" in content)
        size = unzipped_size(data, UNZIPPED_LIMIT)
        version = LayerVersion(
            layer_arn=layer_arn,
            version=self.store.next_version(layer_arn),
            zip_bytes=data,
            code_sha256=base64.b64encode(hashlib.sha256(data).digest()).decode(),
            unzipped_size=size,
            created=lambda_timestamp(self.clock.now),
            description=str(body.get("Description") or ""),
            compatible_runtimes=tuple(runtimes),
            compatible_architectures=tuple(architectures),
            license_info=body.get("LicenseInfo"),
        )
        self.store.add(version)
        return Response.json(201, self._document(version))

    def get(self, req: Request, gw: Gateway) -> Response:
        return Response.json(200, self._document(self._version(req)))

    def get_by_arn_or_list(self, req: Request, gw: Gateway) -> Response:
        """``GET /2018-10-31/layers`` is ListLayers, or GetLayerVersionByArn with ``?find=LayerVersion``."""
        if req.q("find") != "LayerVersion":
            return self.list_layers(req, gw)
        arn = req.q("Arn") or ""
        if parse_version_arn(arn) is None:
            raise validation(
                arn,
                "arn",
                "Member must satisfy regular expression pattern: "
                "(arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\\d{1}:\\d{12}:layer:"
                "[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)",
            )
        found = self.store.get_by_arn(arn)
        if found is None:
            raise not_found(GONE)
        return Response.json(200, self._document(found))

    def list_layers(self, req: Request, gw: Gateway) -> Response:
        runtime, arch = req.q("CompatibleRuntime"), req.q("CompatibleArchitecture")
        items = []
        for layer_arn in self.store.layers(self.place.account_id):
            matching = [v for v in self.store.versions(layer_arn) if v.matches(runtime, arch)]
            if matching:
                latest = matching[0]
                items.append(
                    {"LayerName": latest.name, "LayerArn": layer_arn, "LatestMatchingVersion": latest.list_item()}
                )
        chunk, nxt = page(req, items, default=LIST_PAGE, maximum=50)
        out: dict[str, Any] = {"Layers": chunk}
        if nxt:
            out["NextMarker"] = nxt
        return Response.json(200, out)

    def list_versions(self, req: Request, gw: Gateway) -> Response:
        layer_arn = self._layer_arn(req.params["LayerName"])
        runtime, arch = req.q("CompatibleRuntime"), req.q("CompatibleArchitecture")
        items = [v.list_item() for v in self.store.versions(layer_arn) if v.matches(runtime, arch)]
        chunk, nxt = page(req, items, default=LIST_PAGE, maximum=50)
        out: dict[str, Any] = {"LayerVersions": chunk}
        if nxt:
            out["NextMarker"] = nxt
        return Response.json(200, out)

    def delete(self, req: Request, gw: Gateway) -> Response:
        """Idempotent; functions that use the version keep their copy."""
        self.store.delete(self._layer_arn(req.params["LayerName"]), self._number(req))
        return Response(204, b"")

    def add_permission(self, req: Request, gw: Gateway) -> Response:
        version = self._version(req)
        body = req.json()
        sid, action = str(body.get("StatementId") or ""), str(body.get("Action") or "")
        principal, org = str(body.get("Principal") or ""), body.get("OrganizationId")
        if not _SID.match(sid) or len(sid) > 100:
            raise validation(sid, "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")
        if action != "lambda:GetLayerVersion":
            raise validation(action, "action", "Member must satisfy regular expression pattern: lambda:GetLayerVersion")
        if not _PRINCIPAL.match(principal):
            raise validation(
                principal,
                "principal",
                "Member must satisfy regular expression pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root",
            )
        if org is not None and not _ORG.match(str(org)):
            raise validation(org, "organizationId", "Member must satisfy regular expression pattern: o-[a-z0-9]{10,32}")
        statements = self.store.statements(version.arn)
        self._check_revision(version.arn, body.get("RevisionId"))
        if any(s["Sid"] == sid for s in statements):
            raise AwsError(
                "ResourceConflictException",
                f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
                "or remove the existing statement.",
                409,
            )
        aws = (
            "*" if principal == "*" else principal if principal.startswith("arn:") else f"arn:aws:iam::{principal}:root"
        )
        st: dict[str, Any] = {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": "*" if aws == "*" else {"AWS": aws},
            "Action": action,
            "Resource": version.arn,
        }
        if org:
            st["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": str(org)}}
        revision = self.ids.new_id()
        self.store.set_statements(version.arn, [*statements, st], revision)
        return Response.json(201, {"Statement": json.dumps(st, separators=(",", ":")), "RevisionId": revision})

    def get_policy(self, req: Request, gw: Gateway) -> Response:
        version = self._version(req)
        statements = self.store.statements(version.arn)
        if not statements:
            raise not_found("No policy is associated with the given resource.")
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
        return Response.json(
            200, {"Policy": json.dumps(policy, separators=(",", ":")), "RevisionId": self.store.revision(version.arn)}
        )

    def remove_permission(self, req: Request, gw: Gateway) -> Response:
        version = self._version(req)
        sid = req.params["StatementId"]
        self._check_revision(version.arn, req.q("RevisionId"))
        statements = self.store.statements(version.arn)
        kept = [s for s in statements if s["Sid"] != sid]
        if len(kept) == len(statements):
            raise not_found(f"Statement {sid} is not found in resource policy.")
        self.store.set_statements(version.arn, kept, self.ids.new_id())
        return Response(204, b"")

    def download(self, environ: dict[str, Any]) -> Response:
        """``Content.Location``: the archive, for a presigned URL that has not expired (S3's AccessDenied if it has)."""
        refused = code_location.refusal(environ, self.clock.now)
        if refused is not None:
            return refused
        parts = environ["PATH_INFO"].split("/")  # /_lambdalab/layer/<account>/<region>/<name>/<version>
        found = None
        if len(parts) == 7 and parts[6].isdigit():
            found = self.store.get(f"arn:aws:lambda:{parts[4]}:{parts[3]}:layer:{parts[5]}", int(parts[6]))
        if found is None:
            return Response(404, b"not found")
        return Response(200, found.zip_bytes, {"Content-Type": "application/zip"})

    # -- helpers ----------------------------------------------------------------------
    def _layer_arn(self, name_or_arn: str) -> str:
        if name_or_arn.startswith("arn:"):
            parts = name_or_arn.split(":")
            if len(parts) == 7 and parts[5] == "layer" and _NAME.match(parts[6]):
                return name_or_arn
        elif _NAME.match(name_or_arn) and len(name_or_arn) <= 140:
            return self.place.arn("lambda", f"layer:{name_or_arn}")
        raise validation(
            name_or_arn,
            "layerName",
            "Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:"
            "layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+",
        )

    @staticmethod
    def _number(req: Request) -> int:
        raw = req.params.get("VersionNumber", "")
        if not raw.lstrip("-").isdigit():
            raise validation(raw, "versionNumber", "Member must be a number")
        return int(raw)

    def _version(self, req: Request) -> LayerVersion:
        found = self.store.get(self._layer_arn(req.params["LayerName"]), self._number(req))
        if found is None:
            raise not_found(GONE)
        return found

    def _check_revision(self, version_arn: str, revision: object) -> None:
        if revision and revision != self.store.revision(version_arn):
            raise AwsError(
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. "
                "Call the GetLayerPolicy API to retrieve the latest Revision Id",
                412,
            )

    def _archive(self, content: dict[str, Any]) -> bytes:
        if "ZipFile" in content:
            try:
                return base64.b64decode(content["ZipFile"], validate=True)
            except ValueError as err:
                raise invalid_parameter(
                    "Could not unzip uploaded file. Please check your file, then try to upload again."
                ) from err
        if content.get("S3Bucket") and content.get("S3Key"):
            return moto_s3.package(
                self.place.account_id, content["S3Bucket"], content["S3Key"], content.get("S3ObjectVersion")
            )
        raise invalid_parameter("Please provide a source for publishing the layer: a ZipFile, or S3Bucket and S3Key.")

    def _document(self, version: LayerVersion) -> dict[str, Any]:
        """GetLayerVersion's (and PublishLayerVersion's) document."""
        account, region = version.layer_arn.split(":")[4], version.layer_arn.split(":")[3]
        parts = (account, region, version.name, str(version.version))
        location = code_location.presigned(
            self.endpoint_url(), "layer", parts, self.credentials, self.place.region, self.clock.now
        )
        item = version.list_item()
        doc: dict[str, Any] = {
            "Content": {
                "Location": location,
                "CodeSha256": version.code_sha256,
                "CodeSize": len(version.zip_bytes),
            },
            "LayerArn": version.layer_arn,
            **{k: v for k, v in item.items() if k != "LayerVersionArn"},
            "LayerVersionArn": version.arn,
        }
        return doc
