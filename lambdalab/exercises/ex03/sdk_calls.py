"""Exercise 3 of ``03-sync-invoke``, a handler that calls another service: the queue's URL in an environment
variable, the call made with the execution role's credentials.

Environment variables: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
"""

from __future__ import annotations

import json

from ... import trace_kinds as k
from ...packaging import zip_folder
from .. import _shared
from ..core import Attempt, NextStep, Problem
from ._common import ROLE, create_afresh

ORDER_TAKER = "order-taker"
QUEUE = "orders"
ORDER = {"order": 42}

TAKER = (
    ROLE + 'queue_url = lab.client("sqs").get_queue_url(QueueName="orders")["QueueUrl"]\n'
    'package = lambdalab.zip_folder("../data/functions/sdk-caller-python")\n'
)
TAKER_AGAIN = (  # the function deleted, the queue emptied (PurgeQueue may run once a minute)
    'lam.delete_function(FunctionName="order-taker")\n'
    'sqs = lab.client("sqs")\n'
    'url = sqs.get_queue_url(QueueName="orders")["QueueUrl"]\n'
    'while found := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):\n'
    "    for message in found:\n"
    '        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])'
)


def _taker(environment: str, event: str = '{"order": 42}') -> str:
    """An attempt at order-taker: deployed with these environment variables, invoked with ``event``."""
    return (
        TAKER
        + 'lam.create_function(FunctionName="order-taker", Runtime="python3.13", Handler="app.handler", Role=role_arn,\n'
        + f'                    Code={{"ZipFile": package}}, Environment={{"Variables": {environment}}})\n'
        + f'lam.invoke(FunctionName="order-taker", Payload=json.dumps({event}))'
    )


class SendToQueue(Problem):
    """Deploy ``order-taker`` (data/functions/sdk-caller-python) so that invoking it puts the order on ``orders``."""

    title = "A handler that calls another service"
    _hint = (
        "The function reads the queue's URL from the environment variable `QUEUE_URL`: pass "
        '`Environment={"Variables": {"QUEUE_URL": queue_url}}` to `create_function`. Then invoke it '
        'with the event `{"order": 42}`.'
    )
    _solution = (
        "```python\n"
        'queue_url = lab.client("sqs").get_queue_url(QueueName="orders")["QueueUrl"]\n'
        "lam.create_function(\n"
        '    FunctionName="order-taker", Runtime="python3.13", Handler="app.handler", Role=role_arn,\n'
        '    Code={"ZipFile": lambdalab.zip_folder("../data/functions/sdk-caller-python")},\n'
        '    Environment={"Variables": {"QUEUE_URL": queue_url}},\n'
        ")\n"
        'lam.invoke(FunctionName="order-taker", Payload=json.dumps({"order": 42}))\n'
        "```"
    )

    mistakes = (
        Attempt(_taker("{}"), names="no environment variable QUEUE_URL", undo=TAKER_AGAIN),
        Attempt(_taker('{"QUEUE": queue_url}'), names="(it has QUEUE)", undo=TAKER_AGAIN),
        Attempt(_taker('{"QUEUE_URL": lab.arn("sqs", "orders")}'), names="not its ARN", undo=TAKER_AGAIN),
        Attempt(
            _taker('{"QUEUE_URL": queue_url}', event='{"order": "42"}'), names="exactly that event", undo=TAKER_AGAIN
        ),
    )
    correct_forms = (
        Attempt(  # the environment added by an update, after the function was created
            TAKER + 'lam.create_function(FunctionName="order-taker", Runtime="python3.12", Handler="app.handler", '
            'Role=role_arn, Code={"ZipFile": package})\n'
            'reconfigure("order-taker", Environment={"Variables": {"QUEUE_URL": queue_url}})\n'
            """lam.invoke(FunctionName="order-taker", Payload=b'{"order": 42}')""",
            undo=TAKER_AGAIN,
        ),
        Attempt(
            TAKER + "deploy = Deployer(lab, role_arn)\n"
            'deploy("order-taker", folder="sdk-caller-python", Environment={"Variables": {"QUEUE_URL": queue_url}})\n'
            'lam.invoke(FunctionName="order-taker", InvocationType="Event", Payload=json.dumps({"order": 42}))\n'
            "lab.run_until_idle()",
            undo=TAKER_AGAIN,
        ),
    )

    def setup(self) -> None:
        _shared.ensure_role(self.lab)
        self.lab.client("sqs").create_queue(QueueName=QUEUE)

    def _queue_url(self) -> str:
        return str(self.lab.client("sqs").get_queue_url(QueueName=QUEUE)["QueueUrl"])

    def _bodies(self) -> list[str]:
        """The messages on the queue, looked at without taking them (visibility timeout 0)."""
        sqs = self.lab.client("sqs")
        found = sqs.receive_message(QueueUrl=self._queue_url(), MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [m["Body"] for m in found.get("Messages", [])]

    def _check(self) -> bool | str | None:
        config = _shared.function_config(self.lab, ORDER_TAKER)
        if config is None:
            return None
        variables = (config.get("Environment") or {}).get("Variables") or {}
        if "QUEUE_URL" not in variables:
            has = f" (it has {', '.join(sorted(variables))})" if variables else ""
            return (
                f"order-taker has no environment variable QUEUE_URL{has}: the function reads the queue's URL from "
                'os.environ["QUEUE_URL"]. Pass Environment={"Variables": {"QUEUE_URL": queue_url}}.'
            )
        if variables["QUEUE_URL"].startswith("arn:"):
            return (
                f"QUEUE_URL is {variables['QUEUE_URL']}: SQS calls name a queue by its URL (get_queue_url), "
                "not its ARN."
            )
        runs = _shared.runs_since_change(self.lab, ORDER_TAKER)
        if not runs:
            return NextStep('order-taker is deployed: now invoke it with the event {"order": 42}.')
        last = runs[-1].view(k.Invoke)
        if last.get("error"):
            return f"order-taker failed ({last['error']}). Read its log group /aws/lambda/order-taker to see why."
        bodies = self._bodies()
        if any(json.loads(body) == ORDER for body in bodies):
            return True
        if bodies:
            return f"The queue holds {', '.join(bodies)}, but no {json.dumps(ORDER)}: invoke with exactly that event."
        return "order-taker ran, but the queue orders is empty."

    def _congrats(self) -> str:
        return "The order is on the queue: the function's boto3 client reached SQS with the role's credentials."

    def _create(self, environment: dict[str, str]) -> None:
        folder = _shared.FUNCTIONS_DIR / "sdk-caller-python"
        create_afresh(
            self.lab,
            ORDER_TAKER,
            Runtime="python3.13",
            Handler="app.handler",
            Code={"ZipFile": zip_folder(folder)},
            Environment={"Variables": environment},
        )

    def solve(self) -> None:
        self.setup()
        self._create({"QUEUE_URL": self._queue_url()})
        self.lab.client("lambda").invoke(FunctionName=ORDER_TAKER, Payload=json.dumps(ORDER))

    def attempt_wrong(self) -> bool:
        # deployed without telling the function where the queue is
        self._create({})
        self.lab.client("lambda").invoke(FunctionName=ORDER_TAKER, Payload=json.dumps(ORDER))
        return True
