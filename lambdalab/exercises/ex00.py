"""Exercises for ``00-start-here``: invoke a function, move the virtual clock."""

from __future__ import annotations

import json

from . import _shared
from .core import Problem

FUNCTION = "hello"
TARGET_EVENT = {"name": "Ada"}


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

    def _check(self) -> bool | str | None:
        seen = self._events_seen()
        if not seen:
            return None
        wanted = json.dumps(TARGET_EVENT, sort_keys=True)
        if wanted in seen:
            return True
        return (
            f"hello ran, with the event {seen[-1]}. Send exactly {wanted} as the payload "
            '(the function reads event["name"]).'
        )

    def _congrats(self) -> str:
        return "hello printed your event to its log group /aws/lambda/hello, which is where check() found it."

    def solve(self) -> None:
        self.lab.client("lambda").invoke(FunctionName=FUNCTION, Payload=json.dumps(TARGET_EVENT))

    def attempt_wrong(self) -> bool:
        self.lab.client("lambda").invoke(FunctionName=FUNCTION, Payload=json.dumps({"name": "Bob"}))
        return True


class AdvanceClock(Problem):
    """Move the lab's virtual clock to 10:00 UTC (it starts at 09:00)."""

    title = "Move virtual time"
    _hint = (
        "`lab.advance(seconds)` moves virtual time forward and runs whatever falls due on the way. "
        "How many seconds are there between 09:00 and 10:00?"
    )
    _solution = "```python\nlab.advance(60 * 60)\nlab.clock.now\n```"
    target = 3600.0

    def _check(self) -> bool | str | None:
        t = self.lab.clock.t
        if t == 0:
            return None
        if t < self.target:
            return (
                f"The clock reads {self.lab.clock.now:%H:%M:%S} UTC: {self.target - t:g} more seconds "
                "to go before 10:00:00."
            )
        return True

    def _congrats(self) -> str:
        return "An hour passed in no time: nothing in the lab waits for the wall clock."

    def solve(self) -> None:
        self.lab.advance(self.target - self.lab.clock.t)

    def attempt_wrong(self) -> bool:
        self.lab.advance(60)
        return True
