"""SQS: the batch an event source mapping sends (``{"Records": [...]}``).

The record builder is the SQS engine's own (:func:`lambdalab.engines.sqs_batching.record`).
https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..engines.batch_event import event
from ._common import ACCOUNT, REGION, WHEN


def record(**fields: Any) -> dict[str, Any]:
    """One SQS record, exactly as Lambda builds it (see ``sqs_batching.record``)."""
    from ..engines.sqs_batching import record as build

    return build(**fields)


def sample() -> dict[str, Any]:
    body = "Hello from SQS!"
    sent = int(WHEN.timestamp() * 1000)
    return event(
        [
            record(
                message_id="059f36b4-87a3-44ab-83d2-661975830a7d",
                receipt_handle="AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
                body=body,
                receive_count=1,
                sent_ms=sent,
                sender_id="AIDAIENQZJOLO23YVJ4VO",
                first_receive_ms=sent + 5,
                attrs={},
                md5=hashlib.md5(body.encode()).hexdigest(),
                source_arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:my-queue",
                region=REGION,
            )
        ]
    )
