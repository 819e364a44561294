"""The FunctionEventInvokeConfig API: put replaces, update merges, per qualifier, AWS's errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support import LAMBDA_TRUST

import lambdalab

Q = "arn:aws:sqs:us-east-1:123456789012:q"
T = "arn:aws:sns:us-east-1:123456789012:t"


@pytest.fixture(scope="module")
def lab() -> Iterator[lambdalab.Lab]:
    """A lab with a function ``f``, its version 1 and an alias ``live``."""
    with lambdalab.Lab() as lab:
        role = lab.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"][
            "Arn"
        ]
        client = lab.client("lambda")
        client.create_function(
            FunctionName="f",
            Runtime="python3.12",
            Handler="app.handler",
            Role=role,
            Code={"ZipFile": lambdalab.zip_files({"app.py": "def handler(e, c):\n    return e\n"})},
        )
        client.publish_version(FunctionName="f")
        client.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
        yield lab


@pytest.fixture
def client(lab: lambdalab.Lab) -> Iterator[Any]:
    """The Lambda client; the configs a test put are deleted after it."""
    c = lab.client("lambda")
    yield c
    for q in ("$LATEST", "1", "live"):
        try:
            c.delete_function_event_invoke_config(FunctionName="f", Qualifier=q)
        except ClientError:
            pass


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def strip(resp: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def test_put_answers_the_whole_config_with_a_qualified_arn(lab: lambdalab.Lab, client: Any) -> None:
    resp = strip(
        client.put_function_event_invoke_config(
            FunctionName="f", MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": Q}}
        )
    )
    assert resp["FunctionArn"] == lab.arn("lambda", "function:f:$LATEST")
    assert resp["MaximumRetryAttempts"] == 1
    assert "MaximumEventAgeInSeconds" not in resp
    assert resp["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": Q}}
    assert resp["LastModified"].timestamp() == pytest.approx(lab.clock.now.timestamp())


def test_put_replaces_and_update_merges(client: Any) -> None:
    client.put_function_event_invoke_config(
        FunctionName="f",
        MaximumRetryAttempts=1,
        MaximumEventAgeInSeconds=600,
        DestinationConfig={"OnSuccess": {"Destination": Q}},
    )
    replaced = client.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
    assert "MaximumEventAgeInSeconds" not in replaced
    assert replaced["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}
    merged = client.update_function_event_invoke_config(
        FunctionName="f", MaximumEventAgeInSeconds=120, DestinationConfig={"OnFailure": {"Destination": T}}
    )
    assert (merged["MaximumRetryAttempts"], merged["MaximumEventAgeInSeconds"]) == (0, 120)
    assert merged["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": T}}
    got = client.get_function_event_invoke_config(FunctionName="f")
    assert strip(got) == strip(merged)


def test_get_update_delete_without_config_is_resource_not_found(lab: lambdalab.Lab, client: Any) -> None:
    for call in (client.get_function_event_invoke_config, client.delete_function_event_invoke_config):
        with pytest.raises(ClientError) as exc:
            call(FunctionName="f")
        assert error(exc) == (
            "ResourceNotFoundException",
            f"The function {lab.arn('lambda', 'function:f:$LATEST')} doesn't have an EventInvokeConfig",
        )
    with pytest.raises(ClientError) as exc:
        client.update_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=1)
    assert error(exc)[0] == "ResourceNotFoundException"


def test_unknown_function_is_resource_not_found(client: Any) -> None:
    with pytest.raises(ClientError) as exc:
        client.put_function_event_invoke_config(FunctionName="nope", MaximumRetryAttempts=1)
    assert error(exc)[0] == "ResourceNotFoundException"


def test_configs_are_per_qualifier(lab: lambdalab.Lab, client: Any) -> None:
    client.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
    client.put_function_event_invoke_config(FunctionName="f", Qualifier="1", MaximumRetryAttempts=1)
    client.put_function_event_invoke_config(FunctionName=lab.arn("lambda", "function:f:live"), MaximumRetryAttempts=2)
    assert client.get_function_event_invoke_config(FunctionName="f", Qualifier="live")["FunctionArn"].endswith(
        ":f:live"
    )
    assert client.get_function_event_invoke_config(FunctionName="f", Qualifier="1")["MaximumRetryAttempts"] == 1
    listed = client.list_function_event_invoke_configs(FunctionName="f")["FunctionEventInvokeConfigs"]
    assert [c["FunctionArn"].rsplit(":", 1)[1] for c in listed] == ["$LATEST", "1", "live"]


def test_list_paginates(client: Any) -> None:
    for q in ("$LATEST", "1", "live"):
        client.put_function_event_invoke_config(FunctionName="f", Qualifier=q, MaximumRetryAttempts=1)
    first = client.list_function_event_invoke_configs(FunctionName="f", MaxItems=2)
    assert len(first["FunctionEventInvokeConfigs"]) == 2
    second = client.list_function_event_invoke_configs(FunctionName="f", MaxItems=2, Marker=first["NextMarker"])
    assert len(second["FunctionEventInvokeConfigs"]) == 1 and "NextMarker" not in second
    pages = client.get_paginator("list_function_event_invoke_configs").paginate(
        FunctionName="f", PaginationConfig={"PageSize": 1}
    )
    assert sum(len(p["FunctionEventInvokeConfigs"]) for p in pages) == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"MaximumRetryAttempts": 3},
            "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2",
        ),
        (
            {"MaximumEventAgeInSeconds": 21601},
            "1 validation error detected: Value '21601' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value less than or equal to 21600",
        ),
    ],
)
def test_out_of_range_settings_are_validation_errors(client: Any, kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ClientError) as exc:
        client.put_function_event_invoke_config(FunctionName="f", **kwargs)
    assert error(exc) == ("ValidationException", message)


def test_below_minimum_age_is_refused(client: Any) -> None:
    # botocore checks the 60 s minimum itself; the lab refuses it too for other SDKs
    from lambdalab.engines.async_policy import check_settings

    assert check_settings(None, 59)[0][0] == "maximumEventAgeInSeconds"


@pytest.mark.parametrize(
    "which, arn",
    [
        ("OnFailure", "arn:aws:dynamodb:us-east-1:123456789012:table/t"),
        ("OnSuccess", "arn:aws:s3:::bucket"),
    ],
)
def test_unsupported_destinations_are_invalid_parameter_values(client: Any, which: str, arn: str) -> None:
    with pytest.raises(ClientError) as exc:
        client.put_function_event_invoke_config(FunctionName="f", DestinationConfig={which: {"Destination": arn}})
    assert error(exc)[0] == "InvalidParameterValueException"


def test_s3_is_accepted_on_failure(client: Any) -> None:
    resp = client.put_function_event_invoke_config(
        FunctionName="f", DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::bucket"}}
    )
    assert resp["DestinationConfig"]["OnFailure"] == {"Destination": "arn:aws:s3:::bucket"}
