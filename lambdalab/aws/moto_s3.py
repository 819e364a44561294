"""S3 as the lab reads it: buckets when a notification configuration is put, and
deployment packages that CreateFunction or UpdateFunctionCode name by bucket and key.

The hook in :mod:`lambdalab.aws.moto_hooks_push_sources` hands the push-source engine an
:class:`S3Bucket` value (the bucket and the functions its configuration names) instead
of moto's object, and the engine refuses a configuration with the error S3 gives.
Every name read of moto's storage is listed in :data:`NEEDS` for the start-up self-test.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-to-enable-disable-notification-intro.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .moto_needs import Needs

NEEDS = (
    Needs(
        "moto.s3.models",
        "FakeBucket",
        ("arn", "account_id", "notification_configuration"),
        sample=lambda cls: cls("lambdalab-probe", "123456789012", "us-east-1"),
    ),
    Needs(
        "moto.s3.models",
        "NotificationConfiguration",
        ("cloud_function",),
        sample=lambda cls: cls(cloud_function=[{"CloudFunction": "f", "Event": ["s3:ObjectCreated:*"]}]),
    ),
    Needs("moto.s3.models", "Notification", ("arn",), sample=lambda cls: cls("f", ["s3:ObjectCreated:*"])),
    Needs("moto.s3.exceptions", "InvalidArgumentError"),
    Needs("moto.s3.models", "s3_backends"),
    Needs("moto.s3.models", "S3Backend", ("get_object",)),
    Needs("moto.s3.models", "FakeKey", ("value",)),
    Needs("moto.s3.exceptions", "MissingBucket"),
    Needs("moto.s3.exceptions", "MissingKey"),
    Needs("moto.s3.exceptions", "MissingVersion"),
)


@dataclass(frozen=True)
class S3Bucket:
    """A bucket and the functions its notification configuration sends events to."""

    arn: str
    account_id: str
    function_arns: tuple[str, ...]


def bucket(stored: Any) -> S3Bucket:
    """moto's bucket as a value."""
    config = stored.notification_configuration
    functions = tuple(str(n.arn) for n in config.cloud_function) if config is not None else ()
    return S3Bucket(str(stored.arn), str(stored.account_id), functions)


def invalid_argument(message: str, name: str, value: str) -> Exception:
    """S3's ``InvalidArgument`` error, as moto answers it to the caller."""
    from moto.s3.exceptions import InvalidArgumentError

    return InvalidArgumentError(message, name, value)


def package(account_id: str, bucket: str, key: str, version: str | None = None) -> bytes:
    """A deployment package stored in S3, or the error Lambda gives when it cannot read it.

    https://docs.aws.amazon.com/lambda/latest/api/API_FunctionCode.html
    """
    from moto.s3.exceptions import MissingBucket, MissingKey, MissingVersion
    from moto.s3.models import s3_backends

    from ..errors import invalid_parameter

    no_key = (
        "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist."
    )
    try:
        stored = s3_backends[account_id]["aws"].get_object(bucket, key, version_id=version)
    except MissingBucket as err:
        raise invalid_parameter(
            "Error occurred while GetObject. S3 Error Code: NoSuchBucket. "
            "S3 Error Message: The specified bucket does not exist"
        ) from err
    except (MissingKey, MissingVersion) as err:
        raise invalid_parameter(no_key) from err
    if stored is None:
        raise invalid_parameter(no_key)
    return bytes(stored.value)
