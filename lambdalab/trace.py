"""The trace: an append-only record of everything the lab did.

Every invoke, attempt, retry wait, batch and delivery is one :class:`Record`
``(t, kind, function, ids, detail)``, with ``t`` in virtual seconds.  Widgets
and exercise checks read the trace and AWS state, nothing else, so what a
learner sees is exactly what happened.

The kinds and the fields of each kind's detail are :mod:`lambdalab.trace_kinds`:
:meth:`Trace.add` is typed per kind (mypy checks every writer), and a reader
gets a typed view of a record's detail with :meth:`Record.view`.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, Unpack, cast, overload

from . import trace_kinds as k

#: the ids of a record: request ids, message ids, a mapping's UUID, ...
Ids = tuple[str, ...] | list[str]
Fn = str | None  # the function a record is about
D = TypeVar("D", bound=Mapping[str, Any])


@dataclass(frozen=True)
class Record:
    t: float
    kind: str  # one of lambdalab.trace_kinds
    function: str | None = None
    ids: tuple[str, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)

    def view(self, detail: type[D]) -> D:
        """The detail, typed as its kind's view (e.g. ``record.view(trace_kinds.AsyncAttempt)``)."""
        if k.DETAILS.get(self.kind) is not detail:
            raise TypeError(f"a {self.kind!r} record has no {detail.__name__} detail")
        return cast(D, self.detail)

    def as_dict(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "kind": self.kind,
            "function": self.function,
            "ids": list(self.ids),
            "detail": dict(self.detail),
        }


class Trace:
    """Records in the order they happened; safe to append from server threads."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._records: list[Record] = []
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Record], None]] = []

    @overload
    def add(
        self, kind: Literal["function-created"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.FunctionCreated]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["function-updated"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.FunctionUpdated]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["function-deleted"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.FunctionDeleted]
    ) -> Record: ...
    @overload
    def add(self, kind: Literal["warning"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.LabWarning]) -> Record: ...
    @overload
    def add(
        self, kind: Literal["event-invoke-config"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.EventInvokeConfig]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["permission-added"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.PermissionAdded]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["permission-removed"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.PermissionRemoved]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["mapping-created"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.MappingCreated]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["mapping-updated"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.MappingUpdated]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["mapping-deleted"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.MappingDeleted]
    ) -> Record: ...
    @overload
    def add(
        self,
        kind: Literal["moto-trigger-suppressed"],
        fn: Fn = ...,
        ids: Ids = ...,
        /,
        **d: Unpack[k.MotoTriggerSuppressed],
    ) -> Record: ...
    @overload
    def add(self, kind: Literal["invoke"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.Invoke]) -> Record: ...
    @overload
    def add(
        self, kind: Literal["invoke-refused"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.InvokeRefused]
    ) -> Record: ...
    @overload
    def add(
        self,
        kind: Literal["provisioned-concurrency"],
        fn: Fn = ...,
        ids: Ids = ...,
        /,
        **d: Unpack[k.ProvisionedConcurrency],
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["recursion-stopped"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.RecursionStopped]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["function-concurrency"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.FunctionConcurrency]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["invoke-denied"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.InvokeDenied]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["logs-dropped"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.LogsDropped]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["async-queued"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.AsyncQueued]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["async-attempt"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.AsyncAttempt]
    ) -> Record: ...
    @overload
    def add(self, kind: Literal["retry-wait"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.RetryWait]) -> Record: ...
    @overload
    def add(self, kind: Literal["async-done"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.AsyncDone]) -> Record: ...
    @overload
    def add(
        self, kind: Literal["async-dropped"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.AsyncDropped]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["async-discarded"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.AsyncDiscarded]
    ) -> Record: ...
    @overload
    def add(self, kind: Literal["delivery"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.Delivery]) -> Record: ...
    @overload
    def add(
        self, kind: Literal["delivery-failed"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.DeliveryFailed]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["sqs-receive"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.SqsReceive]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["sqs-filtered"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.SqsFiltered]
    ) -> Record: ...
    @overload
    def add(self, kind: Literal["sqs-batch"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.SqsBatch]) -> Record: ...
    @overload
    def add(
        self, kind: Literal["sqs-batch-result"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.SqsBatchResult]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["sqs-concurrency"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.SqsConcurrency]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["sqs-deleted"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.SqsDeleted]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["sqs-already-deleted"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.SqsAlreadyDeleted]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["sqs-returned"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.SqsReturned]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["sqs-redrive"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.SqsRedrive]
    ) -> Record: ...
    @overload
    def add(self, kind: Literal["sqs-scale"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.SqsScale]) -> Record: ...
    @overload
    def add(
        self, kind: Literal["stream-batch"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.StreamBatch]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["stream-retry-wait"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.StreamRetryWait]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["stream-bisect"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.StreamBisect]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["stream-checkpoint"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.StreamCheckpoint]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["stream-filtered"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.StreamFiltered]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["stream-discard"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.StreamDiscard]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["stream-delivery"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.StreamDelivery]
    ) -> Record: ...
    @overload
    def add(
        self,
        kind: Literal["stream-delivery-failed"],
        fn: Fn = ...,
        ids: Ids = ...,
        /,
        **d: Unpack[k.StreamDeliveryFailed],
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["stream-window-final"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.StreamWindowFinal]
    ) -> Record: ...
    @overload
    def add(self, kind: Literal["push"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.Push]) -> Record: ...
    @overload
    def add(
        self, kind: Literal["push-failed"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.PushFailed]
    ) -> Record: ...
    @overload
    def add(
        self,
        kind: Literal["s3-notification-refused"],
        fn: Fn = ...,
        ids: Ids = ...,
        /,
        **d: Unpack[k.S3NotificationRefused],
    ) -> Record: ...
    @overload
    def add(self, kind: Literal["schedule"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.Schedule]) -> Record: ...
    @overload
    def add(
        self, kind: Literal["schedule-refused"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.ScheduleRefused]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["durable-started"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.DurableStarted]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["durable-invocation"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.DurableInvocation]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["durable-operation"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.DurableOperation]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["durable-replay"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.DurableReplay]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["durable-suspended"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.DurableSuspended]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["durable-resumed"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.DurableResumed]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["durable-callback"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.DurableCallback]
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["durable-denied"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.DurableDenied]
    ) -> Record: ...
    @overload
    def add(
        self,
        kind: Literal["durable-chained-invoke"],
        fn: Fn = ...,
        ids: Ids = ...,
        /,
        **d: Unpack[k.DurableChainedInvoke],
    ) -> Record: ...
    @overload
    def add(
        self, kind: Literal["durable-closed"], fn: Fn = ..., ids: Ids = ..., /, **d: Unpack[k.DurableClosed]
    ) -> Record: ...
    def add(self, kind: str, function: str | None = None, ids: Ids = (), /, **detail: Any) -> Record:
        """Record that something of ``kind`` happened now (its detail fields: :mod:`lambdalab.trace_kinds`)."""
        record = Record(self._now(), kind, function, tuple(ids), detail)
        with self._lock:
            self._records.append(record)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(record)
        return record

    def subscribe(self, listener: Callable[[Record], None]) -> None:
        """Call ``listener(record)`` for each new record (widgets redraw on this)."""
        with self._lock:
            self._listeners.append(listener)

    def __iter__(self) -> Iterator[Record]:
        with self._lock:
            return iter(list(self._records))

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, index: int) -> Record:
        return self._records[index]

    def where(self, kind: str | None = None, function: str | None = None, **detail: Any) -> list[Record]:
        """Records matching a kind, a function and detail values."""
        return [
            r
            for r in self
            if (kind is None or r.kind == kind)
            and (function is None or r.function == function)
            and all(r.detail.get(k) == v for k, v in detail.items())
        ]

    def kinds(self) -> list[str]:
        return [r.kind for r in self]

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{r.t:.3f}</td><td>{html.escape(r.kind)}</td><td>{html.escape(r.function or '')}</td>"
            f"<td>{html.escape(', '.join(r.ids))}</td>"
            f"<td>{html.escape(', '.join(f'{k}={v}' for k, v in r.detail.items()))}</td></tr>"
            for r in list(self)[-200:]
        )
        return (
            "<table><thead><tr><th>t (s)</th><th>kind</th><th>function</th><th>ids</th><th>detail</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )

    def __repr__(self) -> str:
        return f"<Trace {len(self)} records>"
