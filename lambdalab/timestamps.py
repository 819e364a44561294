"""The two ways AWS writes a moment to the millisecond, from a UTC ``datetime`` (the lab clock's ``now``).

- :func:`lambda_timestamp`, ``2025-01-06T09:00:00.000+0000``: the Lambda API's own fields, ``LastModified``
  of a provisioned concurrency config, ``CreatedDate`` of a layer version ("ISO-8601 format
  (YYYY-MM-DDThh:mm:ss.sTZD)", https://docs.aws.amazon.com/lambda/latest/api/API_GetLayerVersion.html).
- :func:`iso_millis`, ``2025-01-06T09:00:00.000Z``: a function URL's ``CreationTime`` and
  ``LastModifiedTime`` (https://docs.aws.amazon.com/lambda/latest/api/API_FunctionUrlConfig.html), and the
  records SNS, S3 and Lambda's async destinations write.
"""

from __future__ import annotations

from datetime import datetime


def _millis(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}"


def lambda_timestamp(when: datetime) -> str:
    """``2025-01-06T09:00:00.000+0000``."""
    return _millis(when) + "+0000"


def iso_millis(when: datetime) -> str:
    """``2025-01-06T09:00:00.000Z``."""
    return _millis(when) + "Z"
