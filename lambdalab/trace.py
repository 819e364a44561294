"""The trace: an append-only record of everything the lab did.

Every invoke, attempt, retry wait, batch and delivery is one :class:`Record`
``(t, kind, function, ids, detail)``, with ``t`` in virtual seconds.  Widgets
and exercise checks read the trace and AWS state, nothing else, so what a
learner sees is exactly what happened.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Record:
    t: float
    kind: str  # e.g. "invoke", "attempt", "retry-wait", "delivery", "batch"
    function: str | None = None
    ids: tuple[str, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)

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

    def add(
        self, kind: str, function: str | None = None, ids: tuple[str, ...] | list[str] = (), **detail: Any
    ) -> Record:
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
