"""Settings of a Kinesis or DynamoDB Streams event source mapping: validation and defaults.

``settings(kind, body, current)`` turns a CreateEventSourceMapping or
UpdateEventSourceMapping body into the mapping's settings in the shape
GetEventSourceMapping answers with (AWS's defaults filled in), or raises the
error AWS answers with.  Pure: no moto, no clock.

https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html#services-kinesis-params
https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#services-ddb-params
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..errors import AwsError, check_range, invalid_parameter, validation
from . import filters

STARTING_POSITIONS = ("LATEST", "AT_TIMESTAMP", "TRIM_HORIZON")
DEFAULT_BATCH_SIZE = 100

#: (body field, API field name in messages, minimum, maximum)
_RANGES = (
    ("BatchSize", "batchSize", 1, 10_000),
    ("MaximumBatchingWindowInSeconds", "maximumBatchingWindowInSeconds", 0, 300),
    ("ParallelizationFactor", "parallelizationFactor", 1, 10),
    ("MaximumRetryAttempts", "maximumRetryAttempts", -1, 10_000),
    ("MaximumRecordAgeInSeconds", "maximumRecordAgeInSeconds", -1, 604_800),
    ("TumblingWindowInSeconds", "tumblingWindowInSeconds", 0, 900),
)

#: what the response holds for a new stream mapping, in AWS's order
DEFAULTS: dict[str, Any] = {
    "BatchSize": DEFAULT_BATCH_SIZE,
    "MaximumBatchingWindowInSeconds": 0,
    "ParallelizationFactor": 1,
    "DestinationConfig": {"OnFailure": {}},
    "FunctionResponseTypes": [],
    "MaximumRecordAgeInSeconds": -1,
    "BisectBatchOnFunctionError": False,
    "MaximumRetryAttempts": -1,
    "TumblingWindowInSeconds": 0,
}

#: destination service -> (IAM action, what AWS's message calls it)
DESTINATION_ACTIONS = {"sqs": ("sqs:SendMessage", "SQS"), "sns": ("sns:Publish", "SNS"), "s3": ("s3:PutObject", "S3")}

_NOT_FOR_STREAMS = ("ScalingConfig", "Queues", "Topics", "SourceAccessConfigurations", "SelfManagedEventSource")


def settings(kind: str, source_arn: str, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """Validate ``body`` and merge it over ``current`` (or AWS's defaults on create)."""
    for name in _NOT_FOR_STREAMS:
        if name in body:
            raise invalid_parameter(f"Unsupported {name} parameter for given event source mapping type.")
    for field, api_name, low, high in _RANGES:
        if field in body and body[field] is not None:
            check_range(body[field], api_name, low, high)
    age = body.get("MaximumRecordAgeInSeconds")
    if age is not None and age != -1 and age < 60:
        raise invalid_parameter(
            "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 (inclusive)"
        )
    types = body.get("FunctionResponseTypes")
    if types is not None:
        for value in types:
            if value != "ReportBatchItemFailures":
                raise validation(
                    types,
                    "functionResponseTypes",
                    "Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]",
                )
    destination = body.get("DestinationConfig")
    if destination is not None:
        _check_destination(destination)
    if body.get("FilterCriteria") is not None:
        filters.check_criteria(body["FilterCriteria"])

    if current is None:
        out: dict[str, Any] = {}
        out.update(_starting_position(kind, source_arn, body))
        out.update(DEFAULTS)
        out["LastProcessingResult"] = "No records processed"
    else:
        out = dict(current)
    for field in (
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "ParallelizationFactor",
        "MaximumRecordAgeInSeconds",
        "BisectBatchOnFunctionError",
        "MaximumRetryAttempts",
        "TumblingWindowInSeconds",
        "FunctionResponseTypes",
    ):
        if body.get(field) is not None:
            out[field] = body[field]
    if destination is not None:
        out["DestinationConfig"] = {"OnFailure": dict(destination.get("OnFailure") or {})}
    if body.get("FilterCriteria") is not None:
        criteria = filters.stored(body["FilterCriteria"])
        if criteria:
            out["FilterCriteria"] = criteria
        else:
            out.pop("FilterCriteria", None)
    return out


def _starting_position(kind: str, source_arn: str, body: dict[str, Any]) -> dict[str, Any]:
    position = body.get("StartingPosition")
    if not position:
        raise invalid_parameter(
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null."
        )
    if position not in STARTING_POSITIONS:
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{position}' at 'startingPosition' failed to satisfy constraint: "
            "Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]",
        )
    if kind == "dynamodb" and position == "AT_TIMESTAMP":
        raise invalid_parameter(f"Unsupported starting position for arn type: {source_arn}")
    stamp = body.get("StartingPositionTimestamp")
    if position == "AT_TIMESTAMP":
        if stamp is None:
            raise invalid_parameter(
                "StartingPositionTimestamp must be specified when StartingPosition is AT_TIMESTAMP."
            )
        return {"StartingPosition": position, "StartingPositionTimestamp": _epoch(stamp)}
    if stamp is not None:
        raise invalid_parameter("StartingPositionTimestamp is only supported when StartingPosition is AT_TIMESTAMP.")
    return {"StartingPosition": position}


def _epoch(stamp: Any) -> float:
    if isinstance(stamp, datetime):
        return stamp.timestamp()
    return float(stamp)


def _check_destination(destination: dict[str, Any]) -> None:
    if "OnSuccess" in destination and destination["OnSuccess"]:
        raise invalid_parameter("Unsupported DestinationConfig parameter for given event source mapping type.")
    arn = (destination.get("OnFailure") or {}).get("Destination")
    if arn is None:
        return
    if destination_service(arn) is None:
        raise invalid_parameter(
            f"Unsupported OnFailure destination type: {arn}. Use an Amazon SQS queue, an Amazon SNS topic or an Amazon S3 bucket."
        )


def destination_service(arn: str) -> str | None:
    """ "sqs", "sns" or "s3" for an on-failure destination ARN a stream mapping accepts."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        return None
    service = parts[2]
    return service if service in DESTINATION_ACTIONS else None


def on_failure(settings_: dict[str, Any]) -> str | None:
    """The on-failure destination ARN of a mapping, if any."""
    return (settings_.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
