"""Exercise 1 of ``03-sync-invoke``, the handler contract: an ALB request in, an ALB response out.

ALB events and responses: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
"""

from __future__ import annotations

import json
from typing import Any

from ...packaging import zip_files
from .. import _shared
from ..core import Attempt, NextStep, Problem
from ._common import ROLE, create_afresh

ECHO = "echo-path"
#: the request check() sends: an ALB event whose path the learner has never seen
CHECK_PATH = "/exercise/check"

#: the line an attempt starts with: the notebook defines alb_event in a later cell
EVENT = 'alb_event = json.load(open("../data/events/alb-request.json"))\n'
DELETE_ECHO = 'lam.delete_function(FunctionName="echo-path")'


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


ECHO_PY = """def handler(event, context):
    return {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "isBase64Encoded": False,
        "headers": {"Content-Type": "text/plain"},
        "body": event["path"],
    }
"""


def alb_event(path: str = "/lambda") -> dict[str, Any]:
    """The sample ALB request (data/events/alb-request.json), for another path."""
    sample = _shared.FUNCTIONS_DIR.parent / "events" / "alb-request.json"
    event: dict[str, Any] = json.loads(sample.read_text()) if sample.is_file() else {"httpMethod": "GET", "headers": {}}
    event["path"] = path
    return event


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
        if _shared.function_config(self.lab, ECHO) is None:
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
        create_afresh(
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
        create_afresh(
            self.lab, ECHO, Runtime="python3.13", Handler="app.handler", Code={"ZipFile": zip_files({"app.py": source})}
        )
        self.lab.client("lambda").invoke(FunctionName=ECHO, Payload=json.dumps(alb_event()))
        return True
