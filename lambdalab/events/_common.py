"""Fixed values the sample events share (so the files are the same on every run)."""

from __future__ import annotations

from datetime import UTC, datetime

ACCOUNT = "123456789012"
REGION = "us-east-1"
#: the lab's virtual epoch: samples carry the time a lab starts at
WHEN = datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)


def iso_seconds(when: datetime) -> str:
    """``2025-01-06T09:00:00Z``: the form EventBridge uses."""
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
