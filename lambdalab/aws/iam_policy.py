"""IAM policy evaluation, enough for Lambda's own checks.

Lambda assumes the execution role (its trust policy must let
``lambda.amazonaws.com`` call ``sts:AssumeRole``) and acts with the role's
permissions when it reads an event source or delivers to a destination.  moto
stores policies but does not evaluate them; these pure functions do, with IAM's
rules: an explicit Deny wins, otherwise some Allow must match, otherwise denied.

https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

Document = dict[str, Any]

LAMBDA_PRINCIPAL = "lambda.amazonaws.com"


def parse(document: str | Document) -> Document:
    """A policy document from moto (JSON text, sometimes URL-encoded) as a dict."""
    if isinstance(document, dict):
        return document
    text = document if document.lstrip().startswith("{") else unquote(document)
    parsed = json.loads(text)
    return parsed if isinstance(parsed, dict) else {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statements(doc: Document) -> list[dict[str, Any]]:
    return [s for s in _as_list(doc.get("Statement")) if isinstance(s, dict)]


def _wildcard(pattern: str, value: str, *, case: bool) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(_wildcard(a, action, case=False) for a in _as_list(statement["NotAction"]))
    return any(_wildcard(a, action, case=False) for a in _as_list(statement.get("Action")))


def _resource_matches(statement: dict[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not any(_wildcard(r, resource, case=True) for r in _as_list(statement["NotResource"]))
    return any(_wildcard(r, resource, case=True) for r in _as_list(statement.get("Resource")))


def _principal_matches(statement: dict[str, Any], service: str) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if "*" in _as_list(principal.get("AWS")):
        return True
    return service in _as_list(principal.get("Service"))


def _decide(statements: Iterable[dict[str, Any]], applies: Callable[[dict[str, Any]], bool]) -> bool:
    """IAM's rule over the statements that apply: an explicit Deny wins, else some Allow is needed."""
    allowed = False
    for st in statements:
        if not applies(st):
            continue
        if st.get("Effect") == "Deny":
            return False
        if st.get("Effect") == "Allow":
            allowed = True
    return allowed


def trust_allows(trust_policy: str | Document, service: str = LAMBDA_PRINCIPAL) -> bool:
    """Does this trust policy let ``service`` assume the role?"""
    return _decide(
        _statements(parse(trust_policy)),
        lambda st: _principal_matches(st, service) and _action_matches(st, "sts:AssumeRole"),
    )


def is_allowed(policies: Iterable[str | Document], action: str, resource: str) -> bool:
    """Do these identity policies, together, allow ``action`` on ``resource``?"""
    return _decide(
        (st for doc in policies for st in _statements(parse(doc))),
        lambda st: _action_matches(st, action) and _resource_matches(st, resource),
    )


def explicitly_denied(policies: Iterable[str | Document], action: str, resource: str) -> bool:
    """Does some statement of these policies deny ``action`` on ``resource`` outright (IAM's explicit deny)?"""
    return any(
        st.get("Effect") == "Deny" and _action_matches(st, action) and _resource_matches(st, resource)
        for doc in policies
        for st in _statements(parse(doc))
    )


def missing_actions(policies: list[str | Document], actions: Iterable[str], resource: str) -> list[str]:
    """The actions of ``actions`` that the policies do not allow on ``resource``."""
    return [a for a in actions if not is_allowed(policies, a, resource)]
