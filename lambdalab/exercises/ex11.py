"""Exercises for ``11-durable-functions``: a non-determinism bug, a callback that may never come, a callback
sent from a cell.

Each function is invoked as a durable function must be, qualified: ``check()`` starts executions of
``<name>:live``, the alias the notebook's ``update_code`` moves to each version it publishes
(https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking.html#durable-invoking-qualified-arns).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from .. import trace_kinds as k
from ..packaging import zip_files
from . import _shared
from .core import Attempt, Problem

DURABLE_ROLE = "durable-exec"
#: the durable function's SDK checkpoints with its execution role: AWS's managed policy grants that (and logs)
DURABLE_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicDurableExecutionRolePolicy"
DAY = 86_400
SETTINGS = {"ExecutionTimeout": 30 * DAY, "RetentionPeriodInDays": 7}

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


#: the alias every exercise's function is invoked through (a durable function is never invoked unqualified)
ALIAS = "live"


def _deploy(lab: Any, name: str, source: str) -> None:
    if _shared.function_exists(lab, name, ALIAS):
        return
    if not _shared.function_exists(lab, name):
        lab.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=_shared.ensure_role(lab, DURABLE_ROLE, (DURABLE_POLICY_ARN,)),
            Handler="app.handler",
            Code={"ZipFile": zip_files({"app.py": source})},
            Timeout=60,
            DurableConfig=SETTINGS,
        )
    _publish(lab, name)


def _publish(lab: Any, name: str) -> None:
    """Publish ``name``'s code as a version and point ``live`` at it (what the notebook's update_code does)."""
    lam = lab.client("lambda")
    version = lam.publish_version(FunctionName=name)["Version"]
    if _shared.function_exists(lab, name, ALIAS):
        lam.update_alias(FunctionName=name, Name=ALIAS, FunctionVersion=version)
    else:
        lam.create_alias(FunctionName=name, Name=ALIAS, FunctionVersion=version)


def _update(lab: Any, name: str, source: str) -> None:
    """Deploy ``source`` as ``name``'s code and publish it behind ``live``."""
    lab.client("lambda").update_function_code(FunctionName=name, ZipFile=zip_files({"app.py": source}))
    _publish(lab, name)


def _unpublished(lab: Any, name: str) -> str | None:
    """Why the code deployed to ``$LATEST`` is not what ``check()`` runs (None: ``live`` runs it)."""
    lam = lab.client("lambda")
    latest = lam.get_function_configuration(FunctionName=name)["CodeSha256"]
    live = lam.get_function_configuration(FunctionName=name, Qualifier=ALIAS)
    if live["CodeSha256"] == latest:
        return None
    return (
        f"{name}'s new code is in $LATEST, but the alias {ALIAS} still points at version {live['Version']}, which "
        f"runs the old code: check() invokes {name}:{ALIAS}, as a durable function is invoked through a version or "
        "an alias, never its bare name. Publish the new code (publish_version) and move the alias to it "
        "(update_alias), or deploy with update_code(), which does both."
    )


def _code(name: str, source: str) -> str:
    """An attempt's code: the notebook's ``update_code`` makes ``source`` the app.py of ``name``."""
    return f"update_code({name!r}, '''{source}''')"


def _latest_only(name: str, source: str) -> str:
    """An attempt's code that deploys ``source`` to ``$LATEST`` and publishes nothing."""
    return f"lam.update_function_code(FunctionName={name!r}, ZipFile=lambdalab.zip_files({{'app.py': '''{source}'''}}))"


def _run(lab: Any, name: str, event: dict[str, Any]) -> str:
    """Start an execution of ``name:live``, play it on the clock; its ARN."""
    answer = lab.client("lambda").invoke(
        FunctionName=f"{name}:{ALIAS}", InvocationType="Event", Payload=json.dumps(event)
    )
    lab.run_until_idle()
    return str(answer["DurableExecutionArn"])


def _unchanged(lab: Any, name: str, source: str) -> bool:
    """Is ``name`` still running the code the exercise started from?"""
    config = _shared.function_config(lab, name) or {}
    return bool(
        config.get("CodeSha256") == base64.b64encode(hashlib.sha256(zip_files({"app.py": source})).digest()).decode()
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
            _code("receipts", RECEIPTS.replace('    context.wait(Duration.from_hours(1), name="settle")\n', "")),
            names="no longer waits",
            undo=_code("receipts", RECEIPTS),
        ),
        Attempt(  # the wall clock outside a step is as bad as a random id
            _code("receipts", RECEIPTS.replace("str(uuid.uuid4())", "__import__('time').time_ns()")),
            names="non-deterministic",
            undo=_code("receipts", RECEIPTS),
        ),
        Attempt(  # the fix deployed to $LATEST only: receipts:live still runs the version with the bug
            _latest_only("receipts", RECEIPTS_FIXED),
            names="publish",
            undo=_code("receipts", RECEIPTS),
        ),
        Attempt(  # a name-based uuid replays the same way, and is the same for every payment too
            _code(
                "receipts",
                RECEIPTS.replace(
                    "str(uuid.uuid4())  # a new value on every replay",
                    "str(uuid.uuid5(uuid.NAMESPACE_URL, 'receipts'))  # the same on every replay",
                ),
            ),
            names="the same payment id",
            undo=_code("receipts", RECEIPTS),
        ),
    )
    correct_forms = (
        Attempt(
            _code("receipts", RECEIPTS.replace('name=f"charge-{payment_id}"', 'name="charge"')),
            undo=_code("receipts", RECEIPTS),
        ),
        Attempt(  # the SDK's decorator makes the draw a step of its own
            _code("receipts", RECEIPTS_DECORATED),
            undo=_code("receipts", RECEIPTS),
        ),
    )

    def setup(self) -> None:
        _deploy(self.lab, "receipts", RECEIPTS)

    def _check(self) -> bool | str | None:
        if _unchanged(self.lab, "receipts", RECEIPTS):
            return None
        unpublished = _unpublished(self.lab, "receipts")
        if unpublished is not None:
            return unpublished
        arn = _run(self.lab, "receipts", {"amount": 42})
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
        again = _run(self.lab, "receipts", {"amount": 42})
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
        _update(self.lab, "receipts", RECEIPTS_FIXED)

    def attempt_wrong(self) -> bool:
        _update(self.lab, "receipts", RECEIPTS.replace("str(uuid.uuid4())", "__import__('time').time_ns()"))
        return True


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
            _code("approvals", APPROVALS.replace("CallbackConfig()", "CallbackConfig(timeout=Duration.from_days(3))")),
            names="still waits",
            undo=_code("approvals", APPROVALS),
        ),
        Attempt(  # the timeout fires, but the handler treats silence as a yes
            _code("approvals", APPROVED_ANYWAY),
            names="approved anyway",
            undo=_code("approvals", APPROVALS),
        ),
        Attempt(  # seconds, as boto3 and Step Functions take them
            _code("approvals", APPROVALS.replace("CallbackConfig()", "CallbackConfig(timeout=86400)")),
            names="not a number of seconds",
            undo=_code("approvals", APPROVALS),
        ),
    )
    correct_forms = (
        Attempt(
            _code("approvals", APPROVALS.replace("CallbackConfig()", "CallbackConfig(timeout=Duration.from_hours(8))")),
            undo=_code("approvals", APPROVALS),
        ),
        Attempt(  # the timeout caught, and the expense recorded as not approved
            _code("approvals", NOT_APPROVED),
            undo=_code("approvals", APPROVALS),
        ),
    )

    def setup(self) -> None:
        _deploy(self.lab, "approvals", APPROVALS)

    def _check(self) -> bool | str | None:
        if _unchanged(self.lab, "approvals", APPROVALS):
            return None
        unpublished = _unpublished(self.lab, "approvals")
        if unpublished is not None:
            return unpublished
        arn = _run(self.lab, "approvals", {"expense": "train ticket"})
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
        _update(
            self.lab,
            "approvals",
            APPROVALS.replace("CallbackConfig()", "CallbackConfig(timeout=Duration.from_hours(24))"),
        )

    def attempt_wrong(self) -> bool:
        _update(
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
        _deploy(self.lab, "payments", PAYMENTS)
        if not self._running():
            _run(self.lab, "payments", {"order": "o-7"})

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
