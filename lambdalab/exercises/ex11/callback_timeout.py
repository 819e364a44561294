"""Exercise 2 of ``11-durable-functions``, a callback's timeout: without one, an execution waits for its callback
until the execution itself times out.

Callback options: https://docs.aws.amazon.com/lambda/latest/api/API_CallbackOptions.html
"""

from __future__ import annotations

import json
from typing import Any

from ... import trace_kinds as k
from ..core import Attempt, Problem
from ._common import DAY, changed_and_live, code, deploy, run, update

APPROVALS = """from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig, Duration

@durable_execution
def handler(event, context: DurableContext):
    approval = context.create_callback(name="manager-approval", config=CallbackConfig())
    return {"expense": event["expense"], "approved": approval.result()}
"""

APPROVED_ANYWAY = APPROVALS.replace("CallbackConfig()", "CallbackConfig(timeout=Duration.from_hours(24))").replace(
    '    return {"expense": event["expense"], "approved": approval.result()}',
    "    try:\n        approved = approval.result()\n    except Exception:\n        approved = True\n"
    '    return {"expense": event["expense"], "approved": approved}',
)

NOT_APPROVED = (
    APPROVALS.replace(
        "from aws_durable_execution_sdk_python import DurableContext, durable_execution\n",
        "from aws_durable_execution_sdk_python import CallbackTimeoutError, DurableContext, durable_execution\n",
    )
    .replace("CallbackConfig()", "CallbackConfig(timeout=Duration.from_days(1))")
    .replace(
        '    return {"expense": event["expense"], "approved": approval.result()}',
        "    try:\n        approved = approval.result()\n    except CallbackTimeoutError:\n        approved = False\n"
        '    return {"expense": event["expense"], "approved": approved}',
    )
)


class TimeOutTheApproval(Problem):
    """``approvals`` waits for a manager's callback forever (until its 30-day execution timeout)."""

    title = "Give the approval callback a timeout"
    _hint = (
        "`CallbackConfig(timeout=Duration.from_hours(24))` makes the callback fail with `CallbackTimeoutError` when "
        "nobody answers within a day; the handler (here, uncaught) then fails the execution instead of holding it "
        "open for a month. check() starts an execution, sends nothing, and moves the clock a day and a second."
    )
    _solution = (
        "```python\n"
        "update_code(\"approvals\", '''from aws_durable_execution_sdk_python import DurableContext, durable_execution\n"
        "from aws_durable_execution_sdk_python.config import CallbackConfig, Duration\n\n"
        "@durable_execution\n"
        "def handler(event, context: DurableContext):\n"
        '    approval = context.create_callback(name="manager-approval", config=CallbackConfig(timeout=Duration.from_hours(24)))\n'
        '    return {"expense": event["expense"], "approved": approval.result()}\n'
        "''')\n"
        "```"
    )

    mistakes = (
        Attempt(
            code("approvals", APPROVALS.replace("CallbackConfig()", "CallbackConfig(timeout=Duration.from_days(3))")),
            names="still waits",
            undo=code("approvals", APPROVALS),
        ),
        Attempt(  # the timeout fires, but the handler treats silence as a yes
            code("approvals", APPROVED_ANYWAY),
            names="approved anyway",
            undo=code("approvals", APPROVALS),
        ),
        Attempt(  # seconds, as boto3 and Step Functions take them
            code("approvals", APPROVALS.replace("CallbackConfig()", "CallbackConfig(timeout=86400)")),
            names="not a number of seconds",
            undo=code("approvals", APPROVALS),
        ),
    )
    correct_forms = (
        Attempt(
            code("approvals", APPROVALS.replace("CallbackConfig()", "CallbackConfig(timeout=Duration.from_hours(8))")),
            undo=code("approvals", APPROVALS),
        ),
        Attempt(  # the timeout caught, and the expense recorded as not approved
            code("approvals", NOT_APPROVED),
            undo=code("approvals", APPROVALS),
        ),
    )

    def setup(self) -> None:
        deploy(self.lab, "approvals", APPROVALS)

    def _check(self) -> bool | str | None:
        ready = changed_and_live(self.lab, "approvals", APPROVALS)
        if ready is not True:
            return ready
        arn = run(self.lab, "approvals", {"expense": "train ticket"})
        self.lab.advance(DAY + 1)
        lam = self.lab.client("lambda")
        execution = lam.get_durable_execution(DurableExecutionArn=arn)
        if execution["Status"] == "RUNNING":
            lam.stop_durable_execution(DurableExecutionArn=arn)
            return "A day after it started, the execution still waits for its approval: give the callback a timeout of a day at most."
        timed_out = [
            r
            for r in self.lab.trace.where(k.DURABLE_CALLBACK, "approvals", execution=arn)
            if "TIMED_OUT" in r.detail["outcome"]
        ]
        if timed_out and execution["Status"] == "SUCCEEDED":
            if json.loads(execution.get("Result") or "{}").get("approved"):
                return (
                    "The callback timed out, but the handler caught the error and the expense was approved anyway: "
                    "nobody approved it. Let the timeout fail the execution, or record the expense as not approved."
                )
            return True
        if execution["Status"] != "FAILED" or not timed_out:
            return _no_timeout(execution)
        return True

    def _congrats(self) -> str:
        return "Nobody approved within a day: the callback timed out and the execution failed, as it should."

    def solve(self) -> None:
        update(
            self.lab,
            "approvals",
            APPROVALS.replace("CallbackConfig()", "CallbackConfig(timeout=Duration.from_hours(24))"),
        )

    def attempt_wrong(self) -> bool:
        update(
            self.lab,
            "approvals",
            APPROVALS.replace("CallbackConfig()", "CallbackConfig(timeout=Duration.from_days(3))"),
        )
        return True


def _no_timeout(execution: dict[str, Any]) -> str:
    """What to say when ``approvals`` ended without its callback timing out."""
    error = execution.get("Error") or {}
    if "to_seconds" in str(error.get("ErrorMessage", "")):
        return (
            f"The execution failed before its callback could time out ({error.get('ErrorType', '')}: "
            f"{error.get('ErrorMessage', '')}): CallbackConfig's timeout is a Duration, not a number of seconds. "
            "Write timeout=Duration.from_hours(24)."
        )
    why = f" ({error.get('ErrorType', '')}: {error.get('ErrorMessage', '')})" if error else ""
    return (
        f"The execution ended {execution['Status']}{why} without its callback timing out. "
        "Keep waiting for the approval, with a timeout on the callback."
    )
