"""FilterCriteria for stream mappings: AWS event patterns matched against stream records.

A mapping with filters invokes the function only with records that match at
least one pattern; the others are skipped (the shard moves past them as if they
had been processed).  For Kinesis, ``data`` is matched as JSON when it decodes
to JSON; DynamoDB records are matched as they are (``dynamodb.NewImage`` ...).

Matching uses the shared :mod:`lambdalab.engines.filters` when it is there;
the fallback here supports exact values, ``prefix``, ``suffix``, ``equals-ignore-case``,
``anything-but`` (value, list or ``prefix``), ``numeric`` (comparisons and
ranges), ``exists``, ``wildcard``, and ``$or``.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
"""

from __future__ import annotations

import base64
import fnmatch
import json
from typing import Any

from ..errors import invalid_parameter

try:  # the SQS engineer's event-pattern module, shared by every mapping kind when present
    from . import filters as _shared
except ImportError:  # pragma: no cover - the fallback below covers the same rules
    _shared = None  # type: ignore[assignment]

_MISSING = object()
_OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, "=": lambda a, b: a == b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def check_criteria(criteria: Any) -> None:
    """Refuse a FilterCriteria Lambda refuses (with the shared :mod:`.filters` rules when present)."""
    if _shared is not None:
        try:
            _shared.parse_criteria(criteria)
        except _shared.FilterError as err:
            raise invalid_parameter(str(err)) from err
        return
    for item in (criteria or {}).get("Filters") or []:
        check_pattern(item.get("Pattern") if isinstance(item, dict) else None)


def check_pattern(text: Any) -> None:
    """A pattern must be a JSON object whose leaves are lists (AWS's only message for all else)."""
    try:
        pattern = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        pattern = None
    if not isinstance(pattern, dict) or not _well_formed(pattern):
        raise invalid_parameter("Invalid filter pattern definition.")


def _well_formed(pattern: dict[str, Any]) -> bool:
    for key, value in pattern.items():
        if key == "$or":
            if not isinstance(value, list) or not all(isinstance(v, dict) and _well_formed(v) for v in value):
                return False
        elif isinstance(value, dict):
            if not _well_formed(value):
                return False
        elif not isinstance(value, list):
            return False
    return True


def document(record: dict[str, Any]) -> dict[str, Any]:
    """What patterns see of a stream record (Kinesis data decoded when it is JSON)."""
    if "kinesis" not in record:
        return record
    doc = dict(record)
    doc.update(record["kinesis"])
    try:
        doc["data"] = json.loads(base64.b64decode(record["kinesis"]["data"]))
    except ValueError:
        pass
    return doc


def matches_any(patterns: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    """True when there is no pattern, or the record matches one of them."""
    if not patterns:
        return True
    doc = document(record)
    if _shared is not None:
        return bool(_shared.matches_any(patterns, doc))
    return any(matches(p, doc) for p in patterns)


def matches(pattern: dict[str, Any], doc: Any) -> bool:
    for key, rule in pattern.items():
        if key == "$or":
            if not any(matches(p, doc) for p in rule):
                return False
            continue
        value = doc.get(key, _MISSING) if isinstance(doc, dict) else _MISSING
        if isinstance(rule, dict):
            if value is _MISSING or not matches(rule, value):
                return False
        elif not _leaf(rule, value):
            return False
    return True


def _leaf(rules: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(_one(rule, v) for rule in rules for v in values) or (
        value is _MISSING and any(isinstance(r, dict) and r.get("exists") is False for r in rules)
    )


def _one(rule: Any, value: Any) -> bool:
    if not isinstance(rule, dict):
        return value is not _MISSING and rule == value
    if value is _MISSING:
        return False
    if "exists" in rule:
        return bool(rule["exists"])
    if "prefix" in rule:
        return isinstance(value, str) and value.startswith(rule["prefix"])
    if "suffix" in rule:
        return isinstance(value, str) and value.endswith(rule["suffix"])
    if "equals-ignore-case" in rule:
        return isinstance(value, str) and value.lower() == str(rule["equals-ignore-case"]).lower()
    if "wildcard" in rule:
        return isinstance(value, str) and fnmatch.fnmatchcase(value, rule["wildcard"])
    if "anything-but" in rule:
        but = rule["anything-but"]
        if isinstance(but, dict):
            if "prefix" in but:
                return not (isinstance(value, str) and value.startswith(but["prefix"]))
            return True
        return value not in (but if isinstance(but, list) else [but])
    if "numeric" in rule:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        terms = rule["numeric"]
        return all(_OPS[terms[i]](value, terms[i + 1]) for i in range(0, len(terms), 2))
    return False
