"""Every command of the curriculum's "Using the CLI" section, run as written (ARNs in the
lab's account and region), through the ``aws`` CLI in process (lambdalab.cli_magic)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import lambdalab
from lambdalab.cli_magic import CliResult, run, split_commands

ACCOUNT = "123456789012"
SQS_LOGGER = """exports.handler = async (event) => {
  for (const record of event.Records || []) console.log('message:', record.body);
  return { received: (event.Records || []).length, event };
};
"""
LOG_EVENT = "exports.handler = async (event) => { console.log(JSON.stringify(event)); return 'logged'; };\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The notebook's folder: the deployment packages and policy file the commands name."""
    path = tmp_path_factory.mktemp("cli")
    (path / "function.zip").write_bytes(lambdalab.zip_files({"index.js": SQS_LOGGER}))
    (path / "log-event.zip").write_bytes(lambdalab.zip_files({"index.js": LOG_EVENT}))
    root = Path(__file__).resolve().parent.parent
    (path / "hello-world-alb.zip").write_bytes(lambdalab.zip_folder(root / "data" / "functions" / "helloworld-alb"))
    (path / "sns-destination-policy.json").write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["sns:Publish"], "Resource": "arn:aws:sns:*"}],
            },
            indent=2,
        )
    )
    return path


@pytest.fixture(scope="module")
def lab() -> Iterator[lambdalab.Lab]:
    with lambdalab.Lab() as lab:
        yield lab


def aws(lab: lambdalab.Lab, folder: Path, command: str) -> CliResult:
    return run(lab, command, cwd=folder)


def ok(result: CliResult) -> dict:
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_a_cell_splits_into_commands() -> None:
    cell = (
        "aws lambda get-function \\\n --function-name f   # one\n\n# a comment\nlambda list-functions --max-items 10\n"
    )
    assert split_commands(cell) == [
        ["lambda", "get-function", "--function-name", "f"],
        ["lambda", "list-functions", "--max-items", "10"],
    ]


def test_create_role_and_attach_policy(lab: lambdalab.Lab, folder: Path) -> None:
    created = ok(
        aws(
            lab,
            folder,
            """aws iam create-role \\
    --role-name AWSLambdaBasicRole \\
    --assume-role-policy-document '{"Version": "2012-10-17","Statement": [{ "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'""",
        )
    )
    assert created["Role"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/AWSLambdaBasicRole"
    attached = aws(
        lab,
        folder,
        """aws iam attach-role-policy \\
    --role-name AWSLambdaBasicRole \\
    --policy-arn "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole\"""",
    )
    assert attached.rc == 0 and attached.stdout == ""
    # the SQS mapping below needs the queue-reading policy too
    ok(
        aws(
            lab,
            folder,
            "aws iam attach-role-policy --role-name AWSLambdaBasicRole "
            "--policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
        )
    )


def test_create_function_with_zip_file_and_dead_letter_config(lab: lambdalab.Lab, folder: Path) -> None:
    ok(aws(lab, folder, "aws sqs create-queue --queue-name demo-dlq"))
    created = ok(
        aws(
            lab,
            folder,
            f"""aws lambda create-function \\
     --function-name demo-lambda-sqs \\
     --description "An Amazon SQS trigger that logs messages in a queue." \\
     --runtime nodejs22.x \\
     --role arn:aws:iam::{ACCOUNT}:role/AWSLambdaBasicRole \\
     --zip-file fileb://function.zip \\
     --handler index.handler \\
     --dead-letter-config TargetArn=arn:aws:sqs:us-east-1:{ACCOUNT}:demo-dlq""",
        )
    )
    assert created["FunctionName"] == "demo-lambda-sqs"
    assert created["DeadLetterConfig"] == {"TargetArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:demo-dlq"}
    assert created["Description"] == "An Amazon SQS trigger that logs messages in a queue."


def test_a_retired_runtime_is_refused(lab: lambdalab.Lab, folder: Path) -> None:
    refused = aws(
        lab,
        folder,
        f"aws lambda create-function --function-name old --runtime nodejs14.x "
        f"--role arn:aws:iam::{ACCOUNT}:role/AWSLambdaBasicRole --zip-file fileb://function.zip --handler index.handler",
    )
    assert refused.rc == 255 and "InvalidParameterValueException" in refused.stderr and "nodejs14.x" in refused.stderr


def test_get_function(lab: lambdalab.Lab, folder: Path) -> None:
    got = ok(aws(lab, folder, "aws lambda get-function --function-name demo-lambda-sqs"))
    assert got["Configuration"]["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:demo-lambda-sqs"
    assert got["Configuration"]["State"] == "Active" and got["Code"]["RepositoryType"] == "S3"


def test_list_functions_max_items(lab: lambdalab.Lab, folder: Path) -> None:
    listed = ok(aws(lab, folder, "aws lambda list-functions --max-items 10"))
    assert [f["FunctionName"] for f in listed["Functions"]] == ["demo-lambda-sqs"]


def test_add_permission_per_minute_scheduled_event(lab: lambdalab.Lab, folder: Path) -> None:
    ok(
        aws(
            lab,
            folder,
            f"aws lambda create-function --function-name LogScheduledEvent --runtime nodejs22.x "
            f"--role arn:aws:iam::{ACCOUNT}:role/AWSLambdaBasicRole --zip-file fileb://log-event.zip --handler index.handler",
        )
    )
    added = ok(
        aws(
            lab,
            folder,
            f"""aws lambda add-permission \\
     --function-name LogScheduledEvent \\
     --statement-id PerMinuteScheduledEvent \\
     --action 'lambda:InvokeFunction' \\
     --principal "events.amazonaws.com" \\
     --source-arn "arn:aws:events:us-east-1:{ACCOUNT}:rule/PerMinuteRule" \\
     --cli-binary-format "raw-in-base64-out\"""",
        )
    )
    assert added == {
        "Statement": (
            '{"Sid":"PerMinuteScheduledEvent","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},'
            '"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:LogScheduledEvent",'
            '"Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:events:us-east-1:123456789012:rule/PerMinuteRule"}}}'
        )
    }
    again = aws(
        lab,
        folder,
        "aws lambda add-permission --function-name LogScheduledEvent --statement-id PerMinuteScheduledEvent "
        "--action lambda:InvokeFunction --principal events.amazonaws.com",
    )
    assert again.rc == 255 and "ResourceConflictException" in again.stderr


def test_create_and_get_event_source_mapping(lab: lambdalab.Lab, folder: Path) -> None:
    ok(aws(lab, folder, "aws sqs create-queue --queue-name S3EventsQueue"))
    created = ok(
        aws(
            lab,
            folder,
            f"""aws lambda create-event-source-mapping \\
     --function-name demo-lambda-sqs --batch-size 3 \\
     --event-source-arn "arn:aws:sqs:us-east-1:{ACCOUNT}:S3EventsQueue\"""",
        )
    )
    assert created["BatchSize"] == 3 and created["State"] == "Creating"
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:demo-lambda-sqs"
    lab.advance(1)
    got = ok(aws(lab, folder, f'aws lambda get-event-source-mapping --uuid "{created["UUID"]}"'))
    assert got["UUID"] == created["UUID"] and got["State"] == "Enabled" and got["MaximumBatchingWindowInSeconds"] == 0
    (folder / "mapping.txt").write_text(created["UUID"])


def test_invoke_sync_to_an_outfile(lab: lambdalab.Lab, folder: Path) -> None:
    result = ok(
        aws(
            lab,
            folder,
            """aws lambda invoke --function-name demo-lambda-sqs \\
      --cli-binary-format raw-in-base64-out --payload '{"Records": [{"body": "hi"}]}' response.json""",
        )
    )
    assert result == {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
    assert json.loads((folder / "response.json").read_text())["received"] == 1


def test_invoke_async_with_event_invocation_type(lab: lambdalab.Lab, folder: Path) -> None:
    # as written in the curriculum, the payload is not JSON: Lambda refuses it
    refused = aws(
        lab,
        folder,
        """aws lambda invoke \\
     --function-name demo-lambda-sqs \\
     --invocation-type "Event" \\
     --payload 'payload' \\
     --cli-binary-format "raw-in-base64-out" \\
     response.json""",
    )
    assert refused.rc == 255 and "InvalidRequestContentException" in refused.stderr
    queued = ok(
        aws(
            lab,
            folder,
            """aws lambda invoke --function-name demo-lambda-sqs --invocation-type "Event" \\
     --payload '{"Records": [{"body": "later"}]}' --cli-binary-format "raw-in-base64-out" response.json""",
        )
    )
    assert queued["StatusCode"] == 202
    lab.run_until_idle()
    assert [r.detail["outcome"] for r in lab.trace.where("async-attempt", "demo-lambda-sqs")] == ["success"]


def test_binary_format_base64_decodes_the_payload(lab: lambdalab.Lab, folder: Path) -> None:
    encoded = "eyJSZWNvcmRzIjogW119"  # {"Records": []}
    result = ok(
        aws(
            lab,
            folder,
            f"aws lambda invoke --function-name demo-lambda-sqs --cli-binary-format base64 --payload {encoded} out.json",
        )
    )
    assert result["StatusCode"] == 200 and json.loads((folder / "out.json").read_text())["received"] == 0


def test_sns_create_topic(lab: lambdalab.Lab, folder: Path) -> None:
    created = ok(
        aws(
            lab,
            folder,
            """aws sns create-topic \\
    --name S3EventsTopic \\
    --attributes DisplayName="S3Events\"""",
        )
    )
    assert created == {"TopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:S3EventsTopic"}


def test_iam_create_policy_from_a_file(lab: lambdalab.Lab, folder: Path) -> None:
    created = ok(
        aws(
            lab,
            folder,
            """aws iam create-policy \\
    --policy-name AWSLambdaSNSPublishExecutionRole \\
    --description "Allows Lambda functions to publish to SNS Topics for select IAM users" \\
    --policy-document file://./sns-destination-policy.json""",
        )
    )
    assert created["Policy"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:policy/AWSLambdaSNSPublishExecutionRole"
    assert created["Policy"]["DefaultVersionId"] == "v1"


def test_put_function_event_invoke_config_refuses_a_fifo_topic(lab: lambdalab.Lab, folder: Path) -> None:
    ok(
        aws(
            lab,
            folder,
            f"aws lambda create-function --function-name SQSProcessor --runtime nodejs22.x "
            f"--role arn:aws:iam::{ACCOUNT}:role/AWSLambdaBasicRole --zip-file fileb://function.zip --handler index.handler",
        )
    )
    refused = aws(
        lab,
        folder,
        f"""aws lambda put-function-event-invoke-config \\
    --function-name "SQSProcessor" \\
    --destination-config OnSuccess={{"Destination"="arn:aws:sns:us-east-1:{ACCOUNT}:S3EventsTopic.fifo"}}""",
    )
    assert refused.rc == 255
    assert refused.stderr.strip() == (
        "An error occurred (InvalidParameterValueException) when calling the PutFunctionEventInvokeConfig operation: "
        f"The destination ARN arn:aws:sns:us-east-1:{ACCOUNT}:S3EventsTopic.fifo is invalid."
    )
    fixed = ok(
        aws(
            lab,
            folder,
            f"""aws lambda put-function-event-invoke-config --function-name "SQSProcessor" \\
    --destination-config OnSuccess={{"Destination"="arn:aws:sns:us-east-1:{ACCOUNT}:S3EventsTopic"}}""",
        )
    )
    assert fixed["DestinationConfig"] == {
        "OnSuccess": {"Destination": f"arn:aws:sns:us-east-1:{ACCOUNT}:S3EventsTopic"},
        "OnFailure": {},
    }
    assert fixed["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:SQSProcessor:$LATEST"


def test_update_function_code_from_a_zip_file(lab: lambdalab.Lab, folder: Path) -> None:
    ok(
        aws(
            lab,
            folder,
            f"aws lambda create-function --function-name HelloWorld --runtime nodejs22.x "
            f"--role arn:aws:iam::{ACCOUNT}:role/AWSLambdaBasicRole --zip-file fileb://log-event.zip --handler index.handler "
            '--description "A demo Hello World function that returns HTML to the ALB."',
        )
    )
    updated = ok(
        aws(
            lab,
            folder,
            """aws lambda update-function-code \\
     --function-name HelloWorld \\
     --zip-file fileb://./hello-world-alb.zip
""",
        )
    )
    assert updated["FunctionName"] == "HelloWorld" and updated["LastUpdateStatus"] == "InProgress"
    lab.advance(1)
    from lambdalab.events import alb

    response = alb.call(lab, "HelloWorld")
    assert (response.status, response.body) == (200, "<h1>Hello from Lambda!</h1>")


def test_delete_event_source_mapping_then_function(lab: lambdalab.Lab, folder: Path) -> None:
    uuid = (folder / "mapping.txt").read_text()
    deleted = ok(aws(lab, folder, f'aws lambda delete-event-source-mapping --uuid "{uuid}"'))
    assert deleted["State"] == "Deleting"
    gone = aws(lab, folder, "aws lambda delete-function --function-name demo-lambda-sqs")
    # today's API answers DeleteFunction with its status (the 2022 text showed no output)
    assert gone.rc == 0 and json.loads(gone.stdout) == {"StatusCode": 204}
    missing = aws(lab, folder, "aws lambda get-function --function-name demo-lambda-sqs")
    assert missing.rc == 255 and "ResourceNotFoundException" in missing.stderr
