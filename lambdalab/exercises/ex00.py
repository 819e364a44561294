"""Exercises for ``00-start-here``: invoke a function, move the virtual clock.

Synchronous and asynchronous invocation: https://docs.aws.amazon.com/lambda/latest/dg/invocation-sync.html
"""

from __future__ import annotations

import json
from datetime import timedelta

from .. import trace_kinds as k
from . import _shared
from .core import Attempt, Problem

FUNCTION = "hello"
TARGET_EVENT = {"name": "Ada"}
#: takes a correct form back: check() reads the events hello printed to its log group
FORGET_THE_LOGS = 'lab.client("logs").delete_log_group(logGroupName="/aws/lambda/hello")'


class InvokeHello(Problem):
    """Invoke ``hello`` synchronously with the event ``{"name": "Ada"}``."""

    title = "Invoke a function"
    _hint = (
        'Use the Lambda client: `lab.client("lambda").invoke(FunctionName=..., Payload=...)`. '
        "The payload is the event as JSON text (or bytes), e.g. `json.dumps({...})`."
    )
    _solution = (
        "```python\n"
        "import json\n"
        'response = lab.client("lambda").invoke(FunctionName="hello", Payload=json.dumps({"name": "Ada"}))\n'
        'json.load(response["Payload"])\n'
        "```"
    )

    mistakes = (
        Attempt(
            'lam.invoke(FunctionName="hello", Payload=json.dumps({"Name": "Ada"}))',
            names="keys are case-sensitive",
            undo=FORGET_THE_LOGS,
        ),
        Attempt(
            'lam.invoke(FunctionName="hello", Payload=json.dumps("Ada"))',
            names="not a JSON object",
            undo=FORGET_THE_LOGS,
        ),
        Attempt(
            'lam.invoke(FunctionName="hello", Payload=json.dumps({"name": "ada"}))',
            names="send exactly",
            undo=FORGET_THE_LOGS,
        ),
        Attempt(
            'lam.invoke(FunctionName="hello")',
            names="without a Payload",
            undo=FORGET_THE_LOGS,
        ),
        Attempt(
            'lam.invoke(FunctionName="hello", InvocationType="Event", Payload=json.dumps({"name": "Ada"}))',
            names="asynchronously",
            undo="lab.run_until_idle()\n" + FORGET_THE_LOGS,
        ),
    )
    correct_forms = (
        Attempt(
            'lam.invoke(FunctionName="hello", InvocationType="RequestResponse", Payload=b\'{"name": "Ada"}\')',
            undo=FORGET_THE_LOGS,
        ),
        Attempt(
            'arn = lam.get_function(FunctionName="hello")["Configuration"]["FunctionArn"]\n'
            "event = {}\n"
            'event["name"] = "Ada"\n'
            "lam.invoke(FunctionName=arn, Payload=json.dumps(event).encode())",
            undo=FORGET_THE_LOGS,
        ),
    )

    def setup(self) -> None:
        _shared.ensure_hello(self.lab, FUNCTION)

    def _events_seen(self) -> list[str]:
        """The events ``hello`` printed, read back from its CloudWatch Logs log group."""
        logs = self.lab.client("logs")
        try:
            found = logs.filter_log_events(logGroupName=f"/aws/lambda/{FUNCTION}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return []
        return [e["message"].split("event:", 1)[1].strip() for e in found if e["message"].startswith("event:")]

    def _last_call_was_asynchronous(self) -> bool:
        calls = [
            r
            for r in self.lab.trace.where(function=FUNCTION)
            if r.kind == k.ASYNC_QUEUED or (r.kind == k.INVOKE and r.view(k.Invoke)["source"] == "Invoke")
        ]
        return bool(calls) and calls[-1].kind == k.ASYNC_QUEUED

    def _check(self) -> bool | str | None:
        if self._last_call_was_asynchronous():
            return (
                'You invoked hello asynchronously (InvocationType="Event"): Lambda queued the event and answered '
                "202 at once, with no result to read. Leave InvocationType out (its default, RequestResponse, "
                "is synchronous) and the answer carries the greeting."
            )
        seen = self._events_seen()
        if not seen:
            return None
        return judge_event(seen[-1])

    def _congrats(self) -> str:
        return "hello printed your event to its log group /aws/lambda/hello, which is where check() found it."

    def solve(self) -> None:
        self.lab.client("lambda").invoke(FunctionName=FUNCTION, Payload=json.dumps(TARGET_EVENT))

    def attempt_wrong(self) -> bool:
        self.lab.client("lambda").invoke(FunctionName=FUNCTION, Payload=json.dumps({"name": "Bob"}))
        return True


def judge_event(printed: str) -> bool | str:
    """The last event hello printed (JSON, keys sorted), judged against ``{"name": "Ada"}``."""
    wanted = json.dumps(TARGET_EVENT, sort_keys=True)
    if printed == wanted:
        return True
    event = json.loads(printed)
    if event == {}:
        return (
            "hello ran without a Payload, so its event was {} and it greeted the world. Pass the event as "
            'Payload=json.dumps({"name": "Ada"}).'
        )
    if not isinstance(event, dict):
        return (
            f"hello received {printed}, which is not a JSON object: the event is what the JSON of Payload decodes "
            f'to, and the function reads event["name"]. Send {wanted}.'
        )
    if "name" not in event and any(key.lower() == "name" for key in event):
        return f'hello received {printed}: JSON keys are case-sensitive, and the function reads event["name"].'
    return f'hello ran, with the event {printed}. Send exactly {wanted} (the function greets event["name"]).'


class AdvanceClock(Problem):
    """Move the lab's virtual clock on by one hour: from 09:00 UTC, where a new lab starts, to 10:00."""

    title = "Move virtual time"
    _hint = (
        "`lab.advance(seconds)` moves virtual time forward and runs whatever falls due on the way. "
        "How many seconds are there between 09:00 and 10:00?"
    )
    _solution = "```python\nlab.advance(60 * 60)\nlab.clock.now\n```"
    target = 3600.0
    _start = 0.0

    mistakes = (
        Attempt("lab.advance(60)", names="counts in seconds", undo="exercise.setup()"),
        Attempt("lab.advance(1)", names="1 s passed", undo="exercise.setup()"),
        Attempt("lab.advance(10 * 60 * 60)", names="only goes forward", undo="exercise.setup()"),
    )
    correct_forms = (
        Attempt("for minute in range(60):\n    lab.advance(60)", undo="exercise.setup()"),
        Attempt(
            "from datetime import timedelta\nlab.advance(timedelta(hours=1).total_seconds())", undo="exercise.setup()"
        ),
    )

    def setup(self) -> None:
        """The hour counts from here (a new lab's clock reads 09:00); running setup() again starts it again."""
        self._start = self.lab.clock.t

    def _check(self) -> bool | str | None:
        passed = self.lab.clock.t - self._start
        if passed == 0:
            return None
        goal = self.lab.clock.now + timedelta(seconds=self.target - passed)
        if passed > self.target:
            return (
                f"The clock reads {self.lab.clock.now:%H:%M:%S} UTC, {passed - self.target:g} s past {goal:%H:%M:%S}: "
                "a virtual clock only goes forward. Run setup() to start the hour again from here."
            )
        if passed < self.target:
            return (
                f"The clock reads {self.lab.clock.now:%H:%M:%S} UTC: {passed:g} s passed, {self.target - passed:g} s "
                f"more to go before {goal:%H:%M:%S}. lab.advance counts in seconds."
            )
        return True

    def _congrats(self) -> str:
        return "An hour passed in no time: nothing in the lab waits for the wall clock."

    def solve(self) -> None:
        self.lab.advance(self.target - (self.lab.clock.t - self._start))

    def attempt_wrong(self) -> bool:
        self.lab.advance(60)
        return True
