"""Function lifecycle: get, list, update, versions, aliases, qualifiers, delete."""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile

import pytest
from botocore.exceptions import ClientError
from support import create_python, unique

import lambdalab

V = "def handler(event, context):\n    return {'v': %d, 'ran': context.function_version}\n"


def _payload(resp: dict) -> object:
    return json.loads(resp["Payload"].read())


def test_create_reports_pending_then_active(lab: lambdalab.Lab, role_arn: str) -> None:
    lam = lab.client("lambda")
    name = unique()
    created = lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler",
        Code={"ZipFile": lambdalab.zip_files({"app.py": V % 1})},
    )  # fmt: skip
    assert (created["State"], created["StateReasonCode"]) == ("Pending", "Creating")
    assert "LastUpdateStatus" not in created
    config = lam.get_function_configuration(FunctionName=name)
    assert (config["State"], config["LastUpdateStatus"]) == ("Active", "Successful")
    assert config["RevisionId"] == created["RevisionId"]


def test_code_location_downloads_the_deployed_zip(lab: lambdalab.Lab, role_arn: str) -> None:
    source = V % 7
    name = create_python(lab, role_arn, source)
    location = lab.client("lambda").get_function(FunctionName=name)["Code"]["Location"]
    assert location.startswith("http://127.0.0.1:")
    data = urllib.request.urlopen(location).read()
    assert zipfile.ZipFile(io.BytesIO(data)).read("app.py").decode() == source


def test_list_functions_pages_with_marker(lab: lambdalab.Lab, role_arn: str) -> None:
    made = {create_python(lab, role_arn) for _ in range(5)}
    lam = lab.client("lambda")
    first = lam.list_functions(MaxItems=2)
    assert len(first["Functions"]) == 2 and "NextMarker" in first
    names: list[str] = []
    for page in lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}):
        assert len(page["Functions"]) <= 2
        names += [f["FunctionName"] for f in page["Functions"]]
    assert made <= set(names)
    assert len(names) == len(set(names))


def test_list_functions_returns_at_most_50_per_response_without_state(lab: lambdalab.Lab, role_arn: str) -> None:
    """ListFunctions "returns a maximum of 50 items in each response, even if you set the number higher" and
    leaves out State and LastUpdateStatus (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html)."""
    lam = lab.client("lambda")
    while len(lam.list_functions(MaxItems=1000)["Functions"]) < 50 or "NextMarker" not in lam.list_functions(
        MaxItems=1000
    ):
        create_python(lab, role_arn)
    page = lam.list_functions(MaxItems=1000)
    assert len(page["Functions"]) == 50 and "NextMarker" in page
    listed = page["Functions"][0]
    assert not {"State", "StateReasonCode", "LastUpdateStatus"} & set(listed)
    got = lam.get_function(FunctionName=listed["FunctionName"])["Configuration"]
    assert (got["State"], got["LastUpdateStatus"]) == ("Active", "Successful")


def test_update_code_changes_sha_and_revision(lab: lambdalab.Lab, role_arn: str) -> None:
    lam = lab.client("lambda")
    name = create_python(lab, role_arn, V % 1)
    before = lam.get_function_configuration(FunctionName=name)
    updated = lam.update_function_code(FunctionName=name, ZipFile=lambdalab.zip_files({"app.py": V % 2}))
    assert updated["LastUpdateStatus"] == "InProgress"
    assert updated["CodeSha256"] != before["CodeSha256"]
    assert updated["RevisionId"] != before["RevisionId"]
    assert lam.get_function_configuration(FunctionName=name)["LastUpdateStatus"] == "Successful"
    assert _payload(lam.invoke(FunctionName=name)) == {"v": 2, "ran": "$LATEST"}


def test_stale_revision_id_is_refused(lab: lambdalab.Lab, role_arn: str) -> None:
    lam = lab.client("lambda")
    name = create_python(lab, role_arn)
    old = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    lam.update_function_configuration(FunctionName=name, Description="new")
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(FunctionName=name, Timeout=10, RevisionId=old)
    assert exc.value.response["Error"]["Code"] == "PreconditionFailedException"


def test_versions_and_aliases_route_invocations(lab: lambdalab.Lab, role_arn: str) -> None:
    lam = lab.client("lambda")
    name = create_python(lab, role_arn, V % 1)
    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    lam.update_function_code(FunctionName=name, ZipFile=lambdalab.zip_files({"app.py": V % 2}))
    assert lam.publish_version(FunctionName=name)["Version"] == "2"
    lam.update_function_code(FunctionName=name, ZipFile=lambdalab.zip_files({"app.py": V % 3}))
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")

    cases = [
        ({"FunctionName": name}, {"v": 3, "ran": "$LATEST"}, "$LATEST"),
        ({"FunctionName": name, "Qualifier": "2"}, {"v": 2, "ran": "2"}, "2"),
        ({"FunctionName": name, "Qualifier": "live"}, {"v": 1, "ran": "1"}, "1"),
        ({"FunctionName": f"{name}:2"}, {"v": 2, "ran": "2"}, "2"),
        ({"FunctionName": lab.arn("lambda", f"function:{name}:live")}, {"v": 1, "ran": "1"}, "1"),
    ]
    for kwargs, payload, executed in cases:
        resp = lam.invoke(**kwargs)
        assert (_payload(resp), resp["ExecutedVersion"]) == (payload, executed), kwargs

    lam.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
    assert _payload(lam.invoke(FunctionName=name, Qualifier="live")) == {"v": 2, "ran": "2"}
    assert lam.get_function(FunctionName=name, Qualifier="live")["Configuration"]["Version"] == "2"


def test_unknown_qualifier_is_not_found(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn)
    with pytest.raises(ClientError) as exc:
        lab.client("lambda").invoke(FunctionName=name, Qualifier="9")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert exc.value.response["Error"]["Message"] == f"Function not found: {lab.arn('lambda', f'function:{name}:9')}"


def test_conflicting_qualifiers_are_refused(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn)
    lab.client("lambda").publish_version(FunctionName=name)
    with pytest.raises(ClientError) as exc:
        lab.client("lambda").invoke(FunctionName=f"{name}:1", Qualifier="$LATEST")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_delete_a_version_then_the_function(lab: lambdalab.Lab, role_arn: str) -> None:
    lam = lab.client("lambda")
    name = create_python(lab, role_arn)
    lam.publish_version(FunctionName=name)
    lam.update_function_code(FunctionName=name, ZipFile=lambdalab.zip_files({"app.py": V % 5}))
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="prod", FunctionVersion="2")

    with pytest.raises(ClientError) as exc:
        lam.delete_function(FunctionName=name, Qualifier="$LATEST")
    assert exc.value.response["Error"]["Message"] == "$LATEST version cannot be deleted without deleting the function."
    with pytest.raises(ClientError) as exc:
        lam.delete_function(FunctionName=name, Qualifier="2")
    assert exc.value.response["Error"]["Code"] == "ResourceConflictException"

    lam.delete_function(FunctionName=name, Qualifier="1")
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]]
    assert versions == ["$LATEST", "2"]

    lam.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as exc:
        lam.get_function(FunctionName=name)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_dead_letter_config_is_stored_and_reported(lab: lambdalab.Lab, role_arn: str) -> None:
    lam = lab.client("lambda")
    queue_arn = lab.arn("sqs", "dlq")
    name = create_python(lab, role_arn, DeadLetterConfig={"TargetArn": queue_arn})
    assert lam.get_function_configuration(FunctionName=name)["DeadLetterConfig"] == {"TargetArn": queue_arn}
    topic = lab.arn("sns", "failures")
    lam.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": topic})
    assert lam.get_function_configuration(FunctionName=name)["DeadLetterConfig"] == {"TargetArn": topic}
