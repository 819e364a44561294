"""A batch's messages after the invocation, as Lambda's SQS poller leaves them: deleted from the queue,
back when their visibility timeout ends, or moved to the queue's dead-letter queue by its redrive policy
(``maxReceiveCount``).  Which messages go which way is decided in :mod:`.sqs_errors`.

https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..trace_kinds import SQS_ALREADY_DELETED, SQS_BATCH_RESULT, SQS_DELETED, SQS_REDRIVE, SQS_RETURNED

if TYPE_CHECKING:
    from ..aws.moto_sqs import SqsMessage
    from ..clock import Clock
    from ..trace import Trace
    from . import sqs_batching, sqs_errors
    from .sqs_poller import Poller


class Settler:
    """Settles the batches of one mapping (``uuid``, invoking ``function``) on the queue its poller reads."""

    def __init__(self, clock: Clock, trace: Trace, poller: Poller, function: str, uuid: str) -> None:
        self.clock, self.trace, self.poller, self.function, self.uuid = clock, trace, poller, function, uuid

    def settle(
        self, batch: sqs_batching.OpenBatch, batch_id: str, verdict: sqs_errors.Verdict, started: float, request_id: str
    ) -> None:
        trace = self.trace
        ids = [r["messageId"] for r in batch.records]
        trace.add(
            SQS_BATCH_RESULT,
            self.function,
            ids,
            mapping=self.uuid,
            batch=batch_id,
            outcome=verdict.outcome.value,
            failed=list(verdict.retry),
            reason=verdict.reason or None,
            started=started,
            request_id=request_id,
        )
        by_id = {m.id: (m, handle) for m, handle in batch.handles}
        if verdict.delete:
            done, gone = self.poller.delete([by_id[i] for i in verdict.delete])
            if done:
                trace.add(SQS_DELETED, self.function, [m.id for m in done], mapping=self.uuid, batch=batch_id)
            if gone:
                trace.add(SQS_ALREADY_DELETED, self.function, [m.id for m in gone], mapping=self.uuid, batch=batch_id)
        if verdict.retry:
            self.returned([by_id[i][0] for i in verdict.retry], batch_id)

    def returned(self, messages: list[SqsMessage], batch_id: str | None) -> None:
        if not messages:
            return
        start = self.clock.start.timestamp()
        at = self.poller.visible_at(messages) / 1000.0 - start
        self.trace.add(
            SQS_RETURNED,
            self.function,
            [m.id for m in messages],
            mapping=self.uuid,
            batch=batch_id,
            visible_at=round(max(at, self.clock.t), 3),
        )

    def redriven(self, message: SqsMessage) -> None:
        dlq = self.poller.dead_letter_arn
        self.trace.add(
            SQS_REDRIVE,
            self.function,
            (message.id,),
            mapping=self.uuid,
            queue=self.poller.arn,
            dlq=dlq,
            receive_count=message.approximate_receive_count,
        )
