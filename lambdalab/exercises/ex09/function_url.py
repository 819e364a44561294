"""Exercise 2 of ``09-http-endpoints-and-layers``, a function URL anyone may open (AuthType NONE), with the two
policy statements it takes since October 2025 and no more.

https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
"""

from __future__ import annotations

import json
from typing import Any

from ...aws.url_auth import missing_permission
from ...course import open_url_to_everyone
from ..core import Attempt, Problem
from ._common import http, make_function, policy_statements, url_config

WEB = "hello-web"
PAGE = (
    "def handler(event, context):\n"
    '    return {"statusCode": 200, "headers": {"Content-Type": "text/html"},\n'
    '            "body": "<h1>Hello from Lambda</h1>"}\n'
)
_UNDO_URL = (
    "from lambdalab.exercises import ex09\n"
    "ex09.take_back_url(lab)"
)  # fmt: skip


def take_back_url(lab: Any) -> None:
    """Undo an attempt at :class:`OpenToEveryone`: no URL, no statements."""
    lam = lab.client("lambda")
    if url_config(lab, WEB) is not None:
        lam.delete_function_url_config(FunctionName=WEB)
    for st in policy_statements(lab, WEB):
        lam.remove_permission(FunctionName=WEB, StatementId=st["Sid"])


class OpenToEveryone(Problem):
    """``hello-web`` returns a page; give it a URL anyone may open, with only the permissions that takes."""

    title = "Open a function URL to everyone"
    _hint = (
        '`create_function_url_config` with `AuthType="NONE"` makes the URL; the function\'s policy must then let '
        "`*` call it. Since October 2025 that takes two statements: `lambda:InvokeFunctionUrl` (with "
        '`FunctionUrlAuthType="NONE"`) and `lambda:InvokeFunction` with `InvokedViaFunctionUrl=True`, so the '
        "second one opens the URL and not the Invoke API."
    )
    _solution = (
        "```python\n"
        'url = lam.create_function_url_config(FunctionName="hello-web", AuthType="NONE")["FunctionUrl"]\n'
        'lam.add_permission(FunctionName="hello-web", StatementId="url", Action="lambda:InvokeFunctionUrl",\n'
        '                   Principal="*", FunctionUrlAuthType="NONE")\n'
        'lam.add_permission(FunctionName="hello-web", StatementId="invoke", Action="lambda:InvokeFunction",\n'
        '                   Principal="*", InvokedViaFunctionUrl=True)\n'
        "```"
    )

    mistakes = (
        Attempt(  # the rule before October 2025
            'lam.create_function_url_config(FunctionName="hello-web", AuthType="NONE")\n'
            'lam.add_permission(FunctionName="hello-web", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="NONE")',
            names="lambda:InvokeFunction",
            undo=_UNDO_URL,
        ),
        Attempt(
            'lam.create_function_url_config(FunctionName="hello-web", AuthType="AWS_IAM")\n'
            'lam.add_permission(FunctionName="hello-web", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="AWS_IAM")\n'
            'lam.add_permission(FunctionName="hello-web", StatementId="invoke", Action="lambda:InvokeFunction", Principal="*", InvokedViaFunctionUrl=True)',
            names="AWS_IAM",
            undo=_UNDO_URL,
        ),
        Attempt(  # works, but anyone may now call the Invoke API too
            'lam.create_function_url_config(FunctionName="hello-web", AuthType="NONE")\n'
            'lam.add_permission(FunctionName="hello-web", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="NONE")\n'
            'lam.add_permission(FunctionName="hello-web", StatementId="invoke", Action="lambda:InvokeFunction", Principal="*")',
            names="InvokedViaFunctionUrl",
            undo=_UNDO_URL,
        ),
    )
    correct_forms = (
        Attempt(
            'lam.add_permission(FunctionName="hello-web", StatementId="invoke", Action="lambda:InvokeFunction", Principal="*", InvokedViaFunctionUrl=True)\n'
            'lam.add_permission(FunctionName="hello-web", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*")\n'
            'lam.create_function_url_config(FunctionName="hello-web", AuthType="NONE")',
            undo=_UNDO_URL,
        ),
        Attempt(  # the notebook's own helper, after the URL
            'url = lam.create_function_url_config(FunctionName="hello-web", AuthType="NONE")["FunctionUrl"]\n'
            'open_to_everyone("hello-web")',
            undo=_UNDO_URL,
        ),
    )

    def setup(self) -> None:
        make_function(self.lab, WEB, PAGE)

    def _check(self) -> bool | str | None:
        config = url_config(self.lab, WEB)
        if config is None:
            return None
        if config["AuthType"] != "NONE":
            return (
                f"The URL's AuthType is {config['AuthType']}: only requests signed with AWS credentials get in, "
                "and a browser does not sign. Use AuthType NONE (update_function_url_config)."
            )
        statements = policy_statements(self.lab, WEB)
        for st in statements:
            condition = json.dumps(st.get("Condition") or {})
            if st.get("Principal") == "*" and st.get("Action") == "lambda:InvokeFunction":
                if "InvokedViaFunctionUrl" not in condition:
                    return (
                        f"The statement {st['Sid']} lets anyone call lambda:InvokeFunction by any means, the Invoke "
                        "API included. Replace it with one that has InvokedViaFunctionUrl=True: it then opens "
                        "the URL only."
                    )
        account = config["FunctionArn"].split(":")[4]
        missing = missing_permission(statements, "NONE", caller_account=None, own_account=account)
        if missing is not None:
            since = " (new URLs need it since October 2025)" if missing == "lambda:InvokeFunction" else ""
            return f"Opening the URL answers 403: the policy does not let * perform {missing}{since}."
        status, headers, body = http(config["FunctionUrl"])
        if status != 200 or b"Hello from Lambda" not in body:
            return f"Opening the URL answered {status}: {body[:200].decode(errors='replace')}"
        return True

    def _congrats(self) -> str:
        return "The URL answers anyone with the page, and the Invoke API stays closed to strangers."

    def solve(self) -> None:
        take_back_url(self.lab)
        lam = self.lab.client("lambda")
        lam.create_function_url_config(FunctionName=WEB, AuthType="NONE")
        open_url_to_everyone(self.lab, WEB)

    def attempt_wrong(self) -> bool:
        lam = self.lab.client("lambda")
        lam.create_function_url_config(FunctionName=WEB, AuthType="NONE")
        lam.add_permission(
            FunctionName=WEB,
            StatementId="url",
            Action="lambda:InvokeFunctionUrl",
            Principal="*",
            FunctionUrlAuthType="NONE",
        )
        return True
