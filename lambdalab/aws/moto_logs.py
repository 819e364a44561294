"""CloudWatch Logs as Lambda writes to it, into the log groups moto stores.

Lambda writes a function's output to the log group ``/aws/lambda/<name>``, creating
the group and the stream when the execution role allows it; the lab does that in
process.  Every name read of moto's storage is listed in :data:`NEEDS` for the
start-up self-test.

https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
"""

from __future__ import annotations

from typing import Any

from .moto_needs import Needs

NEEDS = (
    Needs("moto.logs.models", "logs_backends"),
    Needs(
        "moto.logs.models",
        "LogsBackend",
        ("groups", "create_log_group", "create_log_stream", "put_log_events"),
        sample=lambda cls: cls("us-east-1", "123456789012"),
    ),
    Needs("moto.logs.models", "LogGroup", ("streams",), sample=lambda cls: cls("123456789012", "us-east-1", "probe")),
)


class MotoLogs:
    """The log groups of one account and region."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id, self.region = account_id, region

    def _backend(self) -> Any:
        from moto.logs.models import logs_backends

        return logs_backends[self.account_id][self.region]

    def has_group(self, group: str) -> bool:
        return group in self._backend().groups

    def write(self, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        """PutLogEvents into ``group``/``stream``, creating either when missing."""
        logs = self._backend()
        if group not in logs.groups:
            logs.create_log_group(group, {})
        if stream not in logs.groups[group].streams:
            logs.create_log_stream(group, stream)
        if events:
            logs.put_log_events(group, stream, events)
