"""What the halves of :class:`~lambdalab.engines.durable_engine.DurableEngine` share: the engine's state, and the
methods one half calls on another (declared for the type checker only: a stub here would shadow the half that
defines it)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python.lambda_service import DurableExecutionInvocationOutput, ErrorObject
    from aws_durable_execution_sdk_python_testing.checkpoint.effects import ChainedInvokeStarted
    from aws_durable_execution_sdk_python_testing.checkpoint.transformer import CheckpointRequestDispatcher

    from ..clock import Clock, Timer
    from ..ports import Ids, Invoker
    from ..trace import Trace
    from .durable_runs import DurableRun


class DurableParts:
    """The state every half of the engine reads (set by ``DurableEngine.__init__``)."""

    ids: Ids
    clock: Clock
    trace: Trace
    invoker: Invoker
    #: every execution the lab keeps, by ARN
    runs: dict[str, DurableRun]
    #: executions to invoke at this instant, and the clock entry that will
    _due: list[DurableRun]
    _play_entry: Timer | None
    _dispatcher: CheckpointRequestDispatcher
    _lock: threading.RLock

    if TYPE_CHECKING:

        def get(self, arn: str) -> DurableRun:
            raise NotImplementedError

        def _stamp(self, run: DurableRun) -> datetime:
            raise NotImplementedError

        def _invoke(self, run: DurableRun) -> None:
            raise NotImplementedError

        def _settle(self, run: DurableRun, number: int, answer: DurableExecutionInvocationOutput | ErrorObject) -> None:
            raise NotImplementedError

        def _closed(self, run: DurableRun) -> None:
            raise NotImplementedError

        def _child_closed(self, child: DurableRun) -> None:
            raise NotImplementedError

        def _arm_callback(self, run: DurableRun, callback_id: str, options: Any) -> None:
            raise NotImplementedError

        def _invoke_started(self, run: DurableRun, effect: ChainedInvokeStarted) -> None:
            raise NotImplementedError
