"""anywidget views of the lab's trace (no JS build step: the JavaScript is inline)."""

from __future__ import annotations

from .retry_timeline import RetryTimeline, timeline_items

__all__ = ["RetryTimeline", "timeline_items"]
