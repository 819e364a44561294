"""Event filtering: the event-pattern rules an event source mapping applies to each record.

A mapping's ``FilterCriteria`` holds up to five ``Pattern`` strings (JSON).  A
record that matches at least one pattern is sent to the function; one that
matches none is dropped (for SQS: deleted without an invocation).  A pattern is
a JSON object whose leaves are *arrays of rules*; every key of the pattern must
match (AND), any rule of a leaf may match (OR).  Rules:

=====================  ===========================================  ============================
rule                   pattern leaf                                 matches
=====================  ===========================================  ============================
equals                 ``["a", 5, true, null]``                      that exact value
empty                  ``[""]``                                      an empty string
equals-ignore-case     ``[{"equals-ignore-case": "abc"}]``           ``"ABC"``, ``"aBc"``
prefix / suffix        ``[{"prefix": "ord-"}]`` ``[{"suffix": ".png"}]``  begins / ends with
anything-but           ``[{"anything-but": ["a", "b"]}]``            any value except those
                       ``[{"anything-but": {"prefix": "x"}}]``       not beginning with ``x``
numeric                ``[{"numeric": [">", 0, "<=", 5]}]``          a number in that range
exists                 ``[{"exists": true}]`` / ``false``            the key is present / absent
=====================  ===========================================  ============================

What a pattern sees of a record is :func:`view`: the record as the function
receives it, with an SQS ``body`` that holds a JSON object or array decoded, and
a Kinesis record's ``kinesis`` fields lifted to the top with its base64 ``data``
decoded when it is JSON (DynamoDB records are matched as they are).

https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable
from typing import Any

from ..errors import invalid_parameter

#: the default quota of filters per mapping (AWS raises it to 10 on request)
MAX_FILTERS = 5
INVALID = "Invalid filter pattern definition."

_NUMERIC_OPS = {"=", "<", "<=", ">", ">="}
_OPERATORS = {"prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "wildcard"}
_MISSING = object()


class FilterError(ValueError):
    """A FilterCriteria that Lambda refuses (the message is AWS's)."""


# -- validation -----------------------------------------------------------------
def parse_criteria(criteria: Any, *, max_filters: int = MAX_FILTERS) -> list[dict[str, Any]]:
    """The patterns of a ``FilterCriteria`` value, checked; raises :class:`FilterError`."""
    if criteria in (None, {}):
        return []
    if not isinstance(criteria, dict) or not isinstance(criteria.get("Filters", []), list):
        raise FilterError(INVALID)
    filters = criteria.get("Filters", [])
    if len(filters) > max_filters:
        raise FilterError(
            f"The maximum number of filters ({max_filters}) has been exceeded. "
            "Request a quota increase to add more filters to this event source mapping."
        )
    patterns = []
    for item in filters:
        text = item.get("Pattern") if isinstance(item, dict) else None
        if not isinstance(text, str):
            raise FilterError(INVALID)
        try:
            pattern = json.loads(text)
        except ValueError as err:
            raise FilterError(INVALID) from err
        check_pattern(pattern)
        patterns.append(pattern)
    return patterns


def check_criteria(criteria: Any) -> list[dict[str, Any]]:
    """The patterns of a ``FilterCriteria``; raises the ``InvalidParameterValueException`` Lambda answers with."""
    try:
        return parse_criteria(criteria)
    except FilterError as err:
        raise invalid_parameter(str(err)) from err


def patterns(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The parsed patterns of a mapping's settings (its stored ``FilterCriteria``)."""
    return parse_criteria(settings.get("FilterCriteria"))


def stored(criteria: dict[str, Any]) -> dict[str, Any] | None:
    """The ``FilterCriteria`` a mapping keeps and describes (None when it has no filter)."""
    filters = criteria.get("Filters") or []
    return {"Filters": [{"Pattern": f["Pattern"]} for f in filters]} if filters else None


def check_pattern(pattern: Any) -> None:
    """Raise :class:`FilterError` unless ``pattern`` is a well-formed event pattern."""
    if not isinstance(pattern, dict) or not pattern:
        raise FilterError(INVALID)
    for value in pattern.values():
        if isinstance(value, dict):
            check_pattern(value)
        elif isinstance(value, list) and value:
            for rule in value:
                _check_rule(rule)
        else:
            raise FilterError(INVALID)


def _check_rule(rule: Any) -> None:
    if rule is None or isinstance(rule, (str, bool, int, float)):
        return
    if not isinstance(rule, dict) or len(rule) != 1:
        raise FilterError(INVALID)
    ((op, arg),) = rule.items()
    if op not in _OPERATORS:
        raise FilterError(INVALID)
    if op in ("prefix", "suffix", "equals-ignore-case", "wildcard") and not isinstance(arg, str):
        raise FilterError(INVALID)
    if op == "exists" and not isinstance(arg, bool):
        raise FilterError(INVALID)
    if op == "numeric":
        _numeric_pairs(arg)
    if op == "anything-but":
        if isinstance(arg, dict):
            if len(arg) != 1 or next(iter(arg)) not in ("prefix", "suffix", "equals-ignore-case"):
                raise FilterError(INVALID)
        elif isinstance(arg, list):
            if not arg or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in arg):
                raise FilterError(INVALID)
        elif not isinstance(arg, (str, int, float)) or isinstance(arg, bool):
            raise FilterError(INVALID)


def _numeric_pairs(arg: Any) -> list[tuple[str, float]]:
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        raise FilterError(INVALID)
    pairs = []
    for i in range(0, len(arg), 2):
        op, num = arg[i], arg[i + 1]
        if op not in _NUMERIC_OPS or isinstance(num, bool) or not isinstance(num, (int, float)):
            raise FilterError(INVALID)
        pairs.append((op, float(num)))
    if len(pairs) == 2 and "=" in (pairs[0][0], pairs[1][0]):
        raise FilterError(INVALID)
    return pairs


# -- what a pattern sees -------------------------------------------------------------
def view(record: dict[str, Any]) -> dict[str, Any]:
    """The record as filter patterns see it (see the module docstring)."""
    if record.get("eventSource") == "aws:sqs":
        body = record.get("body")
        if isinstance(body, str) and body[:1] in ("{", "["):
            try:
                return {**record, "body": json.loads(body)}
            except ValueError:
                pass
        return record
    if "kinesis" in record:
        doc = {**record, **record["kinesis"]}
        try:
            doc["data"] = json.loads(base64.b64decode(record["kinesis"]["data"]))
        except ValueError:
            pass
        return doc
    return record


# -- matching -------------------------------------------------------------------
def matches_any(patterns: Iterable[dict[str, Any]], record: dict[str, Any]) -> bool:
    """True when the record matches at least one pattern (no patterns: every record)."""
    found = False
    for pattern in patterns:
        found = True
        if matches(pattern, record):
            return True
    return not found


def matches(pattern: dict[str, Any], record: Any) -> bool:
    """True when every key of ``pattern`` matches ``record``."""
    for key, expected in pattern.items():
        value = record.get(key, _MISSING) if isinstance(record, dict) else _MISSING
        if isinstance(expected, dict):
            if not matches(expected, value if isinstance(value, dict) else {}):
                return False
        elif not _leaf(expected, value):
            return False
    return True


def _leaf(rules: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for rule in rules:
        if isinstance(rule, dict) and "exists" in rule:
            present = value is not _MISSING and not (isinstance(value, list) and not value)
            if present == rule["exists"]:
                return True
            continue
        if value is _MISSING:
            continue
        if any(_rule(rule, v) for v in values):
            return True
    return False


def _rule(rule: Any, value: Any) -> bool:
    if not isinstance(rule, dict):
        return _equal(rule, value)
    ((op, arg),) = rule.items()
    if op == "prefix":
        return isinstance(value, str) and value.startswith(arg)
    if op == "suffix":
        return isinstance(value, str) and value.endswith(arg)
    if op == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == arg.casefold()
    if op == "wildcard":
        return isinstance(value, str) and _wildcard(arg, value)
    if op == "numeric":
        return _number(value) is not None and all(_compare(_number(value), o, n) for o, n in _numeric_pairs(arg))
    if op == "anything-but":
        if isinstance(arg, dict):
            return isinstance(value, str) and not _rule(arg, value)
        excluded = arg if isinstance(arg, list) else [arg]
        return value is not None and not any(_equal(x, value) for x in excluded)
    return False


def _equal(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    if isinstance(expected, (int, float)) and isinstance(value, (int, float)):
        return math.isclose(float(expected), float(value), rel_tol=0, abs_tol=1e-9)
    return bool(expected == value) and type(expected) is type(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _compare(value: float | None, op: str, num: float) -> bool:
    assert value is not None
    return {"=": value == num, "<": value < num, "<=": value <= num, ">": value > num, ">=": value >= num}[op]


def _wildcard(pattern: str, value: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))
