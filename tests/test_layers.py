"""Layers: the API (publish, get, list, delete, permissions), a function's Layers, and /opt at run time."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from support import unique

import lambdalab
from lambdalab.aws.layers import LayerStore, LayerVersion, check_combined_size, check_layer_list, lookup
from lambdalab.errors import AwsError

ACCOUNT = "123456789012"
OTHER = "111122223333"
HELPER = "def greet(name):\n    return f'hello {name} from the layer'\n"
USES_HELPER = "import helpers\ndef handler(event, context):\n    return {'greeting': helpers.greet(event['name'])}\n"


def code(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    e = err.value.response["Error"]
    return str(e["Code"]), str(e["Message"])


def publish(lab: lambdalab.Lab, name: str, files: dict[str, str], **extra: object) -> dict[str, Any]:
    out: dict[str, Any] = lab.client("lambda").publish_layer_version(
        LayerName=name, Content={"ZipFile": lambdalab.zip_files(files)}, **extra
    )
    return out


def test_publish_numbers_versions_and_reports_the_archive(lab: lambdalab.Lab) -> None:
    name = unique("layer")
    archive = lambdalab.zip_files({"python/helpers.py": HELPER})
    lam = lab.client("lambda")
    first = lam.publish_layer_version(
        LayerName=name, Content={"ZipFile": archive}, CompatibleRuntimes=["python3.12"], Description="helpers"
    )
    assert first["LayerArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:{name}"
    assert first["LayerVersionArn"] == first["LayerArn"] + ":1"
    assert first["Version"] == 1
    assert first["Content"]["CodeSize"] == len(archive)
    assert first["Content"]["CodeSha256"] == base64.b64encode(hashlib.sha256(archive).digest()).decode()
    assert first["CompatibleRuntimes"] == ["python3.12"]
    assert first["CreatedDate"].endswith("+0000")
    assert requests.get(first["Content"]["Location"], timeout=10).content == archive
    second = publish(lab, name, {"python/helpers.py": HELPER + "# v2\n"})
    assert second["Version"] == 2
    lam.delete_layer_version(LayerName=name, VersionNumber=2)
    lam.delete_layer_version(LayerName=name, VersionNumber=2)  # idempotent
    assert publish(lab, name, {"python/helpers.py": HELPER})["Version"] == 3  # numbers are never reused
    got = lam.get_layer_version(LayerName=name, VersionNumber=1)
    assert got["LayerVersionArn"] == first["LayerVersionArn"] and got["Description"] == "helpers"
    assert lam.get_layer_version_by_arn(Arn=first["LayerVersionArn"])["Version"] == 1
    with pytest.raises(ClientError) as err:
        lam.get_layer_version(LayerName=name, VersionNumber=2)
    assert code(err) == ("ResourceNotFoundException", "The resource you requested does not exist.")


def test_lists_filter_by_runtime_and_go_newest_first(lab: lambdalab.Lab) -> None:
    name = unique("listed")
    publish(lab, name, {"python/a.py": ""}, CompatibleRuntimes=["python3.12"])
    publish(lab, name, {"nodejs/node_modules/a.js": ""}, CompatibleRuntimes=["nodejs20.x"])
    lam = lab.client("lambda")
    versions = lam.list_layer_versions(LayerName=name)["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1]
    python = lam.list_layer_versions(LayerName=name, CompatibleRuntime="python3.12")["LayerVersions"]
    assert [v["Version"] for v in python] == [1]
    layers = {layer["LayerName"]: layer for layer in lam.list_layers(CompatibleRuntime="python3.12")["Layers"]}
    assert layers[name]["LatestMatchingVersion"]["Version"] == 1
    assert {layer["LayerName"]: layer for layer in lam.list_layers()["Layers"]}[name]["LatestMatchingVersion"][
        "Version"
    ] == 2


def test_a_bad_archive_is_refused(lab: lambdalab.Lab) -> None:
    with pytest.raises(ClientError) as err:
        lab.client("lambda").publish_layer_version(LayerName=unique("bad"), Content={"ZipFile": b"not a zip"})
    assert code(err) == (
        "InvalidParameterValueException",
        "Could not unzip uploaded file. Please check your file, then try to upload again.",
    )


def test_two_functions_import_one_helper_from_the_layer(lab: lambdalab.Lab, role_arn: str) -> None:
    layer = publish(lab, unique("shared"), {"python/helpers.py": HELPER, "bin/tool": "#!/bin/sh\n"})
    lam = lab.client("lambda")
    names = []
    for _ in range(2):
        name = unique("uses-layer")
        created = lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role_arn,
            Handler="app.handler",
            Code={"ZipFile": lambdalab.zip_files({"app.py": USES_HELPER})},
            Layers=[layer["LayerVersionArn"]],
        )
        assert created["Layers"] == [{"Arn": layer["LayerVersionArn"], "CodeSize": layer["Content"]["CodeSize"]}]
        names.append(name)
    assert lam.get_function_configuration(FunctionName=names[0])["Layers"][0]["Arn"] == layer["LayerVersionArn"]
    for name in names:
        out = lam.invoke(FunctionName=name, Payload=json.dumps({"name": name}))
        result = json.loads(out["Payload"].read())
        assert result.get("greeting") == f"hello {name} from the layer", result
    # the version keeps its layers; removing them from $LATEST leaves version 1 as it was
    lam.publish_version(FunctionName=names[0])
    lam.update_function_configuration(FunctionName=names[0], Layers=[])
    assert "Layers" not in lam.get_function_configuration(FunctionName=names[0])
    assert (
        lam.get_function_configuration(FunctionName=names[0], Qualifier="1")["Layers"][0]["Arn"]
        == (layer["LayerVersionArn"])
    )
    out = lam.invoke(FunctionName=names[0], Payload=json.dumps({"name": "x"}))
    assert json.loads(out["Payload"].read())["errorType"] == "Runtime.ImportModuleError"


def test_a_deleted_layer_version_keeps_working_for_its_functions(lab: lambdalab.Lab, role_arn: str) -> None:
    name = unique("gone")
    layer = publish(lab, name, {"python/helpers.py": HELPER})
    lam = lab.client("lambda")
    fn = unique("keeps")
    lam.create_function(
        FunctionName=fn,
        Runtime="python3.12",
        Role=role_arn,
        Handler="app.handler",
        Code={
            "ZipFile": lambdalab.zip_files(
                {"app.py": "import helpers\ndef handler(e, c):\n    return helpers.greet('x')\n"}
            )
        },
        Layers=[layer["LayerVersionArn"]],
    )
    lam.delete_layer_version(LayerName=name, VersionNumber=1)
    assert json.loads(lam.invoke(FunctionName=fn)["Payload"].read()) == "hello x from the layer"
    with pytest.raises(ClientError) as err:
        lam.update_function_configuration(FunctionName=fn, Layers=[layer["LayerVersionArn"]])
    assert code(err) == ("InvalidParameterValueException", f"Layer version {layer['LayerVersionArn']} does not exist.")


def test_later_layers_replace_earlier_files_and_node_finds_node_modules(lab: lambdalab.Lab, role_arn: str) -> None:
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed")
    first = publish(lab, unique("base"), {"nodejs/node_modules/greeting/index.js": "module.exports = 'first';\n"})
    second = publish(lab, unique("over"), {"nodejs/node_modules/greeting/index.js": "module.exports = 'second';\n"})
    lam = lab.client("lambda")
    fn = unique("node-layers")
    lam.create_function(
        FunctionName=fn,
        Runtime="nodejs20.x",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": lambdalab.zip_files({"index.js": "exports.handler = async () => require('greeting');\n"})},
        Layers=[first["LayerVersionArn"], second["LayerVersionArn"]],
    )
    assert json.loads(lam.invoke(FunctionName=fn)["Payload"].read()) == "second"


def test_layer_list_rules(lab: lambdalab.Lab, role_arn: str) -> None:
    arns = [str(publish(lab, unique("many"), {"a.txt": "a"})["LayerVersionArn"]) for _ in range(6)]
    lam = lab.client("lambda")
    base = {
        "Runtime": "python3.12",
        "Role": role_arn,
        "Handler": "app.handler",
        "Code": {"ZipFile": lambdalab.zip_files({"app.py": "def handler(e, c):\n    pass\n"})},
    }
    with pytest.raises(ClientError) as err:
        lam.create_function(FunctionName=unique(), Layers=arns, **base)
    assert code(err) == ("InvalidParameterValueException", "Cannot reference more than 5 layers.")
    missing = f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:nothing:1"
    with pytest.raises(ClientError) as err:
        lam.create_function(FunctionName=unique(), Layers=[missing], **base)
    assert code(err) == ("InvalidParameterValueException", f"Layer version {missing} does not exist.")


def test_another_account_needs_the_layer_policy(lab: lambdalab.Lab) -> None:
    layer = publish(lab, unique("private"), {"python/helpers.py": HELPER})
    arn = str(layer["LayerVersionArn"])
    with pytest.raises(AwsError) as err:
        lookup(lab.layers.store, arn, OTHER, None)
    assert err.value.code == "AccessDeniedException"
    assert lookup(lab.layers.store, arn, ACCOUNT, None).arn == arn
    lam = lab.client("lambda")
    name = str(layer["LayerArn"]).rsplit(":", 1)[1]
    added = lam.add_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="partner", Action="lambda:GetLayerVersion", Principal=OTHER
    )
    assert json.loads(added["Statement"]) == {
        "Sid": "partner",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
        "Action": "lambda:GetLayerVersion",
        "Resource": arn,
    }
    assert lam.get_layer_version_policy(LayerName=name, VersionNumber=1)["RevisionId"] == added["RevisionId"]
    assert lookup(lab.layers.store, arn, OTHER, None).arn == arn
    with pytest.raises(ClientError) as err2:
        lam.add_layer_version_permission(
            LayerName=name, VersionNumber=1, StatementId="all", Action="lambda:InvokeFunction", Principal="*"
        )
    assert code(err2)[0] == "ValidationException"
    lam.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="partner")
    with pytest.raises(ClientError) as err2:
        lam.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert code(err2) == ("ResourceNotFoundException", "No policy is associated with the given resource.")
    lam.add_layer_version_permission(
        LayerName=name,
        VersionNumber=1,
        StatementId="org",
        Action="lambda:GetLayerVersion",
        Principal="*",
        OrganizationId="o-a1b2c3d4e5",
    )
    assert lookup(lab.layers.store, arn, OTHER, "o-a1b2c3d4e5").arn == arn
    with pytest.raises(AwsError):
        lookup(lab.layers.store, arn, OTHER, "o-zzzzzzzzzz")


# -- the pure rules ----------------------------------------------------------------------
def _version(size: int, n: int = 1, name: str = "l") -> LayerVersion:
    return LayerVersion(f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:{name}", n, b"", "sha", size, "now")


def test_combined_size_counts_code_and_every_layer() -> None:
    check_combined_size(262_144_000 - 20, [_version(10), _version(10, name="m")])
    with pytest.raises(AwsError) as err:
        check_combined_size(262_144_000 - 20, [_version(10), _version(11, name="m")])
    assert err.value.message == (
        "Function code combined with layers exceeds the maximum allowed size of 262144000 bytes. "
        "The actual size is 262144001 bytes."
    )


def test_one_version_per_layer() -> None:
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:l"
    check_layer_list([f"{arn}:1", f"{arn}x:1"])
    with pytest.raises(AwsError) as err:
        check_layer_list([f"{arn}:1", f"{arn}:2"])
    assert err.value.code == "InvalidParameterValueException"


def test_store_keeps_a_functions_copy_after_delete() -> None:
    store = LayerStore()
    v = _version(5)
    store.add(v)
    store.attach("fn", "$LATEST", (v,))
    store.published("fn", "1")
    store.delete(v.layer_arn, 1)
    assert store.get(v.layer_arn, 1) is None
    assert store.attached("fn", "1") == (v,)
    assert store.next_version(v.layer_arn) == 2
