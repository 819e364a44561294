"""RevisionId and DeadLetterConfig live in the lab's own table, keyed by version ARN (moto keeps neither)."""

from __future__ import annotations

import itertools

from support import create_python

import lambdalab
from lambdalab.aws.function_table import FunctionTable


def _table() -> FunctionTable:
    ids = itertools.count(1)
    return FunctionTable(lambda name: f"arn:aws:lambda:us-east-1:123456789012:function:{name}", lambda: f"r{next(ids)}")


def test_a_published_version_keeps_what_latest_had_when_it_was_published() -> None:
    table = _table()
    table.new_revision("f", "$LATEST")
    table.set_dead_letter("f", "$LATEST", "arn:aws:sqs:us-east-1:123456789012:dlq")
    table.published("f", "1")
    table.new_revision("f", "$LATEST")
    table.set_dead_letter("f", "$LATEST", None)
    table.published("f", "1")  # moto answers a second publish of nothing new with the same version
    assert (table.revision("f", "1"), table.dead_letter("f", "1")) == ("r1", "arn:aws:sqs:us-east-1:123456789012:dlq")
    assert (table.revision("f", "$LATEST"), table.dead_letter("f", "$LATEST")) == ("r2", None)


def test_forgetting_a_function_leaves_functions_whose_names_start_the_same() -> None:
    table = _table()
    for name in ("f", "f2"):
        table.new_revision(name, "$LATEST")
        table.published(name, "1")
    table.forget("f", "1")
    assert table.revision("f", "1") is None and table.revision("f", "$LATEST") == "r1"
    table.forget("f")
    assert table.revision("f", "$LATEST") is None
    assert (table.revision("f2", "$LATEST"), table.revision("f2", "1")) == ("r2", "r2")


def test_a_function_created_again_under_a_deleted_ones_name_starts_clean(lab: lambdalab.Lab, role_arn: str) -> None:
    lam, sqs = lab.client("lambda"), lab.client("sqs")
    url = sqs.create_queue(QueueName="table-dlq")["QueueUrl"]
    dlq = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = create_python(lab, role_arn, DeadLetterConfig={"TargetArn": dlq})
    first = lam.get_function_configuration(FunctionName=name)
    assert first["DeadLetterConfig"] == {"TargetArn": dlq}
    lam.delete_function(FunctionName=name)
    create_python(lab, role_arn, FunctionName=name)
    again = lam.get_function_configuration(FunctionName=name)
    assert "DeadLetterConfig" not in again and again["RevisionId"] != first["RevisionId"]


def test_a_version_answers_with_the_revision_and_dead_letter_target_it_was_published_with(
    lab: lambdalab.Lab, role_arn: str
) -> None:
    lam = lab.client("lambda")
    dlq = lab.arn("sqs", "table-dlq-2")
    name = create_python(lab, role_arn, DeadLetterConfig={"TargetArn": dlq})
    published = lam.publish_version(FunctionName=name)
    lam.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": ""}, Timeout=5)
    version = lam.get_function_configuration(FunctionName=name, Qualifier=published["Version"])
    latest = lam.get_function_configuration(FunctionName=name)
    assert (version["RevisionId"], version["DeadLetterConfig"]) == (published["RevisionId"], {"TargetArn": dlq})
    assert latest["RevisionId"] != published["RevisionId"] and "DeadLetterConfig" not in latest
