"""Event sources AWS accepts that the lab has nothing to poll: Amazon MSK (Kafka) and Amazon MQ.

A stand-in registers with the mapping service like a real source engine, so a
mapping for one of them gets a plain answer (the lab has no broker) instead of
AWS's "Unsupported event source type".  A real engine for one of them replaces
its stand-in's registration in :mod:`lambdalab.wiring`.

https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html
https://docs.aws.amazon.com/lambda/latest/dg/with-mq.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..aws.event_source_mappings import Mapping


class UnavailableSource:
    """A source family the lab recognises but cannot run."""

    read_actions: tuple[str, ...] = ()
    user_reason = "USER_INITIATED"

    def __init__(self, service: str, title: str) -> None:
        self.source_kind = service
        self.unavailable: str | None = (
            f"The lab has no {title} broker to poll. "
            "Mappings for SQS, Kinesis and DynamoDB Streams run here; the notebooks describe the others."
        )

    def accepts(self, source_arn: str) -> bool:
        return source_arn.split(":")[2] == self.source_kind

    def duplicate_message(self, source_arn: str, function_name: str, uuid: str) -> str:
        raise AssertionError("an unavailable source has no mappings")

    def role_message(self, source_arn: str, action: str) -> str:
        raise AssertionError("an unavailable source has no mappings")

    def settings(self, source_arn: str, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        raise AssertionError("an unavailable source has no mappings")

    def check_destination(self, role_arn: str, settings: dict[str, Any]) -> None:
        """Nothing to check: no mapping is ever created."""

    def check_function(self, source_arn: str, function_timeout: int) -> None:
        """Nothing to check: no mapping is ever created."""

    def start(self, mapping: Mapping) -> None:
        """Never called: no mapping is ever created."""

    def stop(self, mapping: Mapping) -> None:
        """Never called: no mapping is ever created."""


def kafka() -> UnavailableSource:
    return UnavailableSource("kafka", "Kafka (Amazon MSK)")


def amazon_mq() -> UnavailableSource:
    return UnavailableSource("mq", "Amazon MQ")
