"""The processes of one execution environment, as the lab sees them: its supervisor and what runs below.

Every environment runs under its own supervisor (:mod:`lambdalab.runtime.supervisor`),
started in a session of its own by the runtime's spawner thread, one ahead of need
(:class:`Supervisors`): a cold start then waits for a fork and an exec, not for a
Python interpreter to start.  The supervisor
puts the function in namespaces of its own when the machine allows it, makes every
process the function starts die with the environment, and exits the way the runtime
exited.  The lab ends an environment by closing the supervisor's stdin and sending it
SIGTERM; when the lab's process dies, the same end of file (and PR_SET_PDEATHSIG)
tells it.  The memory of an environment is the sum over every process below the
supervisor, however it was started: Lambda counts the whole sandbox against
``MemorySize`` (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
"""

from __future__ import annotations

import ctypes
import marshal
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lambdalab.runtime.launchers import Launch
from lambdalab.runtime.workdir import start_time

SUPERVISOR = Path(__file__).with_name("supervisor.py")
#: put environments in namespaces of their own when the kernel allows it (False: the plain supervisor only)
NAMESPACES = True
_START_LIMIT = 30.0  # seconds for the supervisor to report the runtime started
_FAMILY_REFRESH = 0.5  # seconds between looks for the environment's processes (finding them costs more)
_PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def _child_setup() -> None:  # runs in the supervisor between fork and exec
    _prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() == 1:  # the lab died before prctl
        os._exit(1)


@dataclass
class Started:
    """A supervisor process that waits for what to run, and the lab's ends of its pipes."""

    proc: subprocess.Popen[bytes]
    control_r: int  # "ok ..." or "exec-error ..." once the runtime was started
    output_r: int  # stdout and stderr of everything in the environment
    frames_r: int  # the telemetry pipe of the managed runtimes
    frames_w: int  # its number in the supervisor, and in the runtime if it gets it


def _start_supervisor() -> Started:  # on the spawner thread: PR_SET_PDEATHSIG follows the thread that forks
    control_r, control_w = os.pipe()
    output_r, output_w = os.pipe()
    frames_r, frames_w = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(SUPERVISOR), str(control_w)],
            env={"PATH": os.defpath},
            cwd="/",
            stdin=subprocess.PIPE,
            stdout=output_w,
            stderr=output_w,
            pass_fds=(control_w, frames_w),
            start_new_session=True,
            preexec_fn=_child_setup,
            close_fds=True,
        )
    except BaseException:
        for fd in (control_r, output_r, frames_r):
            os.close(fd)
        raise
    finally:
        for fd in (control_w, output_w, frames_w):
            os.close(fd)
    return Started(proc, control_r, output_r, frames_r, frames_w)


class Supervisors:
    """Supervisors started one ahead of the cold start that needs one (thread-safe)."""

    def __init__(self, spawner: ThreadPoolExecutor) -> None:
        self._spawner = spawner
        self._lock = threading.Lock()
        self._spare: Future[Started] | None = spawner.submit(_start_supervisor)

    def take(self) -> Started:
        """The spare supervisor (waiting for it if it is still starting); the next spare starts meanwhile."""
        with self._lock:
            spare, self._spare = self._spare, self._spawner.submit(_start_supervisor)
        try:
            started = spare.result(timeout=_START_LIMIT) if spare is not None else None
        except Exception:  # noqa: BLE001 - it failed to start: start another below, and say why if that fails
            started = None
        if started is not None and started.proc.poll() is not None:  # the spare died while it waited
            _stop(started)
            started = None
        if started is None:
            started = self._spawner.submit(_start_supervisor).result(timeout=_START_LIMIT)
        return started

    def close(self) -> None:
        """Stop the spare: end of file on its stdin before it was told anything makes it exit."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is None:
            return
        try:
            started = spare.result(timeout=_START_LIMIT)
        except Exception:  # noqa: BLE001 - a supervisor that never started leaves nothing to stop
            return
        _stop(started)


def _stop(started: Started) -> None:
    if started.proc.stdin is not None:
        started.proc.stdin.close()
    try:
        started.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        started.proc.kill()
        started.proc.wait(timeout=5)
    for fd in (started.control_r, started.output_r, started.frames_r):
        os.close(fd)


class Sandbox:
    """One environment's supervisor process, its output pipe and its process tree."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory  # the environment's own: its /tmp lives here, removed with it
        self.tmp = directory / "tmp"
        self.proc: subprocess.Popen[bytes] | None = None
        self.mode = ""  # "namespaces" or "plain", as the supervisor managed
        self.runtime_pid: int | None = None
        self.init_pid: int | None = None  # PID 1 of the environment's namespace: the lab's, not the function's
        self._family: list[tuple[int, int]] = []  # (pid, start time): a pid may be reused
        self._family_at = -1e9

    def start(self, launch: Launch, started: Started, *, env: dict[str, str], telemetry: bool) -> None:
        """Have ``started`` run the runtime with ``env`` (and the telemetry pipe if ``telemetry``).

        Raises OSError when the runtime cannot be executed.
        """
        self.tmp.mkdir(parents=True, mode=0o700)
        spec = {
            "argv": launch.argv,
            "env": env,
            "cwd": launch.cwd,
            "tmp": str(self.tmp),
            "mount_tmp": not _uses_tmp(launch),
            "opt": launch.opt,
            "isolate": NAMESPACES,
            "close": [] if telemetry else [started.frames_w],
        }
        self.proc = started.proc
        control_r = started.control_r
        try:
            assert self.proc.stdin is not None
            data = marshal.dumps(spec)  # the supervisor runs the lab's own interpreter: the same format
            self.proc.stdin.write(b"%010d" % len(data) + data)
            self.proc.stdin.flush()
            report = _read_line(control_r, _START_LIMIT).split()
        finally:
            os.close(control_r)
        if len(report) == 4 and report[0] == "ok":
            self.mode, self.runtime_pid, self.init_pid = report[1], int(report[2]), int(report[3]) or None
            return
        self.kill()
        if report and report[0] == "exec-error":
            code = int(report[1])
            raise OSError(code, os.strerror(code), report[2] if len(report) > 2 else launch.argv[0])
        raise OSError(f"the environment's supervisor did not start the runtime: {' '.join(report) or 'no answer'}")

    def poll(self) -> int | None:
        """None while the runtime runs; then its exit status as Popen gives it (negative: a signal)."""
        return self.proc.poll() if self.proc is not None else None

    def processes(self, refresh: bool = False) -> list[int]:
        """The environment's processes: everything below the supervisor, but its init."""
        now = time.monotonic()
        if self.proc is not None and (refresh or now - self._family_at > _FAMILY_REFRESH):
            below = _family(self.proc.pid)[1:]
            self._family_at = now
            self._family = [(p, start_time(p)) for p in below if p != self.init_pid]
        return [pid for pid, _ in self._family]

    def memory_kb(self, refresh: bool = False) -> tuple[int, int]:
        """(resident now, high-water mark) summed over the environment's processes."""
        rss = hwm = 0
        for pid in self.processes(refresh):
            now, peak = _memory_kb(pid)
            rss += now
            hwm += peak
        return rss, hwm

    def kill(self) -> None:
        """End every process of the environment and remove its directory."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            self.processes(refresh=True)
            if proc.stdin is not None:
                try:
                    proc.stdin.close()  # end of file: the supervisor kills everything below it
                except OSError:
                    pass
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc is not None:
            # a supervisor killed from inside (possible without namespaces) leaves orphans: end what the lab saw
            for pid, started in self._family:
                if start_time(pid) == started:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
        shutil.rmtree(self.directory, ignore_errors=True)


def _uses_tmp(launch: Launch) -> bool:
    """Whether the runtime needs a host path under /tmp (then /tmp cannot be mounted over)."""
    paths = [*launch.argv[:1], launch.cwd, sys.executable]
    for name in ("LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "PYTHONPATH", "NODE_PATH", "PATH"):
        paths.extend(launch.env.get(name, "").split(os.pathsep))
    return any(p == "/tmp" or p.startswith("/tmp/") for p in paths if p)


def _read_line(fd: int, limit: float) -> str:
    deadline = time.monotonic() + limit
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


def _memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of one process, in kB."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, hwm


def _family(pid: int) -> list[int]:
    """``pid`` and its descendants (through /proc/<pid>/task/<tid>/children)."""
    seen = [pid]
    i = 0
    while i < len(seen) and len(seen) < 4096:
        p = seen[i]
        i += 1
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                text = Path(f"/proc/{p}/task/{task}/children").read_text()
                seen.extend(int(c) for c in text.split())
        except (OSError, ValueError):
            continue
    return seen
