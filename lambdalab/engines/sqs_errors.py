"""What happens to each message of a batch after the invocation: delete it or let it return.

Lambda deletes a batch's messages when the function succeeds.  When it fails
(an error, a timeout, a crash, a throttle) Lambda deletes nothing: the messages
stay invisible until the queue's visibility timeout ends, then any poller can
receive them again, and the queue's redrive policy sends a message to its
dead-letter queue once it has been received ``maxReceiveCount`` times.

With ``FunctionResponseTypes: ["ReportBatchItemFailures"]`` the function may
answer ``{"batchItemFailures": [{"itemIdentifier": "<messageId>"}]}``: only those
return, the rest are deleted.  How that answer is read (what counts as a complete
success or an invalid answer) is the same for every source: :mod:`.batch_response`.

https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .attempts import Attempt, Outcome, with_batch_response


@dataclass(frozen=True)
class Verdict:
    """The decision for one batch: which message ids to delete, which to leave to return."""

    outcome: Outcome
    delete: tuple[str, ...]
    retry: tuple[str, ...]
    reason: str = ""


def decide(ids: Sequence[str], attempt: Attempt, *, report_failures: bool) -> Verdict:
    """Decide a batch from its invocation attempt (pure: ids in, ids out)."""
    ids = tuple(ids)
    if report_failures:
        attempt = with_batch_response(attempt, ids, item="messageId")
    if attempt.outcome is Outcome.SUCCESS:
        return Verdict(Outcome.SUCCESS, ids, ())
    if attempt.outcome is Outcome.PARTIAL:
        failed = set(attempt.failed)
        return Verdict(Outcome.PARTIAL, tuple(i for i in ids if i not in failed), attempt.failed)
    return Verdict(attempt.outcome, (), ids, attempt.error or attempt.outcome.value)
