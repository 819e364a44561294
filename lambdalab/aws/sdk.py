"""One botocore session per process, so AWS's API models are parsed once.

The gateway reads operation URIs from it, validation reads enums from it, and
the lab's boto3 clients are built on it.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def botocore_session() -> Any:
    import botocore.session

    session = botocore.session.get_session()
    # the lab's clients get explicit credentials; never read the host's profiles
    session.set_config_variable("profile", None)
    return session


@cache
def boto3_session() -> Any:
    """The one boto3 session on top of it: each boto3 Session registers its S3 handlers
    on the botocore session again, and a second set breaks every later S3 client."""
    import boto3

    return boto3.session.Session(botocore_session=botocore_session())


def service_model(service: str) -> Any:
    return botocore_session().get_service_model(service)
