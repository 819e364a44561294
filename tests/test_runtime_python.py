"""The local Lambda runtime with Python functions: awslambdaric in a subprocess.

Warm and cold starts, errors as AWS shapes them, timeout, memory, crashes,
Lambda's environment variables, concurrency and throttling, clean shutdown.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from runtime_support import ACCOUNT, ENDPOINT, REGION, call, spec, zip_dir, zip_files

from lambdalab.runtime import FunctionSpec, InvokeResult, RuntimeFailure, SubprocessRuntime
from lambdalab.runtime.runtime import CALLS_PER_LANE
from lambdalab.runtime.types import Call


def make_spec(handler: str = "app.handler", code: str = "python_basic", **kw: object) -> FunctionSpec:
    return spec(handler, zip_dir(code), str(kw.pop("runtime", "python3.11")), **kw)


@pytest.fixture(scope="module")
def rt() -> Iterator[SubprocessRuntime]:
    runtime = SubprocessRuntime(endpoint_url=ENDPOINT, region=REGION, account_id=ACCOUNT, max_environments=10)
    yield runtime
    runtime.close()


def test_python_handler_receives_event_and_context(rt: SubprocessRuntime) -> None:
    spec = make_spec(memory_size=256, timeout=5)
    result = call(rt, spec, {"hello": "world"})
    body = json.loads(result.payload)
    assert result.ok and result.executed_version == "$LATEST"
    assert body["event"] == {"hello": "world"}
    assert body["function_name"] == spec.function_name
    assert body["function_version"] == "$LATEST"
    assert body["invoked_function_arn"] == spec.function_arn
    assert body["memory_limit_in_mb"] == "256"
    assert body["aws_request_id"] == result.request_id
    assert body["log_group_name"] == f"/aws/lambda/{spec.function_name}"
    assert body["log_stream_name"] == result.log_stream_name
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", result.log_stream_name)
    assert 4000 < body["remaining_ms"] <= 5000


def test_globals_persist_while_warm_and_init_duration_only_on_cold_start(rt: SubprocessRuntime) -> None:
    spec = make_spec()
    first, second, third = (call(rt, spec) for _ in range(3))
    counts = [json.loads(r.payload)["count"] for r in (first, second, third)]
    assert counts == [1, 2, 3]
    assert first.init_duration_ms is not None and first.init_duration_ms > 0
    assert "Init Duration: " in first.log
    assert "init: module loaded" in first.log  # init output belongs to the first invocation
    for warm in (second, third):
        assert warm.init_duration_ms is None
        assert "Init Duration" not in warm.log and "init: module loaded" not in warm.log


def test_log_is_start_output_end_report(rt: SubprocessRuntime) -> None:
    spec = make_spec(handler="app.log_json", memory_size=128)
    result = call(rt, spec, {"x": 1})
    rid = result.request_id
    lines = result.log.splitlines()
    init_start = result.log_events[0].message  # in CloudWatch Logs, not in the log tail
    assert init_start.startswith("INIT_START Runtime Version: python:3.11.v1\tRuntime Version ARN: arn:aws:lambda:")
    assert "INIT_START" not in result.log
    assert lines[0] == "init: module loaded"  # printed while the module loaded: the init phase, before START
    assert lines[1] == f"START RequestId: {rid} Version: $LATEST"
    assert '{"x": 1}' in lines
    assert lines[-2] == f"END RequestId: {rid}"
    report = result.log.splitlines()[-1]
    assert report.startswith(f"REPORT RequestId: {rid}\tDuration: ")
    assert "\tBilled Duration: " in report and "\tMemory Size: 128 MB\tMax Memory Used: " in report
    assert result.log.endswith("\t\n")
    assert result.billed_duration_ms >= result.duration_ms and result.max_memory_used_mb > 0


def test_new_python_minor_runs_on_the_kit_interpreter_with_a_notice(rt: SubprocessRuntime) -> None:
    other = "python3.99"
    result = call(rt, make_spec(runtime=other))
    assert result.ok
    assert f"lambdalab: {other} is not installed here" in result.log.splitlines()[0]


def test_unhandled_error_has_aws_shape(rt: SubprocessRuntime) -> None:
    result = call(rt, make_spec(handler="app.boom"), {"why": "testing"})
    doc = json.loads(result.payload)
    assert result.function_error == "Unhandled" and result.error_type == "ValueError"
    assert doc["errorType"] == "ValueError" and doc["errorMessage"] == "boom: testing"
    assert doc["requestId"] == result.request_id and isinstance(doc["stackTrace"], list)
    assert "[ERROR] ValueError: boom: testing" in result.log


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        (
            "missing.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'missing': No module named 'missing'",
        ),
        ("app.nope", "Runtime.HandlerNotFound", "Handler 'nope' missing on module 'app'"),
    ],
)
def test_init_errors_are_forwarded(rt: SubprocessRuntime, handler: str, error_type: str, message: str) -> None:
    result = call(rt, make_spec(handler=handler))
    doc = json.loads(result.payload)
    assert result.function_error == "Unhandled" and result.error_type == error_type
    assert doc["errorType"] == error_type and doc["errorMessage"] == message


def test_timeout_kills_the_environment_and_next_invoke_is_cold(rt: SubprocessRuntime) -> None:
    spec = make_spec(handler="app.sleepy", timeout=1)
    call(rt, spec, {"seconds": 0})
    [warm_pid] = _pids(rt, spec)
    result = call(rt, spec, {"seconds": 30})
    rid = result.request_id
    assert json.loads(result.payload) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {rid} Error: Task timed out after 1.00 seconds",
    }
    assert result.function_error == "Unhandled" and result.error_type == "Sandbox.Timedout"
    assert f" {rid} Task timed out after 1.00 seconds\n" in result.log
    assert 1000 <= result.duration_ms < 2000
    assert not _alive(warm_pid)
    after = call(rt, spec, {"seconds": 0})
    assert after.ok and after.init_duration_ms is not None


def test_memory_overuse_is_killed_as_out_of_memory(rt: SubprocessRuntime) -> None:
    result = call(rt, make_spec(handler="app.hog", memory_size=128), {"mb": 300})
    rid = result.request_id
    assert json.loads(result.payload) == {
        "errorType": "Runtime.OutOfMemory",
        "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: signal: killed",
    }
    assert result.function_error == "Unhandled" and result.max_memory_used_mb == 128
    assert "Max Memory Used: 128 MB" in result.log and "Runtime.OutOfMemory" in result.log


def test_crash_reports_exit_error(rt: SubprocessRuntime) -> None:
    result = call(rt, make_spec(handler="app.crash"))
    rid = result.request_id
    assert json.loads(result.payload) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: exit status 1",
    }
    assert "about to exit" in result.log and "Runtime.ExitError" in result.log


def test_non_serialisable_result_is_a_marshal_error(rt: SubprocessRuntime) -> None:
    result = call(rt, make_spec(handler="app.unserialisable"))
    doc = json.loads(result.payload)
    assert result.function_error == "Unhandled" and doc["errorType"] == "Runtime.MarshalError"
    assert "Unable to marshal response" in doc["errorMessage"]


def test_client_context_reaches_the_handler(rt: SubprocessRuntime) -> None:
    cc = {"custom": {"k": "v"}, "env": {"platform": "lab"}, "client": {"installation_id": "i-1"}}
    encoded = base64.b64encode(json.dumps(cc).encode()).decode()
    body = json.loads(call(rt, make_spec(handler="app.client_context"), client_context=encoded).payload)
    assert body["custom"] == {"k": "v"} and body["env"] == {"platform": "lab"}
    assert body["installation_id"] == "i-1"


def test_function_sees_lambda_variables_and_nothing_of_the_host(
    rt: SubprocessRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOST_SECRET", "do-not-leak")
    spec = make_spec(handler="app.environ", environment={"MY_SETTING": "1", "AWS_REGION": "evil"})
    env = json.loads(call(rt, spec).payload)
    assert "HOST_SECRET" not in env and "do-not-leak" not in json.dumps(env)
    assert env["AWS_ENDPOINT_URL"] == ENDPOINT
    assert env["MY_SETTING"] == "1" and env["AWS_REGION"] == REGION == env["AWS_DEFAULT_REGION"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == spec.function_name
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{spec.function_name}"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11" and env["_HANDLER"] == "app.environ"
    assert env["TZ"] == ":UTC" and env["AWS_SESSION_TOKEN"]
    for key in (
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_ACCESS_KEY_ID",
    ):
        assert env[key]
    assert not set(env) & {"HOME", "VIRTUAL_ENV", "PYTEST_CURRENT_TEST"}


def test_concurrent_invokes_each_get_their_own_environment(rt: SubprocessRuntime) -> None:
    spec = make_spec(handler="app.sleepy")
    results: dict[int, InvokeResult] = {}

    def worker(i: int) -> None:
        results[i] = call(rt, spec, {"seconds": 0.3, "id": i})

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert sorted(results) == list(range(8))
    pids = set()
    for i, result in results.items():
        body = json.loads(result.payload)
        assert body["id"] == i
        pids.add(body["environment"])
        assert result.log.count("START RequestId: ") == 1 and result.request_id in result.log
        assert result.log.count("sleeping") == 1
    assert len(pids) == 8


def test_reserved_concurrency_zero_throttles(rt: SubprocessRuntime) -> None:
    with pytest.raises(RuntimeFailure) as err:
        call(rt, make_spec(reserved_concurrency=0))
    assert (err.value.code, err.value.message, err.value.status) == ("TooManyRequestsException", "Rate Exceeded.", 429)
    assert err.value.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_reserved_concurrency_caps_concurrent_environments(rt: SubprocessRuntime) -> None:
    spec = make_spec(handler="app.sleepy", reserved_concurrency=1)
    call(rt, spec, {"seconds": 0})  # warm one environment first
    started = threading.Event()
    outcome: list[InvokeResult] = []

    def slow() -> None:
        started.set()
        outcome.append(call(rt, spec, {"seconds": 0.5}))

    thread = threading.Thread(target=slow)
    thread.start()
    started.wait(5)
    deadline = time.monotonic() + 5
    while not any(e.state == "busy" for e in rt.environments() if e.function_name == spec.function_name):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with pytest.raises(RuntimeFailure, match="TooManyRequestsException"):
        call(rt, spec, {"seconds": 0})
    thread.join(10)
    assert outcome and outcome[0].ok


def test_max_environments_throttles_when_every_environment_is_busy() -> None:
    with SubprocessRuntime(endpoint_url=ENDPOINT, region=REGION, account_id=ACCOUNT, max_environments=1) as small:
        spec = make_spec(handler="app.sleepy")
        thread = threading.Thread(target=call, args=(small, spec, {"seconds": 1}))
        thread.start()
        deadline = time.monotonic() + 5
        while not any(e.state == "busy" and e.pid for e in small.environments()):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with pytest.raises(RuntimeFailure, match="Rate Exceeded") as err:
            call(small, make_spec())
        assert err.value.reason == "ConcurrentInvocationLimitExceeded"  # the lab's limit plays the account's
        thread.join(10)
        assert call(small, make_spec()).ok  # the idle environment is evicted for a new one


def test_retire_and_new_revision_start_cold(rt: SubprocessRuntime) -> None:
    spec = make_spec(revision_id="r1")
    call(rt, spec)
    [pid1] = _pids(rt, spec)
    rt.retire(spec.function_name)
    assert not _alive(pid1)
    again = call(rt, spec)
    assert again.init_duration_ms is not None
    [pid2] = _pids(rt, spec)
    updated = make_spec(function_name=spec.function_name, revision_id="r2")
    changed = call(rt, updated)
    assert changed.init_duration_ms is not None and json.loads(changed.payload)["count"] == 1
    assert not _alive(pid2)
    assert [e.revision_id for e in rt.environments() if e.function_name == spec.function_name] == ["r2"]


def test_unsupported_runtime_is_refused_with_a_clear_message(rt: SubprocessRuntime) -> None:
    with pytest.raises(RuntimeFailure) as err:
        call(rt, make_spec(runtime="java21"))
    assert err.value.code == "InvalidRuntimeException" and "java21" in err.value.message


def test_close_leaves_no_processes_threads_or_listening_sockets() -> None:
    before = set(threading.enumerate())
    runtime = SubprocessRuntime(endpoint_url=ENDPOINT, region=REGION, account_id=ACCOUNT)
    for _ in range(2):
        call(runtime, make_spec())
    pids = [e.pid for e in runtime.environments() if e.pid]
    assert len(pids) == 2
    ports = [env.api.port for env in runtime._pool.snapshot()]
    assert all(_alive(p) for p in pids) and set(ports) <= _listening_ports()
    runtime.close()
    assert not any(_alive(p) for p in pids)
    assert not set(ports) & _listening_ports()
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert leftover == []


PARENT = textwrap.dedent(
    """
    import json, sys, time, uuid
    sys.path.insert(0, {tests!r})
    from test_runtime_python import make_spec, call, SubprocessRuntime
    rt = SubprocessRuntime(endpoint_url="http://127.0.0.1:1", region="us-east-1", account_id="123456789012")
    call(rt, make_spec())
    print(rt.environments()[0].pid, flush=True)
    time.sleep(60)
    """
)


def test_environments_die_when_the_lab_process_is_killed() -> None:
    script = PARENT.format(tests=str(Path(__file__).parent))
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert _alive(child)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(5)
    deadline = time.monotonic() + 5
    while _alive(child):
        assert time.monotonic() < deadline, "environment survived its parent"
        time.sleep(0.02)


def _pids(rt: SubprocessRuntime, spec: FunctionSpec) -> list[int]:
    """The host pids of a function's runtime processes (a function sees its own, sandboxed, pid)."""
    return [e.pid for e in rt.environments() if e.function_name == spec.function_name and e.pid]


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (ProcessLookupError, FileNotFoundError):
        return False
    return state not in ("Z", "X")


def _listening_ports() -> set[int]:
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


# -- invocations queued together (a burst's requests at one virtual instant) ----------------------------


CRASHES_ON_REQUEST = """\
import os
N = 0
def handler(event, context):
    global N
    N += 1
    if event.get("crash"):
        print("crashing")
        os._exit(1)
    return {"n": N}
"""


def _calls(fn: FunctionSpec, events: list[dict[str, object]]) -> list[Call]:
    return [Call(json.dumps(e).encode(), f"req-{i:04d}", fn.function_arn) for i, e in enumerate(events)]


def _run_all(rt: SubprocessRuntime, fn: FunctionSpec, calls: list[Call]) -> list[InvokeResult]:
    results = list(rt.invoke_many(fn, calls))
    assert all(isinstance(r, InvokeResult) for r in results)  # none refused
    return [r for r in results if isinstance(r, InvokeResult)]


def test_queued_invocations_run_in_turn_in_one_environment_each_with_its_own_log(rt: SubprocessRuntime) -> None:
    spec = make_spec()
    calls = _calls(spec, [{"n": i} for i in range(30)])
    results = _run_all(rt, spec, calls)
    bodies = [json.loads(r.payload) for r in results]
    assert [b["count"] for b in bodies] == list(range(1, 31))  # one after another, globals kept
    assert len({b["environment"] for b in bodies}) == 1
    assert [b["event"] for b in bodies] == [{"n": i} for i in range(30)]
    for i, result in enumerate(results):
        assert result.request_id == calls[i].request_id == json.loads(result.payload)["aws_request_id"]
        assert [line for line in result.log.splitlines() if line.startswith("handling")] == [f"handling {{'n': {i}}}"]
        assert (result.init_duration_ms is not None) == (i == 0)
        assert ("init: module loaded" in result.log) == (i == 0)
        assert result.log.splitlines()[-2] == f"END RequestId: {calls[i].request_id}"


def test_what_a_crashed_environment_had_not_started_goes_to_a_new_one(rt: SubprocessRuntime) -> None:
    fn = spec("app.handler", zip_files({"app.py": CRASHES_ON_REQUEST}), "python3.11")
    calls = _calls(fn, [{}, {}, {"crash": True}, {}, {}])
    results = _run_all(rt, fn, calls)
    assert [r.request_id for r in results] == [c.request_id for c in calls]
    assert [r.error_type for r in results] == [None, None, "Runtime.ExitError", None, None]
    counts = [json.loads(r.payload).get("n") for r in results]
    assert counts == [1, 2, None, 1, 2]  # the last two in a new environment, its init on the first
    assert [r.init_duration_ms is not None for r in results] == [True, False, False, True, False]
    assert "crashing" in results[2].log


def test_a_long_batch_is_dealt_out_in_turn_to_a_few_environments_that_run_at_once() -> None:
    runtime = SubprocessRuntime(endpoint_url=ENDPOINT, region=REGION, account_id=ACCOUNT, max_environments=3)
    try:
        fn = make_spec()
        calls = _calls(fn, [{"n": i} for i in range(4 * CALLS_PER_LANE)])  # four lanes wanted, room for three
        results = _run_all(runtime, fn, calls)
        bodies = [json.loads(r.payload) for r in results]
        assert [b["event"] for b in bodies] == [{"n": i} for i in range(len(calls))]
        assert [r.request_id for r in results] == [c.request_id for c in calls]
        lanes = [b["environment"] for b in bodies[:3]]
        assert len(set(lanes)) == 3 and len(runtime.environments()) == 3
        assert [b["environment"] for b in bodies] == [lanes[i % 3] for i in range(len(calls))]  # call i: lane i % 3
        assert [b["count"] for b in bodies] == [i // 3 + 1 for i in range(len(calls))]  # each lane in turn
        assert [i for i, r in enumerate(results) if r.init_duration_ms is not None] == [0, 1, 2]
        assert all(f"handling {{'n': {i}}}" in r.log for i, r in enumerate(results))
    finally:
        runtime.close()
