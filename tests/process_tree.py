"""What a test needs to know about processes and ports it started, read from /proc."""

from __future__ import annotations

import os
import socket
from pathlib import Path

#: a process as the kernel knows it: its pid and start time (a pid alone can be reused)
Process = tuple[int, int]


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # after "pid (comm) "


def identity(pid: int) -> Process | None:
    """``pid`` with its start time, or None once it has gone (a zombie counts as gone)."""
    fields = _stat_fields(pid)
    if fields is None or fields[0] == "Z":
        return None
    return pid, int(fields[19])


def descendants(root: int) -> set[Process]:
    """``root`` and every process below it, by parent pid."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    found: set[Process] = set()
    todo = [root]
    while todo:
        pid = todo.pop()
        me = identity(pid)
        if me is not None:
            found.add(me)
        todo.extend(children.get(pid, []))
    return found


def alive(processes: set[Process]) -> set[Process]:
    """Those of ``processes`` still running (the same pid with the same start time)."""
    return {p for p in processes if identity(p[0]) == p}


def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
