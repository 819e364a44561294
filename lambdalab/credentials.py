"""A lab's credentials: an access key, its secret and, for temporary ones, a session token.

Each lab makes its own at random when it starts, shaped like AWS's: a long-term
``AKIA...`` key for the notebook, the CLI and ``lambdalab server``, and a temporary
``ASIA...`` key with a session token that functions find in their environment (as
Lambda hands a function its execution role's credentials).  The lab's endpoint
refuses every request not signed with one of them (:mod:`lambdalab.aws.auth`).

https://docs.aws.amazon.com/IAM/latest/UserGuide/security-creds.html
https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

_KEY_CHARS = string.ascii_uppercase + "234567"
_SECRET_CHARS = string.ascii_letters + string.digits + "+/"


@dataclass(frozen=True)
class Credentials:
    """An access key, its secret and (for temporary credentials) a session token."""

    access_key: str
    secret_key: str
    token: str | None = None
    #: the account whose caller signs with these (None: the lab's own account)
    account: str | None = None

    @classmethod
    def random(cls, *, temporary: bool = False, account: str | None = None) -> Credentials:
        """New credentials shaped like AWS's: ``AKIA...`` long-term, ``ASIA...`` with a token."""
        key = ("ASIA" if temporary else "AKIA") + "".join(secrets.choice(_KEY_CHARS) for _ in range(16))
        secret = "".join(secrets.choice(_SECRET_CHARS) for _ in range(40))
        token = secrets.token_urlsafe(120) if temporary else None
        return cls(key, secret, token, account)

    def environment(self) -> dict[str, str]:
        """The variables every AWS SDK and the CLI read."""
        env = {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}
        if self.token:
            env["AWS_SESSION_TOKEN"] = self.token
        return env

    def client_options(self) -> dict[str, str | None]:
        """Keyword arguments for ``boto3.client``."""
        return {
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "aws_session_token": self.token,
        }
