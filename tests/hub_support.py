"""A real JupyterHub on loopback for tests: the classroom's trial configuration, a service token,
and a notebook run cell by cell in a learner's kernel through the learner's server (REST API and
the kernel's websocket), as JupyterLab would."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from process_tree import Process, alive, descendants, free_port
from support import wait_for

ROOT = Path(__file__).resolve().parent.parent
PROXY = ROOT / "classroom" / "node_modules" / ".bin" / "configurable-http-proxy"


class Hub:
    """``jupyterhub -f classroom/trial_config.py`` on free loopback ports, with ``users`` allowed
    and a service whose token may start, stop and use their servers."""

    def __init__(self, folder: Path, users: list[str]) -> None:
        self.folder, self.users = folder, users
        self.token = secrets.token_hex(32)
        self.port = free_port()
        self.homes = folder / "homes"
        config = folder / "jupyterhub_config.py"
        config.write_text(
            f"load_subconfig({str(ROOT / 'classroom' / 'trial_config.py')!r})\n"
            f"c.JupyterHub.bind_url = 'http://127.0.0.1:{self.port}'\n"
            f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{free_port()}'\n"
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{free_port()}'\n"
            f"c.Authenticator.allowed_users = {set(users)!r}\n"
            # a start request answers at once (202) instead of waiting up to 10 s for the server
            "c.JupyterHub.tornado_settings = {'slow_spawn_timeout': 0}\n"
            f"c.JupyterHub.services = [{{'name': 'teacher', 'api_token': {self.token!r}}}]\n"
            "c.JupyterHub.load_roles = [{'name': 'teacher', 'services': ['teacher'], 'scopes': "
            "['admin:users', 'admin:servers', 'read:servers', 'access:servers']}]\n"
        )
        self.log = folder / "hub.log"
        env = {**os.environ, "LAMBDALAB_HUB_HOMES": str(self.homes)}
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(config)],
                cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.tree: set[Process] = set()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def api(self, path: str, method: str = "GET", body: object = None) -> Any:
        """A call to the hub's REST API (``/hub/api...``) or a learner's server (``/user/<name>/api...``)."""
        request = urllib.request.Request(
            self.url(path),
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
            data=None if body is None else json.dumps(body).encode(),
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            return json.loads(reply.read() or b"null")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def wait_until_up(self) -> None:
        def up() -> bool:
            assert self.proc.poll() is None, "JupyterHub exited:\n" + self.tail()
            with contextlib.suppress(OSError):
                return bool(self.api("/hub/api/"))
            return False

        wait_for(up, "JupyterHub never answered:\n" + self.tail(), limit=120)

    def start_server(self, user: str) -> None:
        with contextlib.suppress(urllib.error.HTTPError):  # 202: pending, 201: started
            self.api(f"/hub/api/users/{user}/server", method="POST")

    def wait_until_ready(self, user: str) -> None:
        def ready() -> bool:
            assert self.proc.poll() is None, "JupyterHub exited:\n" + self.tail()
            server = self.api(f"/hub/api/users/{user}")["servers"].get("", {})
            return bool(server.get("ready"))

        wait_for(ready, f"{user}'s server never became ready:\n" + self.tail(), limit=180)

    def stop(self) -> set[Process]:
        """Stop the hub as a service manager would (SIGTERM) and wait; what of its tree is still running."""
        self.tree |= descendants(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(AssertionError):
            wait_for(lambda: not alive(self.tree), "", limit=20)
        left = alive(self.tree)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        for pid, _ in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        return left


@dataclass
class Reply:
    """What one cell did: its stream text, its error (if any) and its rich outputs' mime types."""

    text: str = ""
    error: str | None = None
    mimes: list[str] = field(default_factory=list)


class Kernel:
    """A kernel on a learner's server, driven over its websocket (Jupyter's messaging protocol)."""

    def __init__(self, hub: Hub, user: str) -> None:
        import websocket

        self.hub, self.user = hub, user
        self.id = hub.api(f"/user/{user}/api/kernels", method="POST", body={"name": "python3"})["id"]
        self.session = uuid.uuid4().hex
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{hub.port}/user/{user}/api/kernels/{self.id}/channels",
            header=[f"Authorization: token {hub.token}"],
            timeout=300,
            suppress_origin=True,
        )

    def run(self, code: str) -> Reply:
        """Execute ``code``; return once the kernel is idle again after it."""
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "session": self.session, "username": self.user}
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False}
        self.ws.send(
            json.dumps(
                {
                    "header": {**header, "version": "5.3", "date": ""},
                    "parent_header": {},
                    "metadata": {},
                    "content": {**content, "stop_on_error": True},
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        reply, replied, idle = Reply(), False, False
        while not (replied and idle):
            message = json.loads(self.ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, body = message["msg_type"], message["content"]
            if kind == "stream":
                reply.text += body["text"]
            elif kind == "error":
                reply.error = f"{body['ename']}: {body['evalue']}"
            elif kind in ("display_data", "execute_result"):
                reply.mimes.extend(body["data"])
            elif kind == "status" and body["execution_state"] == "idle":
                idle = True
            elif kind == "execute_reply":
                replied = True
        return reply

    def close(self) -> None:
        self.ws.close()
