"""The common part of the views drawn from ``lab.trace``.

A view keeps the trace records it cares about, and recomputes the state it
syncs to the page lazily: once per clock step or notebook cell, not once per
record (a burst of 10,000 messages would otherwise send 10,000 updates).
Subclasses say which records they want and how the records become state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

if TYPE_CHECKING:
    from ..lab import Lab
    from ..trace import Record


def after_each_cell(callback: Any) -> None:
    """In a notebook, run ``callback`` after every cell."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the notebooks
        return
    shell = get_ipython()
    if shell is not None:
        shell.events.register("post_run_cell", lambda *_: callback())


class TraceView(anywidget.AnyWidget):  # type: ignore[misc]
    """A widget whose synced state is a function of (some of) the trace's records."""

    start = traitlets.Float(0.0).tag(sync=True)

    def __init__(self, lab: Lab, function: str | None = None, *, since: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lab, self._function = lab, function
        self._since = lab.clock.t if since is None else since
        self.start = self._since
        self._mine: list[Record] = []
        self._dirty = False
        self.refresh()
        lab.trace.subscribe(self._on_record)
        lab.clock.on_move(lambda _now: self.flush())
        after_each_cell(self.flush)

    # -- what subclasses define -----------------------------------------------------
    kinds: frozenset[str] = frozenset()

    def _publish(self, records: list[Record]) -> None:
        """Turn the records into the synced state."""
        raise NotImplementedError

    # -- the machinery --------------------------------------------------------------
    def _wanted(self, record: Record) -> bool:
        return record.kind in self.kinds and (not self._function or record.function == self._function)

    def refresh(self) -> None:
        """Rebuild the state from the whole trace."""
        self._mine = [r for r in self._lab.trace if r.t >= self._since and self._wanted(r)]
        self._dirty = True
        self.flush()

    def flush(self) -> None:
        """Send the state to the page if records arrived since the last time."""
        if self._dirty:
            self._dirty = False
            self._publish(self._mine)

    def _on_record(self, record: Record) -> None:
        if self._wanted(record):
            self._mine.append(record)
            self._dirty = True

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        self.flush()
        return super()._repr_mimebundle_(**kwargs)
