"""The durable functions API: Invoke of a durable function, and the ``/2025-12-01/durable-*`` operations.

moto knows nothing of durable functions; the gateway routes every durable operation of botocore's Lambda
model here, and :class:`~lambdalab.engines.durable_engine.DurableEngine` keeps the executions.

- A durable function is invoked **qualified**: through a version (``name:1``), an alias (``name:live``) or an
  explicit ``$LATEST``, in the name, the ARN or the ``Qualifier`` parameter; an execution is pinned to the version
  it started on. An unqualified ``Invoke`` (any invocation type) or ``InvokeWithResponseStream`` is refused at
  request time, ``InvalidParameterValueException`` (400) "You cannot invoke a durable function using an unqualified
  ARN." (the text users report from AWS). AWS documents the rule, not where a mapping or a push source meets it:
  in the lab their invoke fails the same way, and the batch or the event is handled as any whose invoke Lambda
  refused (an SQS batch comes back and reaches the queue's DLQ, a stream's is retried, a push is retried by
  Lambda's asynchronous queue and ends in the function's DLQ); a function URL answers 502.
  ``ListDurableExecutionsByFunction`` lists one version's executions: its ``Qualifier``'s (a version, or an
  alias's version), ``$LATEST``'s without one (https://docs.aws.amazon.com/lambda/latest/api/API_ListDurableExecutionsByFunction.html).
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
  its input; the mapping waits for it as a synchronous invocation does (:meth:`DurableApi.start_for_mapping`).
  Its result is the batch's answer (``batchItemFailures`` included), its failure a function error. Such an
  execution lasts 15 minutes at most; a mapping to a function whose ``ExecutionTimeout`` is longer is
  refused (:func:`~lambdalab.aws.durable_config.mapping_problem`).
- ``CheckpointDurableExecution`` and ``GetDurableExecutionState`` are what the SDK calls from inside the
  function, with its execution role's permissions (:mod:`.durable_permissions`); the others are for people
  and tools: ``GetDurableExecution``, ``GetDurableExecutionHistory``, ``ListDurableExecutionsByFunction``,
  ``StopDurableExecution``, ``DeleteDurableExecution``, ``SendDurableExecutionCallbackSuccess`` /
  ``Failure`` / ``Heartbeat``. Pause and resume (``PauseDurableExecution``, ``ResumeDurableExecution``) are
  in botocore's model but not in AWS's documentation; the lab refuses them with a message saying so.

Timestamps go on the wire as epoch seconds (REST-JSON); the invocation's own input carries epoch
milliseconds, as the SDK reads them.

https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking.html#durable-invoking-qualified-arns
https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking-esm.html
https://docs.aws.amazon.com/lambda/latest/dg/config-rs-invoke-furls.html
https://docs.aws.amazon.com/lambda/latest/dg/durable-execution-idempotency.html
https://docs.aws.amazon.com/lambda/latest/api/API_CheckpointDurableExecution.html
https://docs.aws.amazon.com/lambda/latest/api/API_GetDurableExecutionHistory.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python.lambda_service import ErrorObject, OperationUpdate
from aws_durable_execution_sdk_python_testing.executor import Executor

from ..engines import durable_dead_letters, durable_runs
from ..errors import AwsError, check_range, invalid_parameter, streamed_durable, unqualified_durable, validation
from ..trace_kinds import DURABLE_DENIED
from . import durable_config, durable_permissions, moto_iam
from .gateway import Gateway, Request, Response
from .pagination import page

if TYPE_CHECKING:
    from ..clock import Clock, Signal
    from ..engines.async_invoke import Delivery
    from ..engines.durable_engine import DurableEngine
    from ..engines.durable_runs import DurableRun
    from ..ports import Ids, Target
    from ..runtime.types import InvokeResult
    from .targets import TargetResolver

SYNC_LIMIT_SECONDS = 900
_NAME = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
_CLOSED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED")


class DurableApi:
    """The durable operations of the Lambda API, answered from the lab's durable engine."""

    def __init__(
        self,
        ids: Ids,
        clock: Clock,
        engine: DurableEngine,
        configs: durable_config.DurableConfigs,
        resolver: TargetResolver,
        function_key: str,
    ) -> None:
        self.ids, self.clock, self.engine, self.configs, self.resolver = ids, clock, engine, configs, resolver
        #: the access key functions sign with: a callback sent with it came from a function
        self.function_key = function_key
        self._history = _HistoryReader(engine)
        #: where a failed asynchronous execution's event goes (connected by :mod:`lambdalab.wiring`)
        self.deliverer: Delivery | None = None
        self._watched: set[str] = set()  # executions whose close is watched for the DLQ

    def register(self, gw: Gateway) -> None:
        for operation, handler in {
            "CheckpointDurableExecution": self.checkpoint,
            "GetDurableExecutionState": self.get_state,
            "GetDurableExecution": self.get_execution,
            "GetDurableExecutionHistory": self.get_history,
            "ListDurableExecutionsByFunction": self.list_by_function,
            "StopDurableExecution": self.stop,
            "DeleteDurableExecution": self.delete,
            "SendDurableExecutionCallbackSuccess": self.callback_success,
            "SendDurableExecutionCallbackFailure": self.callback_failure,
            "SendDurableExecutionCallbackHeartbeat": self.callback_heartbeat,
            "PauseDurableExecution": self.undocumented,
            "ResumeDurableExecution": self.undocumented,
        }.items():
            gw.route("lambda", operation, handler)

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

    # -- what the SDK calls --------------------------------------------------------------------------
    def checkpoint(self, req: Request, gw: Gateway) -> Response:
        arn = req.params["DurableExecutionArn"]
        self._authorize(req, arn, durable_permissions.CHECKPOINT)
        body = req.json()
        token = body.get("CheckpointToken")
        if not token:
            raise invalid_parameter("CheckpointToken is required.")
        updates = [OperationUpdate.from_dict(u) for u in body.get("Updates") or []]
        out = self.engine.checkpoint(arn, token, updates, body.get("ClientToken"))
        state = {"Operations": [_wire(op.to_dict()) for op in out.new_execution_state.operations]}
        answer: dict[str, Any] = {"NewExecutionState": state}
        if out.checkpoint_token:
            answer["CheckpointToken"] = out.checkpoint_token
        return Response.json(200, answer)

    def get_state(self, req: Request, gw: Gateway) -> Response:
        arn = req.params["DurableExecutionArn"]
        self._authorize(req, arn, durable_permissions.GET_STATE)
        token = req.q("CheckpointToken")
        if not token:
            raise invalid_parameter("CheckpointToken is required.")
        operations = self.engine.state(arn, token)
        chunk, nxt = page(req, operations, default=100, maximum=1000)
        out: dict[str, Any] = {"Operations": [_wire(op.to_dict()) for op in chunk]}
        if nxt:
            out["NextMarker"] = nxt
        return Response.json(200, out)

    # -- what people and tools call -----------------------------------------------------------------
    def get_execution(self, req: Request, gw: Gateway) -> Response:
        run = self.engine.get(req.params["DurableExecutionArn"])
        with_data = req.q("IncludeExecutionData", "true") != "false"
        return Response.json(200, _wire(self._describe(run, with_data)))

    def _describe(self, run: DurableRun, with_data: bool) -> dict[str, Any]:
        ex = run.execution
        first = ex.get_operation_execution_started()
        out: dict[str, Any] = {
            "DurableExecutionArn": run.arn,
            "DurableExecutionName": run.name,
            "FunctionArn": f"{run.target.spec.function_arn}:{run.target.executed_version}",
            "Status": run.status,
            "StartTimestamp": first.start_timestamp,
            "Version": run.target.executed_version,
            "DurableConfig": run.settings.document(),
            "ExecutionDataIncluded": with_data,
        }
        if first.end_timestamp is not None and ex.is_complete:
            out["EndTimestamp"] = first.end_timestamp
        else:
            out["ExpectedExecutionTimeoutTimestamp"] = self.engine.expected_timeout(run)
        if with_data:
            out["InputPayload"] = run.payload.decode()
            if ex.result is not None and ex.result.result is not None:
                out["Result"] = ex.result.result
        if ex.result is not None and ex.result.error is not None:
            out["Error"] = ex.result.error.to_dict()
        return out

    def get_history(self, req: Request, gw: Gateway) -> Response:
        arn = req.params["DurableExecutionArn"]
        self.engine.get(arn)
        max_items = int(req.q("MaxItems") or 100)
        check_range(max_items, "maxItems", 1, 1000)
        history = Executor.get_execution_history(
            self._history,  # type: ignore[arg-type]  # the builder reads only the two members it offers
            arn,
            include_execution_data=req.q("IncludeExecutionData") == "true",
            reverse_order=req.q("ReverseOrder") == "true",
            marker=req.q("Marker"),
            max_items=max_items,
        )
        return Response.json(200, _wire(history.to_dict()))

    def list_by_function(self, req: Request, gw: Gateway) -> Response:
        target = self.resolver.resolve(req.params["FunctionName"], req.q("Qualifier"))
        # a version's executions (an alias's version; without a qualifier, $LATEST's), as the API reference says
        runs = [
            r
            for r in self.engine.of_function(target.spec.function_name)
            if r.target.executed_version == target.executed_version
        ]
        name, statuses = req.q("DurableExecutionName"), req.query.get("Statuses") or []
        after, before = _time(req.q("StartedAfter")), _time(req.q("StartedBefore"))
        chosen = []
        for run in sorted(runs, key=lambda r: r.started_at, reverse=req.q("ReverseOrder") == "true"):
            started = run.execution.get_operation_execution_started().start_timestamp
            if (name and run.name != name) or (statuses and run.status not in statuses):
                continue
            if started and ((after and started < after) or (before and started > before)):
                continue
            chosen.append(run)
        chunk, nxt = page(req, chosen, default=50, maximum=1000)
        listed = []
        for run in chunk:
            full = self._describe(run, with_data=False)
            keys = (
                "DurableExecutionArn",
                "DurableExecutionName",
                "FunctionArn",
                "Status",
                "StartTimestamp",
                "EndTimestamp",
            )
            listed.append({k: full[k] for k in keys if k in full})
        out: dict[str, Any] = {"DurableExecutions": listed}
        if nxt:
            out["NextMarker"] = nxt
        return Response.json(200, _wire(out))

    def stop(self, req: Request, gw: Gateway) -> Response:
        body = req.json()  # the request's body is its Error (the operation's payload member)
        error = ErrorObject.from_dict(body) if body else None
        run = self.engine.stop(req.params["DurableExecutionArn"], error)
        stopped = run.execution.get_operation_execution_started().end_timestamp or self.clock.now
        return Response.json(200, _wire({"StopTimestamp": stopped}))

    def delete(self, req: Request, gw: Gateway) -> Response:
        arn = req.params["DurableExecutionArn"]
        run = self.engine.get(arn)
        if run.status not in _CLOSED:
            raise AwsError(
                "ResourceConflictException", f"Durable execution {arn} is still running: stop it first.", 409
            )
        self.engine.runs.pop(arn, None)
        return Response.json(202, _wire({"DeletionRequestTimestamp": self.clock.now}))

    def callback_success(self, req: Request, gw: Gateway) -> Response:
        self.engine.callback(req.params["CallbackId"], "SUCCEEDED", self._sender(req), result=req.body)
        return Response.json(200, {})

    def callback_failure(self, req: Request, gw: Gateway) -> Response:
        error = ErrorObject.from_dict(req.json() or {})  # the request's body is its Error (the payload member)
        self.engine.callback(req.params["CallbackId"], "FAILED", self._sender(req), error=error)
        return Response.json(200, {})

    def callback_heartbeat(self, req: Request, gw: Gateway) -> Response:
        self.engine.callback(req.params["CallbackId"], "HEARTBEAT", self._sender(req))
        return Response.json(200, {})

    def undocumented(self, req: Request, gw: Gateway) -> Response:
        raise invalid_parameter(
            f"{req.operation} is in the SDKs' Lambda model but not in AWS's documentation of durable functions; "
            "the lab does not answer it. StopDurableExecution ends an execution."
        )

    def _authorize(self, req: Request, arn: str, action: str) -> None:
        """A function's own call needs ``action`` in its execution role (:mod:`.durable_permissions`)."""
        if self._sender(req) != "function":
            return
        run = self.engine.get(arn)
        role = run.target.role
        policies = moto_iam.role_policies(role.split(":")[4], role)
        refused = durable_permissions.refusal(policies, action, role, run.target.spec.function_name, arn)
        if refused is not None:
            self.engine.trace.add(
                DURABLE_DENIED, run.target.spec.function_name, (arn,), execution=arn, action=action, role=role
            )
            raise refused

    def _sender(self, req: Request) -> str:
        """``function`` when a function's credentials signed the request, else ``client`` (a cell, the CLI)."""
        return "function" if f"Credential={self.function_key}/" in req.headers.get("authorization", "") else "client"


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


class _HistoryReader:
    """What the testing package's history builder reads of its ``Executor``: an execution by ARN, and now."""

    def __init__(self, engine: DurableEngine) -> None:
        self._engine = engine
        self._clock = self

    def get_execution(self, arn: str) -> Any:
        return self._engine.get(arn).execution

    def now(self) -> datetime:
        return self._engine.clock.now


def _time(value: str | None) -> datetime | None:
    """A StartedAfter / StartedBefore query value (ISO 8601, or epoch seconds) as a datetime."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except ValueError:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _wire(value: Any) -> Any:
    """A document for the wire: datetimes become epoch seconds, as REST-JSON timestamps are."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value
