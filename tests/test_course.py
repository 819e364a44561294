"""lambdalab.course: the helpers the notebooks' setup cells share."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from support import unique

import lambdalab
from lambdalab.course import (
    LAMBDA_TRUST_POLICY,
    Deployer,
    error_text,
    execution_role,
    make_queue,
    package,
    show_error,
)


def test_the_trust_policy_lets_lambda_assume_the_role_and_nothing_else() -> None:
    (statement,) = LAMBDA_TRUST_POLICY["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }


def test_execution_role_attaches_managed_policies_by_name_or_arn_and_inline_ones(lab: lambdalab.Lab) -> None:
    iam, name = lab.client("iam"), unique("role")
    sqs_policy = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    arn = execution_role(lab, name, "AWSLambdaBasicExecutionRole", sqs_policy, inline={"read": document})
    role = iam.get_role(RoleName=name)["Role"]
    assert role["Arn"] == arn
    assert role["AssumeRolePolicyDocument"] == LAMBDA_TRUST_POLICY
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    assert sorted(attached) == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", sqs_policy]
    assert iam.get_role_policy(RoleName=name, PolicyName="read")["PolicyDocument"] == document


def test_show_error_prints_the_code_and_message_aws_answers_with(
    lab: lambdalab.Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    lam = lab.client("lambda")
    show_error(lam.get_function, FunctionName="no-such-function")
    assert capsys.readouterr().out.startswith("ResourceNotFoundException: Function not found: arn:aws:lambda:")
    assert error_text(lam.list_functions) == "(no error)"


def test_a_deployer_creates_active_functions_from_a_source_files_a_folder_or_its_default(
    lab: lambdalab.Lab, role_arn: str
) -> None:
    lam = lab.client("lambda")
    deploy = Deployer(lab, role_arn, code="def handler(event, context):\n    return 'default'\n")
    from_text, from_files, from_default = unique("text"), unique("files"), unique("default")
    deploy(from_text, "def handler(event, context):\n    return 'text'\n", Timeout=7)
    deploy(from_files, {"main.py": "def go(event, context):\n    return 'files'\n"}, handler="main.go")
    arn = deploy(from_default, wait=False)
    from_folder = unique("folder")
    deploy(from_folder, folder="hello-python")
    answers = {
        name: json.load(lam.invoke(FunctionName=name, Payload=b'{"name": "Ada"}')["Payload"])
        for name in (from_text, from_files, from_default, from_folder)
    }
    assert answers == {
        from_text: "text",
        from_files: "files",
        from_default: "default",
        from_folder: {"message": "Hello, Ada!"},
    }
    config = lam.get_function_configuration(FunctionName=from_text)
    assert (config["Timeout"], config["Runtime"], config["State"]) == (7, "python3.13", "Active")
    assert arn == lam.get_function_configuration(FunctionName=from_default)["FunctionArn"]


def test_a_package_needs_code_or_a_folder() -> None:
    with pytest.raises(ValueError, match="give the code"):
        package()
    names = zipfile.ZipFile(io.BytesIO(package({"a.py": "", "lib/b.py": ""}))).namelist()
    assert sorted(names) == ["a.py", "lib/b.py"]


def test_make_queue_gives_the_url_and_arn_with_attributes_as_text(lab: lambdalab.Lab) -> None:
    name = unique("queue")
    url, arn = make_queue(lab, name, VisibilityTimeout=45)
    assert arn == f"arn:aws:sqs:{lab.region}:{lab.account_id}:{name}" and url.endswith(f"/{name}")
    attributes = lab.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "45"
