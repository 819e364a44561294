"""How stream records become batches, as pure functions.

- **Lanes**: with ``ParallelizationFactor`` N a shard is processed by N lanes
  (AWS's "virtual shards"); a record's lane is fixed by the MD5 of its partition
  key, so records with one key stay in order while other keys run beside them.
- **Batch**: up to ``BatchSize`` records, at most 6 MB of event, never across a
  tumbling window's boundary.
- **Batching window**: with ``MaximumBatchingWindowInSeconds`` W > 0 a lane waits
  until the batch is full or W seconds have passed since its oldest waiting
  record was read.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html#invocation-eventsourcemapping-batching
https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html#services-kinesis-parallelization
"""

from __future__ import annotations

import hashlib
import math

from ..events.batch import ENVELOPE, PAYLOAD_LIMIT, SEPARATOR
from .stream_records import StreamItem


def lane_of(key: str, factor: int) -> int:
    """Which of ``factor`` lanes processes records with this partition key."""
    if factor <= 1:
        return 0
    return int(hashlib.md5(key.encode()).hexdigest(), 16) % factor


def window_of(arrival: float, seconds: int) -> tuple[float, float]:
    """The tumbling window (start, end) a record belongs to, aligned on multiples of ``seconds``."""
    start = math.floor(arrival / seconds) * seconds
    return float(start), float(start + seconds)


def take(items: list[StreamItem], batch_size: int, *, window: int = 0, limit: int = PAYLOAD_LIMIT) -> int:
    """How many records from the head of ``items`` make the next batch (at least one)."""
    if not items:
        return 0
    total = ENVELOPE + items[0].size
    first_window = window_of(items[0].arrival, window) if window else None
    n = 1
    while n < len(items) and n < batch_size:
        item = items[n]
        if total + item.size + SEPARATOR > limit:
            break
        if first_window is not None and window_of(item.arrival, window) != first_window:
            break
        total += item.size + SEPARATOR
        n += 1
    return n


def batching_wait(waiting: int, batch_size: int, window_seconds: float, oldest_read_at: float, now: float) -> float:
    """Seconds a lane should still wait before invoking (0: invoke now)."""
    if waiting == 0 or waiting >= batch_size or window_seconds <= 0:
        return 0.0
    return max(0.0, oldest_read_at + window_seconds - now)
