"""Response streaming: InvokeWithResponseStream and RESPONSE_STREAM function URLs, Node.js streamifyResponse."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from botocore.eventstream import EventStreamBuffer
from stream_gate import Gate, gated_function, running_gate
from support import create_python

import lambdalab
from lambdalab.aws import event_stream
from lambdalab.aws.response_streams import ChunkQueue
from lambdalab.aws.url_events import HttpCall
from lambdalab.aws.url_streams import HTTP_INTEGRATION, prelude_answer, stream_response
from lambdalab.course import open_url_to_everyone
from lambdalab.runtime.types import InvokeResult

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


@pytest.fixture
def gate() -> Iterator[Gate]:
    with running_gate() as g:
        yield g


@needs_node
def test_invoke_with_response_stream_sends_parts_as_written(lab: lambdalab.Lab, role_arn: str, gate: Gate) -> None:
    name = gated_function(lab, role_arn, gate)
    out = lab.client("lambda").invoke_with_response_stream(FunctionName=name, Payload=b"{}")
    assert out["StatusCode"] == 200 and out["ExecutedVersion"] == "$LATEST"
    assert out["ResponseStreamContentType"] == "application/octet-stream"
    events = iter(out["EventStream"])
    assert next(events) == {"PayloadChunk": {"Payload": b"part 0;"}}  # while the function still waits
    gate.open.set()
    assert next(events) == {"PayloadChunk": {"Payload": b"part 1;"}}
    assert next(events) == {"InvokeComplete": {}}


@needs_node
def test_an_error_after_the_first_part_ends_the_stream(lab: lambdalab.Lab, role_arn: str, gate: Gate) -> None:
    name = gated_function(lab, role_arn, gate)
    gate.open.set()
    out = lab.client("lambda").invoke_with_response_stream(FunctionName=name, Payload=b'{"fail": true}')
    events = list(out["EventStream"])
    assert events[:2] == [{"PayloadChunk": {"Payload": b"part 0;"}}, {"PayloadChunk": {"Payload": b"part 1;"}}]
    complete = events[2]["InvokeComplete"]
    assert complete["ErrorCode"] == "Error" and "broke after the first part" in complete["ErrorDetails"]


@needs_node
def test_a_streaming_url_sends_the_prelude_then_the_parts(lab: lambdalab.Lab, role_arn: str, gate: Gate) -> None:
    name = gated_function(lab, role_arn, gate)
    lam = lab.client("lambda")
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE", InvokeMode="RESPONSE_STREAM")[
        "FunctionUrl"
    ]
    open_url_to_everyone(lab, name)
    with requests.get(url + "page", stream=True, timeout=60) as resp:
        assert resp.status_code == 201 and resp.headers["Content-Type"] == "text/plain"
        assert resp.headers["Transfer-Encoding"] == "chunked" and resp.raw.headers.getlist("Set-Cookie") == ["seen=1"]
        parts = resp.iter_content(chunk_size=None)
        assert next(parts) == b"part 0;"
        gate.open.set()
        assert b"".join(parts) == b"part 1;"


def test_a_python_function_answers_a_stream_in_one_piece(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, "def handler(event, context):\n    return {'whole': True}\n")
    out = lab.client("lambda").invoke_with_response_stream(FunctionName=name, Payload=b"{}", LogType="Tail")
    events = list(out["EventStream"])
    assert events[0] == {"PayloadChunk": {"Payload": b'{"whole": true}'}}
    assert "LogResult" in events[1]["InvokeComplete"]
    lam = lab.client("lambda")
    url = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM", InvokeMode="RESPONSE_STREAM")
    assert url["InvokeMode"] == "RESPONSE_STREAM"


# -- the pure parts -------------------------------------------------------------------
def test_event_stream_messages_decode_with_botocore() -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(event_stream.event("PayloadChunk", b"abc") + event_stream.event("InvokeComplete", b"{}"))
    messages = list(buffer)
    assert [m.headers[":event-type"] for m in messages] == ["PayloadChunk", "InvokeComplete"]
    assert messages[0].payload == b"abc" and messages[0].headers[":message-type"] == "event"


def _answer(pieces: list[tuple[str, Any]]) -> tuple[list[tuple[int, bool]], bytes, list[float]]:
    chunks = ChunkQueue(3.0)
    for kind, item in pieces:
        if kind == "start":
            chunks.start(item)
        elif kind == "chunk":
            chunks.write(item)
        else:
            chunks.end(item)
    started: list[tuple[int, bool]] = []
    slept: list[float] = []
    body = b"".join(
        stream_response(
            chunks,
            HttpCall("GET", "/", "", [], b""),
            None,
            "rid",
            lambda answer, chunked: started.append((answer.status, chunked)),
            slept.append,
        )
    )
    return started, body, slept


def _result(payload: bytes = b"", error: str | None = None) -> InvokeResult:
    return InvokeResult("rid", payload, "$LATEST", function_error="Unhandled" if error else None, error_type=error)


def test_stream_response_mapping() -> None:
    prelude = json.dumps({"statusCode": 404}).encode()
    started, body, _ = _answer(
        [
            ("start", HTTP_INTEGRATION),
            ("chunk", prelude[:5]),
            ("chunk", prelude[5:] + b"\0" * 8 + b"ab"),
            ("chunk", b"c"),
            ("end", _result()),
        ]
    )
    assert started == [(404, True)] and body == b"abc"
    started, body, _ = _answer([("start", "text/csv"), ("chunk", b"a,b"), ("end", _result())])
    assert started == [(200, True)] and body == b"a,b"
    started, body, _ = _answer([("end", _result(b'"whole"'))])
    assert started == [(200, False)] and body == b'"whole"'
    started, _, _ = _answer([("end", _result(b"{}", "Error"))])
    assert started == [(502, False)]
    assert prelude_answer(b"not json").status == 502


def test_past_six_megabytes_the_stream_slows_to_two_per_second() -> None:
    big = b"x" * (4 * 1024 * 1024)
    _, body, slept = _answer(
        [("start", "application/octet-stream"), ("chunk", big), ("chunk", big), ("end", _result())]
    )
    assert len(body) == 2 * len(big)
    assert slept == [(2 * len(big) - 6 * 1024 * 1024) / (2 * 1024 * 1024)]  # 1 second for the 2 MB over
