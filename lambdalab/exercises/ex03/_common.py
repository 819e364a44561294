"""What the exercises of ``03-sync-invoke`` share: the line that finds the role, and a function made afresh."""

from __future__ import annotations

from typing import Any

from .. import _shared

#: the line an attempt starts with: the notebook defines role_arn in a later cell
ROLE = 'role_arn = iam.get_role(RoleName="lambda-exec")["Role"]["Arn"]\n'


def create_afresh(lab: Any, name: str, **settings: Any) -> None:
    """``create_function`` with ``settings``, after deleting the function if it exists."""
    lam = lab.client("lambda")
    if _shared.function_config(lab, name) is not None:
        lam.delete_function(FunctionName=name)
    lam.create_function(FunctionName=name, Role=_shared.ensure_role(lab), **settings)
