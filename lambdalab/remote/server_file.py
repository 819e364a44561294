"""How a connecting notebook finds a ``lambdalab server``'s credentials, and nobody else does.

The server signs nothing itself: it checks that each request is signed with its own random
keys (:mod:`lambdalab.credentials`).  It writes them, with its region, account and clock,
to a file only its user can read (mode 0600 in a 0700 folder), prints the file's path and
removes it when it stops.  :func:`read` refuses a file another user owns or others may read:
it would not be the learner's own server, or its keys would not be secret any more.

The folder is ``$LAMBDALAB_STATE_DIR`` or ``~/.local/state/lambdalab/servers`` (the XDG
state directory), one file per port.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import LabError


@dataclass(frozen=True)
class ServerInfo:
    """What a client needs to use a running ``lambdalab server``."""

    endpoint_url: str
    region: str
    account_id: str
    access_key: str
    secret_key: str
    speed: float  # virtual seconds per real second
    started: float  # the wall clock (time.time()) when the server's virtual time was `virtual_start`
    virtual_start: str  # ISO 8601: the server's virtual time when it started
    pid: int


def servers_dir() -> Path:
    base = os.environ.get("LAMBDALAB_STATE_DIR")
    if base:
        return Path(base) / "servers"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "lambdalab" / "servers"


def path_for(endpoint_url: str) -> Path:
    """The file a server on ``endpoint_url`` writes (one per port)."""
    parts = urlsplit(endpoint_url)
    if parts.hostname not in ("127.0.0.1", "localhost") or parts.port is None:
        raise LabError(f"{endpoint_url} is not a lambdalab server on this machine (http://127.0.0.1:PORT).")
    return servers_dir() / f"{parts.port}.json"


def write(info: ServerInfo) -> Path:
    """Write ``info`` readable by this user only; returns the file's path."""
    folder = servers_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    path = path_for(info.endpoint_url)
    path.unlink(missing_ok=True)  # a stale file of a server that died (the port is free again)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(info), f)
    return path


def read(endpoint_url: str, path: Path | None = None) -> ServerInfo:
    """The credentials of the server on ``endpoint_url`` (from its file, or ``path``)."""
    path = path or path_for(endpoint_url)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise LabError(
            f"No lambdalab server credentials at {path}. Start one with `lambdalab server` "
            "(as this user), or pass the path it printed: Lab.connect(url, server_file=...)."
        ) from None
    if st.st_uid != os.getuid() or st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise LabError(f"{path} belongs to another user or others may read it: refusing to use its keys.")
    data = json.loads(path.read_text())
    info = ServerInfo(**data)
    if urlsplit(info.endpoint_url).port != urlsplit(endpoint_url).port:
        raise LabError(f"{path} describes the server at {info.endpoint_url}, not {endpoint_url}.")
    return info


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)
