"""An asynchronously invoked durable execution that fails ends in the function's dead-letter queue.

AWS: "Durable functions support dead-letter queues (DLQ) for error handling, but do not support Lambda
destinations" (durable-invoking); "configure a dead-letter queue (DLQ) on your durable function to capture events
from permanently failed executions. When a durable execution reaches a terminal state (FAILED, STOPPED, or
TIMED_OUT) after an asynchronous invocation", the event goes to it (durable-best-practices). The asynchronous
queue's retries are not the execution's: its attempt succeeded when the execution started, and the SDK retries
steps inside the execution. So the event that started the execution goes to the DLQ once, when the execution
closes in one of those states; a SUCCEEDED execution sends nothing, and no destination is ever sent to.

The message is the one Lambda's asynchronous queue sends (the event as its body; ``RequestID``, ``ErrorCode``,
``ErrorMessage`` attributes). AWS does not document these attributes' values for a durable execution: the lab sends
the asynchronous request's id, 200 (the execution ran, as for a function error) and the execution's error message
(or its status when it has none, as a stopped one).

https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking.html
https://docs.aws.amazon.com/lambda/latest/dg/durable-best-practices.html
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from ..trace_kinds import DELIVERY, DELIVERY_FAILED
from .destinations import DeliveryFailed, dlq_attributes

if TYPE_CHECKING:
    from ..clock import Clock
    from ..trace import Trace
    from .async_invoke import Delivery
    from .durable_runs import DurableRun

#: the closed states that send the event to the dead-letter queue
FAILED_STATES = ("FAILED", "STOPPED", "TIMED_OUT")


def watch(clock: Clock, trace: Trace, deliverer: Delivery, run: DurableRun, request_id: str) -> None:
    """Wait on the clock for the execution to close; a failed one sends its event to the function's DLQ."""
    clock.process_now(_when_closed(trace, deliverer, run, request_id))


def _when_closed(trace: Trace, deliverer: Delivery, run: DurableRun, request_id: str) -> Generator[Any, Any, None]:
    status = yield run.done
    dlq = run.target.dead_letter_arn
    if status not in FAILED_STATES or not dlq:
        return
    result = run.execution.result
    message = result.error.message if result is not None and result.error and result.error.message else status
    name = run.target.spec.function_name
    try:
        deliverer.send_dead_letter(dlq, run.payload, dlq_attributes(request_id, 200, message), role_arn=run.target.role)
    except DeliveryFailed as err:
        trace.add(DELIVERY_FAILED, name, (request_id,), via="DLQ", target=dlq, condition=status, reason=str(err))
        return
    trace.add(DELIVERY, name, (request_id,), via="DLQ", target=dlq, condition=status)
