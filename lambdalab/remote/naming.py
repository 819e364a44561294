"""A run's names: every resource a connected lab creates carries its prefix and its tag.

A notebook names things ``hello`` or ``orders``; in a shared account those names are
someone else's too.  Each connected run picks a random id (``ll-3f9a2c-``) and a hook on
each of its boto3 clients (botocore's ``provide-client-params`` event, before the request
is validated and signed) puts the prefix in front of the names the notebook passes:
function, layer, role, queue, topic, bucket, table, stream and rule names, and the
function's log group.  A name already carrying the prefix, or an ARN, is left as it is.  Calls that
create a resource also get the tag ``lambdalab:run = <id>`` (the operation's own
``Tags``/``tags`` member; an S3 bucket's tagging right after it is created).

Cleanup deletes only what has both the prefix and, where the service can show tags, the
tag (:mod:`.cleanup`).

Tagging: https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
botocore's events: https://botocore.amazonaws.com/v1/documentation/api/latest/topics/events.html
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TAG_KEY = "lambdalab:run"
PREFIX_PATTERN = re.compile(r"ll-([0-9a-f]{6})-")

#: the parameters that name a resource, per service (operations not listed name nothing)
NAME_PARAMS: dict[str, tuple[str, ...]] = {
    "lambda": ("FunctionName", "LayerName"),
    "iam": ("RoleName", "InstanceProfileName"),
    "sqs": ("QueueName", "QueueNamePrefix"),
    "s3": ("Bucket",),
    "dynamodb": ("TableName",),
    "kinesis": ("StreamName",),
}
#: parameters named only in some operations (``Name`` means many things)
OPERATION_PARAMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("sns", "CreateTopic"): ("Name",),
    ("events", "PutRule"): ("Name",),
    ("events", "DescribeRule"): ("Name",),
    ("events", "DeleteRule"): ("Name",),
    ("events", "EnableRule"): ("Name",),
    ("events", "DisableRule"): ("Name",),
    ("events", "PutTargets"): ("Rule",),
    ("events", "RemoveTargets"): ("Rule",),
    ("events", "ListTargetsByRule"): ("Rule",),
    ("events", "ListRules"): ("NamePrefix",),
}
LAMBDA_LOG_GROUP = "/aws/lambda/"


@dataclass(frozen=True)
class RunNames:
    """The prefix and tag of one connected run."""

    run_id: str

    @classmethod
    def new(cls) -> RunNames:
        return cls(secrets.token_hex(3))

    @classmethod
    def parse(cls, text: str) -> RunNames:
        """A run from its id (``3f9a2c``) or its prefix (``ll-3f9a2c-``)."""
        match = PREFIX_PATTERN.fullmatch(text) or re.fullmatch(r"([0-9a-f]{6})", text)
        if not match:
            raise ValueError(f"{text!r} is not a run id (six hex digits) or prefix (ll-xxxxxx-)")
        return cls(match.group(1))

    @property
    def prefix(self) -> str:
        return f"ll-{self.run_id}-"

    @property
    def tags(self) -> dict[str, str]:
        return {TAG_KEY: self.run_id}

    def name(self, name: str) -> str:
        """``hello`` -> ``ll-3f9a2c-hello``; ARNs and names already prefixed stay as they are."""
        if name.startswith(("arn:", self.prefix)):
            return name
        if name.startswith(LAMBDA_LOG_GROUP):
            return LAMBDA_LOG_GROUP + self.name(name.removeprefix(LAMBDA_LOG_GROUP))
        return self.prefix + name

    def strip(self, name: str) -> str:
        """The notebook's own name for a prefixed one."""
        return name.removeprefix(self.prefix)

    def owns(self, name: str) -> bool:
        return name.startswith(self.prefix)

    def resource(self, resource: str) -> str:
        """An ARN's resource part with the name prefixed: ``function:hello``, ``role/x``, ``orders``."""
        for separator in (":", "/"):
            kind, found, rest = resource.partition(separator)
            if found and kind in ("function", "role", "table", "stream", "rule", "log-group"):
                return f"{kind}{separator}{self.name(rest)}"
        return self.name(resource)

    # -- the hook on a client --------------------------------------------------------
    def rewrite(self, service: str, operation: str, params: dict[str, Any]) -> None:
        """Prefix the names in ``params`` (in place)."""
        for key in NAME_PARAMS.get(service, ()) + OPERATION_PARAMS.get((service, operation), ()):
            value = params.get(key)
            if isinstance(value, str) and value:
                params[key] = self.name(value)
        if service == "sqs" and operation == "ListQueues" and "QueueNamePrefix" not in params:
            params["QueueNamePrefix"] = self.prefix  # only this run's queues
        if service == "logs":
            for key in ("logGroupName", "logGroupNamePrefix"):
                value = params.get(key)
                if isinstance(value, str) and value.startswith(LAMBDA_LOG_GROUP):
                    params[key] = self.name(value)

    def tag(self, params: dict[str, Any], member: str, *, as_list: bool) -> None:
        """Add the run's tag to ``params[member]`` (a list of Key/Value pairs, or a map)."""
        if as_list:
            kept = [t for t in params.get(member) or [] if t.get("Key") != TAG_KEY]
            params[member] = [*kept, {"Key": TAG_KEY, "Value": self.run_id}]
        else:
            params[member] = {**(params.get(member) or {}), **self.tags}

    def install(self, client: Any, on_call: Callable[[str, str, dict[str, Any], dict[str, Any]], None]) -> None:
        """Register the hook on ``client``; ``on_call(service, operation, params, parsed)`` after each success."""
        service = client.meta.service_model.service_name
        events = client.meta.events

        def before(params: dict[str, Any], model: Any, **_: Any) -> None:
            self.rewrite(service, model.name, params)
            member = _tag_member(model)
            if member is not None:
                self.tag(params, member, as_list=model.input_shape.members[member].type_name == "list")

        def after(http_response: Any, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
            if http_response is None or http_response.status_code >= 300:
                return
            params = kwargs.get("context", {}).get("lambdalab_params", {})
            on_call(service, model.name, params, parsed)
            if service == "s3" and model.name == "CreateBucket" and params.get("Bucket"):
                client.put_bucket_tagging(
                    Bucket=params["Bucket"], Tagging={"TagSet": [{"Key": TAG_KEY, "Value": self.run_id}]}
                )

        def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["lambdalab_params"] = dict(params)

        events.register(f"provide-client-params.{service}", before, unique_id="lambdalab-run-names")
        events.register(f"before-parameter-build.{service}", remember, unique_id="lambdalab-run-remember")
        events.register(f"after-call.{service}", after, unique_id="lambdalab-run-ledger")


def _tag_member(model: Any) -> str | None:
    """The member of a creating operation that takes tags (None: it creates nothing or takes none)."""
    if not (model.name.startswith("Create") or model.name == "PutRule"):
        return None
    members = model.input_shape.members if model.input_shape is not None else {}
    for member in ("Tags", "tags"):
        if member in members and members[member].type_name in ("list", "map"):
            return member
    return None
