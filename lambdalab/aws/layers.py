"""Lambda layers as the lab keeps them: versions of .zip archives that functions add beside their code.

A layer version is immutable: publishing again makes version N+1 (numbers are never reused,
even after a delete).  Deleting a version removes it from the API, but a function that already
uses it keeps a copy and still runs with it.  A function lists at most five layers; Lambda
extracts them into ``/opt`` in the order listed (a later layer's file replaces an earlier one's),
and the function's own code plus every layer must stay within 250 MB unzipped.  A layer version
can be shared with another account (or everyone) through its own small resource policy, whose
only action is ``lambda:GetLayerVersion``.

This module is the store and the pure rules; :mod:`lambdalab.aws.lambda_layers` serves the API.

https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html
https://docs.aws.amazon.com/lambda/latest/dg/adding-layers.html
https://docs.aws.amazon.com/lambda/latest/dg/permissions-layer-cross-account.html
https://docs.aws.amazon.com/lambda/latest/api/API_PublishLayerVersion.html
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from ..deployment_package import UNZIPPED_LIMIT
from ..errors import AwsError, invalid_parameter

#: "You can add up to five layers to a function" (adding-layers)
MAX_LAYERS = 5
GONE = "The resource you requested does not exist."
_VERSION_ARN = re.compile(
    r"^arn:(aws[a-zA-Z-]*):lambda:(?P<region>[a-z]{2}(-gov)?-[a-z]+-\d):(?P<account>\d{12}):"
    r"layer:(?P<name>[a-zA-Z0-9-_]+):(?P<version>[0-9]+)$"
)


@dataclass(frozen=True)
class LayerVersion:
    """One published version: its archive and what PublishLayerVersion was told."""

    layer_arn: str
    version: int
    zip_bytes: bytes = field(repr=False)
    code_sha256: str  # base64 of the SHA-256, as Lambda reports CodeSha256
    unzipped_size: int
    created: str  # ISO 8601 with milliseconds and +0000, as Lambda writes CreatedDate
    description: str = ""
    compatible_runtimes: tuple[str, ...] = ()
    compatible_architectures: tuple[str, ...] = ()
    license_info: str | None = None

    @property
    def arn(self) -> str:
        return f"{self.layer_arn}:{self.version}"

    @property
    def name(self) -> str:
        return self.layer_arn.rsplit(":", 1)[1]

    def list_item(self) -> dict[str, Any]:
        """The LayerVersionsListItem document (ListLayerVersions, ListLayers' LatestMatchingVersion)."""
        item: dict[str, Any] = {
            "LayerVersionArn": self.arn,
            "Version": self.version,
            "Description": self.description,
            "CreatedDate": self.created,
        }
        if self.compatible_runtimes:
            item["CompatibleRuntimes"] = list(self.compatible_runtimes)
        if self.license_info is not None:
            item["LicenseInfo"] = self.license_info
        if self.compatible_architectures:
            item["CompatibleArchitectures"] = list(self.compatible_architectures)
        return item

    def matches(self, runtime: str | None, architecture: str | None) -> bool:
        """ListLayers' and ListLayerVersions' filters."""
        if runtime and runtime not in self.compatible_runtimes:
            return False
        return not (architecture and architecture not in self.compatible_architectures)


def parse_version_arn(arn: str) -> tuple[str, str, int] | None:
    """(account, layer ARN, version) of a layer version ARN, or None when it is not one."""
    hit = _VERSION_ARN.match(arn)
    if not hit:
        return None
    layer_arn = arn.rsplit(":", 1)[0]
    return hit.group("account"), layer_arn, int(hit.group("version"))


def check_layer_list(arns: list[str]) -> None:
    """The rules of a function's ``Layers`` list that need no store: at most five, one version per layer."""
    if len(arns) > MAX_LAYERS:
        raise invalid_parameter(f"Cannot reference more than {MAX_LAYERS} layers.")
    seen: set[str] = set()
    for arn in arns:
        parsed = parse_version_arn(arn)
        if parsed is None:
            continue  # the store's lookup answers with "does not exist"
        if parsed[1] in seen:
            raise invalid_parameter(
                f"Two different versions of the same layer are not allowed to be referenced in the same function. {arn}"
            )
        seen.add(parsed[1])


def check_combined_size(code_size: int, layers: list[LayerVersion]) -> None:
    """Function code plus every layer, unzipped, within 250 MB (the message users report from AWS)."""
    total = code_size + sum(layer.unzipped_size for layer in layers)
    if total > UNZIPPED_LIMIT:
        raise invalid_parameter(
            f"Function code combined with layers exceeds the maximum allowed size of {UNZIPPED_LIMIT} bytes. "
            f"The actual size is {total} bytes."
        )


class LayerStore:
    """Every layer version of the lab (all accounts), their policies, and which versions functions use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, dict[int, LayerVersion]] = {}  # layer ARN -> version -> LayerVersion
        self._latest: dict[str, int] = {}  # layer ARN -> highest number ever published
        self._policies: dict[str, list[dict[str, Any]]] = {}  # layer version ARN -> statements
        self._revisions: dict[str, str] = {}  # layer version ARN -> policy RevisionId
        #: (function ARN, version) -> the layer versions it uses, in order (copies: they outlive a delete)
        self._attached: dict[tuple[str, str], tuple[LayerVersion, ...]] = {}

    # -- versions ---------------------------------------------------------------------
    def next_version(self, layer_arn: str) -> int:
        with self._lock:
            return self._latest.get(layer_arn, 0) + 1

    def add(self, version: LayerVersion) -> None:
        with self._lock:
            self._versions.setdefault(version.layer_arn, {})[version.version] = version
            self._latest[version.layer_arn] = max(self._latest.get(version.layer_arn, 0), version.version)

    def get(self, layer_arn: str, version: int) -> LayerVersion | None:
        with self._lock:
            return self._versions.get(layer_arn, {}).get(version)

    def get_by_arn(self, arn: str) -> LayerVersion | None:
        parsed = parse_version_arn(arn)
        return self.get(parsed[1], parsed[2]) if parsed else None

    def versions(self, layer_arn: str) -> list[LayerVersion]:
        """Newest first, as ListLayerVersions answers."""
        with self._lock:
            found = list(self._versions.get(layer_arn, {}).values())
        return sorted(found, key=lambda v: -v.version)

    def layers(self, account: str) -> list[str]:
        """The ARNs of ``account``'s layers that have at least one version, by name."""
        with self._lock:
            arns = [a for a, vs in self._versions.items() if vs and a.split(":")[4] == account]
        return sorted(arns, key=lambda a: a.rsplit(":", 1)[1])

    def delete(self, layer_arn: str, version: int) -> None:
        with self._lock:
            self._versions.get(layer_arn, {}).pop(version, None)
            self._policies.pop(f"{layer_arn}:{version}", None)
            self._revisions.pop(f"{layer_arn}:{version}", None)

    # -- policies ---------------------------------------------------------------------
    def statements(self, version_arn: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(s) for s in self._policies.get(version_arn, [])]

    def revision(self, version_arn: str) -> str | None:
        with self._lock:
            return self._revisions.get(version_arn)

    def set_statements(self, version_arn: str, statements: list[dict[str, Any]], revision: str) -> None:
        with self._lock:
            self._policies[version_arn] = statements
            self._revisions[version_arn] = revision

    def usable_by(self, version: LayerVersion, account: str, org_id: str | None) -> bool:
        """May ``account`` add ``version`` to its functions?  Its own account always; others by the policy."""
        if version.arn.split(":")[4] == account:
            return True
        for st in self.statements(version.arn):
            principal = st.get("Principal")
            aws = principal.get("AWS") if isinstance(principal, dict) else principal
            if aws not in ("*", f"arn:aws:iam::{account}:root"):
                continue
            wanted_org = ((st.get("Condition") or {}).get("StringEquals") or {}).get("aws:PrincipalOrgID")
            if wanted_org is None or wanted_org == org_id:
                return True
        return False

    # -- what functions use -----------------------------------------------------------
    def attach(self, function_arn: str, version: str, layers: tuple[LayerVersion, ...]) -> None:
        with self._lock:
            if layers:
                self._attached[(function_arn, version)] = layers
            else:
                self._attached.pop((function_arn, version), None)

    def attached(self, function_arn: str, version: str) -> tuple[LayerVersion, ...]:
        with self._lock:
            return self._attached.get((function_arn, version), ())

    def published(self, function_arn: str, version: str) -> None:
        """A version was published: it keeps the layers ``$LATEST`` has now."""
        with self._lock:
            latest = self._attached.get((function_arn, "$LATEST"))
            if latest and (function_arn, version) not in self._attached:
                self._attached[(function_arn, version)] = latest

    def forget(self, function_arn: str, version: str | None = None) -> None:
        with self._lock:
            for key in [k for k in self._attached if k[0] == function_arn and version in (None, k[1])]:
                del self._attached[key]


def lookup(store: LayerStore, arn: str, account: str, org_id: str | None) -> LayerVersion:
    """The layer version a function's ``Layers`` entry names, if it exists and ``account`` may use it."""
    found = store.get_by_arn(arn)
    if found is None:
        raise invalid_parameter(f"Layer version {arn} does not exist.")
    if not store.usable_by(found, account, org_id):
        raise AwsError(
            "AccessDeniedException",
            f"User: arn:aws:iam::{account}:root is not authorized to perform: lambda:GetLayerVersion on resource: "
            f"{arn} because no resource-based policy allows the lambda:GetLayerVersion action",
            403,
        )
    return found
