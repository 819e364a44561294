"""What Lambda reports of a function version that moto does not keep, in the lab's own table.

``RevisionId`` changes with every code or configuration change (and guards updates
that name an older one), and with every change of the version's resource-based policy:
AddPermission and RemovePermission give the function a new RevisionId, the one GetPolicy
reports.  A policy change does not touch the code, so the version's execution
environments stay (:meth:`FunctionTable.environment_key` changes only with code and
configuration).  ``DeadLetterConfig`` and ``LoggingConfig`` moto drops.  A published version keeps what
``$LATEST`` had when it was published.  Rows are keyed by the version's ARN.

https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html
https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html (PreconditionFailedException: "the latest
RevisionId for the Lambda function or alias", read with GetPolicy)
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ..runtime.types import LogSettings


@dataclass(frozen=True)
class FunctionRow:
    revision_id: str
    dead_letter_arn: str | None = None
    #: the RevisionId of the last code or configuration change (what execution environments are keyed by)
    configured_revision: str = ""
    #: LoggingConfig as the function was given it (None: never set, Text to /aws/lambda/<name>)
    logging: LogSettings | None = None


class FunctionTable:
    """RevisionId and DeadLetterConfig of every function version of one account and region."""

    def __init__(self, function_arn: Callable[[str], str], new_id: Callable[[], str]) -> None:
        self._arn = function_arn  # name -> unqualified function ARN
        self._new_id = new_id
        self._rows: dict[str, FunctionRow] = {}

    def _key(self, name: str, version: str) -> str:
        return f"{self._arn(name)}:{version}"

    def revision(self, name: str, version: str) -> str | None:
        row = self._rows.get(self._key(name, version))
        return row.revision_id if row is not None else None

    def new_revision(self, name: str, version: str, *, policy_only: bool = False) -> str:
        """A fresh RevisionId for the version: its code or configuration changed (or only its policy)."""
        key = self._key(name, version)
        row = self._rows.get(key) or FunctionRow("")
        revision = self._new_id()
        configured = row.configured_revision or row.revision_id if policy_only else revision
        self._rows[key] = replace(row, revision_id=revision, configured_revision=configured)
        return revision

    def environment_key(self, name: str, version: str) -> str | None:
        """What the version's execution environments are keyed by: changes with code and configuration only."""
        row = self._rows.get(self._key(name, version))
        return (row.configured_revision or row.revision_id) if row is not None else None

    def dead_letter(self, name: str, version: str) -> str | None:
        row = self._rows.get(self._key(name, version))
        return row.dead_letter_arn if row is not None else None

    def set_dead_letter(self, name: str, version: str, arn: str | None) -> None:
        key = self._key(name, version)
        row = self._rows.get(key) or FunctionRow("")
        self._rows[key] = replace(row, dead_letter_arn=arn)

    def logging(self, name: str, version: str) -> LogSettings:
        """The version's LoggingConfig (Text, ``/aws/lambda/<name>`` when never set)."""
        row = self._rows.get(self._key(name, version))
        return (row.logging if row is not None else None) or LogSettings()

    def set_logging(self, name: str, version: str, settings: LogSettings) -> None:
        key = self._key(name, version)
        row = self._rows.get(key) or FunctionRow("")
        self._rows[key] = replace(row, logging=settings)

    def published(self, name: str, version: str) -> None:
        """A version was published: it keeps what ``$LATEST`` has now (once)."""
        key, latest = self._key(name, version), self._rows.get(self._key(name, "$LATEST"))
        if key not in self._rows and latest is not None:
            self._rows[key] = latest

    def forget(self, name: str, version: str | None = None) -> None:
        """The function (every version) or one version was deleted."""
        if version is not None:
            self._rows.pop(self._key(name, version), None)
            return
        prefix = self._arn(name) + ":"
        for key in [k for k in self._rows if k.startswith(prefix)]:
            del self._rows[key]
