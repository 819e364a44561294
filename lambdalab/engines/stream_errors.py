"""What Lambda does with a stream batch after an attempt, as pure functions.

The rules (Kinesis and DynamoDB Streams are handled alike):

- **success**: the shard is checkpointed past the batch;
- **function error**: the whole batch is retried, blocking its shard (or its
  partition-key lane with ``ParallelizationFactor`` > 1), until it succeeds,
  ``MaximumRetryAttempts`` retries are used up, or a record reaches
  ``MaximumRecordAgeInSeconds`` (-1: the stream's retention period, 24 hours);
- ``BisectBatchOnFunctionError`` splits a failing batch of two or more records in
  two halves and processes them in order; a split **does not count** against the
  retry quota (each half starts with a fresh quota), so the halves narrow down to
  the poison record, which alone uses up the retries;
- ``ReportBatchItemFailures``: the function answers ``{"batchItemFailures":
  [{"itemIdentifier": "<sequence number>"}]}``; the batch is checkpointed before
  the lowest failed sequence number and only the rest is retried (a retry).  An
  answer naming the batch's first record fails the whole batch, and so does an
  invalid answer (how answers are read: :mod:`.batch_response`);
- **throttles and refusals** before the function ran are retried with the same
  backoff but never use up retries (only record age ends them);
- a discarded batch's metadata goes to ``DestinationConfig.OnFailure`` with
  condition ``RetryAttemptsExhausted`` or ``RecordAgeExceeded``, and the shard
  moves on.

Backoff (AWS says only "with backoff"): the lab waits :func:`backoff_delay`
seconds, 1 s doubling to a 60 s cap, so a timeline reads the same every run.

https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .attempts import Attempt, Outcome, with_batch_response

Condition = Literal["RetryAttemptsExhausted", "RecordAgeExceeded"]

BACKOFF_START = 1.0
BACKOFF_CAP = 60.0
#: how long a record stays readable when MaximumRecordAgeInSeconds is -1 (Kinesis default; DynamoDB Streams)
DEFAULT_RETENTION = 24 * 3600.0


@dataclass(frozen=True)
class Step:
    """What to do after an attempt.

    ``keep`` records at the head of the batch are finished (checkpoint past them);
    then ``action`` applies to the rest: ``"done"`` (nothing left), ``"retry"``
    (after ``delay`` seconds; ``counted`` says whether it used up a retry),
    ``"bisect"`` (split the rest in two) or ``"discard"`` (send it to the
    on-failure destination with ``condition``).
    """

    action: Literal["done", "retry", "bisect", "discard"]
    keep: int = 0
    delay: float = 0.0
    counted: bool = False
    condition: Condition | None = None


def backoff_delay(n: int) -> float:
    """Wait before retry number ``n`` (1-based) of a batch."""
    if n < 1:
        raise ValueError("n starts at 1")
    if n > 64:  # a day of retries: 2 ** n would overflow a float long after the cap
        return BACKOFF_CAP
    return min(BACKOFF_START * 2 ** (n - 1), BACKOFF_CAP)


def read_answer(attempt: Attempt, sequence_numbers: Sequence[str]) -> tuple[Attempt, int | None]:
    """A ReportBatchItemFailures answer read: the attempt, and the index of the lowest failed record."""
    attempt = with_batch_response(attempt, sequence_numbers, item="sequence number")
    if attempt.outcome is not Outcome.PARTIAL:
        return attempt, None
    first = list(sequence_numbers).index(attempt.failed[0])
    if first == 0:  # nothing before the lowest failure succeeded: the whole batch failed
        return dataclasses.replace(attempt, outcome=Outcome.FUNCTION_ERROR), None
    return attempt, first


def expired(arrivals: list[float], now: float, max_age: float) -> int:
    """How many records at the head of a batch are older than ``max_age`` seconds."""
    count = 0
    for arrival in arrivals:
        if now - arrival > max_age:
            count += 1
        else:
            break
    return count


def effective_max_age(setting: int, retention: float = DEFAULT_RETENTION) -> float:
    return retention if setting == -1 else min(float(setting), retention)


def next_step(
    outcome: Outcome,
    *,
    size: int,
    retries_used: int,
    backoff_round: int,
    max_retries: int = -1,
    bisect: bool = False,
    failed_from: int | None = None,
) -> Step:
    """Decide what happens to a batch of ``size`` records after one attempt.

    ``retries_used`` counts the retries this batch already had; ``backoff_round``
    the retries of any kind (for the delay); ``failed_from`` the index of the lowest
    failed record of a partial answer.
    """
    if outcome is Outcome.SUCCESS:
        return Step("done", keep=size)
    if outcome.refused:
        return Step("retry", delay=backoff_delay(backoff_round + 1))
    keep = 0
    if outcome is Outcome.PARTIAL:
        keep = failed_from or 0
    rest = size - keep
    if outcome in (Outcome.FUNCTION_ERROR, Outcome.INVALID_RESPONSE) and bisect and rest > 1:
        return Step("bisect", keep=keep)
    if max_retries != -1 and retries_used >= max_retries:
        return Step("discard", keep=keep, condition="RetryAttemptsExhausted")
    return Step("retry", keep=keep, delay=backoff_delay(backoff_round + 1), counted=True)


def halves(size: int) -> tuple[int, int]:
    """Sizes of the two halves of a bisected batch (the first gets the odd record)."""
    first = (size + 1) // 2
    return first, size - first
