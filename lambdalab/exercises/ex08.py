"""Exercises for ``08-cli-reference``: deploy with the CLI, and a destination the CLI sets.

The commands: https://docs.aws.amazon.com/cli/latest/reference/lambda/create-function.html and
https://docs.aws.amazon.com/cli/latest/reference/lambda/put-function-event-invoke-config.html
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from . import _shared
from .core import Attempt, Problem

FUNCTION = "cli-hello"
TOPIC = "S3EventsTopic"
ROLE_ARN = "arn:aws:iam::123456789012:role/lambda-exec"
#: writes hello.zip in the notebook's scratch folder (the notebook's first cell names the data folder ``data``)
WRITE_ZIP = 'open("hello.zip", "wb").write(lambdalab.zip_folder(data / "functions" / "hello-python"))\n'
DELETE = "%aws lambda delete-function --function-name cli-hello"
NO_DESTINATION = "%aws lambda delete-function-event-invoke-config --function-name cli-hello"


def _cli(lab: Any, command: str, cwd: Path | None = None) -> Any:
    from ..cli_magic import run

    return run(lab, command, cwd=cwd)


class DeployWithTheCli(Problem):
    """Create ``cli-hello`` (Python, handler ``app.handler``) from ``hello.zip`` with ``%aws lambda create-function``."""

    title = "create-function from the command line"
    _hint = (
        'Write the package first: `open("hello.zip", "wb").write(lambdalab.zip_folder(data / "functions" / "hello-python"))`. '
        "Then `%aws lambda create-function` with `--function-name cli-hello --runtime python3.13 --handler app.handler "
        "--role <the role's ARN> --zip-file fileb://hello.zip`. `fileb://` reads bytes; `file://` would read text."
    )
    _solution = (
        "```python\n"
        'open("hello.zip", "wb").write(lambdalab.zip_folder(data / "functions" / "hello-python"))\n'
        "%aws lambda create-function --function-name cli-hello --runtime python3.13 --handler app.handler \\\n"
        "    --role arn:aws:iam::123456789012:role/lambda-exec --zip-file fileb://hello.zip\n"
        "```"
    )

    mistakes = (
        Attempt(
            WRITE_ZIP + "%aws lambda create-function --function-name cli-hello --runtime python3.13 --handler "
            f"index.handler --role {ROLE_ARN} --zip-file fileb://hello.zip",
            names="index.handler",
            undo=DELETE,
        ),
        Attempt(
            WRITE_ZIP + "%aws lambda create-function --function-name cli-hello --runtime nodejs22.x --handler "
            f"app.handler --role {ROLE_ARN} --zip-file fileb://hello.zip",
            names="nodejs22.x",
            undo=DELETE,
        ),
        Attempt(  # the folder zipped, not its contents
            'open("hello.zip", "wb").write(lambdalab.zip_files({"hello-python/app.py": '
            '(data / "functions" / "hello-python" / "app.py").read_text()}))\n'
            "%aws lambda create-function --function-name cli-hello --runtime python3.13 --handler app.handler "
            f"--role {ROLE_ARN} --zip-file fileb://hello.zip",
            names="top level",
            undo=DELETE,
        ),
    )
    correct_forms = (
        Attempt(  # another order of options, a package built with zipfile, the role's ARN from a variable
            "import zipfile\n"
            'with zipfile.ZipFile("hello.zip", "w") as package:\n'
            '    package.write(data / "functions" / "hello-python" / "app.py", "app.py")\n'
            'role_arn = lab.client("iam").get_role(RoleName="lambda-exec")["Role"]["Arn"]\n'
            "%aws lambda create-function --zip-file fileb://hello.zip --handler app.handler --runtime python3.12 "
            "--role {role_arn} --function-name cli-hello",
            undo=DELETE,
        ),
        Attempt(
            WRITE_ZIP + "%aws lambda create-function --function-name cli-hello --runtime python3.13 --handler "
            f"app.handler --role {ROLE_ARN} --zip-file fileb://hello.zip --timeout 10 --memory-size 256 "
            "--description 'from the CLI'",
            undo=DELETE,
        ),
    )

    def setup(self) -> None:
        _shared.ensure_role(self.lab)

    def _check(self) -> bool | str | None:
        config = _shared.function_config(self.lab, FUNCTION)
        if config is None:
            return None
        if not str(config.get("Runtime", "")).startswith("python"):
            return (
                f"cli-hello runs on {config.get('Runtime')}, but hello.zip holds Python code: use --runtime python3.13."
            )
        mismatch = _shared.handler_mismatch(self.lab, config)
        if mismatch:
            return mismatch
        lam = self.lab.client("lambda")
        answer = lam.invoke(FunctionName=FUNCTION, Payload=json.dumps({"name": "CLI"}))
        self._did('invoked cli-hello once with the event {"name": "CLI"}')
        result = json.load(answer["Payload"])
        if answer.get("FunctionError"):
            return f"cli-hello (handler {config['Handler']}) fails: {result.get('errorType')}: {result.get('errorMessage')}"
        if result != {"message": "Hello, CLI!"}:
            return f"cli-hello answered {result}, not the greeting of hello-python."
        return True

    def _congrats(self) -> str:
        return "cli-hello answered with its greeting."

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

    mistakes = (
        Attempt(
            "%aws sns create-topic --name S3EventsTopic\n"
            "%aws lambda put-function-event-invoke-config --function-name cli-hello "
            "--destination-config OnFailure={Destination=arn:aws:sns:us-east-1:123456789012:S3EventsTopic}",
            names="OnFailure receives",
            undo=NO_DESTINATION,
        ),
        Attempt(
            "%aws sns create-topic --name S3EventTopic\n"
            "%aws lambda put-function-event-invoke-config --function-name cli-hello "
            "--destination-config OnSuccess={Destination=arn:aws:sns:us-east-1:123456789012:S3EventTopic}",
            names="not at S3EventsTopic",
            undo=NO_DESTINATION,
        ),
        Attempt(  # a configuration without any destination
            "%aws lambda put-function-event-invoke-config --function-name cli-hello --maximum-retry-attempts 0",
            names="no OnSuccess destination",
            undo=NO_DESTINATION,
        ),
    )
    correct_forms = (
        Attempt(
            "%aws sns create-topic --name S3EventsTopic\n"
            "%aws lambda put-function-event-invoke-config --function-name cli-hello --maximum-retry-attempts 1 "
            '--destination-config \'{"OnSuccess": {"Destination": "arn:aws:sns:us-east-1:123456789012:S3EventsTopic"}}\'',
            undo=NO_DESTINATION,
        ),
        Attempt(  # a configuration first, its destination added by an update
            "%%aws\n"
            "aws sns create-topic --name S3EventsTopic\n"
            "aws lambda put-function-event-invoke-config --function-name cli-hello --maximum-event-age-in-seconds 3600\n"
            "aws lambda update-function-event-invoke-config --function-name cli-hello \\\n"
            "    --destination-config OnSuccess={Destination=arn:aws:sns:us-east-1:123456789012:S3EventsTopic}",
            undo=NO_DESTINATION,
        ),
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
        destinations = config.get("DestinationConfig") or {}
        on_success = destinations.get("OnSuccess", {}).get("Destination")
        on_failure = destinations.get("OnFailure", {}).get("Destination")
        if on_success == wanted:
            return True
        if on_failure == wanted:
            return (
                "The topic is the OnFailure destination: OnFailure receives the records of events that failed. "
                "The exercise asks for successful invocations: OnSuccess={Destination=...}."
            )
        if on_success:
            return f"OnSuccess points at {on_success}, not at S3EventsTopic ({wanted})."
        return (
            "cli-hello has an asynchronous invocation configuration with no OnSuccess destination: add "
            "--destination-config OnSuccess={Destination=<the topic's ARN>}."
        )

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
