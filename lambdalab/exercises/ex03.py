"""Exercises for ``03-sync-invoke``: the handler contract, timeouts, a handler that calls AWS.

ALB events and responses: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html;
timeouts: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
"""

from __future__ import annotations

import json
from typing import Any

from .. import trace_kinds as k
from ..packaging import zip_files, zip_folder
from . import _shared
from .core import Attempt, NextStep, Problem

ECHO = "echo-path"
SLOW = "slow-report"
ORDER_TAKER = "order-taker"
QUEUE = "orders"
ORDER = {"order": 42}
#: the request check() sends: an ALB event whose path the learner has never seen
CHECK_PATH = "/exercise/check"

#: the lines an attempt starts with: the notebook defines role_arn and alb_request in later cells
ROLE = 'role_arn = iam.get_role(RoleName="lambda-exec")["Role"]["Arn"]\n'
EVENT = 'alb_event = json.load(open("../data/events/alb-request.json"))\n'
DELETE_ECHO = 'lam.delete_function(FunctionName="echo-path")'
SLOW_AGAIN = 'lam.delete_function(FunctionName="slow-report")\nexercise.setup()'
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


def _echo(body: str, handler: str = "app.handler", file: str = "app.py") -> str:
    """An attempt at echo-path whose handler answers with ``body``, deployed and invoked with the sample event."""
    return (
        ROLE
        + EVENT
        + f'source = """def handler(event, context):\n    return {body}\n"""\n'
        + f'lam.create_function(FunctionName="echo-path", Runtime="python3.13", Handler="{handler}", Role=role_arn,\n'
        + f'                    Code={{"ZipFile": lambdalab.zip_files({{"{file}": source}})}})\n'
        + 'lam.invoke(FunctionName="echo-path", Payload=json.dumps(alb_event))'
    )


def _taker(environment: str, event: str = '{"order": 42}') -> str:
    """An attempt at order-taker: deployed with these environment variables, invoked with ``event``."""
    return (
        TAKER
        + 'lam.create_function(FunctionName="order-taker", Runtime="python3.13", Handler="app.handler", Role=role_arn,\n'
        + f'                    Code={{"ZipFile": package}}, Environment={{"Variables": {environment}}})\n'
        + f'lam.invoke(FunctionName="order-taker", Payload=json.dumps({event}))'
    )


ECHO_PY = """def handler(event, context):
    return {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "isBase64Encoded": False,
        "headers": {"Content-Type": "text/plain"},
        "body": event["path"],
    }
"""
SLOW_PY = """import time


def handler(event, context):
    time.sleep(2.5)  # a slow report
    return {"report": "done"}
"""


def alb_event(path: str = "/lambda") -> dict[str, Any]:
    """The sample ALB request (data/events/alb-request.json), for another path."""
    sample = _shared.FUNCTIONS_DIR.parent / "events" / "alb-request.json"
    event: dict[str, Any] = json.loads(sample.read_text()) if sample.is_file() else {"httpMethod": "GET", "headers": {}}
    event["path"] = path
    return event


def _config(lab: Any, name: str) -> dict[str, Any] | None:
    return _shared.function_config(lab, name)


def _replace(lab: Any, name: str, **settings: Any) -> None:
    lam = lab.client("lambda")
    if _config(lab, name) is not None:
        lam.delete_function(FunctionName=name)
    lam.create_function(FunctionName=name, Role=_shared.ensure_role(lab), **settings)


class EchoPath(Problem):
    """Deploy ``echo-path``, which answers an ALB request with the request's path, and invoke it."""

    title = "A handler that reads its event"
    _hint = (
        'The ALB puts the URL path in `event["path"]` (look at data/events/alb-request.json). Return a '
        "dict with `statusCode` 200 and that path as `body`, deploy it with `create_function`, then "
        "`invoke` it with the sample event. check() sends a request for another path."
    )
    _solution = (
        "```python\n"
        "source = '''def handler(event, context):\n"
        '    return {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": event["path"]}\n'
        "'''\n"
        'role_arn = iam.get_role(RoleName="lambda-exec")["Role"]["Arn"]\n'
        'alb_event = json.load(open("../data/events/alb-request.json"))\n'
        'lam.create_function(FunctionName="echo-path", Runtime="python3.13", Handler="app.handler",\n'
        '                    Role=role_arn, Code={"ZipFile": lambdalab.zip_files({"app.py": source})})\n'
        'lam.invoke(FunctionName="echo-path", Payload=json.dumps(alb_event))\n'
        "```"
    )

    mistakes = (
        Attempt(  # the path of the sample request, written into the code
            _echo('{"statusCode": 200, "body": "/lambda"}'), names="Read the path from the event", undo=DELETE_ECHO
        ),
        Attempt(_echo('event["path"]'), names="a dict with statusCode", undo=DELETE_ECHO),
        Attempt(  # the field of function URLs and HTTP APIs, not of an ALB request
            _echo('{"statusCode": 200, "body": event["rawPath"]}'), names="has no key", undo=DELETE_ECHO
        ),
    )
    correct_forms = (
        Attempt(
            _echo(
                '{"statusCode": 200, "statusDescription": "200 OK", "isBase64Encoded": False, '
                '"headers": {"Content-Type": "text/plain"}, "body": event.get("path", "/")}',
                handler="index.handler",
                file="index.py",
            ),
            undo=DELETE_ECHO,
        ),
        Attempt(  # the notebook's deploy() helper, and an invocation for another path
            ROLE
            + EVENT
            + "source = \"def handler(event, context):\\n    path = event['path']\\n    return {'statusCode': 200, 'body': path}\\n\"\n"
            + "deploy = Deployer(lab, role_arn)\n"
            + 'deploy("echo-path", {"app.py": source})\n'
            + 'lam.invoke(FunctionName="echo-path", Payload=json.dumps({**alb_event, "path": "/somewhere/else"}))',
            undo=DELETE_ECHO,
        ),
    )

    def setup(self) -> None:
        _shared.ensure_role(self.lab)

    def _check(self) -> bool | str | None:
        if _config(self.lab, ECHO) is None:
            return None
        if not _shared.runs_since_change(self.lab, ECHO):
            return NextStep("echo-path is deployed but has not run yet: invoke it once with the sample ALB event.")
        lam = self.lab.client("lambda")
        response = lam.invoke(FunctionName=ECHO, Payload=json.dumps(alb_event(CHECK_PATH)))
        self._did(f"invoked echo-path once with an ALB request for {CHECK_PATH}")
        result = json.load(response["Payload"])
        if response.get("FunctionError"):
            message = str(result.get("errorMessage", "")).splitlines()[0] if result.get("errorMessage") else ""
            if result.get("errorType") == "KeyError":
                return (
                    f"echo-path failed on a request for {CHECK_PATH} with KeyError: {message}: the ALB event has no key "
                    "of that name. Look at data/events/alb-request.json for the field that holds the path."
                )
            return f"echo-path failed on a request for {CHECK_PATH}: {result.get('errorType')}: {message}"
        if not isinstance(result, dict) or result.get("statusCode") != 200:
            return f"echo-path answered {json.dumps(result)[:200]}: an ALB needs a dict with statusCode 200."
        if result.get("body") != CHECK_PATH:
            return (
                f"For a request to {CHECK_PATH}, echo-path answered with the body {json.dumps(result.get('body'))}. "
                "Read the path from the event rather than writing it into the code."
            )
        return True

    def _congrats(self) -> str:
        return "echo-path answered a request it had never seen with exactly that request's path."

    def solve(self) -> None:
        _replace(
            self.lab,
            ECHO,
            Runtime="python3.13",
            Handler="app.handler",
            Code={"ZipFile": zip_files({"app.py": ECHO_PY})},
        )
        self.lab.client("lambda").invoke(FunctionName=ECHO, Payload=json.dumps(alb_event()))

    def attempt_wrong(self) -> bool:
        # the path of the sample event, written into the code
        source = ECHO_PY.replace('event["path"]', '"/lambda"')
        _replace(
            self.lab, ECHO, Runtime="python3.13", Handler="app.handler", Code={"ZipFile": zip_files({"app.py": source})}
        )
        self.lab.client("lambda").invoke(FunctionName=ECHO, Payload=json.dumps(alb_event()))
        return True


class TimeoutAtTwoSeconds(Problem):
    """Give ``slow-report`` (it works for 2.5 s) a 2-second timeout and watch an invocation time out."""

    title = "A function that times out at 2 s"
    _hint = (
        "The timeout is part of the function's configuration: `update_function_configuration(FunctionName=..., "
        "Timeout=...)`, in whole seconds. Then invoke the function once: the answer carries "
        "`FunctionError` and the errorType `Sandbox.Timedout`."
    )
    _solution = (
        "```python\n"
        'lam.update_function_configuration(FunctionName="slow-report", Timeout=2)\n'
        'lam.get_waiter("function_updated_v2").wait(FunctionName="slow-report")\n'
        'response = lam.invoke(FunctionName="slow-report")\n'
        'response["FunctionError"], json.load(response["Payload"])\n'
        "```"
    )

    mistakes = (
        Attempt('lam.invoke(FunctionName="slow-report")', names="default timeout of 3 s", undo=SLOW_AGAIN),
        Attempt(  # room for the work to finish: the opposite of the exercise
            'lam.update_function_configuration(FunctionName="slow-report", Timeout=30)',
            names="timeout is 30 s",
            undo=SLOW_AGAIN,
        ),
        Attempt(
            'reconfigure("slow-report", Timeout=1)\nlam.invoke(FunctionName="slow-report")',
            names="timeout is 1 s",
            undo=SLOW_AGAIN,
        ),
    )
    correct_forms = (
        Attempt(
            'reconfigure("slow-report", Timeout=2)\n'
            'response = lam.invoke(FunctionName="slow-report", LogType="Tail")\n'
            'print(base64.b64decode(response["LogResult"]).decode())',
            undo=SLOW_AGAIN,
        ),
        Attempt(
            'lam.update_function_configuration(FunctionName="slow-report", MemorySize=256, Timeout=2)\n'
            'lam.get_waiter("function_updated_v2").wait(FunctionName="slow-report")\n'
            'lam.invoke(FunctionName="slow-report", InvocationType="RequestResponse", Payload=b"{}")',
            undo=SLOW_AGAIN,
        ),
    )

    def setup(self) -> None:
        if _config(self.lab, SLOW) is None:
            _replace(
                self.lab,
                SLOW,
                Runtime="python3.13",
                Handler="app.handler",
                Code={"ZipFile": zip_files({"app.py": SLOW_PY})},
            )

    def _check(self) -> bool | str | None:
        config = _config(self.lab, SLOW)
        if config is None:
            return "slow-report is gone. Run setup() to deploy it again."
        runs = self._runs_since_last_change()
        timed_out = "Sandbox.Timedout" in runs
        if config["Timeout"] == 3 and runs and not timed_out:
            return (
                "slow-report ran with the default timeout of 3 s, so its 2.5 s of work finished and nothing timed "
                "out. Set Timeout=2 first (update_function_configuration), then invoke it again."
            )
        if config["Timeout"] == 3 and not timed_out:
            return None
        if config["Timeout"] != 2:
            return f"slow-report's timeout is {config['Timeout']} s; the exercise asks for 2 s."
        if not timed_out:
            return NextStep("The timeout is 2 s. Now invoke slow-report and look at the answer: it should time out.")
        return True

    def _runs_since_last_change(self) -> list[str]:
        """The outcome of each invocation after the function was last created or changed ("" for success)."""
        return [str(r.view(k.Invoke).get("error") or "") for r in _shared.runs_since_change(self.lab, SLOW)]

    def _congrats(self) -> str:
        return "Lambda stopped slow-report after 2 s and answered Sandbox.Timedout; its environment was discarded."

    def solve(self) -> None:
        self.setup()
        lam = self.lab.client("lambda")
        lam.update_function_configuration(FunctionName=SLOW, Timeout=2)
        lam.invoke(FunctionName=SLOW)

    def attempt_wrong(self) -> bool:
        # invoked with the default timeout of 3 s: the 2.5 s of work finishes
        self.lab.client("lambda").invoke(FunctionName=SLOW)
        return True


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
        config = _config(self.lab, ORDER_TAKER)
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
        _replace(
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
