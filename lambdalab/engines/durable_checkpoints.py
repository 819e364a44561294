"""Checkpoints of durable executions: the SDK's CheckpointDurableExecution and GetDurableExecutionState.

A checkpoint carries the invocation's token; only the token of the invocation running now is accepted
("Invalid checkpoint token" otherwise), and a retry with the same client token answers what the first call did.
The updates are applied, and validated, by AWS's testing package (``CheckpointCore``); their effects start a
callback's timers, close the execution, or start a chained invoke.

https://docs.aws.amazon.com/lambda/latest/api/API_CheckpointDurableExecution.html
https://docs.aws.amazon.com/lambda/latest/api/API_GetDurableExecutionState.html
"""

from __future__ import annotations

from typing import Any

from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    OperationUpdate,
)
from aws_durable_execution_sdk_python_testing.checkpoint.core import CheckpointCore
from aws_durable_execution_sdk_python_testing.checkpoint.effects import (
    CallbackCreated,
    ChainedInvokeStarted,
    Completed,
    Failed,
)
from aws_durable_execution_sdk_python_testing.exceptions import AwsApiException
from aws_durable_execution_sdk_python_testing.execution import Execution
from aws_durable_execution_sdk_python_testing.token import CheckpointToken

from ..errors import AwsError, invalid_parameter
from ..trace_kinds import DURABLE_OPERATION
from .durable_parts import DurableParts


class DurableCheckpoints(DurableParts):
    """The checkpoint half of :class:`~lambdalab.engines.durable_engine.DurableEngine`: the SDK's control plane."""

    def checkpoint(
        self, arn: str, token: str, updates: list[OperationUpdate], client_token: str | None
    ) -> CheckpointOutput:
        run = self.get(arn)
        ex = run.execution
        with self._lock:
            cached = CheckpointCore.match_cached(ex, token, client_token)
            if cached is not None:
                state = CheckpointUpdatedExecutionState(list(cached.operations), cached.next_marker)
                return CheckpointOutput(cached.outbound_checkpoint_token, state)
            if not _current(ex, token):
                raise invalid_parameter("Invalid checkpoint token")
            try:
                result = CheckpointCore.apply(ex, token, updates, client_token, self._dispatcher, self._stamp(run))
            except AwsApiException as err:
                raise _aws(err) from err
            number = run.running
        for update in updates:
            self.trace.add(
                DURABLE_OPERATION,
                run.target.spec.function_name,
                (arn,),
                execution=arn,
                invocation=number,
                operation=update.operation_id,
                type=update.operation_type.value,
                action=update.action.value,
                name=update.name,
                parent=update.parent_id,
            )
        for effect in result.effects:
            if isinstance(effect, CallbackCreated):
                self._arm_callback(run, effect.callback_token.to_str(), effect.callback_options)
            elif isinstance(effect, Completed):
                with self._lock:
                    ex.complete_success(effect.result, now=self._stamp(run))
            elif isinstance(effect, Failed):
                with self._lock:
                    ex.complete_fail(effect.error, now=self._stamp(run))
            elif isinstance(effect, ChainedInvokeStarted):
                self._invoke_started(run, effect)
        return CheckpointOutput(result.checkpoint_token or "", CheckpointUpdatedExecutionState(result.operations, None))

    def state(self, arn: str, token: str) -> list[Any]:
        """GetDurableExecutionState: every operation, for the invocation that holds ``token``."""
        run = self.get(arn)
        with self._lock:
            if not _current(run.execution, token):
                raise invalid_parameter("Invalid checkpoint token")
            return run.execution.get_navigable_operations()


def _current(ex: Execution, token: str) -> bool:
    """Is ``token`` the checkpoint token of the invocation running now?"""
    try:
        parsed = CheckpointToken.from_str(token)
    except (ValueError, KeyError, TypeError):
        return False
    return (
        not ex.is_complete
        and parsed.execution_arn == ex.durable_execution_arn
        and parsed.token_sequence == ex.token_sequence
        and parsed.invocation_id == ex.current_invocation_id
    )


def _aws(err: AwsApiException) -> AwsError:
    body = err.to_dict()
    return AwsError(str(body.get("Type") or type(err).__name__), str(body.get("message") or err), err.http_status_code)
