"""The durable functions API: the ``/2025-12-01/durable-*`` operations (Invoke of a durable function is
:mod:`.durable_invoke`'s).

moto knows nothing of durable functions; the gateway routes every durable operation of botocore's Lambda
model here, and :class:`~lambdalab.engines.durable_engine.DurableEngine` keeps the executions.

- ``CheckpointDurableExecution`` and ``GetDurableExecutionState`` are what the SDK calls from inside the
  function, with its execution role's permissions (:mod:`.durable_permissions`); the others are for people
  and tools: ``GetDurableExecution``, ``GetDurableExecutionHistory``, ``ListDurableExecutionsByFunction``,
  ``StopDurableExecution``, ``DeleteDurableExecution``, ``SendDurableExecutionCallbackSuccess`` /
  ``Failure`` / ``Heartbeat``. Pause and resume (``PauseDurableExecution``, ``ResumeDurableExecution``) are
  in botocore's model but not in AWS's documentation; the lab refuses them with a message saying so.
- ``ListDurableExecutionsByFunction`` lists one version's executions: its ``Qualifier``'s (a version, or an
  alias's version), ``$LATEST``'s without one (https://docs.aws.amazon.com/lambda/latest/api/API_ListDurableExecutionsByFunction.html).

Timestamps go on the wire as epoch seconds (REST-JSON); the invocation's own input carries epoch
milliseconds, as the SDK reads them.

https://docs.aws.amazon.com/lambda/latest/api/API_CheckpointDurableExecution.html
https://docs.aws.amazon.com/lambda/latest/api/API_GetDurableExecutionHistory.html
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python.lambda_service import ErrorObject, OperationUpdate
from aws_durable_execution_sdk_python_testing.executor import Executor

from ..errors import AwsError, check_range, invalid_parameter
from ..trace_kinds import DURABLE_DENIED
from . import durable_config, durable_permissions, moto_iam
from .gateway import Gateway, Request, Response
from .pagination import page

if TYPE_CHECKING:
    from ..clock import Clock
    from ..engines.durable_engine import DurableEngine
    from ..engines.durable_runs import DurableRun
    from ..ports import Ids
    from .targets import TargetResolver

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
