"""Delete exactly what one connected run created, and say what was removed.

A resource is this run's when its name carries the run's prefix (:mod:`.naming`) and,
where the service keeps tags, its ``lambdalab:run`` tag names the run.  A name without
the prefix is never looked at twice; a prefixed resource whose tags name another run (or
no run) is kept and reported.  Children go first: a function's event source mappings
before the function, a layer's versions one by one, a rule's targets before the rule, a bucket's objects before the
bucket, a role's policies before the role, and the log groups Lambda made for the
run's functions (``/aws/lambda/<prefix>...``, untagged: Lambda creates them).

What must be emptied or detached before deleting:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-bucket.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage_delete.html
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-delete-rule.html
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from .naming import PREFIX_PATTERN, TAG_KEY, RunNames

Clients = Callable[[str], Any]


@dataclass
class CleanupReport:
    """What a cleanup removed, what it kept (and why), what failed."""

    removed: list[tuple[str, str]] = field(default_factory=list)
    kept: list[tuple[str, str, str]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"removed {len(self.removed)} resource(s)"] + [f"  - {kind} {name}" for kind, name in self.removed]
        lines += [f"kept {kind} {name}: {why}" for kind, name, why in self.kept]
        lines += [f"could not remove {kind} {name}: {why}" for kind, name, why in self.failed]
        return "\n".join(lines)


class Cleanup:
    """Finds a run's resources through ``clients(service)`` and deletes them."""

    def __init__(self, clients: Clients, names: RunNames) -> None:
        self.clients = clients
        self.names = names
        self.report = CleanupReport()

    def run(self) -> CleanupReport:
        steps = (self._functions, self._layers, self._rules, self._topics, self._queues, self._buckets, self._tables)
        for step in (*steps, self._streams, self._roles, self._log_groups):
            try:
                step()
            except ClientError as err:  # a service the account or endpoint lacks: go on with the others
                self.report.failed.append((step.__name__.strip("_"), "*", _message(err)))
        return self.report

    # -- deciding ------------------------------------------------------------------------------
    def _ours(self, kind: str, name: str, tags: Callable[..., dict[str, str]] | None) -> bool:
        if not self.names.owns(name):
            return False
        if tags is None:
            return True
        try:
            found = tags()
        except ClientError as err:
            if _code(err) in ("NoSuchTagSet", "NoSuchTagSetError"):
                found = {}
            else:
                self.report.kept.append((kind, name, f"its tags cannot be read ({_code(err)})"))
                return False
        if found.get(TAG_KEY) != self.names.run_id:
            self.report.kept.append((kind, name, f"prefixed, but not tagged {TAG_KEY}={self.names.run_id}"))
            return False
        return True

    def _delete(self, kind: str, name: str, action: Callable[[], object]) -> None:
        try:
            action()
            self.report.removed.append((kind, name))
        except ClientError as err:
            self.report.failed.append((kind, name, _message(err)))

    # -- one step per service ------------------------------------------------------------------
    def _functions(self) -> None:
        lam = self.clients("lambda")
        for fn in _pages(lam, "list_functions", "Functions"):
            name, arn = fn["FunctionName"], fn["FunctionArn"]
            if not self._ours("function", name, lambda arn=arn: lam.list_tags(Resource=arn).get("Tags", {})):
                continue
            for mapping in _pages(lam, "list_event_source_mappings", "EventSourceMappings", FunctionName=name):
                uuid = mapping["UUID"]
                self._delete("event source mapping", uuid, partial(lam.delete_event_source_mapping, UUID=uuid))
            self._delete("function", name, partial(lam.delete_function, FunctionName=name))

    def _layers(self) -> None:
        """Layers take no tags: their prefix alone says they are the run's."""
        lam = self.clients("lambda")
        for layer in _pages(lam, "list_layers", "Layers"):
            name = layer["LayerName"]
            if not self._ours("layer", name, None):
                continue
            for version in _pages(lam, "list_layer_versions", "LayerVersions", LayerName=name):
                number = version["Version"]
                delete = partial(lam.delete_layer_version, LayerName=name, VersionNumber=number)
                self._delete("layer", f"{name}:{number}", delete)

    def _rules(self) -> None:
        events = self.clients("events")
        for rule in events.list_rules(NamePrefix=self.names.prefix).get("Rules", []):
            name, arn = rule["Name"], rule["Arn"]
            if not self._ours(
                "rule", name, lambda arn=arn: _pairs(events.list_tags_for_resource(ResourceARN=arn)["Tags"])
            ):
                continue
            targets = [t["Id"] for t in events.list_targets_by_rule(Rule=name).get("Targets", [])]
            if targets:
                events.remove_targets(Rule=name, Ids=targets)
            self._delete("rule", name, partial(events.delete_rule, Name=name))

    def _topics(self) -> None:
        sns = self.clients("sns")
        for topic in _pages(sns, "list_topics", "Topics"):
            arn = topic["TopicArn"]
            name = arn.rsplit(":", 1)[-1]
            if self._ours("topic", name, lambda arn=arn: _pairs(sns.list_tags_for_resource(ResourceArn=arn)["Tags"])):
                self._delete("topic", name, partial(sns.delete_topic, TopicArn=arn))

    def _queues(self) -> None:
        sqs = self.clients("sqs")
        for url in sqs.list_queues(QueueNamePrefix=self.names.prefix).get("QueueUrls", []):
            name = url.rsplit("/", 1)[-1]
            if self._ours("queue", name, lambda url=url: sqs.list_queue_tags(QueueUrl=url).get("Tags", {})):
                self._delete("queue", name, partial(sqs.delete_queue, QueueUrl=url))

    def _buckets(self) -> None:
        s3 = self.clients("s3")
        for bucket in s3.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            if not self._ours("bucket", name, lambda name=name: _pairs(s3.get_bucket_tagging(Bucket=name)["TagSet"])):
                continue
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
                for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                    s3.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"])
            self._delete("bucket", name, partial(s3.delete_bucket, Bucket=name))

    def _tables(self) -> None:
        dynamodb = self.clients("dynamodb")
        for name in _pages(dynamodb, "list_tables", "TableNames"):
            if not self.names.owns(name):
                continue
            arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
            tags = lambda arn=arn: _pairs(dynamodb.list_tags_of_resource(ResourceArn=arn).get("Tags", []))  # noqa: E731
            if self._ours("table", name, tags):
                self._delete("table", name, partial(dynamodb.delete_table, TableName=name))

    def _streams(self) -> None:
        kinesis = self.clients("kinesis")
        for name in kinesis.list_streams().get("StreamNames", []):
            tags = lambda name=name: _pairs(kinesis.list_tags_for_stream(StreamName=name).get("Tags", []))  # noqa: E731
            if self._ours("stream", name, tags):
                self._delete("stream", name, partial(kinesis.delete_stream, StreamName=name))

    def _roles(self) -> None:
        iam = self.clients("iam")
        for role in _pages(iam, "list_roles", "Roles"):
            name = role["RoleName"]
            if not self._ours(
                "role", name, lambda name=name: _pairs(iam.list_role_tags(RoleName=name).get("Tags", []))
            ):
                continue
            for policy in iam.list_attached_role_policies(RoleName=name).get("AttachedPolicies", []):
                iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
            for policy_name in iam.list_role_policies(RoleName=name).get("PolicyNames", []):
                iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
            for profile in iam.list_instance_profiles_for_role(RoleName=name).get("InstanceProfiles", []):
                iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=name)
            self._delete("role", name, partial(iam.delete_role, RoleName=name))

    def _log_groups(self) -> None:
        logs = self.clients("logs")
        prefix = "/aws/lambda/" + self.names.prefix
        for group in _pages(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=prefix):
            name = group["logGroupName"]
            self._delete("log group", name, partial(logs.delete_log_group, logGroupName=name))


def find_runs(clients: Clients) -> dict[str, list[tuple[str, str]]]:
    """The runs whose resources are still there, by run id: functions, queues, roles and log groups."""
    found: dict[str, list[tuple[str, str]]] = {}

    def note(kind: str, name: str) -> None:
        bare = name.removeprefix("/aws/lambda/")
        if match := PREFIX_PATTERN.match(bare):
            found.setdefault(match.group(1), []).append((kind, name))

    for fn in _pages(clients("lambda"), "list_functions", "Functions"):
        note("function", fn["FunctionName"])
    for url in clients("sqs").list_queues(QueueNamePrefix="ll-").get("QueueUrls", []):
        note("queue", url.rsplit("/", 1)[-1])
    for role in _pages(clients("iam"), "list_roles", "Roles"):
        note("role", role["RoleName"])
    for group in _pages(clients("logs"), "describe_log_groups", "logGroups", logGroupNamePrefix="/aws/lambda/ll-"):
        note("log group", group["logGroupName"])
    return found


def _pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**params):
            yield from page.get(key, [])
    else:
        yield from getattr(client, operation)(**params).get(key, [])


def _pairs(tags: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags}


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _message(err: ClientError) -> str:
    error = err.response.get("Error", {})
    return f"{error.get('Code', '')}: {error.get('Message', '')}"
