"""A rough bill for a connected run: Lambda requests and GB-seconds, SQS requests.

Prices are AWS's public list prices for US East (N. Virginia), x86, before the free tier
(1 million Lambda requests and 400,000 GB-seconds a month; 1 million SQS requests), as the
pricing pages gave them in 2026:

- Lambda: $0.20 per million requests, $0.0000166667 per GB-second
  (https://aws.amazon.com/lambda/pricing/);
- SQS: $0.40 per million standard-queue requests, $0.50 per million FIFO requests; every
  API action is a request, and each 64 KB of a payload counts as one
  (https://aws.amazon.com/sqs/pricing/).

Counted: invocations and billed duration times memory from the REPORT lines the run's
trace read; the SQS calls the run's own clients made.  Not counted, and said so: the
ReceiveMessage calls Lambda's pollers make for an SQS event source mapping (billed to the
account, unseen by the kit), CloudWatch Logs ingestion, other regions' prices, arm64.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

LAMBDA_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_PER_GB_SECOND = 0.0000166667
SQS_PER_REQUEST = 0.40 / 1_000_000
SQS_FIFO_PER_REQUEST = 0.50 / 1_000_000


@dataclass(frozen=True)
class CostEstimate:
    invocations: int
    gb_seconds: float
    sqs_requests: int
    sqs_fifo_requests: int

    @property
    def dollars(self) -> float:
        return (
            self.invocations * LAMBDA_PER_REQUEST
            + self.gb_seconds * LAMBDA_PER_GB_SECOND
            + self.sqs_requests * SQS_PER_REQUEST
            + self.sqs_fifo_requests * SQS_FIFO_PER_REQUEST
        )

    def __str__(self) -> str:
        return (
            f"Rough cost of this run at list prices (us-east-1, x86, before the free tier): ${self.dollars:.6f}\n"
            f"  Lambda: {self.invocations} requests, {self.gb_seconds:.3f} GB-seconds\n"
            f"  SQS: {self.sqs_requests} standard + {self.sqs_fifo_requests} FIFO requests from this notebook "
            "(not counted: Lambda's pollers' ReceiveMessage calls, CloudWatch Logs)\n"
            "  Prices: https://aws.amazon.com/lambda/pricing/ , https://aws.amazon.com/sqs/pricing/"
        )


def estimate(reports: Iterable[tuple[int, int]], sqs_calls: Iterable[tuple[bool, int]]) -> CostEstimate:
    """``reports``: (billed ms, memory MB) per invocation; ``sqs_calls``: (FIFO queue?, payload bytes) per call."""
    invocations, gb_seconds = 0, 0.0
    for billed_ms, memory_mb in reports:
        invocations += 1
        gb_seconds += billed_ms / 1000 * memory_mb / 1024
    standard = fifo = 0
    for is_fifo, payload in sqs_calls:
        requests = max(1, -(-payload // 65_536))  # each 64 KB chunk is a request
        if is_fifo:
            fifo += requests
        else:
            standard += requests
    return CostEstimate(invocations, gb_seconds, standard, fifo)
