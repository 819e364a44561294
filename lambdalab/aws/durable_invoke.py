"""Invoke of a durable function: the execution an Invoke, a function URL, a push or a mapping's batch starts.

- A durable function is invoked **qualified**: through a version (``name:1``), an alias (``name:live``) or an
  explicit ``$LATEST``, in the name, the ARN or the ``Qualifier`` parameter; an execution is pinned to the version
  it started on. An unqualified ``Invoke`` (any invocation type) or ``InvokeWithResponseStream`` is refused at
  request time, ``InvalidParameterValueException`` (400) "You cannot invoke a durable function using an unqualified
  ARN." (the text users report from AWS). AWS documents the rule, not where a mapping or a push source meets it:
  in the lab their invoke fails the same way, and the batch or the event is handled as any whose invoke Lambda
  refused (an SQS batch comes back and reaches the queue's DLQ, a stream's is retried, a push is retried by
  Lambda's asynchronous queue and ends in the function's DLQ); a function URL answers 502.
- ``Invoke`` of a function created with a ``DurableConfig`` starts an execution (or finds the running one
  of the same ``DurableExecutionName`` and input: an idempotent start; another input is
  ``DurableExecutionAlreadyStartedException``). ``Event`` answers 202 at once with the execution's ARN in
  ``X-Amz-Durable-Execution-Arn``; an event from Lambda's asynchronous queue (an SNS, S3 or EventBridge
  push) starts an execution the same way. ``RequestResponse`` waits for the execution to close, at most 15 minutes
  (less when the execution timeout is shorter), moving the virtual clock meanwhile, and answers its result
  (or its error, as a function error). AWS documents the 15-minute bound but not the answer when an
  execution outlives it; the lab answers a ``Sandbox.Timedout`` function error and the execution goes on.
- A function URL on a durable function's alias, version or ``$LATEST`` (BUFFERED: "Lambda invokes your function
  using the Invoke API operation", config-rs-invoke-furls) is a synchronous Invoke: the request starts an execution,
  waits for it as ``RequestResponse`` does, and the URL maps its result as any answer (an error: 502).
- A durable function's answer is never streamed. AWS's model gives ``InvokeWithResponseStream`` neither a
  ``DurableExecutionName`` nor a ``DurableExecutionArn``, and documents no durable execution started by it: the lab
  refuses it (and a ``RESPONSE_STREAM`` URL's request, which answers 502) before anything runs, with
  ``InvalidParameterValueException`` (400) and a text of its own (:data:`~lambdalab.errors.STREAMED_DURABLE`).
- Destinations do not apply ("Durable functions support dead-letter queues (DLQ) for error handling, but do not
  support Lambda destinations", durable-invoking): an asynchronously started execution that ends ``FAILED``,
  ``STOPPED`` or ``TIMED_OUT`` sends its event to the function's DLQ (:mod:`lambdalab.engines.durable_dead_letters`).
- An event source mapping's batch (SQS, Kinesis, DynamoDB Streams) starts an execution with the batch as
  its input; the mapping waits for it as a synchronous invocation does (:meth:`DurableInvoke.start_for_mapping`).
  Its result is the batch's answer (``batchItemFailures`` included), its failure a function error. Such an
  execution lasts 15 minutes at most; a mapping to a function whose ``ExecutionTimeout`` is longer is
  refused (:func:`~lambdalab.aws.durable_config.mapping_problem`).

https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking.html#durable-invoking-qualified-arns
https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking-esm.html
https://docs.aws.amazon.com/lambda/latest/dg/config-rs-invoke-furls.html
https://docs.aws.amazon.com/lambda/latest/dg/durable-execution-idempotency.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..engines import durable_dead_letters, durable_runs
from ..errors import streamed_durable, unqualified_durable, validation
from . import durable_config
from .gateway import Request, Response

if TYPE_CHECKING:
    from ..clock import Clock, Signal
    from ..engines.async_invoke import Delivery
    from ..engines.durable_engine import DurableEngine
    from ..engines.durable_runs import DurableRun
    from ..ports import Ids, Target
    from ..runtime.types import InvokeResult

SYNC_LIMIT_SECONDS = 900
_NAME = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


class DurableInvoke:
    """Where the lab's one invoke path (:class:`~lambdalab.aws.lambda_invoke.InvokeService`) meets durable functions."""

    def __init__(self, ids: Ids, clock: Clock, engine: DurableEngine, configs: durable_config.DurableConfigs) -> None:
        self.ids, self.clock, self.engine, self.configs = ids, clock, engine, configs
        #: where a failed asynchronous execution's event goes (connected by :mod:`lambdalab.wiring`)
        self.deliverer: Delivery | None = None
        self._watched: set[str] = set()  # executions whose close is watched for the DLQ

    # -- Invoke ------------------------------------------------------------------------------------
    def check_qualified(self, target: Target) -> None:
        """A durable function is invoked through a version, an alias or an explicit ``$LATEST``, never through its
        bare name or ARN: AWS's ``InvalidParameterValueException`` (400) otherwise, before anything runs."""
        if target.qualifier is None and self.configs.get(target.spec.function_name) is not None:
            raise unqualified_durable()

    def invoke(self, target: Target, payload: bytes, kind: str, req: Request) -> Response | None:
        """Start (or find) the execution a durable function's Invoke asks for; None for other functions."""
        settings = self.configs.get(target.spec.function_name)
        if settings is None:
            return None
        name = req.headers.get("x-amz-durable-execution-name")
        if name is not None and not _NAME.match(name):
            raise validation(
                name, "durableExecutionName", "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+"
            )
        run = self.engine.start(target, settings, payload, name, kind)
        headers = {"X-Amz-Durable-Execution-Arn": run.arn, "X-Amz-Executed-Version": target.executed_version}
        if kind == "Event":
            request_id = self.ids.new_id()
            self._dead_letters(run, request_id)
            return Response(202, b"", {**headers, "x-amzn-RequestId": request_id})
        body, error_type = self._waited(run, settings)
        headers.update({"Content-Type": "application/json", "x-amzn-RequestId": self.ids.new_id()})
        if error_type is not None:
            headers["X-Amz-Function-Error"] = "Unhandled"
        return Response(200, body, headers)

    def run_sync(self, target: Target, payload: bytes, request_id: str, source: str) -> InvokeResult | None:
        """A function URL's request (BUFFERED: Lambda calls Invoke, config-rs-invoke-furls): a synchronous Invoke
        of the durable function, so an execution starts and the request waits for it as Invoke does; its result
        (or its error, as a function error) is the answer. None for other functions."""
        from ..runtime.types import InvokeResult

        settings = self.configs.get(target.spec.function_name)
        if settings is None:
            return None
        body, error_type = self._waited(self.engine.start(target, settings, payload, None, source), settings)
        error = "Unhandled" if error_type is not None else None
        return InvokeResult(request_id, body, target.executed_version, function_error=error, error_type=error_type)

    def _waited(self, run: DurableRun, settings: durable_config.DurableSettings) -> tuple[bytes, str | None]:
        """Wait for the execution to close, 15 minutes at most (less when its timeout is shorter); its answer."""
        limit = min(SYNC_LIMIT_SECONDS, settings.execution_timeout)
        self.engine.wait_closed(run, limit)
        return durable_runs.answer(run, limit)

    def check_streamable(self, target: Target) -> None:
        """A durable function's answer is never streamed (InvokeWithResponseStream, a RESPONSE_STREAM function URL):
        ``InvalidParameterValueException`` (400) before anything runs; the text is the lab's (see the module)."""
        if self.configs.get(target.spec.function_name) is not None:
            raise streamed_durable(target.spec.function_name)

    def _dead_letters(self, run: DurableRun, request_id: str) -> None:
        """An asynchronously started execution that fails sends its event to the function's DLQ (once per run)."""
        if self.deliverer is not None and run.arn not in self._watched:
            self._watched.add(run.arn)
            durable_dead_letters.watch(self.clock, self.engine.trace, self.deliverer, run, request_id)

    def start_for_mapping(
        self, target: Target, payload: bytes, source: str, request_id: str
    ) -> MappingExecution | None:
        """An event source mapping's batch for a durable function: an execution with the batch as its input, which
        the mapping waits for (at most 15 minutes, the execution's limit too). None for other functions."""
        settings = self.configs.get(target.spec.function_name)
        if settings is None:
            return None
        self.check_qualified(target)  # the mapping's invoke fails, and the batch is handled as a failed one
        run = self.engine.start(target, settings, payload, None, source, limit=durable_config.MAPPING_LIMIT_SECONDS)
        return MappingExecution(run, float(run.timeout), request_id)

    def start_queued(self, target: Target, payload: bytes, request_id: str) -> InvokeResult | None:
        """An event of Lambda's asynchronous queue (a push from SNS, S3, EventBridge...) for a durable function:
        the event starts an execution, and the queue's attempt has succeeded. None for other functions."""
        from ..runtime.types import InvokeResult

        settings = self.configs.get(target.spec.function_name)
        if settings is None:
            return None
        self._dead_letters(self.engine.start(target, settings, payload, None, "Event"), request_id)
        return InvokeResult(request_id=request_id, payload=b"", executed_version=target.executed_version)


@dataclass(frozen=True)
class MappingExecution:
    """A durable execution an event source mapping started and waits for (the :class:`~lambdalab.ports.DurableCall`)."""

    run: DurableRun
    limit: float
    request_id: str

    @property
    def closed(self) -> Signal:
        assert self.run.done is not None  # every run the engine starts has one
        return self.run.done

    def result(self) -> InvokeResult:
        """The execution's outcome as the mapping reads an invocation's: its result, or a function error."""
        from ..runtime.types import InvokeResult

        body, error_type = durable_runs.answer(self.run, self.limit)
        return InvokeResult(
            request_id=self.request_id,
            payload=body,
            executed_version=self.run.target.executed_version,
            function_error="Unhandled" if error_type else None,
            error_type=error_type,
        )
