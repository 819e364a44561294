"""Exercise 1 of ``11-durable-functions``, deterministic replay: every invocation after the first runs the handler
from the top, so code outside a step must do the same thing each time.

Determinism: https://docs.aws.amazon.com/lambda/latest/dg/durable-best-practices.html
"""

from __future__ import annotations

from ... import trace_kinds as k
from ..core import Attempt, Problem
from ._common import changed_and_live, code, deploy, latest_only, run, update

RECEIPTS = """import uuid
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration

@durable_execution
def handler(event, context: DurableContext):
    payment_id = str(uuid.uuid4())  # a new value on every replay
    context.step(lambda _: f"charged {event['amount']}", name=f"charge-{payment_id}")
    context.wait(Duration.from_hours(1), name="settle")
    return context.step(lambda _: "receipt sent", name="receipt")
"""
RECEIPTS_FIXED = """import uuid
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration

@durable_execution
def handler(event, context: DurableContext):
    payment_id = context.step(lambda _: str(uuid.uuid4()), name="payment-id")  # checkpointed: replays read it
    context.step(lambda _: f"charged {event['amount']}", name=f"charge-{payment_id}")
    context.wait(Duration.from_hours(1), name="settle")
    return context.step(lambda _: "receipt sent", name="receipt")
"""

RECEIPTS_DECORATED = (
    RECEIPTS.replace(
        "from aws_durable_execution_sdk_python import DurableContext, durable_execution\n",
        "from aws_durable_execution_sdk_python import DurableContext, durable_execution, durable_step\n",
    )
    .replace(
        "@durable_execution\n",
        "@durable_step\ndef new_payment_id(step_context):\n    return str(uuid.uuid4())\n\n@durable_execution\n",
    )
    .replace("str(uuid.uuid4())  # a new value on every replay", "context.step(new_payment_id())")
)


class FixNonDeterminism(Problem):
    """``receipts`` fails on its first replay: the handler draws a random id outside a step."""

    title = "Make the receipts workflow replay the same way"
    _hint = (
        "Every invocation after the first replays the handler from the top, and the SDK checks that each "
        "operation has the name it had when it was checkpointed. `uuid.uuid4()` outside a step gives a new name on "
        "every replay. Draw the id *inside* a step: its result is checkpointed, and replays read it back. Keep the "
        "wait, so that there is a replay to survive."
    )
    _solution = (
        "```python\n"
        "update_code(\"receipts\", '''import uuid\n"
        "from aws_durable_execution_sdk_python import DurableContext, durable_execution\n"
        "from aws_durable_execution_sdk_python.config import Duration\n\n"
        "@durable_execution\n"
        "def handler(event, context: DurableContext):\n"
        '    payment_id = context.step(lambda _: str(uuid.uuid4()), name="payment-id")\n'
        '    context.step(lambda _: f"charged {event[\'amount\']}", name=f"charge-{payment_id}")\n'
        '    context.wait(Duration.from_hours(1), name="settle")\n'
        '    return context.step(lambda _: "receipt sent", name="receipt")\n'
        "''')\n"
        "```"
    )

    mistakes = (
        Attempt(  # no wait: one invocation, no replay, so nothing is checked
            code("receipts", RECEIPTS.replace('    context.wait(Duration.from_hours(1), name="settle")\n', "")),
            names="no longer waits",
            undo=code("receipts", RECEIPTS),
        ),
        Attempt(  # the wall clock outside a step is as bad as a random id
            code("receipts", RECEIPTS.replace("str(uuid.uuid4())", "__import__('time').time_ns()")),
            names="non-deterministic",
            undo=code("receipts", RECEIPTS),
        ),
        Attempt(  # the fix deployed to $LATEST only: receipts:live still runs the version with the bug
            latest_only("receipts", RECEIPTS_FIXED),
            names="publish",
            undo=code("receipts", RECEIPTS),
        ),
        Attempt(  # a name-based uuid replays the same way, and is the same for every payment too
            code(
                "receipts",
                RECEIPTS.replace(
                    "str(uuid.uuid4())  # a new value on every replay",
                    "str(uuid.uuid5(uuid.NAMESPACE_URL, 'receipts'))  # the same on every replay",
                ),
            ),
            names="the same payment id",
            undo=code("receipts", RECEIPTS),
        ),
    )
    correct_forms = (
        Attempt(
            code("receipts", RECEIPTS.replace('name=f"charge-{payment_id}"', 'name="charge"')),
            undo=code("receipts", RECEIPTS),
        ),
        Attempt(  # the SDK's decorator makes the draw a step of its own
            code("receipts", RECEIPTS_DECORATED),
            undo=code("receipts", RECEIPTS),
        ),
    )

    def setup(self) -> None:
        deploy(self.lab, "receipts", RECEIPTS)

    def _check(self) -> bool | str | None:
        ready = changed_and_live(self.lab, "receipts", RECEIPTS)
        if ready is not True:
            return ready
        arn = run(self.lab, "receipts", {"amount": 42})
        execution = self.lab.client("lambda").get_durable_execution(DurableExecutionArn=arn)
        invocations = self.lab.trace.where(k.DURABLE_INVOCATION, "receipts", execution=arn)
        if execution["Status"] == "FAILED":
            error = execution.get("Error", {})
            return (
                f"The execution still fails on replay: {error.get('ErrorType', '')}: {error.get('ErrorMessage', '')}. "
                "The handler is still non-deterministic: something outside a step differs from one replay to the next."
            )
        if execution["Status"] != "SUCCEEDED":
            return f"The execution ended {execution['Status']}; expected SUCCEEDED."
        if len(invocations) < 2:
            return (
                "The execution succeeded in one invocation because the handler no longer waits: there was no replay "
                "to get wrong. Keep the wait and make the replay find the same operations."
            )
        again = run(self.lab, "receipts", {"amount": 42})
        shared = sorted(self._charges(arn) & self._charges(again))
        if shared:
            return (
                f"Two executions charged under the same payment id ({shared[0]}): the replays agree now, but an id "
                "drawn the same way every time is the same payment id for every order. Draw a new one once, inside "
                "a step: the step's result is checkpointed, so replays read it back."
            )
        return True

    def _charges(self, arn: str) -> set[str]:
        """The names of the charge steps ``arn`` ran (``charge-<payment id>`` in the exercise's code)."""
        operations = self.lab.trace.where(k.DURABLE_OPERATION, "receipts", execution=arn)
        return {str(r.detail["name"]) for r in operations if str(r.detail["name"] or "").startswith("charge-")}

    def _congrats(self) -> str:
        return (
            "check() ran receipts twice: each execution waited an hour, replayed, found the same operations and "
            "succeeded, under a payment id of its own."
        )

    def solve(self) -> None:
        update(self.lab, "receipts", RECEIPTS_FIXED)

    def attempt_wrong(self) -> bool:
        update(self.lab, "receipts", RECEIPTS.replace("str(uuid.uuid4())", "__import__('time').time_ns()"))
        return True
