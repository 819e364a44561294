"""The engines: what Lambda does between an event arriving and a function running.

One module per AWS concept (asynchronous invocation, SQS pollers, stream
pollers, push sources and schedules).  Each engine is a class taking the lab,
with ``register(gateway)`` to answer the API operations it owns; engines run as
processes on the lab's virtual clock and never sleep or start threads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..lab import Lab


def engine_factories() -> list[Callable[[Lab], Any]]:
    """The engines a lab starts, in order (imported lazily to keep start-up fast)."""
    factories: list[Callable[[Lab], Any]] = []
    from .async_invoke import AsyncInvokeEngine

    factories.append(AsyncInvokeEngine)
    from .sqs_engine import SqsEngine

    factories.append(SqsEngine)
    from .stream_engine import DynamoDBStreamsEngine, KinesisEngine

    factories += [KinesisEngine, DynamoDBStreamsEngine]
    from .push_sources import PushSourcesEngine

    factories.append(PushSourcesEngine)
    return factories
