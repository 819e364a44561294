"""An execution environment's processes: all of them die with it, count against its memory, and
cannot reach the lab's process; its /tmp is its own.

Each test runs with namespaces (where the kernel allows them, as here) and with the plain supervisor
that machines without unprivileged namespaces get.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from runtime_support import ACCOUNT, ENDPOINT, REGION, call, spec, zip_files
from support import LAMBDA_TRUST, create_python, wait_for

import lambdalab
from lambdalab.runtime import FunctionSpec, SubprocessRuntime

FUNCTION = '''
import os, sys, tempfile, threading, time


def handler(event, context):
    return ACTIONS[event["do"]](event)


def escape(event):
    """A grandchild in a session of its own, re-parented away from the runtime: a setsid double fork."""
    child = os.fork()
    if child == 0:
        os.setsid()
        if os.fork() == 0:
            if event.get("mb"):  # a python that allocates, then waits
                code = f"blob = bytearray({event['mb']} << 20)\\nimport time\\ntime.sleep(300)"
                os.execve(sys.executable, [sys.executable, "-c", code], {**os.environ, "MARK": event["token"]})
            os.execv("/bin/sleep", [event["token"], "300"])
        os._exit(0)
    os.waitpid(child, 0)
    time.sleep(event.get("wait", 0))
    return "forked"


def who(event):
    try:
        os.kill(event["lab_pid"], 0)
        reach = "signalled"
    except ProcessLookupError:
        reach = "no such process"
    except PermissionError:
        reach = "not permitted"
    return {"ppid": os.getppid(), "reach": reach}


def kill_parent(event):
    os.kill(os.getppid(), 9)
    time.sleep(0.5)
    return "still here"


def write_tmp(event):
    with open(os.path.join(tempfile.gettempdir(), event["name"]), "w") as f:  # /tmp in the namespace
        f.write("mine")
    return {"gettempdir": tempfile.gettempdir(), "listing": sorted(os.listdir(tempfile.gettempdir()))}


HELD = []


def hog_later(event):
    """Memory held after the response: a thread that keeps allocating."""
    def grow():
        for _ in range(event["mb"]):
            HELD.append(bytearray(1 << 20))
    threading.Thread(target=grow, daemon=True).start()
    return "returned"


ACTIONS = {"escape": escape, "who": who, "kill_parent": kill_parent, "write_tmp": write_tmp, "hog_later": hog_later}
'''
CODE = zip_files({"app.py": FUNCTION})


def make(**kw: object) -> FunctionSpec:
    return spec("app.handler", CODE, "python3.12", **kw)


def mode_of(sandboxed: SubprocessRuntime, fn: FunctionSpec) -> str:
    [env] = [e for e in sandboxed._pool.snapshot() if e.function_name == fn.function_name]  # noqa: SLF001 - the sandbox in use
    return env.sandbox.mode


def named(token: str) -> list[int]:
    """Live processes whose argv[0] is ``token``, or with ``MARK=token`` in their environment."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                argv0 = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")[0]
                marked = f"MARK={token}".encode() in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv0 == token.encode() or marked:
                found.append(int(entry))
    return found


def test_namespaces_are_used_where_the_kernel_allows_them(monkeypatch: pytest.MonkeyPatch) -> None:
    allowed = (
        subprocess.run(["unshare", "--user", "--pid", "--mount", "--fork", "true"], capture_output=True).returncode == 0
    )
    with SubprocessRuntime(endpoint_url=ENDPOINT, region=REGION, account_id=ACCOUNT) as sandboxed:
        fn = make()
        assert call(sandboxed, fn, {"do": "who", "lab_pid": os.getpid()}).ok
        assert mode_of(sandboxed, fn) == ("namespaces" if allowed else "plain")


def test_a_setsid_double_fork_dies_when_the_runtime_closes(sandboxed: SubprocessRuntime) -> None:
    # GIVEN a function that leaves a detached grandchild behind
    token = f"escapee-{uuid.uuid4().hex[:8]}"
    fn = make()
    assert json.loads(call(sandboxed, fn, {"do": "escape", "token": token}).payload) == "forked"
    wait_for(lambda: named(token), "the grandchild never started")
    # THEN it is one of the environment's processes
    [escapee] = named(token)
    [env] = sandboxed._pool.snapshot()  # noqa: SLF001
    assert escapee in env.sandbox.processes(refresh=True)
    # WHEN the sandboxed closes THEN it is gone
    sandboxed.close()
    assert named(token) == []


def test_a_setsid_double_fork_dies_when_the_lab_closes() -> None:
    # GIVEN a lab whose function left a detached grandchild
    token = f"escapee-{uuid.uuid4().hex[:8]}"
    lab = lambdalab.Lab()
    try:
        role = lab.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
        name = create_python(lab, role["Role"]["Arn"], source=FUNCTION)
        answer = lab.client("lambda").invoke(FunctionName=name, Payload=json.dumps({"do": "escape", "token": token}))
        assert json.loads(answer["Payload"].read()) == "forked"
        wait_for(lambda: named(token), "the grandchild never started")
    finally:
        # WHEN the lab closes
        lab.close()
    # THEN the grandchild is gone with it
    assert named(token) == []


def test_a_setsid_double_fork_dies_when_its_function_is_retired(sandboxed: SubprocessRuntime) -> None:
    token = f"escapee-{uuid.uuid4().hex[:8]}"
    fn = make()
    call(sandboxed, fn, {"do": "escape", "token": token})
    wait_for(lambda: named(token), "the grandchild never started")
    sandboxed.retire(fn.function_name)
    assert named(token) == []


LAB = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from runtime_support import ACCOUNT, ENDPOINT, REGION, call
    from test_sandbox import make
    from lambdalab.runtime import SubprocessRuntime, sandbox
    sandbox.NAMESPACES = {namespaces!r}
    sandboxed = SubprocessRuntime(endpoint_url=ENDPOINT, region=REGION, account_id=ACCOUNT)
    print(call(sandboxed, make(), {{"do": "escape", "token": {token!r}}}).payload.decode(), flush=True)
    print(sandboxed._root, flush=True)
    sys.stdin.read()  # until killed
    """
)


@pytest.mark.parametrize("namespaces", [True, False], ids=["namespaces", "plain"])
def test_a_setsid_double_fork_dies_when_the_lab_process_is_killed(namespaces: bool) -> None:
    # GIVEN a lab's process whose function left a detached grandchild
    token = f"escapee-{uuid.uuid4().hex[:8]}"
    script = LAB.format(tests=str(Path(__file__).parent), namespaces=namespaces, token=token)
    lab = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert lab.stdout is not None
        assert lab.stdout.readline().strip() == '"forked"'
        root = Path(lab.stdout.readline().strip())
        wait_for(lambda: named(token), "the grandchild never started")
    finally:
        # WHEN the lab's process is killed outright
        lab.send_signal(signal.SIGKILL)
        lab.wait(10)
    # THEN the grandchild goes too
    wait_for(lambda: not named(token), "the grandchild survived the lab")
    # AND the next runtime removes the dead lab's files (its own stay)
    assert root.is_dir()
    with SubprocessRuntime(endpoint_url=ENDPOINT, region=REGION, account_id=ACCOUNT) as next_one:
        assert not root.exists() and next_one._root.is_dir()  # noqa: SLF001


def test_a_function_cannot_reach_the_labs_process(sandboxed: SubprocessRuntime) -> None:
    fn = make()
    seen = json.loads(call(sandboxed, fn, {"do": "who", "lab_pid": os.getpid()}).payload)
    assert seen["ppid"] != os.getpid()  # its parent is never the lab's process
    if mode_of(sandboxed, fn) == "namespaces":
        # it cannot even name the lab's process; its parent is the sandbox's init
        assert seen == {"ppid": 1, "reach": "no such process"}


def test_a_function_that_kills_its_parent_leaves_nothing_behind(sandboxed: SubprocessRuntime) -> None:
    # GIVEN an environment with a detached grandchild the lab has seen
    token = f"escapee-{uuid.uuid4().hex[:8]}"
    fn = make()
    call(sandboxed, fn, {"do": "escape", "token": token})
    wait_for(lambda: named(token), "the grandchild never started")
    mode = mode_of(sandboxed, fn)
    sandboxed._pool.snapshot()[0].sandbox.processes(refresh=True)  # noqa: SLF001
    # WHEN the function kills its parent
    result = call(sandboxed, fn, {"do": "kill_parent"})
    if mode == "namespaces":
        # THEN nothing happens: init ignores signals from inside its namespace
        assert json.loads(result.payload) == "still here" and named(token)
    else:
        # THEN the supervisor is gone, so is the environment, and the lab ends what it saw of it
        assert result.error_type == "Runtime.ExitError" and "signal: killed" in result.log
        wait_for(lambda: not named(token), "the grandchild outlived its killed supervisor")


def test_each_environment_has_its_own_tmp_removed_with_it(sandboxed: SubprocessRuntime) -> None:
    # GIVEN two functions writing the same file name in /tmp
    name = f"mine-{uuid.uuid4().hex[:8]}.txt"
    first, second = make(), make()
    one = json.loads(call(sandboxed, first, {"do": "write_tmp", "name": name}).payload)
    two = json.loads(call(sandboxed, second, {"do": "write_tmp", "name": name}).payload)
    # THEN each sees only its own file, and the host's /tmp has none
    assert one["listing"] == two["listing"] == [name]
    assert not Path("/tmp", name).exists()
    dirs = [e.sandbox.tmp for e in sandboxed._pool.snapshot()]  # noqa: SLF001
    assert all((d / name).read_text() == "mine" for d in dirs)
    if mode_of(sandboxed, first) == "namespaces":
        assert one["gettempdir"] == "/tmp"  # /tmp itself is the environment's
    else:
        assert one["gettempdir"] in {str(d) for d in dirs}  # TMPDIR; an absolute /tmp path is the host's
    # WHEN the environments go THEN so do their directories
    sandboxed.retire(first.function_name)
    sandboxed.retire(second.function_name)
    assert not any(d.exists() for d in dirs)


def test_memory_held_after_the_response_stops_the_idle_environment(sandboxed: SubprocessRuntime) -> None:
    # GIVEN a 128 MB function whose thread keeps allocating after it returned
    fn = make(memory_size=128)
    assert json.loads(call(sandboxed, fn, {"do": "hog_later", "mb": 300}).payload) == "returned"
    # THEN the idle environment is stopped once it holds more than 128 MB
    wait_for(lambda: not sandboxed.environments(), "an idle environment over its memory kept running")
    # AND the next invocation starts cold and says why
    again = call(sandboxed, fn, {"do": "hog_later", "mb": 0})
    assert again.ok and again.init_duration_ms is not None
    assert "stopped between invocations" in again.log and "more than the function's 128 MB" in again.log


def test_a_detached_grandchilds_memory_counts_against_the_function(sandboxed: SubprocessRuntime) -> None:
    # GIVEN a 128 MB function whose detached grandchild allocates 300 MB while the handler waits
    token = f"hog-{uuid.uuid4().hex[:8]}"
    event = {"do": "escape", "token": token, "mb": 300, "wait": 20}
    result = call(sandboxed, make(memory_size=128, timeout=30), event)
    # THEN the invocation fails as out of memory, and nothing of the environment is left
    assert result.error_type == "Runtime.OutOfMemory" and result.max_memory_used_mb == 128
    assert sandboxed.environments() == [] and named(token) == []
