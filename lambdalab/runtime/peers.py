"""Which process is on the other end of a loopback TCP connection.

A runtime learns its Runtime API from ``AWS_LAMBDA_RUNTIME_API=host:port`` and
nothing else (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html), so
the API cannot ask its clients for a secret: awslambdaric, our Node.js bootstrap
and a ``provided`` bootstrap running ``curl`` would all have to send it.  Instead
the lab asks the kernel who connected: the client's socket is the line of
``/proc/net/tcp`` whose local address is the connection's peer and whose remote
address is the API's own; that line names the socket's inode, and a process holds
the socket when one of its ``/proc/<pid>/fd`` links reads ``socket:[<inode>]``.
The API serves a connection only when a process of its own environment holds the
other end (a process of another user cannot be inspected, so it is refused too).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable


def _hex_address(host: str, port: int) -> str:
    """``127.0.0.1:8080`` as /proc/net/tcp writes it: ``0100007F:1F90`` (the address in host byte order)."""
    packed = socket.inet_aton(host)
    return f"{int.from_bytes(packed, 'little'):08X}:{port:04X}"


def _tcp_line(client: tuple[str, int], server: tuple[str, int]) -> list[str] | None:
    """The fields of the /proc/net/tcp line of the client's end of the connection ``client`` -> ``server``."""
    local, remote = _hex_address(*client), _hex_address(*server)
    try:
        with open("/proc/net/tcp") as table:
            next(table, None)  # the header line
            for line in table:
                fields = line.split()
                if len(fields) > 9 and fields[1] == local and fields[2] == remote:
                    return fields
    except OSError:
        return None
    return None


def socket_inode(client: tuple[str, int], server: tuple[str, int]) -> int | None:
    """The inode of the client's end of the TCP connection ``client`` -> ``server``."""
    fields = _tcp_line(client, server)
    try:
        return int(fields[9]) or None if fields else None
    except ValueError:
        return None


def holder_among(inode: int, pids: Iterable[int]) -> int | None:
    """The first of ``pids`` that holds the socket ``inode`` open."""
    link = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == link:
                    return pid
            except OSError:
                continue
    return None


def peer_inode(conn: socket.socket) -> int | None:
    """The inode of the other end of the accepted loopback connection ``conn``."""
    try:
        return socket_inode(conn.getpeername()[:2], conn.getsockname()[:2])
    except OSError:
        return None


def socket_uid(client: tuple[str, int], server: tuple[str, int]) -> int | None:
    """The user id that owns the client's end of the loopback connection ``client`` -> ``server``."""
    fields = _tcp_line(client, server)
    try:
        return int(fields[7]) if fields else None
    except ValueError:
        return None
