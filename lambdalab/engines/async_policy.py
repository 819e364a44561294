"""Asynchronous invocation: the retry decisions, as pure functions.

What Lambda does after each attempt of an event from its asynchronous queue:

- a **function error** (the handler raised, timed out, crashed) is retried at most
  ``MaximumRetryAttempts`` times (0-2, default 2). AWS waits "about one minute"
  before the first retry and "about two minutes" before the second; the lab waits
  exactly :data:`FUNCTION_ERROR_DELAYS` (60 s, then 120 s) so a timeline reads
  0, 60, 180 every run;
- a **throttle** (``TooManyRequestsException``: the function's reserved concurrency
  is used up) or a **system error** does not use up retries: Lambda puts the event
  back with a backoff that starts at 1 s and doubles up to 5 minutes, until the
  event is too old;
- **reserved concurrency 0** is different: "When you set reserved concurrency to zero
  for an asynchronously invoked function, Lambda begins sending new events to the
  configured dead-letter queue or the on-failure event destination, without any
  retries" (invocation-async-retain-records).  The event ends after its one
  throttled attempt; the lab gives it the condition ``RetriesExhausted`` (AWS's page
  does not show the record);
- an event Lambda stops in a **recursive loop** (:mod:`.recursion`) goes to the DLQ or
  on-failure destination at once, without retries (invocation-recursion); the lab gives it
  the condition ``RetriesExhausted`` (AWS's page does not show the record);
- an event older than ``MaximumEventAgeInSeconds`` (60-21600, default 21600) is
  discarded with condition ``EventAgeExceeded``. The lab expires it at exactly
  its maximum age (a retry falling due at exactly that age still runs).

https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import range_constraint
from .attempts import Outcome

Condition = Literal["Success", "RetriesExhausted", "EventAgeExceeded"]

#: waits before the 1st and 2nd retry after a function error (AWS: "about 1 and 2 minutes")
FUNCTION_ERROR_DELAYS = (60.0, 120.0)
#: backoff for throttles and system errors: 1 s doubling, capped at 5 minutes
BACKOFF_START = 1.0
BACKOFF_CAP = 300.0

DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_AGE = 21_600
RETRY_RANGE = (0, 2)
AGE_RANGE = (60, 21_600)


@dataclass(frozen=True)
class Step:
    """What to do with an event after an attempt.

    ``action`` is ``"finish"`` (deliver now with ``condition``), ``"retry"`` (try again
    after ``delay`` seconds) or ``"expire"`` (wait ``delay`` seconds, until the event
    reaches its maximum age, then finish with ``EventAgeExceeded``).
    """

    action: Literal["finish", "retry", "expire"]
    delay: float = 0.0
    condition: Condition | None = None


def backoff_delay(streak: int) -> float:
    """Wait before retry number ``streak`` (1-based) of a throttled or refused event."""
    if streak < 1:
        raise ValueError("streak starts at 1")
    return min(BACKOFF_START * 2 ** (streak - 1), BACKOFF_CAP)


def function_error_delay(errors: int) -> float:
    """Wait after the ``errors``-th function error (1-based) before the next attempt."""
    if errors < 1:
        raise ValueError("errors starts at 1")
    return FUNCTION_ERROR_DELAYS[min(errors, len(FUNCTION_ERROR_DELAYS)) - 1]


def retries_left(function_errors: int, max_retries: int) -> bool:
    """May an event that has failed ``function_errors`` times run again?"""
    return function_errors <= max_retries


def next_step(
    outcome: Outcome,
    *,
    function_errors: int,
    backoff_streak: int,
    age: float,
    max_retries: int = DEFAULT_MAX_RETRIES,
    max_age: float = DEFAULT_MAX_AGE,
    reserved_concurrency: int | None = None,
) -> Step:
    """Decide the fate of an event after one attempt.

    ``function_errors`` and ``backoff_streak`` already count this attempt;
    ``age`` is the event's age now, in seconds; ``reserved_concurrency`` is the
    function's (None: unreserved).
    """
    if outcome is Outcome.SUCCESS:
        return Step("finish", 0.0, "Success")
    if outcome is Outcome.THROTTLE and reserved_concurrency == 0:
        return Step("finish", 0.0, "RetriesExhausted")  # straight to the DLQ / on-failure destination
    if outcome is Outcome.RECURSIVE_LOOP:
        return Step("finish", 0.0, "RetriesExhausted")  # stopped: the event is not tried again
    if outcome is Outcome.FUNCTION_ERROR:
        if not retries_left(function_errors, max_retries):
            return Step("finish", 0.0, "RetriesExhausted")
        delay = function_error_delay(function_errors)
    else:
        delay = backoff_delay(backoff_streak)
    left = max_age - age
    if delay > left:
        return Step("expire", max(left, 0.0), "EventAgeExceeded")
    return Step("retry", delay, None)


def check_settings(max_retries: int | None, max_age: int | None) -> list[tuple[str, object, str]]:
    """Range problems of an EventInvokeConfig as (field, value, constraint) triples."""
    problems: list[tuple[str, object, str]] = []
    for field, value, (low, high) in (
        ("maximumRetryAttempts", max_retries, RETRY_RANGE),
        ("maximumEventAgeInSeconds", max_age, AGE_RANGE),
    ):
        constraint = None if value is None else range_constraint(value, low, high)
        if constraint is not None:
            problems.append((field, value, constraint))
    return problems


def destination_kind(arn: str) -> str | None:
    """The service of a destination ARN: "sqs", "sns", "lambda", "events", "s3" or None."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        return None
    service, resource = parts[2], ":".join(parts[5:])
    if service == "sqs" or service == "sns":
        return service
    if service == "lambda" and resource.startswith("function:"):
        return "lambda"
    if service == "events" and resource.startswith("event-bus/"):
        return "events"
    if service == "s3" and resource and "/" not in resource:
        return "s3"
    return None


#: the IAM action the execution role needs for each destination kind
DELIVERY_ACTIONS = {
    "sqs": "sqs:SendMessage",
    "sns": "sns:Publish",
    "lambda": "lambda:InvokeFunction",
    "events": "events:PutEvents",
    "s3": "s3:PutObject",
}
