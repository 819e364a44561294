"""Exercises for ``03-sync-invoke``: the handler contract, timeouts, a handler that calls AWS."""

from __future__ import annotations

import json
from typing import Any

from .. import trace_kinds as k
from ..packaging import zip_files, zip_folder
from . import _shared
from .core import NextStep, Problem

ECHO = "echo-path"
SLOW = "slow-report"
ORDER_TAKER = "order-taker"
QUEUE = "orders"
ORDER = {"order": 42}
#: the request check() sends: an ALB event whose path the learner has never seen
CHECK_PATH = "/exercise/check"

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

    def setup(self) -> None:
        _shared.ensure_role(self.lab)

    def _check(self) -> bool | str | None:
        if _config(self.lab, ECHO) is None:
            return None
        if not self.lab.trace.where(k.INVOKE, ECHO):
            return NextStep("echo-path is deployed but has never run: invoke it once with the sample ALB event.")
        lam = self.lab.client("lambda")
        response = lam.invoke(FunctionName=ECHO, Payload=json.dumps(alb_event(CHECK_PATH)))
        result = json.load(response["Payload"])
        if response.get("FunctionError"):
            message = str(result.get("errorMessage", "")).splitlines()[0] if result.get("errorMessage") else ""
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
        return f"check() asked for {CHECK_PATH} and echo-path answered with exactly that path."

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
        """The outcome of each invocation after the function's configuration last changed ("" for success)."""
        runs: list[str] = []
        for record in self.lab.trace:
            if record.function != SLOW:
                continue
            if record.kind == k.FUNCTION_UPDATED:
                runs = []
            elif record.kind == k.INVOKE:
                runs.append(str(record.view(k.Invoke).get("error") or ""))
        return runs

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
        runs = self.lab.trace.where(k.INVOKE, ORDER_TAKER)
        if _config(self.lab, ORDER_TAKER) is None or not runs:
            return None
        bodies = self._bodies()
        if any(json.loads(body) == ORDER for body in bodies):
            return True
        failed = [r.view(k.Invoke) for r in runs if r.view(k.Invoke).get("error")]
        if failed:
            return (
                f"order-taker ran {len(runs)} time(s) and failed {len(failed)} time(s) "
                f"({failed[-1]['error']}). Read its log group /aws/lambda/order-taker: is QUEUE_URL set?"
            )
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
