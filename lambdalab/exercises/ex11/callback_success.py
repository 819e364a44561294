"""Exercise 3 of ``11-durable-functions``, completing a callback: the waiting execution's CallbackId, found in its
history, and SendDurableExecutionCallbackSuccess.

SendDurableExecutionCallbackSuccess: https://docs.aws.amazon.com/lambda/latest/api/API_SendDurableExecutionCallbackSuccess.html
"""

from __future__ import annotations

from typing import Any

from ... import trace_kinds as k
from ..core import Attempt, Problem
from ._common import DAY, deploy, run

PAYMENTS = """from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration

@durable_execution
def handler(event, context: DurableContext):
    order = event["order"]
    context.step(lambda _: f"reserved {order}", name="reserve")
    paid = context.create_callback(name="payment").result()
    context.wait(Duration.from_days(1), name="cool-off")
    return context.step(lambda _: f"shipped {order} ({paid})", name="ship")
"""


class PayFromACell(Problem):
    """An execution of ``payments`` waits for its payment callback; complete it from the notebook."""

    title = "Complete the payment callback from a cell"
    _hint = (
        'Find the running execution (`list_durable_executions_by_function`, with `Qualifier="live"`: executions '
        "are listed by the version they run, `$LATEST`'s without a qualifier), read its history "
        "(`get_durable_execution_history`): the `CallbackStarted` event carries the `CallbackId`. "
        "`send_durable_execution_callback_success(CallbackId=..., Result=...)` completes it; the clock then "
        "resumes the execution (check() runs the clock for you)."
    )
    _solution = (
        "```python\n"
        'arn = lam.list_durable_executions_by_function(FunctionName="payments", Qualifier="live", Statuses=["RUNNING"])["DurableExecutions"][0]["DurableExecutionArn"]\n'
        'events = lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]\n'
        'callback_id = next(e for e in events if e["EventType"] == "CallbackStarted")["CallbackStartedDetails"]["CallbackId"]\n'
        'lam.send_durable_execution_callback_success(CallbackId=callback_id, Result=b"paid")\n'
        "```"
    )

    _find = (
        'arn = lam.list_durable_executions_by_function(FunctionName="payments", Qualifier="live", Statuses=["RUNNING"])["DurableExecutions"][0]["DurableExecutionArn"]\n'
        'events = lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]\n'
        'callback_id = next(e for e in events if e["EventType"] == "CallbackStarted")["CallbackStartedDetails"]["CallbackId"]\n'
    )
    #: every running execution stopped, and one new execution waiting for its payment
    _AFRESH = (
        'for e in lam.list_durable_executions_by_function(FunctionName="payments", Qualifier="live", Statuses=["RUNNING"])["DurableExecutions"]:\n'
        '    lam.stop_durable_execution(DurableExecutionArn=e["DurableExecutionArn"])\n'
        'lam.invoke(FunctionName="payments:live", InvocationType="Event", Payload=b\'{"order": "o-10"}\')\n'
        "lab.run_until_idle()"
    )
    mistakes = (
        Attempt(_find + "lam.send_durable_execution_callback_heartbeat(CallbackId=callback_id)", names="heartbeat"),
        Attempt(
            _find
            + 'lam.send_durable_execution_callback_failure(CallbackId=callback_id, Error={"ErrorMessage": "paid"})',
            names="failure",
            undo='lam.invoke(FunctionName="payments:live", InvocationType="Event", Payload=b\'{"order": "o-9"}\')\nlab.run_until_idle()',
        ),
        Attempt(  # invoking again "with the payment" starts another execution, which waits for its own
            'start("payments:live", {"order": "o-7", "payment": "paid"})',
            names="starts a new execution",
            undo=_AFRESH,
        ),
    )
    correct_forms = (
        Attempt(
            _find + "lam.send_durable_execution_callback_success(CallbackId=callback_id, Result=b'{\"amount\": 42}')",
            undo='lam.invoke(FunctionName="payments:live", InvocationType="Event", Payload=b\'{"order": "o-8"}\')\nlab.run_until_idle()',
        ),
        Attempt(  # every execution listed, the running one picked; the result as a JSON string
            'listed = lam.list_durable_executions_by_function(FunctionName="payments", Qualifier="live")["DurableExecutions"]\n'
            'arn = next(e["DurableExecutionArn"] for e in listed if e["Status"] == "RUNNING")\n'
            'history = lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]\n'
            'started = [e["CallbackStartedDetails"] for e in history if "CallbackStartedDetails" in e]\n'
            'lam.send_durable_execution_callback_success(CallbackId=started[0]["CallbackId"], Result=json.dumps({"paid": 42}))',
            undo=_AFRESH,
        ),
    )

    def setup(self) -> None:
        deploy(self.lab, "payments", PAYMENTS)
        if not self._running():
            run(self.lab, "payments", {"order": "o-7"})

    def _running(self) -> list[dict[str, Any]]:
        lam = self.lab.client("lambda")
        found = lam.list_durable_executions_by_function(FunctionName="payments", Qualifier="live", Statuses=["RUNNING"])
        return list(found["DurableExecutions"])

    def _check(self) -> bool | str | None:
        started = self.lab.trace.where(k.DURABLE_STARTED, "payments")
        if not started:
            return None
        latest = started[-1].detail["execution"]  # the execution setup() started (or the newest since)
        callbacks = self.lab.trace.where(k.DURABLE_CALLBACK, "payments", execution=latest)
        sent = [r for r in callbacks if r.detail["outcome"] == "SUCCEEDED"]
        if not sent:
            if any(r.detail["outcome"] == "FAILED" for r in callbacks):
                return (
                    "You sent a failure: the handler's payment.result() raised it and the execution failed. A payment "
                    "that arrived is a success, with the payment's details as its Result."
                )
            if any(r.detail["outcome"] == "HEARTBEAT" for r in callbacks):
                return (
                    "A heartbeat tells Lambda the payment is still coming (it restarts a heartbeat timeout); it does "
                    "not complete the callback. Send success with the payment's result."
                )
            waiting = self._running()
            if len(waiting) > 1:
                return (
                    f"{len(waiting)} executions of payments now wait for a payment: invoking payments starts a new "
                    "execution, with its own callback; it does not reach the one already waiting. Find the waiting "
                    "execution's CallbackId and send it success (stop the extra execution with stop_durable_execution)."
                )
            return None
        self.lab.run_until_idle(2 * DAY)
        lam = self.lab.client("lambda")
        execution = lam.get_durable_execution(DurableExecutionArn=sent[-1].detail["execution"])
        if execution["Status"] != "SUCCEEDED":
            return f"The callback was completed, but the execution ended {execution['Status']}."
        return True

    def _congrats(self) -> str:
        return "The payment arrived from your cell; the execution resumed, waited its day and shipped."

    def solve(self) -> None:
        lam = self.lab.client("lambda")
        arn = self._running()[0]["DurableExecutionArn"]
        events = lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
        callback = next(e for e in events if e["EventType"] == "CallbackStarted")["CallbackStartedDetails"]
        lam.send_durable_execution_callback_success(CallbackId=callback["CallbackId"], Result=b"paid")

    def attempt_wrong(self) -> bool:
        lam = self.lab.client("lambda")
        arn = self._running()[0]["DurableExecutionArn"]
        events = lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
        callback = next(e for e in events if e["EventType"] == "CallbackStarted")["CallbackStartedDetails"]
        lam.send_durable_execution_callback_heartbeat(CallbackId=callback["CallbackId"])
        return True
