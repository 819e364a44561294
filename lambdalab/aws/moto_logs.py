"""CloudWatch Logs as Lambda writes to it, into the log groups moto stores.

Lambda writes a function's output to the log group ``/aws/lambda/<name>``, creating
the group and the stream when the execution role allows it; the lab does that in
process.  Events are stamped with the function's own clock (real time); moto's
``PutLogEvents`` refuses events more than two hours after *its* now, which follows the
lab's virtual clock, so the lab appends them to the stream past that check, in the
order Lambda wrote them, and dates the stream's creation when its environment started.
Every name read of moto's storage is listed in :data:`NEEDS` for the start-up self-test.

https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
"""

from __future__ import annotations

from datetime import UTC, datetime
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
    Needs(
        "moto.logs.models",
        "LogGroup",
        ("streams", "put_log_events"),
        sample=lambda cls: cls("123456789012", "us-east-1", "probe"),
    ),
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

    def write(
        self, group: str, stream: str, events: list[dict[str, Any]], *, stream_started_ms: int | None = None
    ) -> None:
        """Append ``{"timestamp", "message"}`` events to ``group``/``stream``, creating either when missing."""
        logs = self._backend()
        if group not in logs.groups:
            logs.create_log_group(group, {})
        streams = logs.groups[group].streams
        if stream not in streams:
            logs.create_log_stream(group, stream)
            if stream_started_ms is not None:
                streams[stream].creation_time = datetime.fromtimestamp(stream_started_ms / 1000, UTC).replace(
                    tzinfo=None
                )
        if events:
            logs.groups[group].put_log_events(stream, events)
