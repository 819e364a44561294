"""The fake runtime answers as the subprocess runtime does (the contract the engine tests rely on).

Each case runs once as real Python code in an execution environment and once as the
same handler written as a callable in a FakeRuntime, and compares the results.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from runtime_support import ACCOUNT, ENDPOINT, REGION, spec, zip_files

from lambdalab.runtime import (
    FakeContext,
    FakeRuntime,
    FunctionSpec,
    InvokeResult,
    Runtime,
    RuntimeExit,
    RuntimeFailure,
    SandboxTimeout,
    SubprocessRuntime,
)


@pytest.fixture(scope="module")
def real() -> Iterator[SubprocessRuntime]:
    with SubprocessRuntime(endpoint_url=ENDPOINT, region=REGION, account_id=ACCOUNT) as runtime:
        yield runtime


@pytest.fixture
def fake() -> Iterator[FakeRuntime]:
    runtime = FakeRuntime()
    yield runtime
    runtime.close()


def fn(source: str, **kw: Any) -> FunctionSpec:
    kw.setdefault("runtime", "python3.12")
    return spec("app.handler", zip_files({"app.py": source}), str(kw.pop("runtime")), **kw)


def run(
    rt: Runtime, f: FunctionSpec, event: object = None, *, request_id: str | None = None, **kw: Any
) -> InvokeResult:
    return rt.invoke(
        f,
        json.dumps(event if event is not None else {}).encode(),
        request_id=request_id or str(uuid.uuid4()),
        invoked_function_arn=f.function_arn,
        **kw,
    )


def both(
    real: SubprocessRuntime,
    fake: FakeRuntime,
    source: str,
    handler: Callable[[Any, FakeContext], Any],
    event: object = None,
    **kw: Any,
) -> tuple[InvokeResult, InvokeResult]:
    """The same invocation (same function, same request id) in both runtimes."""
    f = fn(source, **kw)
    fake.handle(f.function_name, handler)
    rid = str(uuid.uuid4())
    return run(real, f, event, request_id=rid), run(fake, f, event, request_id=rid)


def same_answer(a: InvokeResult, b: InvokeResult) -> None:
    assert (a.request_id, a.executed_version, a.function_error, a.error_type, a.status_code) == (
        b.request_id,
        b.executed_version,
        b.function_error,
        b.error_type,
        b.status_code,
    )


# -- answers ------------------------------------------------------------------------------
def test_a_return_value_is_the_same_json(real: SubprocessRuntime, fake: FakeRuntime) -> None:
    source = "def handler(event, context):\n    return {'got': event, 'text': 'café', 'n': [1, 2.5, None, True]}\n"
    r, f = both(
        real, fake, source, lambda event, context: {"got": event, "text": "café", "n": [1, 2.5, None, True]}, {"a": 1}
    )
    same_answer(r, f)
    assert r.payload == f.payload and r.ok


@pytest.mark.parametrize("runtime", ["python3.11", "python3.13"])
def test_non_ascii_is_escaped_as_the_python_version_does(
    real: SubprocessRuntime, fake: FakeRuntime, runtime: str
) -> None:
    r, f = both(
        real, fake, "def handler(event, context):\n    return 'é'\n", lambda event, context: "é", runtime=runtime
    )
    assert r.payload == f.payload


def test_bytes_are_returned_as_they_are(real: SubprocessRuntime, fake: FakeRuntime) -> None:
    r, f = both(real, fake, "def handler(event, context):\n    return b'raw'\n", lambda event, context: b"raw")
    assert r.payload == f.payload == b"raw"


def test_an_exception_is_the_same_error_document(real: SubprocessRuntime, fake: FakeRuntime) -> None:
    def boom(event: Any, context: FakeContext) -> None:
        raise ValueError("boom: " + event["why"])

    source = "def handler(event, context):\n    raise ValueError('boom: ' + event['why'])\n"
    r, f = both(real, fake, source, boom, {"why": "testing"})
    same_answer(r, f)
    real_doc, fake_doc = json.loads(r.payload), json.loads(f.payload)
    assert list(real_doc) == list(fake_doc) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert {k: real_doc[k] for k in ("errorMessage", "errorType", "requestId")} == {
        k: fake_doc[k] for k in ("errorMessage", "errorType", "requestId")
    }
    assert len(real_doc["stackTrace"]) == len(fake_doc["stackTrace"]) == 1
    for log in (r.log, f.log):
        # one framed log record, lines joined by \n (awslambdaric's telemetry sink; \r only without it)
        assert "[ERROR] ValueError: boom: testing\nTraceback (most recent call last):\n\u00a0\u00a0File " in log


def test_a_value_that_is_not_json_is_a_marshal_error(real: SubprocessRuntime, fake: FakeRuntime) -> None:
    r, f = both(real, fake, "def handler(event, context):\n    return {1, 2}\n", lambda event, context: {1, 2})
    same_answer(r, f)
    assert r.error_type == "Runtime.MarshalError"
    assert json.loads(r.payload) == json.loads(f.payload)


def test_the_context_says_the_same(real: SubprocessRuntime, fake: FakeRuntime) -> None:
    fields = (
        "function_name",
        "function_version",
        "invoked_function_arn",
        "memory_limit_in_mb",
        "aws_request_id",
        "log_group_name",
    )
    source = f"def handler(event, context):\n    return {{k: getattr(context, k) for k in {fields!r}}}\n"
    r, f = both(real, fake, source, lambda event, context: {k: getattr(context, k) for k in fields}, memory_size=256)
    assert json.loads(r.payload) == json.loads(f.payload)


def test_client_context_reaches_the_function(real: SubprocessRuntime, fake: FakeRuntime) -> None:
    source = "def handler(event, context):\n    return context.client_context.custom\n"
    f = fn(source)
    fake.handle(f.function_name, lambda event, context: context.client_context.custom)
    ctx = json.dumps({"custom": {"user": "ana"}})
    assert run(real, f, client_context=ctx).payload == run(fake, f, client_context=ctx).payload == b'{"user": "ana"}'


def test_context_log_lands_in_the_invocation_log(real: SubprocessRuntime, fake: FakeRuntime) -> None:
    def log(event: Any, context: FakeContext) -> None:
        context.log("first line\n")

    r, f = both(real, fake, "def handler(event, context):\n    context.log('first line\\n')\n", log)
    for result in (r, f):
        # (the subprocess runtime may first say, before START, which Python stands in for python3.12)
        lines = [line for line in result.log.splitlines() if not line.startswith("lambdalab: ")]
        assert lines[0] == f"START RequestId: {result.request_id} Version: $LATEST"
        assert lines[-3:-1] == ["first line", f"END RequestId: {result.request_id}"]
        assert lines[-1].startswith(f"REPORT RequestId: {result.request_id}\tDuration: ")


# -- what the platform reports ------------------------------------------------------------
def test_a_timeout_is_the_same_failure_and_the_next_start_is_cold(real: SubprocessRuntime, fake: FakeRuntime) -> None:
    def stuck(event: Any, context: FakeContext) -> None:
        if event.get("stuck"):
            raise SandboxTimeout()

    source = "import time\ndef handler(event, context):\n    if event.get('stuck'):\n        time.sleep(30)\n"
    f = fn(source, timeout=1)
    fake.handle(f.function_name, stuck)
    for rt in (real, fake):
        run(rt, f)
    rid = str(uuid.uuid4())
    r, k = run(real, f, {"stuck": True}, request_id=rid), run(fake, f, {"stuck": True}, request_id=rid)
    same_answer(r, k)
    assert (
        r.payload
        == k.payload
        == json.dumps(
            {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {rid} Error: Task timed out after 1.00 seconds",
            }
        ).encode()
    )
    assert f"{rid} Task timed out after 1.00 seconds" in k.log and k.duration_ms == 1000.0
    assert run(real, f).init_duration_ms is not None and run(fake, f).init_duration_ms is not None


def test_an_exit_is_the_same_failure(real: SubprocessRuntime, fake: FakeRuntime) -> None:
    def leave(event: Any, context: FakeContext) -> None:
        raise RuntimeExit(3)

    r, f = both(real, fake, "import os\ndef handler(event, context):\n    os._exit(3)\n", leave)
    same_answer(r, f)
    assert r.error_type == "Runtime.ExitError" and r.payload == f.payload
    assert f.log.splitlines()[1:3] == [
        f"RequestId: {f.request_id} Error: Runtime exited with error: exit status 3",
        "Runtime.ExitError",
    ]


def test_warm_and_cold_starts_follow_the_same_rules(real: SubprocessRuntime, fake: FakeRuntime) -> None:
    source = "def handler(event, context):\n    return None\n"
    f = fn(source)
    fake.handle(f.function_name, lambda event, context: None)
    newer = FunctionSpec(**{**f.__dict__, "revision_id": "2"})
    for rt in (real, fake):
        cold = [run(rt, f).init_duration_ms is not None for _ in range(2)]
        rt.retire(f.function_name)
        cold.append(run(rt, f).init_duration_ms is not None)
        cold.append(run(rt, newer).init_duration_ms is not None)  # a new revision never reuses an environment
        assert cold == [True, False, True, True]
        [env] = [e for e in rt.environments() if e.function_name == f.function_name]
        assert (env.revision_id, env.state, env.invocations) == ("2", "warm", 1)


def test_reserved_concurrency_zero_throttles_both(real: SubprocessRuntime, fake: FakeRuntime) -> None:
    f = fn("def handler(event, context):\n    return None\n", reserved_concurrency=0)
    fake.handle(f.function_name, lambda event, context: None)
    for rt in (real, fake):
        with pytest.raises(RuntimeFailure) as err:
            run(rt, f)
        assert (err.value.code, err.value.message, err.value.status) == (
            "TooManyRequestsException",
            "Rate Exceeded.",
            429,
        )


def test_a_closed_runtime_refuses_to_invoke() -> None:
    fake = FakeRuntime({"f": lambda event, context: None})
    fake.close()
    with pytest.raises(RuntimeFailure) as err:
        run(fake, fn("", function_name="f"))
    assert err.value.code == "ServiceException"


def test_a_function_without_a_handler_is_a_loud_mistake(fake: FakeRuntime) -> None:
    with pytest.raises(LookupError, match="no handler for the function 'nobody'"):
        run(fake, fn("", function_name="nobody"))


def test_the_fake_starts_no_process(fake: FakeRuntime) -> None:
    fake.handle("pid", lambda event, context: os.getpid())
    assert json.loads(run(fake, fn("", function_name="pid")).payload) == os.getpid()


def test_an_answer_too_large_for_the_runtime_api_is_the_same_failure(
    real: SubprocessRuntime, fake: FakeRuntime
) -> None:
    size = 7 * 1024 * 1024
    r, f = both(
        real, fake, f"def handler(event, context):\n    return 'x' * {size}\n", lambda event, context: "x" * size
    )
    same_answer(r, f)
    assert r.error_type == "Function.ResponseSizeTooLarge" and r.payload == f.payload
    assert json.loads(f.payload)["errorMessage"] == (
        f"Response payload size ({size + 2} bytes) exceeded maximum allowed payload size (6291556 bytes)."
    )
