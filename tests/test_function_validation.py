"""CreateFunction / UpdateFunctionConfiguration refuse bad input with AWS's errors,
and the lab keeps working afterwards."""

from __future__ import annotations

import warnings

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from support import PY_ECHO, create_python, unique

import lambdalab
from lambdalab.aws.lambda_functions import LambdaLabWarning


def _fails(lab: lambdalab.Lab, role_arn: str, **overrides: object) -> tuple[str, str]:
    args: dict[str, object] = {
        "FunctionName": unique(),
        "Runtime": "python3.12",
        "Role": role_arn,
        "Handler": "app.handler",
        "Code": {"ZipFile": lambdalab.zip_files({"app.py": PY_ECHO})},
    }
    args.update(overrides)
    with pytest.raises(ClientError) as exc:
        lab.client("lambda").create_function(**args)
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "Timeout",
            901,
            "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900",
        ),
        (
            "MemorySize",
            10241,
            "Value '10241' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240",
        ),
    ],
)
def test_limits_above_the_maximum(lab: lambdalab.Lab, role_arn: str, field: str, value: int, message: str) -> None:
    code, text = _fails(lab, role_arn, **{field: value})
    assert code == "ValidationException"
    assert text == f"1 validation error detected: {message}"


@pytest.mark.parametrize(("field", "value"), [("Timeout", 0), ("MemorySize", 127)])
def test_limits_below_the_minimum_are_caught_by_the_sdk(
    lab: lambdalab.Lab, role_arn: str, field: str, value: int
) -> None:
    with pytest.raises(ParamValidationError):
        _fails(lab, role_arn, **{field: value})


def test_limits_at_the_edges_are_accepted(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, Timeout=900, MemorySize=10240)
    config = lab.client("lambda").get_function_configuration(FunctionName=name)
    assert (config["Timeout"], config["MemorySize"]) == (900, 10240)


def test_defaults_are_three_seconds_and_128_mb(lab: lambdalab.Lab, role_arn: str) -> None:
    config = lab.client("lambda").get_function_configuration(FunctionName=create_python(lab, role_arn))
    assert (config["Timeout"], config["MemorySize"], config["PackageType"]) == (3, 128, "Zip")


def test_unknown_runtime(lab: lambdalab.Lab, role_arn: str) -> None:
    code, text = _fails(lab, role_arn, Runtime="python9")
    assert code == "ValidationException"
    assert text.startswith(
        "1 validation error detected: Value 'python9' at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: ["
    )


def test_deprecated_runtime(lab: lambdalab.Lab, role_arn: str) -> None:
    code, text = _fails(lab, role_arn, Runtime="nodejs16.x")
    assert code == "InvalidParameterValueException"
    assert text.startswith(
        "The runtime parameter of nodejs16.x is no longer supported for creating or updating AWS Lambda functions."
    )


def test_handler_with_whitespace(lab: lambdalab.Lab, role_arn: str) -> None:
    code, text = _fails(lab, role_arn, Handler="app handler")
    assert code == "ValidationException"
    assert "at 'handler'" in text


@pytest.mark.parametrize("key", ["AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_ACCESS_KEY_ID", "LAMBDA_TASK_ROOT"])
def test_reserved_environment_variables(lab: lambdalab.Lab, role_arn: str, key: str) -> None:
    code, text = _fails(lab, role_arn, Environment={"Variables": {key: "x", "MINE": "y"}})
    assert code == "InvalidParameterValueException"
    assert text.endswith(f"Reserved keys used in this request: {key}")


def test_underscore_names_fail_the_key_pattern_first(lab: lambdalab.Lab, role_arn: str) -> None:
    code, text = _fails(lab, role_arn, Environment={"Variables": {"_HANDLER": "x"}})
    assert code == "ValidationException"
    assert "[a-zA-Z]([a-zA-Z0-9_])+" in text


def test_environment_over_4_kb(lab: lambdalab.Lab, role_arn: str) -> None:
    code, text = _fails(lab, role_arn, Environment={"Variables": {"BIG": "x" * 4100}})
    assert code == "InvalidParameterValueException"
    assert "exceeded the 4KB limit" in text


def test_a_file_that_is_not_a_zip(lab: lambdalab.Lab, role_arn: str) -> None:
    assert _fails(lab, role_arn, Code={"ZipFile": b"def handler(e, c): pass"}) == (
        "InvalidParameterValueException",
        "Could not unzip uploaded file. Please check your file, then try to upload again.",
    )


def test_existing_name_conflicts(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn)
    code, text = _fails(lab, role_arn, FunctionName=name)
    assert code == "ResourceConflictException"
    assert name in text


def test_container_images_are_explained(lab: lambdalab.Lab, role_arn: str) -> None:
    code, text = _fails(
        lab, role_arn, PackageType="Image", Code={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"}
    )
    assert code == "InvalidParameterValueException"
    assert "zip" in text.lower()


def test_update_configuration_validates_too(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn)
    with pytest.raises(ClientError) as exc:
        lab.client("lambda").update_function_configuration(FunctionName=name, Timeout=1000)
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert lab.client("lambda").get_function_configuration(FunctionName=name)["Timeout"] == 3


def test_lab_keeps_working_after_bad_input(lab: lambdalab.Lab, role_arn: str) -> None:
    _fails(lab, role_arn, Code={"ZipFile": b"nope"})
    name = create_python(lab, role_arn)
    assert lab.client("lambda").invoke(FunctionName=name, Payload=b'{"ok": 1}')["StatusCode"] == 200


def test_missing_node_handler_file_warns_at_create(lab: lambdalab.Lab, role_arn: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lab.client("lambda").create_function(
            FunctionName=unique(),
            Runtime="nodejs20.x",
            Role=role_arn,
            Handler="index.handler",
            Code={"ZipFile": lambdalab.zip_files({"handler.js": "exports.handler = async () => 1"})},
        )
    messages = [str(w.message) for w in caught if issubclass(w.category, LambdaLabWarning)]
    assert len(messages) == 1
    assert "index.js or index.mjs or index.cjs" in messages[0]
    assert lab.trace.where("warning")[-1].detail["message"] == messages[0]
