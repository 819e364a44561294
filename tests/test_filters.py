"""Event-pattern filtering (generic over a record dict), as Lambda applies FilterCriteria."""

from __future__ import annotations

import json

import pytest

from lambdalab.engines import filters
from lambdalab.engines.filters import FilterError, matches, matches_any, parse_criteria

RECORD = {
    "body": {"kind": "order", "total": 42.5, "tags": ["a", "b"], "city": "Paris", "note": ""},
    "attributes": {"n": "1"},
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"body": {"kind": ["order"]}}, True),
        ({"body": {"kind": ["refund", "order"]}}, True),
        ({"body": {"kind": ["refund"]}}, False),
        ({"body": {"total": [42.5]}}, True),
        ({"body": {"total": ["42.5"]}}, False),
        ({"body": {"note": [""]}}, True),
        ({"body": {"tags": ["b"]}}, True),
        ({"body": {"kind": [{"prefix": "ord"}]}}, True),
        ({"body": {"kind": [{"suffix": "der"}]}}, True),
        ({"body": {"kind": [{"suffix": "ord"}]}}, False),
        ({"body": {"city": [{"equals-ignore-case": "PARIS"}]}}, True),
        ({"body": {"kind": [{"anything-but": ["refund", "void"]}]}}, True),
        ({"body": {"kind": [{"anything-but": "order"}]}}, False),
        ({"body": {"kind": [{"anything-but": {"prefix": "ref"}}]}}, True),
        ({"body": {"total": [{"numeric": [">", 40, "<=", 42.5]}]}}, True),
        ({"body": {"total": [{"numeric": ["<", 40]}]}}, False),
        ({"body": {"total": [{"numeric": ["=", 42.5]}]}}, True),
        ({"body": {"missing": [{"exists": False}]}}, True),
        ({"body": {"kind": [{"exists": True}]}}, True),
        ({"body": {"kind": [{"exists": False}]}}, False),
        ({"body": {"kind": ["order"], "city": ["Rome"]}}, False),
        ({"attributes": {"n": ["1"]}, "body": {"kind": ["order"]}}, True),
        ({"body": {"missing": ["x"]}}, False),
    ],
)
def test_pattern_rules(pattern: dict, expected: bool) -> None:
    filters.check_pattern(pattern)
    assert matches(pattern, RECORD) is expected


def test_filters_are_ored_and_no_filter_lets_everything_through() -> None:
    assert matches_any([{"body": {"kind": ["x"]}}, {"body": {"kind": ["order"]}}], RECORD)
    assert not matches_any([{"body": {"kind": ["x"]}}], RECORD)
    assert matches_any([], RECORD)


def test_an_object_pattern_never_matches_a_plain_string_body() -> None:
    assert not matches({"body": {"kind": ["order"]}}, {"body": "kind=order"})
    assert matches({"body": [{"prefix": "kind="}]}, {"body": "kind=order"})


@pytest.mark.parametrize(
    "pattern",
    [
        '{"body": "x"}',
        "[]",
        "not json",
        '{"body": {"a": [{"bogus": 1}]}}',
        '{"body": {"a": [{"numeric": [">", "x"]}]}}',
        '{"body": {"a": [{"exists": "yes"}]}}',
        '{"body": {"a": []}}',
    ],
)
def test_malformed_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(FilterError) as exc:
        parse_criteria({"Filters": [{"Pattern": pattern}]})
    assert str(exc.value) == "Invalid filter pattern definition."


def test_at_most_five_filters() -> None:
    criteria = {"Filters": [{"Pattern": json.dumps({"body": {"n": [i]}})} for i in range(6)]}
    with pytest.raises(FilterError, match="maximum number of filters"):
        parse_criteria(criteria)
    assert len(parse_criteria({"Filters": criteria["Filters"][:5]})) == 5


def test_patterns_see_an_sqs_body_holding_json_as_json() -> None:
    record = {"eventSource": "aws:sqs", "messageId": "m1", "body": '{"kind": "order"}'}
    assert filters.view(record)["body"] == {"kind": "order"}
    assert filters.view({**record, "body": "plain text"})["body"] == "plain text"
    assert filters.view({**record, "body": "{broken"})["body"] == "{broken"


def test_patterns_see_dynamodb_records_as_they_are() -> None:
    record = {"eventSource": "aws:dynamodb", "dynamodb": {"NewImage": {"id": {"S": "1"}}}}
    assert filters.view(record) == record
