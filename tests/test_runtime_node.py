"""The local Lambda runtime with Node.js and custom (provided.*) runtimes."""

from __future__ import annotations

import base64
import json
import re
import shutil
import threading
from collections.abc import Iterator

import pytest
from runtime_support import ACCOUNT, REGION, call, spec, zip_dir, zip_files

from lambdalab.runtime import FunctionSpec, InvokeResult, SubprocessRuntime

NODE_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t(?P<rid>[^\t]+)\t(?P<level>[A-Z]+)\t(?P<msg>.*)$")

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


def make_spec(handler: str, code: bytes, runtime: str = "nodejs20.x", **kw: object) -> FunctionSpec:
    return spec(handler, code, runtime, **kw)


@pytest.fixture(scope="module")
def rt() -> Iterator[SubprocessRuntime]:
    runtime = SubprocessRuntime(endpoint_url="http://127.0.0.1:5999", region=REGION, account_id=ACCOUNT)
    yield runtime
    runtime.close()


@needs_node
def test_classic_callback_handler_runs_unchanged(rt: SubprocessRuntime) -> None:
    result = call(rt, make_spec("index.handler", zip_dir("node_classic")), {"name": "Ada"})
    body = json.loads(result.payload)
    assert result.ok
    assert body["statusCode"] == 200 and body["headers"] == {"Content-Type": "text/html"}
    assert "<h1>Hello from Lambda, Ada!</h1>" in body["body"]
    line = next(m for m in map(NODE_LINE.match, result.log.splitlines()) if m)
    assert line["rid"] == result.request_id and line["level"] == "INFO"
    assert line["msg"] == 'Received event: {"name":"Ada"}'


@needs_node
def test_async_esm_handler_context_and_warm_globals(rt: SubprocessRuntime) -> None:
    spec = make_spec("index.handler", zip_dir("node_esm"), memory_size=256, timeout=4)
    first, second = call(rt, spec, {"a": 1}), call(rt, spec, {"a": 2})
    one, two = json.loads(first.payload), json.loads(second.payload)
    assert (one["count"], two["count"]) == (1, 2) and one["environment"] == two["environment"]
    assert one["event"] == {"a": 1}
    assert 3000 < one["remaining"] <= 4000
    assert one["functionName"] == spec.function_name and one["functionVersion"] == "$LATEST"
    assert one["invokedFunctionArn"] == spec.function_arn and one["memoryLimitInMB"] == "256"
    assert one["awsRequestId"] == first.request_id
    assert one["logGroupName"] == f"/aws/lambda/{spec.function_name}" and one["logStreamName"]
    assert first.init_duration_ms is not None and second.init_duration_ms is None
    assert "\tundefined\tINFO\tinit: module loaded" in first.log  # init output, before any request
    assert "init: module loaded" not in second.log
    assert f"\t{second.request_id}\tINFO\thandling {{ a: 2 }}" in second.log


@needs_node
def test_commonjs_cjs_handler_returning_a_promise(rt: SubprocessRuntime) -> None:
    result = call(rt, make_spec("index.handler", zip_dir("node_cjs")), [1, 2])
    assert json.loads(result.payload) == {"kind": "cjs", "echo": [1, 2]}


@needs_node
def test_node_client_context(rt: SubprocessRuntime) -> None:
    cc = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    body = json.loads(call(rt, make_spec("index.handler", zip_dir("node_esm")), client_context=cc).payload)
    assert body["clientContext"] == {"custom": {"k": "v"}}


@needs_node
@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [("index.boom", "TypeError", "bad things"), ("index.callbackError", "Error", "via callback")],
)
def test_node_unhandled_error_shape(rt: SubprocessRuntime, handler: str, error_type: str, message: str) -> None:
    result = call(rt, make_spec(handler, zip_dir("node_errors")))
    doc = json.loads(result.payload)
    assert result.function_error == "Unhandled" and result.error_type == error_type
    assert doc["errorType"] == error_type and doc["errorMessage"] == message
    assert doc["trace"][0] == f"{error_type}: {message}" and len(doc["trace"]) > 1
    assert f"\t{result.request_id}\tERROR\tInvoke Error " in result.log


@needs_node
def test_node_init_errors(rt: SubprocessRuntime) -> None:
    missing = call(rt, make_spec("nothere.handler", zip_dir("node_classic")))
    doc = json.loads(missing.payload)
    assert missing.error_type == "Runtime.ImportModuleError"
    assert doc["errorMessage"].startswith("Error: Cannot find module 'nothere'")
    absent = call(rt, make_spec("index.nope", zip_dir("node_classic")))
    assert absent.error_type == "Runtime.HandlerNotFound"
    assert json.loads(absent.payload)["errorMessage"] == "index.nope is undefined or not exported"


CALLBACK_REMOVED = (
    "ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. "
    "You need to modify this function to use a supported handler signature to use Node.js 24 or later. "
    "For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html."
)
NODE24_HANDLERS = {
    "index.mjs": (
        "export const callback = (event, context, callback) => callback(null, 'cb');\n"
        "export const asyncWithCallback = async (event, context, callback) => 'async3';\n"
        "export const modern = async (event, context) => 'async2';\n"
        "export const streamed = awslambda.streamifyResponse(async (event, stream, context) => {\n"
        "  stream.write('streamed'); stream.end();\n"
        "});\n"
    )
}


@needs_node
@pytest.mark.parametrize("handler", ["index.callback", "index.asyncWithCallback"])
def test_nodejs24_refuses_a_callback_handler_at_init(rt: SubprocessRuntime, handler: str) -> None:
    result = call(rt, make_spec(handler, zip_files(NODE24_HANDLERS), runtime="nodejs24.x"))
    doc = json.loads(result.payload)
    assert result.function_error == "Unhandled" and result.error_type == "Runtime.CallbackHandlerDeprecated"
    assert (doc["errorType"], doc["errorMessage"]) == ("Runtime.CallbackHandlerDeprecated", CALLBACK_REMOVED)
    assert "\tundefined\tERROR\tInit Error \t" in result.log and result.init_duration_ms is not None


@needs_node
def test_nodejs24_runs_async_and_streaming_handlers_and_node22_still_takes_callbacks(rt: SubprocessRuntime) -> None:
    code = zip_files(NODE24_HANDLERS)
    assert json.loads(call(rt, make_spec("index.modern", code, runtime="nodejs24.x")).payload) == "async2"
    streamed = call(rt, make_spec("index.streamed", code, runtime="nodejs24.x"))
    assert streamed.ok and streamed.streamed  # its third parameter is the context, not a callback
    for runtime in ("nodejs20.x", "nodejs22.x"):
        assert json.loads(call(rt, make_spec("index.callback", code, runtime=runtime)).payload) == "cb"
        assert json.loads(call(rt, make_spec("index.asyncWithCallback", code, runtime=runtime)).payload) == "async3"


@needs_node
def test_node_process_exit_is_an_exit_error(rt: SubprocessRuntime) -> None:
    result = call(rt, make_spec("index.exit", zip_dir("node_errors")))
    assert json.loads(result.payload) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with error: exit status 2",
    }
    assert "about to exit" in result.log


@needs_node
def test_node_timeout_and_other_major_version_notice(rt: SubprocessRuntime) -> None:
    spec = make_spec("index.sleepy", zip_dir("node_esm"), runtime="nodejs8.10", timeout=1)
    result = call(rt, spec, {"ms": 5000, "id": 1})
    assert result.error_type == "Sandbox.Timedout"
    assert "lambdalab: nodejs8.10 is not installed here; running this function on Node.js" in result.log


@needs_node
def test_node_concurrent_invokes_are_not_mixed(rt: SubprocessRuntime) -> None:
    spec = make_spec("index.sleepy", zip_dir("node_esm"))
    results: dict[int, InvokeResult] = {}

    def worker(i: int) -> None:
        results[i] = call(rt, spec, {"ms": 200, "id": i})

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert {i: json.loads(r.payload)["id"] for i, r in results.items()} == {i: i for i in range(8)}
    assert len({json.loads(r.payload)["environment"] for r in results.values()}) == 8


def test_provided_shell_bootstrap_with_curl(rt: SubprocessRuntime) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    spec = make_spec("function.handler", zip_dir("provided_shell"), runtime="provided.al2023")
    first = call(rt, spec, {"n": 1})
    second = call(rt, spec, {"n": 2})
    assert json.loads(first.payload) == {"echo": {"n": 1}} and first.init_duration_ms is not None
    assert json.loads(second.payload) == {"echo": {"n": 2}} and second.init_duration_ms is None
    assert '{"n": 2}' in second.log


def test_provided_without_bootstrap_is_an_invalid_entrypoint(rt: SubprocessRuntime) -> None:
    spec = make_spec("function.handler", zip_files({"function.sh": "true\n"}), runtime="provided.al2")
    result = call(rt, spec)
    assert result.function_error == "Unhandled" and result.error_type == "Runtime.InvalidEntrypoint"
    assert "Couldn't find valid bootstrap(s)" in json.loads(result.payload)["errorMessage"]
