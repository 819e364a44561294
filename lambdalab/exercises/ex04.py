"""Exercises for ``04-async-invoke-and-destinations``: retry settings and a failure destination."""

from __future__ import annotations

import json
from typing import Any

from .. import trace_kinds as k
from ..aws import iam_policy
from ..packaging import zip_files
from . import _shared
from .core import Attempt, NextStep, Problem

FUNCTION = "orders"
QUEUE = "orders-failed"
ORDERS_PY = (
    "def handler(event, context):\n"
    "    if event.get('fail'):\n"
    "        raise ValueError('cannot process order ' + str(event.get('id')))\n"
    "    return {'processed': event.get('id')}\n"
)


def ensure_orders(lab: Any) -> None:
    """The function ``orders`` (fails when the event says ``fail``) and the queue ``orders-failed``."""
    role = _shared.ensure_role(lab)
    lam = lab.client("lambda")
    try:
        lam.get_function(FunctionName=FUNCTION)
    except lam.exceptions.ResourceNotFoundException:
        lam.create_function(
            FunctionName=FUNCTION,
            Runtime="python3.12",
            Handler="app.handler",
            Role=role,
            Code={"ZipFile": zip_files({"app.py": ORDERS_PY})},
        )
    lab.client("sqs").create_queue(QueueName=QUEUE)


def _config(lab: Any) -> dict[str, Any] | None:
    lam = lab.client("lambda")
    try:
        return dict(lam.get_function_event_invoke_config(FunctionName=FUNCTION))
    except lam.exceptions.ResourceNotFoundException:
        return None


def _queue_arn(lab: Any) -> str:
    return str(lab.arn("sqs", QUEUE))


class RetrySettings(Problem):
    """Retry a failed event of ``orders`` once, and give up on events older than one hour."""

    title = "One retry, one hour"
    _hint = (
        "`put_function_event_invoke_config` takes `MaximumRetryAttempts` (0-2) and "
        "`MaximumEventAgeInSeconds` (60-21600). Remember that put replaces the whole configuration."
    )
    _solution = (
        "```python\n"
        'lab.client("lambda").put_function_event_invoke_config(\n'
        '    FunctionName="orders", MaximumRetryAttempts=1, MaximumEventAgeInSeconds=3600)\n'
        "```"
    )

    mistakes = (
        Attempt(
            'lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=1)',
            names="MaximumEventAgeInSeconds is not set",
            undo='lam.delete_function_event_invoke_config(FunctionName="orders")',
        ),
        Attempt(
            'lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=1, '
            "MaximumEventAgeInSeconds=60)",
            names="one hour is 3600",
            undo='lam.delete_function_event_invoke_config(FunctionName="orders")',
        ),
        Attempt(
            'lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=2, '
            "MaximumEventAgeInSeconds=3600)",
            names="MaximumRetryAttempts is 2",
            undo='lam.delete_function_event_invoke_config(FunctionName="orders")',
        ),
        Attempt(  # put replaces the whole configuration: the second call forgets the first
            'lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=1)\n'
            'lam.put_function_event_invoke_config(FunctionName="orders", MaximumEventAgeInSeconds=3600)',
            names="MaximumRetryAttempts is not set (default 2)",
            undo='lam.delete_function_event_invoke_config(FunctionName="orders")',
        ),
    )
    correct_forms = (
        Attempt(  # update merges into the configuration put made
            'lam.put_function_event_invoke_config(FunctionName="orders", MaximumEventAgeInSeconds=3600)\n'
            'lam.update_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=1)',
            undo='lam.delete_function_event_invoke_config(FunctionName="orders")',
        ),
        Attempt(
            "lam.put_function_event_invoke_config(MaximumEventAgeInSeconds=60 * 60, MaximumRetryAttempts=1, "
            'FunctionName="orders", Qualifier="$LATEST")',
            undo='lam.delete_function_event_invoke_config(FunctionName="orders")',
        ),
    )

    def setup(self) -> None:
        ensure_orders(self.lab)

    def _check(self) -> bool | str | None:
        cfg = _config(self.lab)
        if cfg is None:
            return None
        retries, age = cfg.get("MaximumRetryAttempts"), cfg.get("MaximumEventAgeInSeconds")
        if retries != 1:
            return (
                f"MaximumRetryAttempts is {retries if retries is not None else 'not set (default 2)'}; it should be 1."
            )
        if age != 3600:
            return f"MaximumEventAgeInSeconds is {age if age is not None else 'not set (default 21600)'}; one hour is 3600."
        return True

    def solve(self) -> None:
        self.lab.client("lambda").put_function_event_invoke_config(
            FunctionName=FUNCTION, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=3600
        )

    def attempt_wrong(self) -> bool:
        self.lab.client("lambda").put_function_event_invoke_config(FunctionName=FUNCTION, MaximumRetryAttempts=1)
        return True


#: where exercise 1 left the configuration (the solution of exercise 2 updates it)
BACK_TO_EXERCISE_1 = (
    'lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=1, MaximumEventAgeInSeconds=3600)'
)
GRANT = (
    'iam.put_role_policy(RoleName="lambda-exec", PolicyName="failures", PolicyDocument=json.dumps(\n'
    '    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",\n'
    '                                            "Resource": lab.arn("sqs", "orders-failed")}]}))\n'
)
FAIL_ONCE = (
    'lam.invoke(FunctionName="orders", InvocationType="Event", Payload=b\'{"id": 7, "fail": true}\')\n'
    "lab.run_until_idle()\n"
)
UNGRANT = BACK_TO_EXERCISE_1 + '\niam.delete_role_policy(RoleName="lambda-exec", PolicyName="failures")'


class FailureDestination(Problem):
    """Make failed events of ``orders`` land as invocation records in the queue ``orders-failed``."""

    title = "A failure destination that works"
    _hint = (
        "Two things: a `DestinationConfig` with `OnFailure` pointing at the queue's ARN, and a statement in the "
        "execution role `lambda-exec` that allows `sqs:SendMessage` on that queue. Then invoke `orders` with "
        '`InvocationType="Event"` and a payload containing `"fail": true`, and run the clock with '
        "`lab.run_until_idle()`. The trace shows `delivery` or `delivery-failed`."
    )
    _solution = (
        "```python\n"
        'queue_arn = lab.arn("sqs", "orders-failed")\n'
        'lab.client("iam").put_role_policy(RoleName="lambda-exec", PolicyName="failures", PolicyDocument=json.dumps(\n'
        '    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",\n'
        '                                            "Resource": queue_arn}]}))\n'
        'lab.client("lambda").update_function_event_invoke_config(\n'
        '    FunctionName="orders", DestinationConfig={"OnFailure": {"Destination": queue_arn}})\n'
        'lab.client("lambda").invoke(FunctionName="orders", InvocationType="Event", Payload=b\'{"id": 1, "fail": true}\')\n'
        "lab.run_until_idle()\n"
        "```"
    )

    mistakes = (
        Attempt(
            'lam.put_function_event_invoke_config(FunctionName="orders", '
            'DestinationConfig={"OnSuccess": {"Destination": lab.arn("sqs", "orders-failed")}})',
            names="OnSuccess destination",
            undo=BACK_TO_EXERCISE_1,
        ),
        Attempt(
            'sqs.create_queue(QueueName="orders-dead")\n'
            'lam.put_function_event_invoke_config(FunctionName="orders", '
            'DestinationConfig={"OnFailure": {"Destination": lab.arn("sqs", "orders-dead")}})',
            names="not at the queue",
            undo=BACK_TO_EXERCISE_1,
        ),
        Attempt(  # the destination without sqs:SendMessage in the execution role
            'lam.put_function_event_invoke_config(FunctionName="orders", '
            'DestinationConfig={"OnFailure": {"Destination": lab.arn("sqs", "orders-failed")}})\n'
            + 'lam.invoke(FunctionName="orders", InvocationType="Event", Payload=b\'{"id": 7, "fail": true}\')\nlab.run_until_idle()',
            names="could not deliver the record",
            undo=BACK_TO_EXERCISE_1,
        ),
    )
    correct_forms = (
        Attempt(
            'lab.client("iam").put_role_policy(RoleName="lambda-exec", PolicyName="failures", PolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",\n                                            "Resource": lab.arn("sqs", "orders-failed")}]}))\n'
            + 'lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=0, '
            'DestinationConfig={"OnFailure": {"Destination": lab.arn("sqs", "orders-failed")}})\n'
            + 'lam.invoke(FunctionName="orders", InvocationType="Event", Payload=b\'{"id": 7, "fail": true}\')\nlab.run_until_idle()',
            undo=UNGRANT,
        ),
        Attempt(  # the record could not be delivered at first; the fix, then a new failing event
            'lam.update_function_event_invoke_config(FunctionName="orders", '
            'DestinationConfig={"OnFailure": {"Destination": lab.arn("sqs", "orders-failed")}})\n'
            + FAIL_ONCE
            + GRANT
            + FAIL_ONCE,
            undo=UNGRANT,
        ),
    )

    def setup(self) -> None:
        ensure_orders(self.lab)

    def _since_last_change(self) -> list[tuple[str, str]]:
        """("delivered" or the reason it failed) for each OnFailure record of ``orders`` since its asynchronous
        invocation configuration last changed: what happened before the learner's last change is not judged."""
        outcomes: list[tuple[str, str]] = []
        for record in self.lab.trace.where(function=FUNCTION):
            if record.kind == k.EVENT_INVOKE_CONFIG:
                outcomes = []
            elif record.kind == k.DELIVERY and record.view(k.Delivery)["via"] == "OnFailure":
                outcomes.append(("delivered", ""))
            elif record.kind == k.DELIVERY_FAILED and (d := record.view(k.DeliveryFailed))["via"] == "OnFailure":
                outcomes.append(("failed", d["reason"]))
        return outcomes

    def _role_may_send(self) -> bool:
        """Whether the function's execution role allows sqs:SendMessage on the queue, as it stands now."""
        role = str((_shared.function_config(self.lab, FUNCTION) or {}).get("Role", "")).rsplit("/", 1)[-1]
        docs = _shared.role_documents(self.lab, role) if role else []
        return iam_policy.is_allowed(docs, "sqs:SendMessage", _queue_arn(self.lab))

    def _check(self) -> bool | str | None:
        cfg = _config(self.lab)
        destinations = (cfg or {}).get("DestinationConfig") or {}
        target = destinations.get("OnFailure", {}).get("Destination")
        if not target and destinations.get("OnSuccess", {}).get("Destination"):
            return (
                "The queue is set as the OnSuccess destination: it receives records of events that succeeded. "
                "Failed events (after their retries) go to OnFailure: put the queue's ARN there."
            )
        if not target:
            return None
        if target != _queue_arn(self.lab):
            return f"OnFailure points at {target}, not at the queue {_queue_arn(self.lab)}."
        outcomes = self._since_last_change()
        if outcomes and outcomes[-1][0] == "delivered":
            return True
        if outcomes and not self._role_may_send():
            return f"Lambda could not deliver the record: {outcomes[-1][1]}"
        if outcomes:
            return NextStep(
                "The role now allows sqs:SendMessage on orders-failed; the failed delivery came before that change. "
                "Invoke orders again with a failing event and run the clock (lab.run_until_idle())."
            )
        return NextStep(
            "The destination is set. Now invoke orders asynchronously with a failing event and run the clock "
            "(lab.run_until_idle()) so that a record is delivered."
        )

    def _grant(self) -> None:
        self.lab.client("iam").put_role_policy(
            RoleName=_shared.ROLE_NAME,
            PolicyName="failures",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": _queue_arn(self.lab)}],
                }
            ),
        )

    def _fail_once(self) -> None:
        lam = self.lab.client("lambda")
        lam.update_function_event_invoke_config(
            FunctionName=FUNCTION, DestinationConfig={"OnFailure": {"Destination": _queue_arn(self.lab)}}
        ) if _config(self.lab) else lam.put_function_event_invoke_config(
            FunctionName=FUNCTION, DestinationConfig={"OnFailure": {"Destination": _queue_arn(self.lab)}}
        )
        lam.invoke(FunctionName=FUNCTION, InvocationType="Event", Payload=b'{"id": 1, "fail": true}')
        self.lab.run_until_idle()

    def solve(self) -> None:
        self._grant()
        self._fail_once()

    def attempt_wrong(self) -> bool:
        self._fail_once()  # no permission yet: the delivery fails
        return True
