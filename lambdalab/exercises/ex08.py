"""Exercises for ``08-cli-reference``: deploy with the CLI, and a destination the CLI sets."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from . import _shared
from .core import Problem

FUNCTION = "cli-hello"
TOPIC = "S3EventsTopic"


def _cli(lab: Any, command: str, cwd: Path | None = None) -> Any:
    from ..cli_magic import run

    return run(lab, command, cwd=cwd)


class DeployWithTheCli(Problem):
    """Create ``cli-hello`` (Python, handler ``app.handler``) from ``hello.zip`` with ``%aws lambda create-function``."""

    title = "create-function from the command line"
    _hint = (
        'Write the package first: `open("hello.zip", "wb").write(lambdalab.zip_folder("../data/functions/hello-python"))`. '
        "Then `%aws lambda create-function` with `--function-name cli-hello --runtime python3.13 --handler app.handler "
        "--role <the role's ARN> --zip-file fileb://hello.zip`. `fileb://` reads bytes; `file://` would read text."
    )
    _solution = (
        "```python\n"
        'open("hello.zip", "wb").write(lambdalab.zip_folder("../data/functions/hello-python"))\n'
        "%aws lambda create-function --function-name cli-hello --runtime python3.13 --handler app.handler \\\n"
        "    --role arn:aws:iam::123456789012:role/lambda-exec --zip-file fileb://hello.zip\n"
        "```"
    )

    def setup(self) -> None:
        _shared.ensure_role(self.lab)

    def _check(self) -> bool | str | None:
        config = _shared.function_config(self.lab, FUNCTION)
        if config is None:
            return None
        lam = self.lab.client("lambda")
        answer = lam.invoke(FunctionName=FUNCTION, Payload=json.dumps({"name": "CLI"}))
        result = json.load(answer["Payload"])
        if answer.get("FunctionError"):
            return (
                f"cli-hello (handler {config['Handler']}) fails: {result.get('errorType')}. The package holds app.py "
                "with a function handler: the handler setting is app.handler."
            )
        if result != {"message": "Hello, CLI!"}:
            return f"cli-hello answered {result}, not the greeting of hello-python."
        return True

    def _congrats(self) -> str:
        return "check() invoked cli-hello and got its greeting."

    def _create(self, handler: str) -> None:
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "hello.zip").write_bytes(_shared.hello_package())
            _cli(
                self.lab,
                f"aws lambda create-function --function-name {FUNCTION} --runtime python3.13 --handler {handler} "
                f"--role {_shared.ensure_role(self.lab)} --zip-file fileb://hello.zip",
                Path(folder),
            )

    def solve(self) -> None:
        _cli(self.lab, f"aws lambda delete-function --function-name {FUNCTION}")
        self._create("app.handler")

    def attempt_wrong(self) -> bool:
        self._create("index.handler")
        return True


class DestinationFromTheCli(Problem):
    """Send the records of ``cli-hello``'s successful asynchronous invocations to the standard topic ``S3EventsTopic``."""

    title = "put-function-event-invoke-config"
    _hint = (
        "`%aws sns create-topic --name S3EventsTopic` gives the ARN. Then `%aws lambda put-function-event-invoke-config "
        "--function-name cli-hello --destination-config OnSuccess={Destination=<topic ARN>}`. A `.fifo` topic is refused."
    )
    _solution = (
        "```python\n"
        "%aws sns create-topic --name S3EventsTopic\n"
        "%aws lambda put-function-event-invoke-config --function-name cli-hello \\\n"
        "    --destination-config OnSuccess={Destination=arn:aws:sns:us-east-1:123456789012:S3EventsTopic}\n"
        "```"
    )

    def setup(self) -> None:
        _shared.ensure_hello(self.lab, FUNCTION)

    def _check(self) -> bool | str | None:
        lam = self.lab.client("lambda")
        try:
            config = lam.get_function_event_invoke_config(FunctionName=FUNCTION)
        except lam.exceptions.ResourceNotFoundException:
            return None
        wanted = self.lab.arn("sns", TOPIC)
        on_success = config["DestinationConfig"].get("OnSuccess", {}).get("Destination")
        if on_success != wanted:
            on_failure = config["DestinationConfig"].get("OnFailure", {}).get("Destination")
            where = "OnFailure" if on_failure == wanted else "nowhere"
            return f"The topic is set as {where}; the exercise asks for successful invocations (OnSuccess)."
        return True

    def solve(self) -> None:
        _cli(self.lab, f"aws sns create-topic --name {TOPIC}")
        _cli(
            self.lab,
            f"aws lambda put-function-event-invoke-config --function-name {FUNCTION} "
            f"--destination-config OnSuccess={{Destination={self.lab.arn('sns', TOPIC)}}}",
        )

    def attempt_wrong(self) -> bool:
        _cli(self.lab, f"aws sns create-topic --name {TOPIC}")
        _cli(
            self.lab,
            f"aws lambda put-function-event-invoke-config --function-name {FUNCTION} "
            f"--destination-config OnFailure={{Destination={self.lab.arn('sns', TOPIC)}}}",
        )
        return True
