"""What the course's notebooks share, so that each setup cell reads in a few lines.

- :data:`LAMBDA_TRUST_POLICY`, the trust policy that lets Lambda assume a role, and
  :func:`execution_role`, which creates such a role with its permissions;
- :class:`Deployer`, ``deploy("name", source)``: create a function and wait until it is Active;
- :func:`show_error`, which makes a call that should fail and prints AWS's answer;
- :func:`make_queue`, an SQS queue and its ARN;
- :func:`open_url_to_everyone`, the two statements a function URL with AuthType NONE needs.

Notebook 01 still writes the trust policy out: there it is the lesson.

https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html
https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from botocore.exceptions import ClientError

from .packaging import zip_files, zip_folder

if TYPE_CHECKING:
    from .lab import Lab

#: Lambda (the service principal lambda.amazonaws.com) may call sts:AssumeRole on the role.
LAMBDA_TRUST_POLICY: Final[dict[str, Any]] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
#: where AWS keeps the managed policies written for Lambda's execution roles
SERVICE_ROLE_POLICIES: Final = "arn:aws:iam::aws:policy/service-role/"
#: the sample functions of the course (``data/functions`` in the repository)
FUNCTIONS: Final = Path(__file__).resolve().parents[1] / "data" / "functions"


def execution_role(
    lab: Lab, name: str = "lambda-exec", *managed: str, inline: Mapping[str, Mapping[str, Any]] | None = None
) -> str:
    """Create the role ``name`` that Lambda may assume, with its permissions; its ARN.

    ``managed`` names AWS managed policies, by name (``"AWSLambdaBasicExecutionRole"``, looked up
    under ``service-role/``) or by ARN; ``inline`` maps policy names to policy documents.
    """
    iam = lab.client("iam")
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY))["Role"]["Arn"])
    for policy in managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy if ":" in policy else SERVICE_ROLE_POLICIES + policy)
    for policy_name, document in (inline or {}).items():
        iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
    return arn


def error_text(call: Callable[..., Any], /, **kwargs: Any) -> str:
    """``Code: Message`` of the error AWS answers ``call(**kwargs)`` with, or ``(no error)``."""
    try:
        call(**kwargs)
    except ClientError as err:
        error = err.response["Error"]
        return f"{error['Code']}: {error['Message']}"
    return "(no error)"


def show_error(call: Callable[..., Any], /, **kwargs: Any) -> None:
    """Make an AWS call that should fail, and print the error AWS answers with."""
    print(error_text(call, **kwargs))


def package(code: str | Mapping[str, str] | None = None, folder: str | Path | None = None) -> bytes:
    """A .zip deployment package: ``code`` (the source of ``app.py``, or ``{file name: source}``) or a folder
    (a name under ``data/functions``, or a path)."""
    if folder is not None:
        path = Path(folder)
        return zip_folder(path if path.is_dir() else FUNCTIONS / path)
    if code is None:
        raise ValueError("give the code (the source of app.py, or {file name: source}) or a folder")
    return zip_files({"app.py": code} if isinstance(code, str) else dict(code))


@dataclass
class Deployer:
    """``deploy = Deployer(lab, role_arn)``; then ``deploy("name", source)`` creates a function.

    The source is that of ``app.py``, or ``{file name: source}``, or ``folder=`` a sample
    function; other keywords are create-function's own (``Timeout=30``, ``Environment=...``).
    The defaults given here (``runtime``, ``handler``, ``code``) serve every function of the
    notebook.  Each call waits until the function is Active, as a script on AWS would.
    """

    lab: Lab
    role: str
    runtime: str = "python3.13"
    handler: str = "app.handler"
    code: str | Mapping[str, str] | None = None

    def __call__(
        self,
        name: str,
        code: str | Mapping[str, str] | None = None,
        *,
        folder: str | Path | None = None,
        runtime: str | None = None,
        handler: str | None = None,
        wait: bool = True,
        **settings: Any,
    ) -> str:
        """Create the function ``name``; its ARN."""
        lam = self.lab.client("lambda")
        created = lam.create_function(
            FunctionName=name,
            Runtime=runtime or self.runtime,
            Handler=handler or self.handler,
            Role=self.role,
            Code={"ZipFile": package(code if code is not None or folder else self.code, folder)},
            **settings,
        )
        if wait:
            lam.get_waiter("function_active_v2").wait(FunctionName=name)
        return str(created["FunctionArn"])


def make_queue(lab: Lab, name: str, **attributes: Any) -> tuple[str, str]:
    """Create the SQS queue ``name`` (attribute values may be numbers); its URL and ARN."""
    sqs = lab.client("sqs")
    url = str(sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, str(arn)


class _Clients(Protocol):
    """A local lab or a connected one: anything that makes AWS clients."""

    def client(self, service: str, /) -> Any: ...


def open_url_to_everyone(lab: _Clients, name: str, qualifier: str | None = None) -> None:
    """The two statements a function URL with AuthType NONE needs since October 2025 (on ``qualifier``'s URL):
    ``lambda:InvokeFunctionUrl`` for that auth type, and ``lambda:InvokeFunction`` through the URL."""
    lam = lab.client("lambda")
    on = {"Qualifier": qualifier} if qualifier else {}
    lam.add_permission(
        FunctionName=name,
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
        **on,
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
        **on,
    )
