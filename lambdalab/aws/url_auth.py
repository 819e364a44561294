"""Who may call a function URL: the two permissions every new URL needs since October 2025.

A request through a function URL is allowed only when the caller holds **both**
``lambda:InvokeFunctionUrl`` and ``lambda:InvokeFunction`` on the function (or the alias of the URL).
Before October 2025 ``lambda:InvokeFunctionUrl`` alone was enough; URLs created since need both
(older ones keep working with one until AWS says otherwise).  Every URL in the lab is new.

- ``AuthType=NONE``: nobody signs, so only the function's resource-based policy can allow it, with
  statements for ``Principal: "*"``: ``lambda:InvokeFunctionUrl`` (usually with the condition
  ``lambda:FunctionUrlAuthType = NONE``) and ``lambda:InvokeFunction`` (with the condition
  ``lambda:InvokedViaFunctionUrl = true``, so the second statement opens the URL and not the Invoke
  API).  ``aws lambda add-permission ... --function-url-auth-type NONE`` and
  ``... --invoked-via-function-url`` write them.
- ``AuthType=AWS_IAM``: the request is signed with SigV4; a caller in the function's own account is
  authorized by its identity policy (the lab lets the lab's own credentials through), a caller from
  another account needs both actions in the resource-based policy as well.

Pure: statements and a caller in, the missing action (or None) out.

https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

URL_ACTION = "lambda:InvokeFunctionUrl"
INVOKE_ACTION = "lambda:InvokeFunction"
ACTIONS = (URL_ACTION, INVOKE_ACTION)


def _list(value: Any) -> list[Any]:
    return [] if value is None else value if isinstance(value, list) else [value]


def _principal_ok(principal: Any, account: str | None) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for arn in _list(principal.get("AWS")):
        if arn == "*" or (account is not None and arn in (account, f"arn:aws:iam::{account}:root")):
            return True
    return False


def _conditions_ok(condition: dict[str, Any], auth_type: str, account: str | None, org_id: str | None) -> bool:
    """Only the keys a URL request has: its auth type, that it came through a URL, the caller's account and org."""
    known = {
        "lambda:functionurlauthtype": auth_type,
        "lambda:invokedviafunctionurl": "true",
        "aws:sourceaccount": account,
        "aws:principalorgid": org_id,
    }
    for operator, tests in condition.items():
        if operator not in ("StringEquals", "Bool", "StringLike"):
            return False
        for key, expected in tests.items():
            have = known.get(key.lower())
            wanted = [str(e).lower() if operator == "Bool" else str(e) for e in _list(expected)]
            if have is None or have not in wanted:
                return False
    return True


def _allows(
    statements: Sequence[dict[str, Any]], action: str, auth_type: str, account: str | None, org_id: str | None
) -> bool:
    for st in statements:
        if st.get("Effect") != "Allow":
            continue
        if not any(a in ("*", "lambda:*", action) for a in _list(st.get("Action"))):
            continue
        if not _principal_ok(st.get("Principal"), account):
            continue
        if _conditions_ok(st.get("Condition") or {}, auth_type, account, org_id):
            return True
    return False


def missing_permission(
    statements: Sequence[dict[str, Any]],
    auth_type: str,
    *,
    caller_account: str | None,
    own_account: str,
    org_id: str | None = None,
) -> str | None:
    """The first of the two actions the caller lacks for this URL, or None when the request may go on.

    ``caller_account`` is None for an unsigned request (``AuthType=NONE``).
    """
    if auth_type == "AWS_IAM":
        if caller_account is None:
            return URL_ACTION
        if caller_account == own_account:
            return None  # its identity policy decides; the lab's own credentials may
    for action in ACTIONS:
        if not _allows(statements, action, auth_type, caller_account, org_id):
            return action
    return None
