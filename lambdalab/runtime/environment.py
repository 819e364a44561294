"""One execution environment: a runtime process, its Runtime API, its output.

Lambda runs each concurrent request in its own execution environment, reuses
it while warm (module globals persist) and discards it after a timeout, a
crash or an out-of-memory kill.  See
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html

The process runs in its own session (so the whole process group can be killed)
and receives SIGKILL when the thread that spawned it dies (PR_SET_PDEATHSIG):
the runtime spawns from one long-lived thread, so that means when the lab's
process dies.  Its output (stdout and stderr merged, and the telemetry pipe of
the managed runtimes) goes to the environment's :class:`~.log_stream.LogStream`,
read by the invoking thread until the runtime posts its answer, then drained.
"""

from __future__ import annotations

import ctypes
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from lambdalab.runtime.api import Invocation, RuntimeApiServer
from lambdalab.runtime.launchers import Launch
from lambdalab.runtime.log_stream import LogStream
from lambdalab.runtime.outcome import Outcome, error_type_of, exited, timed_out
from lambdalab.runtime.pool import EnvironmentKey
from lambdalab.runtime.realtime import epoch_ms_at, iso_at
from lambdalab.runtime.telemetry import FD_VARIABLE
from lambdalab.runtime.types import LogEvent

#: how long Lambda lets the init phase run before the timeout clock starts
INIT_LIMIT = 10.0
_MEMORY_POLL = 0.02
_FAMILY_REFRESH = 0.5  # seconds between looks for the environment's child processes
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)
_prctl = _libc.prctl


def _child_setup() -> None:  # runs in the child between fork and exec
    _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() == 1:  # the parent died before prctl
        os._exit(1)


class Environment:
    """A runtime process plus the Runtime API server it talks to."""

    def __init__(self, key: EnvironmentKey, memory_size: int, timeout: float) -> None:
        self.key = key
        self.memory_size = memory_size
        self.timeout = timeout
        self.api = RuntimeApiServer()
        self.proc: subprocess.Popen[bytes] | None = None
        self.busy = True
        self.dead = False
        self.retired = False
        self.invocations = 0
        self.last_used = 0
        self.max_rss_mb = 0
        self._family: list[int] = []
        self._family_at = -1e9
        self.log: LogStream | None = None
        self._killed = False

    @property
    def function_name(self) -> str:
        return self.key[0]

    @property
    def version(self) -> str:
        return self.key[1]

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        """Started, not killed, and its process still runs."""
        return not self.dead and self.proc is not None and self.proc.poll() is None

    def rss_mb(self) -> int:
        return _memory_kb(self.pid, "VmRSS") // 1024 if self.pid and not self.dead else 0

    def start(
        self,
        launch: Launch,
        spawn: Callable[[Callable[[], subprocess.Popen[bytes]]], subprocess.Popen[bytes]],
        log: LogStream,
        init_start: str,
    ) -> None:
        """Start the runtime process (through ``spawn``, the runtime's spawner thread) writing to ``log``."""
        self.log = log
        log.add(LogEvent(log.started_ms, init_start))
        if launch.notice:
            log.add(LogEvent(log.started_ms, launch.notice))
        out_r, out_w = os.pipe()
        frames_r, frames_w = os.pipe() if launch.telemetry else (None, None)
        env = dict(launch.env)
        if frames_w is not None:
            env[FD_VARIABLE] = str(frames_w)

        def popen() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                launch.argv,
                env=env,
                cwd=launch.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out_w,
                stderr=out_w,
                start_new_session=True,
                preexec_fn=_child_setup,
                close_fds=True,
                pass_fds=(frames_w,) if frames_w is not None else (),
            )

        log.attach(out_r, frames_r)
        self.api.before_delivery = log.deliver
        try:
            self.proc = spawn(popen)
        finally:
            for fd in (out_w, frames_w):
                if fd is not None:
                    os.close(fd)

    def run(self, inv: Invocation) -> Outcome:
        """Deliver ``inv`` and wait (never forever) for the answer, a crash, the timeout or OOM."""
        assert self.proc is not None and self.log is not None
        log = self.log
        cold = self.invocations == 0
        self.invocations += 1
        began = time.monotonic()
        log.before_start = []
        self.api.offer(inv)
        sel = selectors.DefaultSelector()
        for fd in log.fds:
            sel.register(fd, selectors.EVENT_READ)
        sel.register(self.api.wake_fd, selectors.EVENT_READ)
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
                if self.proc.poll() is not None:
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
                for key, _ in sel.select(timeout=max(0.0, min(_MEMORY_POLL, deadline - now))):
                    if key.fd == self.api.wake_fd:
                        self.api.clear_wake()
                    elif not log.pump(key.fd):
                        sel.unregister(key.fd)
        finally:
            sel.close()
        end = inv.finished_at or time.monotonic()
        start_of_invoke = inv.delivered_at or end
        init_ms = ((inv.delivered_at or end) - began) * 1000 if cold else None
        if kind in ("timeout", "oom"):
            self.kill()
        if kind == "exit" and self.proc.poll() is None:
            self.proc.wait(timeout=2)
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
            failure = timed_out(rid, inv.timeout, iso_at(end))
            error_type, body = failure.error_type, failure.body
            log.add(LogEvent(epoch_ms_at(end), failure.message))
        elif kind in ("oom", "exit"):
            failure = exited(rid, self.proc.returncode, out_of_memory=kind == "oom")
            error_type, body = failure.error_type, failure.body
            end = time.monotonic()
            log.add(LogEvent(epoch_ms_at(end), failure.message))
        if kind not in ("response", "error") or inv.refused_size is not None:
            self.kill()  # a runtime whose answer was refused exits (awslambdaric raises): start afresh
        memory = min(self.max_rss_mb, self.memory_size) if kind != "oom" else self.memory_size
        if inv.delivered_at is None:  # never got to run: everything belongs before START
            before, events = log.next_phase(), []
        else:
            before, events = log.before_start, log.next_phase()
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
        )

    def _observe_memory(self) -> int:
        """Refresh Max Memory Used (VmHWM of the process and its children); return current RSS in kB."""
        pid = self.pid
        if pid is None:
            return 0
        now = time.monotonic()
        if now - self._family_at > _FAMILY_REFRESH:  # finding the children costs more than reading them
            self._family_at, self._family = now, _family(pid)
        rss = hwm = 0
        for p in self._family:
            rss += _memory_kb(p, "VmRSS")
            hwm += _memory_kb(p, "VmHWM")
        self.max_rss_mb = max(self.max_rss_mb, hwm // 1024)
        return rss

    def kill(self) -> None:
        """Kill the whole process group, reap it, stop the Runtime API server."""
        if self._killed:
            return
        self._killed = True
        self.dead = True
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
        if self.log is not None:
            self.log.close()
        self.api.close()


def _memory_kb(pid: int | None, field: str) -> int:
    if pid is None:
        return 0
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(field.encode() + b":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _family(pid: int) -> list[int]:
    """``pid`` and its descendants (through /proc/<pid>/task/<tid>/children)."""
    seen = [pid]
    i = 0
    while i < len(seen) and len(seen) < 256:
        p = seen[i]
        i += 1
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                text = Path(f"/proc/{p}/task/{task}/children").read_text()
                seen.extend(int(c) for c in text.split())
        except (OSError, ValueError):
            continue
    return seen
