"""S3 buckets as the lab sees them when a notification configuration is put.

The hook in :mod:`lambdalab.aws.moto_hooks` hands the push-source engine an
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
