"""The settings of an SQS event source mapping: AWS's validation, defaults and response shape.

=====================================  =========  ===================================================
setting                                default    rule
=====================================  =========  ===================================================
BatchSize                              10         1-10,000 (standard), 1-10 (FIFO)
MaximumBatchingWindowInSeconds         0          0-300; at least 1 when BatchSize > 10; none on FIFO
FunctionResponseTypes                  []         only ``ReportBatchItemFailures``
FilterCriteria                         (none)     up to 5 event patterns (:mod:`.filters`)
ScalingConfig.MaximumConcurrency       (none)     2-1000
=====================================  =========  ===================================================

Stream-only settings (StartingPosition, ParallelizationFactor, retries, record age,
bisect, destinations, tumbling windows) are refused for a queue.

The function's timeout must not exceed the queue's visibility timeout. "Lambda
validates this requirement when you create or update an event source mapping"
(services-sqs-configure): CreateEventSourceMapping and UpdateEventSourceMapping
check it (:func:`check_visibility_timeout`); UpdateFunctionConfiguration and
SQS SetQueueAttributes do not, so a mapping can end up breaking the rule later.

https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
"""

from __future__ import annotations

from typing import Any

from ..errors import AwsError, check_range, invalid_parameter, validation
from . import filters

DEFAULT_BATCH_SIZE = 10
MAX_BATCH_SIZE = 10_000
MAX_FIFO_BATCH_SIZE = 10
MAX_WINDOW = 300
RESPONSE_TYPES = ("ReportBatchItemFailures",)

#: settings only streams (Kinesis, DynamoDB) understand
STREAM_ONLY = (
    "StartingPosition",
    "StartingPositionTimestamp",
    "ParallelizationFactor",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "DestinationConfig",
    "TumblingWindowInSeconds",
)


def settings(body: dict[str, Any], current: dict[str, Any] | None, *, fifo: bool) -> dict[str, Any]:
    """Validate a create (``current`` None) or update request; the mapping's settings in API shape."""
    for name in STREAM_ONLY:
        if body.get(name) not in (None, [], {}):
            raise invalid_parameter(f"{name} is not valid for SQS event sources.")
    out: dict[str, Any] = (
        dict(current)
        if current
        else {
            "BatchSize": DEFAULT_BATCH_SIZE,
            "MaximumBatchingWindowInSeconds": 0,
            "FunctionResponseTypes": [],
        }
    )
    if "BatchSize" in body:
        out["BatchSize"] = _int(body["BatchSize"], "batchSize", 1, MAX_BATCH_SIZE)
    if "MaximumBatchingWindowInSeconds" in body:
        out["MaximumBatchingWindowInSeconds"] = _int(
            body["MaximumBatchingWindowInSeconds"], "maximumBatchingWindowInSeconds", 0, MAX_WINDOW
        )
    if fifo and out["MaximumBatchingWindowInSeconds"] > 0:
        raise invalid_parameter("Batching window is not supported for FIFO queues")
    if fifo and out["BatchSize"] > MAX_FIFO_BATCH_SIZE:
        raise invalid_parameter(f"Batch size must not exceed {MAX_FIFO_BATCH_SIZE} for FIFO queues")
    if out["BatchSize"] > 10 and out["MaximumBatchingWindowInSeconds"] < 1:
        raise invalid_parameter(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
        )
    if "FunctionResponseTypes" in body:
        types = list(body["FunctionResponseTypes"] or [])
        for value in types:
            if value not in RESPONSE_TYPES:
                raise validation(
                    types, "functionResponseTypes", f"Member must satisfy enum value set: [{', '.join(RESPONSE_TYPES)}]"
                )
        out["FunctionResponseTypes"] = sorted(set(types))
    if "FilterCriteria" in body:
        filters.check_criteria(body["FilterCriteria"])
        criteria = filters.stored(body["FilterCriteria"] or {})
        if criteria:
            out["FilterCriteria"] = criteria
        else:
            out.pop("FilterCriteria", None)
    if "ScalingConfig" in body:
        scaling = body["ScalingConfig"] or {}
        if "MaximumConcurrency" in scaling and scaling["MaximumConcurrency"] is not None:
            value = _int(scaling["MaximumConcurrency"], "scalingConfig.maximumConcurrency", 2, 1000)
            out["ScalingConfig"] = {"MaximumConcurrency": value}
        else:
            out.pop("ScalingConfig", None)  # an empty value removes the configuration
    return out


def check_visibility_timeout(visibility_timeout: int, function_timeout: int) -> None:
    """Lambda refuses a mapping whose queue would hide a message for less time than the function may run."""
    if visibility_timeout < function_timeout:
        raise invalid_parameter(
            f"Queue visibility timeout: {visibility_timeout} seconds is less than Function timeout: {function_timeout} seconds"
        )


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AwsError("SerializationException", f"Cannot deserialize value for {field}", 400)
    check_range(value, field, low, high)
    return value


def reports_item_failures(mapping_settings: dict[str, Any]) -> bool:
    return "ReportBatchItemFailures" in mapping_settings.get("FunctionResponseTypes", [])


def max_concurrency(mapping_settings: dict[str, Any]) -> int | None:
    scaling = mapping_settings.get("ScalingConfig") or {}
    value = scaling.get("MaximumConcurrency")
    return int(value) if value is not None else None
