"""An ARN names one function in one Region of one account: the lab never runs its own instead.

- another Region: ``ResourceNotFoundException``, "Functions from 'eu-west-1' are not
  reachable in this region ('us-east-1')";
- another account, without its resource-based policy letting the caller in:
  ``AccessDeniedException``;
- CreateFunction takes a name of at most 64 characters (an ARN: 140).

https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#lambda-CreateFunction-request-FunctionName
https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-cross-account.html
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support import create_python, unique

import lambdalab
from lambdalab.aws.function_names import constraints

COUNTER = "calls = []\ndef handler(event, context):\n    calls.append(event)\n    return len(calls)\n"
OTHER_ACCOUNT = "210987654321"


@pytest.fixture(scope="module")
def counter(lab: lambdalab.Lab, role_arn: str) -> str:
    name = create_python(lab, role_arn, source=COUNTER)
    lab.client("lambda").publish_version(FunctionName=name)
    return name


def _error(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def _calls(lab: lambdalab.Lab, name: str) -> int:
    return int(json.load(lab.client("lambda").invoke(FunctionName=name)["Payload"])) - 1


def test_an_arn_in_another_region_is_not_reachable(lab: lambdalab.Lab, counter: str) -> None:
    lam = lab.client("lambda")
    before = _calls(lab, counter)
    arn = f"arn:aws:lambda:eu-west-1:{lab.account_id}:function:{counter}"
    expected = (
        "ResourceNotFoundException",
        "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')",
    )
    for call in (
        lambda: lam.invoke(FunctionName=arn),
        lambda: lam.get_function(FunctionName=arn),
        lambda: lam.get_function_configuration(FunctionName=arn),  # answered by moto behind the lab
        lambda: lam.delete_function(FunctionName=arn + ":1"),
    ):
        assert _error(call) == expected
    assert _calls(lab, counter) == before + 1  # the local function never ran for the foreign ARN
    lam.get_function(FunctionName=counter, Qualifier="1")  # and nothing was deleted


def test_another_accounts_function_needs_its_policy(lab: lambdalab.Lab, counter: str) -> None:
    lam = lab.client("lambda")
    before = _calls(lab, counter)
    me = lab.account_id
    for name in (f"arn:aws:lambda:us-east-1:{OTHER_ACCOUNT}:function:{counter}", f"{OTHER_ACCOUNT}:function:{counter}"):
        target = f"arn:aws:lambda:us-east-1:{OTHER_ACCOUNT}:function:{counter}"
        assert _error(lambda: lam.invoke(FunctionName=name)) == (  # noqa: B023
            "AccessDeniedException",
            f"User: arn:aws:iam::{me}:root is not authorized to perform: lambda:InvokeFunction on resource: {target} "
            "because no resource-based policy allows the lambda:InvokeFunction action",
        )
        code, message = _error(lambda: lam.get_function_configuration(FunctionName=name))  # noqa: B023
        assert code == "AccessDeniedException" and "perform: lambda:GetFunctionConfiguration on resource" in message
    assert _calls(lab, counter) == before + 1


def test_every_form_of_the_labs_own_function_names_it(lab: lambdalab.Lab, counter: str) -> None:
    lam = lab.client("lambda")
    arn = f"arn:aws:lambda:us-east-1:{lab.account_id}:function:{counter}"
    for name in (counter, f"{lab.account_id}:function:{counter}", arn, f"{counter}:1", f"{arn}:1"):
        assert lam.get_function_configuration(FunctionName=name)["FunctionName"] == counter
        assert lam.get_function(FunctionName=name)["Configuration"]["FunctionName"] == counter
        assert lam.invoke(FunctionName=name)["StatusCode"] == 200
    assert lam.get_function_configuration(FunctionName=f"{counter}:1")["Version"] == "1"
    code, message = _error(lambda: lam.get_function_configuration(FunctionName=f"{counter}:1", Qualifier="$LATEST"))
    assert (code, message) == (
        "InvalidParameterValueException",
        "The derived qualifier from the function name does not match the specified qualifier.",
    )


def test_create_takes_a_name_of_at_most_64_characters(lab: lambdalab.Lab, role_arn: str) -> None:
    lam = lab.client("lambda")
    code = {"ZipFile": lambdalab.zip_files({"app.py": "def handler(e, c):\n    return 1\n"})}

    def create(name: str) -> Any:
        return lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler",
                                   Code=code)  # fmt: skip

    create("n" * 64)
    too_long = "n" * 65
    assert _error(lambda: create(too_long)) == (
        "ValidationException",
        f"1 validation error detected: Value '{too_long}' at 'functionName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64",
    )
    long_arn = f"arn:aws:lambda:us-east-1:{lab.account_id}:function:" + "a" * 94
    assert len(long_arn) == 141 and constraints("CreateFunction")[1] == 140
    assert _error(lambda: create(long_arn))[1].endswith("Member must have length less than or equal to 140")
    # elsewhere a name longer than 64 is simply one no function has
    assert _error(lambda: lam.invoke(FunctionName=too_long))[0] == "ResourceNotFoundException"
    assert _error(lambda: lam.get_function(FunctionName=unique() + "x" * 70))[0] == "ResourceNotFoundException"
