"""The common part of the views drawn from ``lab.trace``.

A view keeps the trace records it cares about, and recomputes the state it
syncs to the page lazily: once per clock step or notebook cell, not once per
record (a burst of 10,000 messages would otherwise send 10,000 updates).
Subclasses say which records they want and how the records become a scene
(:mod:`lambdalab.widgets.scene`).

The output carries the picture twice: the live view (anywidget, drawn by
``scene.js``) and a static ``image/svg+xml`` drawn in Python from the same scene,
which GitHub, nbviewer and ``nbconvert`` show without a kernel.  After each cell
the output is updated, so the static picture shows what the live one shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import anywidget
import traitlets

from .scene import CSS, ESM, STATIC_WIDTH, scene_svg

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
    """A widget whose synced scene is a function of (some of) the trace's records."""

    _esm = ESM
    _css = CSS
    start = traitlets.Float(0.0).tag(sync=True)
    scene = traitlets.Dict().tag(sync=True)

    def __init__(self, lab: Lab, function: str | None = None, *, since: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lab, self._function = lab, function
        self._since = lab.clock.t if since is None else since
        self.start = self._since
        self._mine: list[Record] = []
        self._dirty = False
        self._displays: list[Any] = []
        self._shown = ""
        self.refresh()
        lab.trace.subscribe(self._on_record)
        lab.clock.on_move(lambda _now: self._on_move())
        after_each_cell(self._after_cell)

    # -- what subclasses define -----------------------------------------------------
    kinds: frozenset[str] = frozenset()

    def _publish(self, records: list[Record]) -> None:
        """Turn the records into the synced scene (and any state the view keeps in Python)."""
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
        if record.t >= self._since and self._wanted(record):
            self._mine.append(record)
            self._dirty = True

    def _on_move(self) -> None:
        self.flush()

    # -- the output -----------------------------------------------------------------
    def svg(self, width: int = STATIC_WIDTH) -> str:
        """The static picture: the scene drawn in Python."""
        self.flush()
        return scene_svg(self.scene, width)

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        self.flush()
        data, metadata = cast(tuple[dict[str, Any], dict[str, Any]], super()._repr_mimebundle_(**kwargs))
        data["image/svg+xml"] = scene_svg(self.scene)
        data["text/plain"] = self.scene.get("title", type(self).__name__)
        return data, metadata

    def _ipython_display_(self) -> None:
        from IPython.display import display

        data, metadata = self._repr_mimebundle_()
        self._shown = data["image/svg+xml"]
        handle = display(data, metadata=metadata, raw=True, display_id=True)
        if handle is not None:
            self._displays.append(handle)

    def _after_cell(self) -> None:
        """After a cell: bring the outputs showing this view up to date (the static picture with them)."""
        self.flush()
        if not self._displays:
            return
        data, metadata = self._repr_mimebundle_()
        if data["image/svg+xml"] != self._shown:
            self._shown = data["image/svg+xml"]
            for handle in self._displays:
                handle.update(data, metadata=metadata, raw=True)
