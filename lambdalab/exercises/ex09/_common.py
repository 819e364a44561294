"""What the exercises of ``09-http-endpoints-and-layers`` share: a function made once, its URL and its policy,
a plain HTTP request (the two statements that open a URL to everyone are
:func:`lambdalab.course.open_url_to_everyone`).

Function URLs: https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html ;
their access control: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from ...packaging import zip_files
from .. import _shared


def make_function(lab: Any, name: str, source: str) -> None:
    if not _shared.function_exists(lab, name):
        lab.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=_shared.ensure_role(lab),
            Handler="app.handler",
            Code={"ZipFile": zip_files({"app.py": source})},
        )


def url_config(lab: Any, name: str) -> dict[str, Any] | None:
    lam = lab.client("lambda")
    try:
        return dict(lam.get_function_url_config(FunctionName=name))
    except lam.exceptions.ResourceNotFoundException:
        return None


def policy_statements(lab: Any, name: str) -> list[dict[str, Any]]:
    lam = lab.client("lambda")
    try:
        return list(json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"])
    except lam.exceptions.ResourceNotFoundException:
        return []


def http(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()
