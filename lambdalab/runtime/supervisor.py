"""The supervisor of one execution environment: a small process between the lab and the function.

Lambda runs each execution environment in its own sandbox: the function's
processes cannot see or signal anything outside it, ``/tmp`` is its own, and when
the environment goes every process started in it goes too
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
The lab gets as close as the machine allows, with no privilege of its own:

- **namespaces** (Linux user, PID and mount namespaces, when unprivileged ones
  are allowed): the runtime is PID 2 under a small init (PID 1) in a PID namespace
  of its own, so it can neither name nor signal the lab or another environment,
  and when init goes the kernel kills every process in the namespace, however it
  forked or detached.  ``/proc`` shows only the environment's processes, and the
  environment's own directory is mounted over ``/tmp``.
- **plain** (namespaces refused, e.g. AppArmor's restriction on Ubuntu 24.04):
  the supervisor is a child subreaper (``PR_SET_CHILD_SUBREAPER``), so an orphaned
  descendant (a ``setsid`` double fork) is re-parented to it, and it kills every
  descendant it has before it exits.  ``TMPDIR`` points at the environment's own
  directory (an absolute ``/tmp`` path is the host's).  A process of the same user
  may signal any other, so here a function could still kill the supervisor or the
  lab: only a different user (or the namespaces) prevents that.

The lab starts this file as a script (``python -I -S supervisor.py <fd>``, the
lab's own interpreter) in a session of its own, writes one ``marshal``-ed dict
on its stdin, after its length in ten digits (argv, env, cwd, the private tmp
directory, whether it may be mounted over ``/tmp``, whether to try namespaces,
which of its descriptors to close) and keeps stdin open: end of file, like SIGTERM, means "kill the environment".
The fd named by its first argument tells the lab ``ok <mode> <runtime pid> <init
pid>`` or ``exec-error <errno> <file>`` once the runtime was started.  stdout and
stderr are the function's.  When the runtime exits,
the supervisor kills the rest of the environment and exits the same way (the
same code, or the same signal), so the lab reads the runtime's own status.

Standard library only: it runs before, and outside of, anything else.
"""

from __future__ import annotations

import ctypes
import errno
import marshal
import os
import resource
import select
import signal
import sys

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_BIND, _MS_REC, _MS_PRIVATE = 2, 4, 8, 4096, 16384, 1 << 18
_PR_SET_CHILD_SUBREAPER = 36
_NS_FAILED = 3  # exit code of the namespace helper when the kernel refuses

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


# -- the runtime process ---------------------------------------------------------------
def _exec_runtime(spec: dict[str, object], exec_w: int) -> None:
    """In a fresh child: its own session, the function's directory, then exec; never returns."""
    argv = [str(a) for a in spec["argv"]]  # type: ignore[attr-defined]
    try:
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores these; a runtime starts with the defaults
            signal.signal(sig, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.setsid()
        os.chdir(str(spec["cwd"]))
        os.execve(argv[0], argv, {str(k): str(v) for k, v in spec["env"].items()})  # type: ignore[attr-defined]
    except OSError as err:
        os.write(exec_w, f"{err.errno or errno.ENOEXEC} {err.filename or argv[0]}".encode())
    os._exit(127)


# -- namespaces ----------------------------------------------------------------------
def _enter_namespaces(spec: dict[str, object]) -> bool:
    """New user (when needed), PID and mount namespaces; the private /tmp mounted. False: /tmp not mounted."""
    uid, gid = os.getuid(), os.getgid()
    try:
        _check(_libc.unshare(_CLONE_NEWUSER | _CLONE_NEWPID | _CLONE_NEWNS), "unshare")
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"{gid} {gid} 1")
    except OSError:
        if os.geteuid() != 0:
            raise
        _check(_libc.unshare(_CLONE_NEWPID | _CLONE_NEWNS), "unshare")  # root without user namespaces
    # mounts made here must never reach the host's namespace
    _check(_libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "mount --make-rprivate /")
    if spec.get("opt") and os.path.isdir("/opt"):  # the function's layers where Lambda puts them
        try:
            _check(_libc.mount(str(spec["opt"]).encode(), b"/opt", None, _MS_BIND | _MS_REC, None), "mount /opt")
        except OSError:
            pass  # the layers stay reachable through the paths in the environment
    if not spec.get("mount_tmp"):
        return False
    try:
        _check(_libc.mount(str(spec["tmp"]).encode(), b"/tmp", None, _MS_BIND | _MS_REC, None), "mount /tmp")
    except OSError:
        return False
    return True


def _namespace_helper(spec: dict[str, object], exec_w: int, lifeline_r: int, status_w: int) -> None:
    """The child that enters the namespaces, forks init (PID 1) and exits; never returns."""
    try:
        private_tmp = _enter_namespaces(spec)
    except OSError:
        os._exit(_NS_FAILED)
    if not private_tmp:
        spec["env"]["TMPDIR"] = spec["tmp"]  # type: ignore[index]
    if os.fork() == 0:
        _init(spec, exec_w, lifeline_r, status_w)
    os._exit(0)  # init is re-parented to the supervisor, the subreaper


def _init(spec: dict[str, object], exec_w: int, lifeline_r: int, status_w: int) -> None:
    """PID 1 of the environment: reaps, and ends the namespace with the runtime or the supervisor."""
    try:  # a /proc that shows only this environment's processes
        _check(_libc.mount(b"proc", b"/proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None), "mount /proc")
    except OSError:
        pass
    runtime = os.fork()
    if runtime == 0:
        _exec_runtime(spec, exec_w)
    os.close(exec_w)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    while True:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                os._exit(0)
            if pid == 0:
                break
            if pid == runtime:
                os.write(status_w, str(status).encode())
                os._exit(0)  # the kernel kills every other process of the namespace
        readable, _, _ = select.select([lifeline_r, wake_r], [], [])
        if lifeline_r in readable and not os.read(lifeline_r, 1):
            os._exit(0)  # the supervisor is gone
        if wake_r in readable:
            os.read(wake_r, 512)


# -- the supervisor --------------------------------------------------------------------
def _descendants() -> list[int]:
    """Every process below this one (through /proc/<pid>/task/<tid>/children)."""
    found: list[int] = []
    todo = [os.getpid()]
    while todo:
        pid = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    children = [int(c) for c in f.read().split()]
            except (OSError, ValueError):
                continue
            found.extend(children)
            todo.extend(children)
    return found


def kill_tree() -> None:
    """SIGKILL every descendant and reap them all, including orphans re-parented here meanwhile."""
    while True:
        for pid in _descendants():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        select.select([], [], [], 0.001)


def _exit_like(status: int) -> None:
    """Exit with the runtime's own code, or die of its signal."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _read_exactly(fd: int, size: int) -> bytes:
    out = b""
    while len(out) < size:
        chunk = os.read(fd, size - len(out))
        if not chunk:
            os._exit(1)  # the lab went away before it said what to run
        out += chunk
    return out


def _read_all(fd: int) -> bytes:
    out = b""
    while chunk := os.read(fd, 4096):
        out += chunk
    os.close(fd)
    return out


def main() -> None:
    control_fd = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    os.set_inheritable(control_fd, False)  # the runtime never gets the lab's control pipe
    control = os.fdopen(control_fd, "w")
    spec = marshal.loads(_read_exactly(0, int(_read_exactly(0, 10))))  # marshal: no import to pay for
    for fd in spec.get("close", []):  # descriptors the lab handed over that this runtime does not use
        os.close(fd)
    _check(_libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)")
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    stop = []
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    exec_r, exec_w = os.pipe()
    status_r, status_w = os.pipe()
    lifeline_r, lifeline_w = os.pipe()
    mode, main_pid = "plain", 0
    if spec.get("isolate", True):
        helper = os.fork()
        if helper == 0:
            os.close(exec_r)
            os.close(status_r)
            os.close(lifeline_w)
            _namespace_helper(spec, exec_w, lifeline_r, status_w)
        _, helper_status = os.waitpid(helper, 0)
        if os.WIFEXITED(helper_status) and os.WEXITSTATUS(helper_status) == 0:
            mode = "namespaces"
            main_pid = next(iter(_descendants()), 0)  # init, re-parented here
    os.close(lifeline_r)
    os.close(status_w)
    if mode == "plain":
        spec["env"]["TMPDIR"] = spec["tmp"]
        main_pid = os.fork()
        if main_pid == 0:
            _exec_runtime(spec, exec_w)
    os.close(exec_w)
    failure = _read_all(exec_r)  # end of file once the runtime has exec'd (or failed to)
    if failure:
        code, _, filename = failure.decode().partition(" ")
        control.write(f"exec-error {code} {filename}\n")
        control.flush()
        kill_tree()
        os._exit(127)
    runtime_pid = main_pid if mode == "plain" else next(iter(_children_of(main_pid)), main_pid)
    control.write(f"ok {mode} {runtime_pid} {main_pid if mode == 'namespaces' else 0}\n")
    control.flush()
    _supervise(main_pid, mode, status_r, wake_r, stop)


def _children_of(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except (OSError, ValueError):
        return []


def _supervise(main_pid: int, mode: str, status_r: int, wake_r: int, stop: list[bool]) -> None:
    """Wait for the runtime to end (then end the rest) or for the lab to say stop."""
    stdin = 0
    while not stop:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            pid, status = main_pid, 9
        if pid == main_pid:
            if mode == "namespaces":
                reported = _read_all(status_r)
                status = int(reported) if reported else signal.SIGKILL
            kill_tree()
            _exit_like(status)
        if pid:
            continue  # an orphan re-parented here, reaped
        try:
            readable, _, _ = select.select([stdin, wake_r], [], [])
        except InterruptedError:
            continue
        if stdin in readable and not os.read(stdin, 4096):
            break  # the lab closed our stdin (or died)
        if wake_r in readable:
            os.read(wake_r, 512)
    kill_tree()
    os._exit(0)


if __name__ == "__main__":
    main()
