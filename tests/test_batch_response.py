"""Partial batch responses, read the same way for SQS, Kinesis and DynamoDB Streams.

Each case is one line of AWS's "success and failure conditions" lists:
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
"""

from __future__ import annotations

import json

import pytest

from lambdalab.engines import batch_response, sqs_errors, stream_errors
from lambdalab.engines.attempts import Attempt, Outcome

#: each source's batch and the name of its item identifier
SOURCES = {
    "sqs": (("m1", "m2", "m3"), "messageId"),
    "kinesis": (("4961", "4962", "4963"), "sequence number"),
    "dynamodb": (("100", "200", "300"), "sequence number"),
}


def _read(source: str, answer: bytes | None) -> batch_response.Report:
    ids, item = SOURCES[source]
    return batch_response.read(answer, ids, item=item)


def _json(doc: object) -> bytes:
    return json.dumps(doc).encode()


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(_json({"batchItemFailures": []}), id="an empty batchItemFailures list"),
        pytest.param(_json({"batchItemFailures": None}), id="a null batchItemFailures list"),
        pytest.param(_json({}), id="an empty EventResponse"),
        pytest.param(_json(None), id="a null EventResponse"),
        pytest.param(None, id="no answer at all"),
        pytest.param(_json(""), id="an empty string"),
        pytest.param(_json([]), id="an empty list"),
        pytest.param(_json({"statusCode": 200}), id="an object without batchItemFailures"),
    ],
)
def test_complete_success(source: str, answer: bytes | None) -> None:
    assert _read(source, answer) == batch_response.Report()


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        pytest.param(b"{not json", "the response is not JSON", id="an invalid JSON response"),
        pytest.param(
            _json({"batchItemFailures": [{"itemIdentifier": ""}]}),
            "an itemIdentifier is empty or null",
            id="an empty string itemIdentifier",
        ),
        pytest.param(
            _json({"batchItemFailures": [{"itemIdentifier": None}]}),
            "an itemIdentifier is empty or null",
            id="a null itemIdentifier",
        ),
        pytest.param(
            _json({"batchItemFailures": [{"itemId": "x"}]}),
            "an item of batchItemFailures has no itemIdentifier",
            id="an itemIdentifier with a bad key name",
        ),
        pytest.param(
            _json({"batchItemFailures": "x"}), "batchItemFailures is not a list", id="batchItemFailures not a list"
        ),
        pytest.param(
            _json({"batchItemFailures": ["x"]}),
            "an item of batchItemFailures has no itemIdentifier",
            id="an item that is not an object",
        ),
        pytest.param(_json("done"), "the response is not a JSON object", id="a string answer"),
        pytest.param(_json([{"itemIdentifier": "x"}]), "the response is not a JSON object", id="a list answer"),
        pytest.param(_json(3), "the response is not a JSON object", id="a number answer"),
    ],
)
def test_complete_failure(source: str, answer: bytes, problem: str) -> None:
    assert _read(source, answer) == batch_response.Report(problem=problem)


@pytest.mark.parametrize("source", SOURCES)
def test_an_identifier_that_is_not_in_the_batch_fails_it(source: str) -> None:
    _, item = SOURCES[source]
    report = _read(source, _json({"batchItemFailures": [{"itemIdentifier": "nope"}]}))
    assert report.problem == f"itemIdentifier 'nope' is not a {item} of this batch"


@pytest.mark.parametrize("source", SOURCES)
def test_the_failed_items_come_back_in_batch_order_once_each(source: str) -> None:
    ids, _ = SOURCES[source]
    named = [{"itemIdentifier": ids[2]}, {"itemIdentifier": ids[1]}, {"itemIdentifier": ids[2]}]
    assert _read(source, _json({"batchItemFailures": named})).failed == (ids[1], ids[2])


def test_sqs_and_streams_differ_only_in_what_a_failure_means() -> None:
    """SQS returns just the named messages; a stream retries from the lowest named record on."""
    answer = Attempt(Outcome.SUCCESS, payload=_json({"batchItemFailures": [{"itemIdentifier": "m2"}]}))
    verdict = sqs_errors.decide(("m1", "m2", "m3"), answer, report_failures=True)
    assert (verdict.delete, verdict.retry) == (("m1", "m3"), ("m2",))

    answer = Attempt(Outcome.SUCCESS, payload=_json({"batchItemFailures": [{"itemIdentifier": "2"}]}))
    attempt, failed_from = stream_errors.read_answer(answer, ["1", "2", "3"])
    step = stream_errors.next_step(attempt.outcome, size=3, retries_used=0, backoff_round=0, failed_from=failed_from)
    assert (step.keep, step.action) == (1, "retry")  # "1" is checkpointed, "2" and "3" are retried
