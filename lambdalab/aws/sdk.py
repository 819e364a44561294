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


def service_model(service: str) -> Any:
    return botocore_session().get_service_model(service)
