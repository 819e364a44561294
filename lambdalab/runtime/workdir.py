"""Where a runtime keeps its files: the unzipped code, and each execution environment's own directory.

One directory per runtime, ``lambdalab-runtime-*`` in the temp directory (``/var/tmp``
rather than ``/tmp``: an environment's directory is mounted over ``/tmp`` where the
kernel allows it, and the code must stay visible).  The runtime removes it when it
closes.  A lab whose process was killed cannot, so each new runtime first removes the
directories of this user's runtimes whose process is gone: the directory names its
owner (pid, start time and PID namespace) in a file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "lambdalab-runtime-"
_OWNER = "owner"


def make_root() -> Path:
    """A new runtime directory (after sweeping away those of dead labs)."""
    parent = _parent()
    sweep(Path(parent or tempfile.gettempdir()))
    root = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
    (root / _OWNER).write_text(f"{os.getpid()} {start_time(os.getpid())} {_pid_namespace()}\n")
    return root


def sweep(parent: Path) -> list[Path]:
    """Remove the runtime directories of this user whose owning process is gone; returns them."""
    removed = []
    for folder in parent.glob(PREFIX + "*"):
        try:
            if folder.stat().st_uid != os.getuid():
                continue
            pid, started, namespace = (folder / _OWNER).read_text().split()
        except (OSError, ValueError):
            continue  # no owner written (yet, or by an older lab): not ours to judge
        if namespace != _pid_namespace():
            continue  # a lab in another PID namespace (a container): its pids mean nothing here
        if start_time(int(pid)) != int(started):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def start_time(pid: int) -> int:
    """When ``pid`` started (clock ticks after boot; 0 once it is gone): tells a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return 0


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid").replace(" ", "")
    except OSError:
        return "unknown"


def _parent() -> str | None:
    default = tempfile.gettempdir()
    if default in ("/tmp", "/private/tmp") and os.path.isdir("/var/tmp") and os.access("/var/tmp", os.W_OK | os.X_OK):
        return "/var/tmp"
    return None
