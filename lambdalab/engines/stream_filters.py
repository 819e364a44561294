"""FilterCriteria for stream mappings: what an event pattern sees of a stream record.

The pattern rules themselves are :mod:`lambdalab.engines.filters`, shared by every
mapping kind.  For Kinesis, ``data`` is matched as JSON when it decodes to JSON;
DynamoDB records are matched as they are (``dynamodb.NewImage`` ...).  A record
that matches no pattern is skipped: the shard moves past it as if processed.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..errors import invalid_parameter
from . import filters


def check_criteria(criteria: Any) -> None:
    """Refuse a FilterCriteria Lambda refuses."""
    try:
        filters.parse_criteria(criteria)
    except filters.FilterError as err:
        raise invalid_parameter(str(err)) from err


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
    return not patterns or filters.matches_any(patterns, document(record))
