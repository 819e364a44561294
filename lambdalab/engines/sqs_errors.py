"""What happens to each message of a batch after the invocation: delete it or let it return.

Lambda deletes a batch's messages when the function succeeds.  When it fails
(an error, a timeout, a crash, a throttle) Lambda deletes nothing: the messages
stay invisible until the queue's visibility timeout ends, then any poller can
receive them again, and the queue's redrive policy sends a message to its
dead-letter queue once it has been received ``maxReceiveCount`` times.

With ``FunctionResponseTypes: ["ReportBatchItemFailures"]`` the function may
answer ``{"batchItemFailures": [{"itemIdentifier": "<messageId>"}]}``: only those
return, the rest are deleted.  An empty or null list (or no answer at all) is a
complete success; an identifier that is empty, missing or not in the batch, or
an answer of the wrong shape, is a complete failure.

https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

Outcome = Literal["success", "partial", "function-error", "invalid-response", "throttled"]


@dataclass(frozen=True)
class Verdict:
    """The decision for one batch: which message ids to delete, which to leave to return."""

    outcome: Outcome
    delete: tuple[str, ...]
    retry: tuple[str, ...]
    reason: str = ""


def decide(
    ids: tuple[str, ...] | list[str],
    *,
    ok: bool,
    payload: bytes | None,
    report_failures: bool,
    error: str = "",
    throttled: bool = False,
) -> Verdict:
    """Decide a batch from the invocation result (pure: ids in, ids out)."""
    ids = tuple(ids)
    if throttled:
        return Verdict("throttled", (), ids, error or "throttled")
    if not ok:
        return Verdict("function-error", (), ids, error or "function error")
    if not report_failures:
        return Verdict("success", ids, ())
    failed, problem = parse_item_failures(payload, ids)
    if problem:
        return Verdict("invalid-response", (), ids, problem)
    if not failed:
        return Verdict("success", ids, ())
    keep = set(failed)
    return Verdict("partial", tuple(i for i in ids if i not in keep), tuple(i for i in ids if i in keep))


def parse_item_failures(payload: bytes | None, ids: tuple[str, ...]) -> tuple[list[str], str]:
    """The failed ids a partial batch response names, or a reason why the response is invalid."""
    if payload is None or not payload.strip():
        return [], ""
    try:
        doc: Any = json.loads(payload)
    except ValueError:
        return [], "the response is not JSON"
    if doc is None or doc == {}:
        return [], ""
    if not isinstance(doc, dict):
        return [], ""  # any other return value: Lambda reads no batchItemFailures from it
    failures = doc.get("batchItemFailures")
    if failures is None:
        return [], ""
    if not isinstance(failures, list):
        return [], "batchItemFailures is not a list"
    known = set(ids)
    out: list[str] = []
    for item in failures:
        if not isinstance(item, dict) or "itemIdentifier" not in item:
            return [], "an item of batchItemFailures has no itemIdentifier"
        ident = item["itemIdentifier"]
        if ident is None or ident == "":
            return [], "an itemIdentifier is empty or null"
        if not isinstance(ident, str) or ident not in known:
            return [], f"itemIdentifier {ident!r} is not a messageId of this batch"
        if ident not in out:
            out.append(ident)
    return out, ""
