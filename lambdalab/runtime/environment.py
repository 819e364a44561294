"""One execution environment: a runtime process, its Runtime API, its output.

Lambda runs each concurrent request in its own execution environment, reuses
it while warm (module globals persist) and discards it after a timeout, a
crash or an out-of-memory kill.  See
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html

The runtime process runs under a supervisor of its own (:mod:`.sandbox`), which
ends every process of the environment with it.  Memory is counted over every
process of the environment, during an invocation and between them
(:meth:`Environment.over_memory`).  Its output (stdout and stderr merged, and the telemetry pipe of
the managed runtimes) goes to the environment's :class:`~.log_stream.LogStream`,
read by the invoking thread until the runtime posts its answer, then drained.
"""

from __future__ import annotations

import os
import selectors
import socket
import threading
import time
from pathlib import Path

from lambdalab.runtime.api import Invocation, RuntimeApiServer
from lambdalab.runtime.launchers import Launch
from lambdalab.runtime.log_stream import LogStream
from lambdalab.runtime.logs import init_report_line
from lambdalab.runtime.outcome import Outcome, error_type_of, exited, timed_out
from lambdalab.runtime.peers import holder_among, peer_inode
from lambdalab.runtime.pool import EnvironmentKey
from lambdalab.runtime.realtime import epoch_ms_at, iso_of_ms
from lambdalab.runtime.sandbox import Sandbox, Supervisors
from lambdalab.runtime.telemetry import FD_VARIABLE
from lambdalab.runtime.types import LogEvent

#: how long Lambda lets the init phase run before the timeout clock starts
INIT_LIMIT = 10.0
_MEMORY_POLL = 0.02


class Environment:
    """A runtime process plus the Runtime API server it talks to."""

    def __init__(self, key: EnvironmentKey, memory_size: int, timeout: float, directory: Path) -> None:
        self.key = key
        self.memory_size = memory_size
        self.timeout = timeout
        self.sandbox = Sandbox(directory)
        self.api = RuntimeApiServer(admit=self._admits)
        self.started = False
        self.busy = True
        self.dead = False
        self.retired = False
        self.invocations = 0
        self.last_used = 0
        self.max_rss_mb = 0
        self.log: LogStream | None = None
        #: the qualified ARN whose provisioned concurrency this environment serves ("": on demand)
        self.provisioned_for = ""
        #: its init ran ahead of any request (provisioned concurrency)
        self.initialised = False
        self._killed = False
        self._started_at = 0.0  # time.monotonic() when the runtime process started
        self._first: Invocation | None = None  # the invocation that meets the init (a cold start)
        self._delivered: Invocation | None = None  # the last one handed out
        self._phases = threading.Lock()  # one of the Runtime API and the waiting thread ends a phase

    @property
    def function_name(self) -> str:
        return self.key[0]

    @property
    def version(self) -> str:
        return self.key[1]

    @property
    def pid(self) -> int | None:
        """The runtime process's pid (as the lab's process sees it)."""
        return self.sandbox.runtime_pid

    def alive(self) -> bool:
        """Started, not killed, and its process still runs."""
        return self.started and not self.dead and self.sandbox.poll() is None

    def rss_mb(self) -> int:
        """Resident memory of every process of the environment, in MB."""
        return self.sandbox.memory_kb(refresh=True)[0] // 1024 if self.alive() else 0

    def over_memory(self) -> bool:
        """The environment's processes hold more than MemorySize (e.g. a thread or child still at work)."""
        return self.alive() and self._observe_memory() > self.memory_size * 1024

    def _admits(self, conn: socket.socket) -> bool:
        """A Runtime API connection from one of this environment's processes (and no other)."""
        inode = peer_inode(conn)
        if inode is None:
            return False
        for refresh in (False, True):  # a process started since the lab last looked
            if holder_among(inode, self.sandbox.processes(refresh=refresh)) is not None:
                return True
        return False

    def start(self, launch: Launch, supervisors: Supervisors, log: LogStream, init_start: str | None) -> None:
        """Start the runtime under a supervisor (one of ``supervisors``, started ahead), writing to ``log``."""
        self.log = log
        self.started = True
        self._started_at = time.monotonic()
        if init_start is not None:  # None: filtered out by SystemLogLevel
            log.add(LogEvent(log.started_ms, init_start))
        if launch.notice:
            log.add(LogEvent(log.started_ms, launch.notice))
        supervisor = supervisors.take()
        env = dict(launch.env)
        if launch.telemetry:
            env[FD_VARIABLE] = str(supervisor.frames_w)
        else:
            os.close(supervisor.frames_r)
        log.attach(supervisor.output_r, supervisor.frames_r if launch.telemetry else None)
        self.api.before_delivery = self._delivering
        self.sandbox.start(launch, supervisor, env=env, telemetry=launch.telemetry)

    def initialise(self) -> tuple[list[LogEvent], str | None]:
        """Wait (never forever) for the init to end, ahead of any request: its log events, and its error type.

        The init ends when the runtime asks for its first event; it fails when the runtime reports an
        init error, exits, or takes longer than :data:`INIT_LIMIT` (the environment is then stopped).
        """
        assert self.started and self.log is not None
        log = self.log
        began = self._started_at
        error: str | None = None
        sel = self._watch(log)
        try:
            while self.api.waiting == 0:
                if self.api.init_error is not None:
                    error = error_type_of(self.api.init_error[0]) or self.api.init_error[1]
                elif self.sandbox.poll() is not None:
                    error = "Runtime.ExitError"
                elif time.monotonic() - began >= INIT_LIMIT:
                    error = "Sandbox.Timedout"
                if error is not None:
                    break
                self._pump(sel, log, _MEMORY_POLL)
        finally:
            sel.close()
        log.drain()
        events = log.next_phase()
        if error is not None:
            ended = time.monotonic()
            events.append(
                LogEvent(epoch_ms_at(ended), init_report_line((ended - began) * 1000, status="error", error_type=error))
            )
            self.kill()
        self.initialised = error is None
        return events, error

    def run(self, inv: Invocation) -> Outcome:
        """Deliver ``inv`` and wait (never forever) for the answer, a crash, the timeout or OOM."""
        self.offer(inv)
        return self.wait(inv)

    def offer(self, inv: Invocation) -> None:
        """Queue ``inv``: the runtime gets it when it next asks, after those offered before it.

        Offering the next before the previous one ended lets the runtime go on to it at once;
        :meth:`wait` for each in turn.
        """
        assert self.started and self.log is not None
        if self.invocations == 0 and not self.initialised:
            self._first = inv
        self.invocations += 1
        self.api.offer(inv)

    def _delivering(self, inv: Invocation) -> None:
        """The Runtime API hands ``inv`` out: what was written since the last hand-out ends a phase.

        It is the previous invocation's, if that one ended and its waiter has not read its log yet
        (the runtime went on to this one at once); otherwise it comes before this one's START.
        """
        assert self.log is not None
        with self._phases:
            events = self.log.next_phase()
            last, self._delivered = self._delivered, inv
            if last is not None and last.done.is_set() and last.events is None:
                last.events, inv.before_start = events, []
            else:
                inv.before_start = events

    def wait(self, inv: Invocation) -> Outcome:
        """Wait (never forever) for an offered invocation's answer, a crash, the timeout or OOM."""
        assert self.log is not None
        log = self.log
        cold = inv is self._first
        # an invocation waiting behind others starts its init allowance when its turn comes
        began = (inv.offered_at or time.monotonic()) if cold else time.monotonic()
        sel = self._watch(log)
        kind = ""
        last_memory_check = began  # the first look at memory comes one poll interval in
        try:
            while True:
                now = time.monotonic()
                if inv.done.is_set():
                    kind = inv.kind or "response"
                    break
                if self.api.init_error is not None:
                    kind = "init_error"
                    break
                if self.sandbox.poll() is not None:
                    kind = "exit"
                    break
                deadline = (inv.delivered_at + inv.timeout) if inv.delivered_at else (began + INIT_LIMIT + inv.timeout)
                if now >= deadline:
                    kind = "timeout"
                    break
                if now - last_memory_check >= _MEMORY_POLL:
                    last_memory_check = now
                    if self._observe_memory() > self.memory_size * 1024:
                        kind = "oom"
                        break
                self._pump(sel, log, max(0.0, min(_MEMORY_POLL, deadline - now)))
        finally:
            sel.close()
        end = inv.finished_at or time.monotonic()
        start_of_invoke = inv.delivered_at or end
        # a provisioned environment's init is not its first request's: no Init Duration, even when made late
        init_ms = ((inv.delivered_at or end) - began) * 1000 if cold and not self.provisioned_for else None
        if kind in ("timeout", "oom"):
            self.kill()
        if kind not in ("timeout", "oom"):
            self._observe_memory()
        log.drain()
        body, error_type = inv.body, inv.error_type
        rid = inv.request_id
        if kind == "init_error":
            assert self.api.init_error is not None
            body, error_type = self.api.init_error
        if kind in ("error", "init_error"):
            error_type = error_type_of(body) or error_type
        elif kind == "timeout":
            # the function is stopped at its deadline: that is the duration AWS reports and bills
            end = min(time.monotonic(), start_of_invoke + inv.timeout)
            end_ms = epoch_ms_at(end)  # one reading: the line's stamp and its event's timestamp agree
            failure = timed_out(rid, inv.timeout, iso_of_ms(end_ms))
            error_type, body = failure.error_type, failure.body
            log.add(LogEvent(end_ms, failure.message))
        elif kind in ("oom", "exit"):
            failure = exited(rid, self.sandbox.poll(), out_of_memory=kind == "oom")
            error_type, body = failure.error_type, failure.body
            end = time.monotonic()
            log.add(LogEvent(epoch_ms_at(end), failure.message))
        if kind not in ("response", "error") or inv.refused_size is not None:
            self.kill()  # a runtime whose answer was refused exits (awslambdaric raises): start afresh
        memory = min(self.max_rss_mb, self.memory_size) if kind != "oom" else self.memory_size
        with self._phases:
            if inv.delivered_at is None:  # never got to run: everything belongs before START
                before, events = log.next_phase(), []
            else:
                if inv.events is None:
                    inv.events = log.next_phase()
                before, events = inv.before_start or [], inv.events
        return Outcome(
            kind=kind,
            body=body,
            error_type=error_type,
            before_start=tuple(before),
            events=tuple(events),
            delivered=inv.delivered_at is not None,
            started_ms=epoch_ms_at(start_of_invoke),
            ended_ms=epoch_ms_at(end),
            duration_ms=max(0.0, (end - start_of_invoke) * 1000) if inv.delivered_at else (end - began) * 1000,
            init_duration_ms=init_ms,
            max_memory_mb=max(memory, 1),
            init_ahead=bool(self.provisioned_for),
        )

    def _watch(self, log: LogStream) -> selectors.BaseSelector:
        """A selector on the runtime's output pipes and the Runtime API's wake-up."""
        sel = selectors.DefaultSelector()
        for fd in log.fds:
            sel.register(fd, selectors.EVENT_READ)
        sel.register(self.api.wake_fd, selectors.EVENT_READ)
        return sel

    def _pump(self, sel: selectors.BaseSelector, log: LogStream, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for output (read into ``log``) or a wake-up."""
        for key, _ in sel.select(timeout=timeout):
            if key.fd == self.api.wake_fd:
                self.api.clear_wake()
            elif not log.pump(key.fd):
                sel.unregister(key.fd)

    def _observe_memory(self) -> int:
        """Refresh Max Memory Used (high-water marks of the environment's processes); return current RSS in kB."""
        rss, hwm = self.sandbox.memory_kb()
        self.max_rss_mb = max(self.max_rss_mb, hwm // 1024)
        return rss

    def kill(self) -> None:
        """End every process of the environment, remove its directory, stop the Runtime API server."""
        if self._killed:
            return
        self._killed = True
        self.dead = True
        self.sandbox.kill()
        if self.log is not None:
            self.log.close()
        self.api.close()
