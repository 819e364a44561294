"""An environment's Runtime API serves its own processes only, and never loses an event to a poller
that left."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import uuid

from runtime_support import call, spec, zip_files
from support import wait_for

from lambdalab.runtime import FunctionSpec, InvokeResult, SubprocessRuntime
from lambdalab.runtime.api import Invocation, RuntimeApiServer

NEXT = "/2018-06-01/runtime/invocation/next"
FUNCTION = '''
import json, os, signal, socket, time


def handler(event, context):
    return ACTIONS[event["do"]](event)


def echo(event):
    time.sleep(0.02)
    return {"n": event["n"]}


def steal(event):
    """Poll another environment's Runtime API and answer what comes with a forged result."""
    host, port = event["api"].split(":")
    seen = []
    for _ in range(event["tries"]):
        try:
            with socket.create_connection((host, int(port)), timeout=5) as conn:
                conn.sendall(f"GET {NEXT} HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n".encode())
                answer = conn.recv(65536).decode(errors="replace")
                seen.append(answer.split("\\r\\n")[0])
                if " 200 " in seen[-1]:  # got an event: forge its answer
                    rid = [l for l in answer.split("\\r\\n") if l.lower().startswith("lambda-runtime-aws-request-id")]
                    body = b'{"forged": true}'
                    conn.sendall(b"POST /2018-06-01/runtime/invocation/" + rid[0].split(":")[1].strip().encode()
                                 + b"/response HTTP/1.1\\r\\nContent-Length: 16\\r\\n\\r\\n" + body)
        except OSError as err:
            seen.append(type(err).__name__)
        time.sleep(0.01)
    return seen


def abandon(event):
    """A child of this environment polls its own /next and is killed while it waits."""
    host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
    child = os.fork()
    if child == 0:
        conn = socket.create_connection((host, int(port)))
        conn.sendall(f"GET {NEXT} HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n".encode())
        time.sleep(300)
    time.sleep(event["wait"])
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    return "abandoned"


NEXT = "/2018-06-01/runtime/invocation/next"
ACTIONS = {"echo": echo, "steal": steal, "abandon": abandon}
'''
CODE = zip_files({"app.py": FUNCTION})


def make(**kw: object) -> FunctionSpec:
    return spec("app.handler", CODE, "python3.12", timeout=10, **kw)


def _get_next(address: str) -> tuple[socket.socket, str]:
    host, port = address.split(":")
    conn = socket.create_connection((host, int(port)), timeout=10)
    conn.sendall(f"GET {NEXT} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return conn, address


def test_a_thief_in_another_environment_is_refused_and_nothing_is_lost_or_forged(sandboxed: SubprocessRuntime) -> None:
    # GIVEN a victim environment and its Runtime API's address
    victim = make()
    assert json.loads(call(sandboxed, victim, {"do": "echo", "n": -1}).payload) == {"n": -1}
    [victim_env] = [e for e in sandboxed._pool.snapshot() if e.function_name == victim.function_name]  # noqa: SLF001
    # WHEN another function polls that address over and over while the victim is invoked 20 times
    stolen: list[InvokeResult] = []
    thief = threading.Thread(
        target=lambda: stolen.append(
            call(sandboxed, make(), {"do": "steal", "api": victim_env.api.address, "tries": 60})
        )
    )
    thief.start()
    results = [call(sandboxed, victim, {"do": "echo", "n": n}) for n in range(20)]
    thief.join(60)
    # THEN every invocation reached the victim's own sandboxed and came back unforged
    assert [json.loads(r.payload) for r in results] == [{"n": n} for n in range(20)]
    # AND the thief was refused every time
    seen = json.loads(stolen[0].payload)
    assert len(seen) == 60 and all(" 403 " in s for s in seen), seen
    assert victim_env.api.refused >= 60


def test_a_process_outside_every_environment_is_refused(sandboxed: SubprocessRuntime) -> None:
    fn = make()
    call(sandboxed, fn, {"do": "echo", "n": 0})
    [env] = sandboxed._pool.snapshot()  # noqa: SLF001
    conn, _ = _get_next(env.api.address)  # from the lab's own process: not the environment's
    with conn:
        answer = conn.recv(65536)
    assert answer.startswith(b"HTTP/1.1 403 Forbidden") and b"its own execution environment" in answer
    assert json.loads(call(sandboxed, fn, {"do": "echo", "n": 1}).payload) == {"n": 1}


def test_a_poller_of_the_environment_that_is_killed_while_waiting_takes_no_event(sandboxed: SubprocessRuntime) -> None:
    # GIVEN an environment whose own child polls /next and is killed while it waits
    fn = make()
    assert json.loads(call(sandboxed, fn, {"do": "abandon", "wait": 0.5}).payload) == "abandoned"
    # WHEN the next event comes THEN the sandboxed gets it, not the dead connection
    after = call(sandboxed, fn, {"do": "echo", "n": 7})
    assert after.ok and json.loads(after.payload) == {"n": 7}


def test_an_abandoned_next_leaves_the_event_for_the_next_poller() -> None:
    api = RuntimeApiServer()
    try:
        # GIVEN a /next that waits, then is abandoned by its client
        first, _ = _get_next(api.address)
        wait_for(lambda: api.waiting == 1, "the first /next never waited")
        first.close()
        # WHEN an event is offered
        inv = Invocation(request_id=str(uuid.uuid4()), payload=b'{"n": 1}', invoked_function_arn="arn", timeout=3)
        api.offer(inv)
        # THEN the next poller gets it
        second, _ = _get_next(api.address)
        with second:
            answer = second.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b'{"n": 1}')
        assert inv.request_id.encode() in answer
    finally:
        api.close()


def test_a_killed_poller_process_leaves_the_event_for_the_next_poller() -> None:
    api = RuntimeApiServer()
    poller = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import socket, time\nc = socket.create_connection(('127.0.0.1', {api.port}))\n"
            f"c.sendall(b'GET {NEXT} HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')\ntime.sleep(300)",
        ]  # fmt: skip
    )
    try:
        wait_for(lambda: api.waiting == 1, "the poller never waited")
        poller.kill()
        poller.wait(10)
        inv = Invocation(request_id=str(uuid.uuid4()), payload=b"{}", invoked_function_arn="arn", timeout=3)
        api.offer(inv)
        second, _ = _get_next(api.address)
        with second:
            assert inv.request_id.encode() in second.recv(65536)
    finally:
        if poller.poll() is None:
            poller.kill()
            poller.wait()
        api.close()
