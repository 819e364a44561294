"""Partial batch responses: which items of a batch the function reports as failed.

With ``FunctionResponseTypes: ["ReportBatchItemFailures"]`` a function that got a
batch may answer ``{"batchItemFailures": [{"itemIdentifier": "<id>"}]}``, the id
being the item's own: the ``messageId`` of an SQS message, the sequence number of
a Kinesis or DynamoDB Streams record.  :func:`read` reads that answer, the same way
for every source:

- **complete success**: no answer, ``null``, an empty answer (``{}``, ``""``,
  ``[]``), or a ``batchItemFailures`` that is ``null`` or an empty list;
- **complete failure** (the answer is *invalid*): an ``itemIdentifier`` that is an
  empty string, ``null``, missing (a bad key name) or not an item of this batch, a
  ``batchItemFailures`` that is not a list of objects, an answer that is not JSON,
  or any other answer that is not a JSON object.

AWS lists the same success cases on the SQS and the stream pages.  Its list of
complete failures is longer for SQS ("an invalid JSON response", "an itemIdentifier
value with a message ID that doesn't exist") than for streams (empty, null, bad key
name); the lab applies the SQS list to both (an unknown sequence number fails a
stream batch too, and ``""`` or ``[]`` succeed on both, as observed on AWS).

The one rule that differs is what a failure *means*, and it lives with each
source: SQS deletes every message but the named ones, which return after the
visibility timeout (:mod:`.sqs_errors`); a stream checkpoints before the lowest
named sequence number and retries from there (:mod:`.stream_errors`).

https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Report:
    """What a partial batch response says: the failed items, or why it cannot be read."""

    failed: tuple[str, ...] = ()  # identifiers of the failed items, in batch order
    problem: str = ""  # set when the answer is invalid: the whole batch failed

    @property
    def invalid(self) -> bool:
        return bool(self.problem)


def read(payload: bytes | None, identifiers: Sequence[str], *, item: str = "item") -> Report:
    """Read a function's answer against the identifiers of its batch (``item`` names them in problems)."""
    if payload is None or not payload.strip():
        return Report()
    try:
        answer: Any = json.loads(payload)
    except ValueError:
        return Report(problem="the response is not JSON")
    return read_answer(answer, identifiers, item=item)


def read_answer(answer: Any, identifiers: Sequence[str], *, item: str = "item") -> Report:
    """:func:`read` for an answer already parsed from JSON."""
    if answer is None or (isinstance(answer, (dict, list, str)) and not answer):
        return Report()  # an empty or null answer
    if not isinstance(answer, dict):
        return Report(problem="the response is not a JSON object")
    failures = answer.get("batchItemFailures")
    if failures is None:
        return Report()
    if not isinstance(failures, list):
        return Report(problem="batchItemFailures is not a list")
    known = set(identifiers)
    named: set[str] = set()
    for entry in failures:
        if not isinstance(entry, dict) or "itemIdentifier" not in entry:
            return Report(problem="an item of batchItemFailures has no itemIdentifier")
        ident = entry["itemIdentifier"]
        if ident is None or ident == "":
            return Report(problem="an itemIdentifier is empty or null")
        if not isinstance(ident, str) or ident not in known:
            return Report(problem=f"itemIdentifier {ident!r} is not a {item} of this batch")
        named.add(ident)
    return Report(failed=tuple(i for i in identifiers if i in named))
