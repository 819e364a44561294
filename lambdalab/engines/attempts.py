"""One attempt to invoke a function on Lambda's behalf, and its outcome.

Asynchronous invocation, the SQS pollers and the stream pollers all invoke a
function for an event source and then decide what to do next.  They describe
each attempt with the same :class:`Attempt` value and the same :class:`Outcome`
words (the trace records them as plain strings):

==================  ===================================================================
outcome             the attempt
==================  ===================================================================
success             the function returned (and reported no failed item)
partial             the function returned and reported some items of its batch as failed
function-error      the function raised, timed out or its runtime crashed
invalid-response    the function returned a partial batch response Lambda cannot read
throttle            Lambda refused to run it: ``TooManyRequestsException``
system-error        Lambda refused to run it for another reason (e.g. the function is gone)
recursive-loop      Lambda stopped it: the 17th run in a chain of requests (:mod:`.recursion`)
==================  ===================================================================

What an outcome leads to is each source's own rule: :mod:`.async_policy`,
:mod:`.sqs_errors`, :mod:`.stream_errors`.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-retries.html
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from . import batch_response
from .recursion import STOPPED_CODE

if TYPE_CHECKING:
    from ..errors import AwsError
    from ..runtime.types import InvokeResult


class Outcome(StrEnum):
    SUCCESS = "success"
    PARTIAL = "partial"
    FUNCTION_ERROR = "function-error"
    INVALID_RESPONSE = "invalid-response"
    THROTTLE = "throttle"
    SYSTEM_ERROR = "system-error"
    RECURSIVE_LOOP = "recursive-loop"

    @property
    def refused(self) -> bool:
        """Lambda did not run the function (a throttle, a system error, a loop it stopped)."""
        return self in (Outcome.THROTTLE, Outcome.SYSTEM_ERROR, Outcome.RECURSIVE_LOOP)


#: the error codes that mean "throttled" when Lambda refuses an invocation
THROTTLE_CODES = ("TooManyRequestsException", "ThrottlingException")


@dataclass(frozen=True)
class Attempt:
    """What one invocation attempt answered."""

    outcome: Outcome
    request_id: str = ""
    status_code: int = 200
    executed_version: str = "$LATEST"
    function_error: str | None = None  # X-Amz-Function-Error ("Unhandled") when the function failed
    error: str = ""  # what went wrong, in words: an errorType, or "Code: message" for a refusal
    payload: bytes | None = None  # what the function answered (its result or its error document)
    timed_out: bool = False
    failed: tuple[str, ...] = ()  # the items a partial batch response named, in batch order

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SUCCESS


def invoked(result: InvokeResult, request_id: str = "") -> Attempt:
    """The attempt of an invocation that ran: a success or a function error."""
    if result.ok:
        return Attempt(Outcome.SUCCESS, request_id, result.status_code, result.executed_version, payload=result.payload)
    return Attempt(
        Outcome.FUNCTION_ERROR,
        request_id,
        result.status_code,
        result.executed_version,
        result.function_error,
        result.error_type or "Unhandled",
        result.payload,
        timed_out=result.error_type == "Sandbox.Timedout",
    )


def refused(err: AwsError, request_id: str = "", executed_version: str = "$LATEST") -> Attempt:
    """The attempt of an invocation Lambda refused before running the function."""
    if err.code in THROTTLE_CODES:
        outcome = Outcome.THROTTLE
    elif err.code == STOPPED_CODE:
        outcome = Outcome.RECURSIVE_LOOP
    else:
        outcome = Outcome.SYSTEM_ERROR
    return Attempt(outcome, request_id, err.status, executed_version, error=f"{err.code}: {err.message}")


def with_batch_response(attempt: Attempt, identifiers: Sequence[str], *, item: str = "item") -> Attempt:
    """A successful attempt read as a partial batch response (:mod:`.batch_response`)."""
    if attempt.outcome is not Outcome.SUCCESS:
        return attempt
    report = batch_response.read(attempt.payload, identifiers, item=item)
    if report.invalid:
        return dataclasses.replace(attempt, outcome=Outcome.INVALID_RESPONSE, error=report.problem)
    if report.failed:
        return dataclasses.replace(attempt, outcome=Outcome.PARTIAL, failed=report.failed)
    return attempt
