"""One execution environment's log stream: its name, and the events its runtime writes.

On AWS every execution environment writes to a CloudWatch Logs stream of its own,
created when the environment starts and named ``YYYY/MM/DD/[<version>]<32 hex>``: the
date the environment started, the function version it runs (``$LATEST``, ``1``...) and
an id.  The function sees the same name as ``context.log_stream_name``
(``AWS_LAMBDA_LOG_STREAM_NAME``).  Two environments of one function never share a
stream; a stream outlives its environment.

The lab reads two pipes per environment: stdout and stderr (merged; one event per
line) and, for the managed runtimes, the telemetry descriptor (one event per frame,
:mod:`.telemetry`).  Events are stamped on the function's clock, real time.  What the
runtime writes before it asks for its first invocation is the init phase's output,
logged before ``START``: when the Runtime API hands out an invocation it first calls
:meth:`LogStream.next_phase` to read everything written so far.

https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
https://docs.aws.amazon.com/lambda/latest/dg/python-context.html
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

from .output import CappedLog
from .realtime import epoch_seconds
from .telemetry import FrameReader
from .types import LogEvent, LogSettings

_CHUNK = 65536


def stream_name(
    version: str, started_ms: int, hex_id: str, function_name: str = "", settings: LogSettings | None = None
) -> str:
    """``2025/01/06/[$LATEST]0123456789abcdef0123456789abcdef``: date (UTC) the environment started, version, id.

    In a custom log group (``LoggingConfig.LogGroup``, which several functions may share) the name
    carries the function too: ``2025/01/06/my-fn[$LATEST][0123...]`` (monitoring-cloudwatchlogs-loggroups).
    """
    day = datetime.fromtimestamp(started_ms / 1000, UTC).strftime("%Y/%m/%d")
    if settings is not None and settings.log_group and settings.log_group != f"/aws/lambda/{function_name}":
        return f"{day}/{function_name}[{version}][{hex_id}]"
    return f"{day}/[{version}]{hex_id}"


def now_ms() -> int:
    """Real time, epoch milliseconds (the function's clock)."""
    return int(epoch_seconds() * 1000)


class LogStream:
    """The events of one environment, phase by phase (init, then one invocation after another)."""

    def __init__(self, name: str, started_ms: int) -> None:
        self.name = name
        self.started_ms = started_ms
        self._lock = threading.Lock()
        self._phase = CappedLog()
        self._output_fd: int | None = None
        self._frames_fd: int | None = None
        self._frames = FrameReader()

    def attach(self, output_fd: int, frames_fd: int | None) -> None:
        """Read the runtime's stdout/stderr pipe and (managed runtimes) its telemetry pipe."""
        for fd in (output_fd, frames_fd):
            if fd is not None:
                os.set_blocking(fd, False)
        self._output_fd, self._frames_fd = output_fd, frames_fd

    @property
    def fds(self) -> list[int]:
        return [fd for fd in (self._output_fd, self._frames_fd) if fd is not None]

    def add(self, event: LogEvent) -> None:
        """A line of the platform's or the lab's, in the current phase."""
        with self._lock:
            self._phase.add(event)

    def pump(self, fd: int) -> bool:
        """Read what ``fd`` has; False once it is closed."""
        with self._lock:
            return self._read(fd)

    def drain(self) -> None:
        """Read everything the pipes hold now."""
        with self._lock:
            for fd in self.fds:
                self._read(fd)

    def next_phase(self) -> list[LogEvent]:
        """Everything written so far (the phase that ends now), and start the next phase."""
        with self._lock:
            for fd in self.fds:
                self._read(fd)
            events = self._phase.events()
            self._phase = CappedLog()
            return events

    def close(self) -> None:
        with self._lock:
            for fd in self.fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._output_fd = self._frames_fd = None

    def _read(self, fd: int) -> bool:
        while True:
            try:
                chunk = os.read(fd, _CHUNK)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not chunk:
                return False
            at = now_ms()
            if fd == self._frames_fd:
                for stamp, message in self._frames.feed(chunk):
                    self._phase.add(LogEvent(stamp or at, message))
            else:
                self._phase.write(chunk, at)
