"""anywidget views of the lab's trace (no JS build step: the JavaScript is inline).

Each view is drawn from ``lab.trace`` only, and its state is a pure function of
trace records, tested from Python.
"""

from __future__ import annotations

from .batch_view import BatchView, batch_view_state
from .concurrency_chart import ConcurrencyChart, concurrency_series
from .durable_timeline import DurableTimeline, durable_scene
from .function_concurrency import FunctionConcurrencyChart, function_series
from .retry_timeline import RetryTimeline, timeline_items
from .shard_view import ShardView, shard_view_state

__all__ = [
    "BatchView",
    "ConcurrencyChart",
    "DurableTimeline",
    "FunctionConcurrencyChart",
    "RetryTimeline",
    "ShardView",
    "batch_view_state",
    "concurrency_series",
    "durable_scene",
    "function_series",
    "shard_view_state",
    "timeline_items",
]
