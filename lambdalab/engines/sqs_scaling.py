"""How many batches an SQS mapping processes at once, over time.

For a standard queue Lambda starts with five concurrent invokes when messages
appear, and while messages keep waiting adds up to 300 more per minute (the
2022 documentation said 60), to at most **1,250** concurrent invokes per mapping.
That ceiling is the figure of AWS's current page (services-sqs-scaling, as
rewritten for provisioned mode in November 2025; the Compute Blog's "faster
polling scale-up" post of November 2023 gives the same 1,250); earlier versions of
the page said "1,000 batches".  ``ScalingConfig.MaximumConcurrency`` (2-1000)
caps it; a FIFO queue is further bounded by its active message groups (a group
in flight cannot be read, so that bound holds by itself).  When the queue runs
dry the mapping falls back to five.  Provisioned mode (``ProvisionedPollerConfig``)
is not modelled.

The lab's model, one step per virtual second: ``limit(t) = min(5 + floor(s * rate / 60),
1250, MaximumConcurrency)`` where ``s`` is the seconds since the backlog began.

https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
https://aws.amazon.com/blogs/compute/introducing-faster-polling-scale-up-for-aws-lambda-functions-configured-with-amazon-sqs/
"""

from __future__ import annotations

import math

START = 5
CEILING = 1250  # concurrent invokes per mapping (services-sqs-scaling, Nov 2025)
RATE_PER_MINUTE = 300  # AWS today (the 2022 documentation said 60)


def ramp(
    seconds_busy: float, *, rate_per_minute: int = RATE_PER_MINUTE, start: int = START, ceiling: int = CEILING
) -> int:
    """Concurrent batches allowed after ``seconds_busy`` of continuous backlog."""
    if seconds_busy < 0:
        seconds_busy = 0.0
    whole = math.floor(seconds_busy + 1e-9)  # the ramp grows once a second
    return min(ceiling, start + (whole * rate_per_minute) // 60)


def limit(
    seconds_busy: float, *, maximum_concurrency: int | None = None, rate_per_minute: int = RATE_PER_MINUTE
) -> int:
    """The mapping's limit: the ramp, capped by MaximumConcurrency."""
    value = ramp(seconds_busy, rate_per_minute=rate_per_minute)
    if maximum_concurrency is not None:
        value = min(value, maximum_concurrency)
    return value


def next_step(seconds_busy: float, *, rate_per_minute: int = RATE_PER_MINUTE) -> float:
    """Seconds until the ramp next grows (its steps are whole virtual seconds)."""
    return math.floor(seconds_busy + 1e-9) + 1 - seconds_busy
