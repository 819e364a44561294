"""A function's logs in CloudWatch Logs, as Lambda writes them.

https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html (one stream per
execution environment), https://docs.aws.amazon.com/lambda/latest/dg/runtime-management-identify.html
(INIT_START), https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/
(init billed since 1 August 2025), https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html
(one event per log record).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from datetime import UTC, datetime

import pytest
from support import create_python

import lambdalab
from lambdalab.runtime.logs import invocation_events
from lambdalab.runtime.telemetry import FrameReader
from lambdalab.runtime.types import LogEvent

STREAM = re.compile(r"(\d{4}/\d{2}/\d{2})/\[\$LATEST\][0-9a-f]{32}")
REPORT = re.compile(r"\tDuration: ([\d.]+) ms\tBilled Duration: (\d+) ms\t.*?(?:Init Duration: ([\d.]+) ms\t)?$")


def _stream_events(lab: lambdalab.Lab, name: str) -> dict[str, list[dict]]:
    logs = lab.client("logs")
    group = f"/aws/lambda/{name}"
    return {
        s["logStreamName"]: logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"])["events"]
        for s in logs.describe_log_streams(logGroupName=group)["logStreams"]
    }


def test_each_execution_environment_writes_its_own_stream_named_as_context_log_stream_name(
    lab: lambdalab.Lab, role_arn: str
) -> None:
    source = (
        "import time\n"
        "def handler(event, context):\n"
        "    time.sleep(event.get('sleep', 0))\n"
        "    return context.log_stream_name\n"
    )
    name = create_python(lab, role_arn, source)
    lam = lab.client("lambda")
    seen: list[str] = []

    def call(sleep: float) -> None:
        seen.append(json.loads(lam.invoke(FunctionName=name, Payload=json.dumps({"sleep": sleep}))["Payload"].read()))

    first = threading.Thread(target=call, args=(1.5,))
    first.start()
    while not any(e.state == "busy" and e.function_name == name for e in lab.runtime.environments()):
        pass
    call(0)  # the first environment is busy: a second one starts
    first.join()
    call(0)  # warm: one of the two again
    streams = _stream_events(lab, name)
    assert len(set(seen[:2])) == 2 and set(seen) == set(streams)  # one stream per environment, as the function sees it
    for stream, events in streams.items():
        assert STREAM.fullmatch(stream)
        assert events[0]["message"].startswith("INIT_START Runtime Version: python:3.12.v1\tRuntime Version ARN: ")
        day = datetime.fromtimestamp(events[0]["timestamp"] / 1000, UTC).strftime("%Y/%m/%d")
        assert stream.startswith(day)  # dated when the environment started, on the same clock as its events
    assert sorted(sum(e["message"].startswith("START ") for e in events) for events in streams.values()) == [1, 2]


def test_init_start_then_module_output_then_start(lab: lambdalab.Lab, role_arn: str) -> None:
    source = "print('loading the module')\ndef handler(event, context):\n    print('handling')\n"
    name = create_python(lab, role_arn, source)
    lab.client("lambda").invoke(FunctionName=name)
    lab.client("lambda").invoke(FunctionName=name)
    [events] = _stream_events(lab, name).values()
    kinds = [e["message"].split(" ")[0] if e["message"][:1].isupper() else e["message"] for e in events]
    assert [k for k in kinds if not k.startswith("lambdalab:")] == [
        "INIT_START", "loading the module", "START", "handling", "END", "REPORT",
        "START", "handling", "END", "REPORT",
    ]  # fmt: skip
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)


def test_a_failed_init_logs_init_report_not_a_report_whose_init_duration_is_its_duration(
    lab: lambdalab.Lab, role_arn: str
) -> None:
    name = create_python(lab, role_arn, "import no_such_module\ndef handler(event, context):\n    return 1\n")
    resp = lab.client("lambda").invoke(FunctionName=name)
    assert json.loads(resp["Payload"].read())["errorType"] == "Runtime.ImportModuleError"
    [events] = _stream_events(lab, name).values()
    messages = [e["message"] for e in events]
    [init_report] = [m for m in messages if m.startswith("INIT_REPORT")]
    assert re.fullmatch(
        r"INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError",
        init_report,
    )
    error = next(m for m in messages if m.startswith("[ERROR] Runtime.ImportModuleError"))
    assert "\nTraceback (most recent call last):" in error  # the runtime's framed error: one event
    assert (
        messages.index(error)
        < messages.index(init_report)
        < messages.index(next(m for m in messages if m.startswith("START")))
    )
    report = messages[-1]
    assert report.startswith("REPORT ") and "Init Duration" not in report
    assert report.endswith("Status: error\tError Type: Runtime.ImportModuleError\t")


def test_a_cold_start_bills_its_init_duration_too(lab: lambdalab.Lab, role_arn: str) -> None:
    """Since 1 August 2025 the init phase of .zip functions on managed runtimes is billed."""
    name = create_python(lab, role_arn, "import time\ntime.sleep(0.05)\ndef handler(event, context):\n    return 1\n")
    lam = lab.client("lambda")
    for cold in (True, False):
        tail = lam.invoke(FunctionName=name, LogType="Tail")["LogResult"]
        report = base64.b64decode(tail).decode().splitlines()[-1]
        duration, billed, init = REPORT.search(report).groups()  # type: ignore[union-attr]
        assert (init is not None) == cold
        assert int(billed) == max(1, -(-(float(duration) + float(init or 0)) // 1))
    # warm: no Init Duration, so the billed time above is the handler's alone (the init is not billed again)


def test_a_timeout_logs_the_timed_out_line_and_a_report_with_status_timeout(lab: lambdalab.Lab, role_arn: str) -> None:
    source = "import time\ndef handler(event, context):\n    print('working')\n    time.sleep(5)\n"
    name = create_python(lab, role_arn, source, Timeout=1)
    rid = lab.client("lambda").invoke(FunctionName=name)["ResponseMetadata"]["RequestId"]
    [events] = _stream_events(lab, name).values()
    messages = [e["message"] for e in events]
    timed_out = next(m for m in messages if "Task timed out" in m)
    stamp, said_rid, text = timed_out.split(" ", 2)
    assert (said_rid, text) == (rid, "Task timed out after 1.00 seconds")
    event = events[messages.index(timed_out)]
    assert stamp == datetime.fromtimestamp(event["timestamp"] / 1000, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
    assert messages[-2] == f"END RequestId: {rid}"
    assert messages[-1].startswith(f"REPORT RequestId: {rid}\tDuration: 1000.00 ms\tBilled Duration: ")
    assert messages[-1].endswith("Status: timeout\t")


def test_a_runtime_that_exits_logs_a_report_with_status_error_and_its_error_type(
    lab: lambdalab.Lab, role_arn: str
) -> None:
    name = create_python(lab, role_arn, "import os\ndef handler(event, context):\n    os._exit(3)\n")
    rid = lab.client("lambda").invoke(FunctionName=name)["ResponseMetadata"]["RequestId"]
    [events] = _stream_events(lab, name).values()
    messages = [e["message"] for e in events]
    assert f"RequestId: {rid} Error: Runtime exited with error: exit status 3\nRuntime.ExitError" in messages
    assert messages[-1].endswith("\tStatus: error\tError Type: Runtime.ExitError\t")


def test_a_traceback_or_a_multiline_record_is_one_event_and_each_printed_line_is_one(
    lab: lambdalab.Lab, role_arn: str
) -> None:
    source = (
        "import logging\n"
        "logging.getLogger().setLevel(logging.INFO)\n"
        "def handler(event, context):\n"
        "    print('one\\ntwo\\rstill two')\n"
        "    logging.info('three\\nfour')\n"
        "    raise ValueError('five\\nsix')\n"
    )
    name = create_python(lab, role_arn, source)
    lab.client("lambda").invoke(FunctionName=name)
    [events] = _stream_events(lab, name).values()
    messages = [e["message"] for e in events]
    assert "one" in messages and "two\rstill two" in messages  # printed: one event per line, \r does not cut
    [record] = [m for m in messages if "three" in m]
    assert record.startswith("[INFO]\t") and record.endswith("\tthree\nfour\n")  # one log record, one event
    [error] = [m for m in messages if m.startswith("[ERROR] ValueError")]
    assert error.startswith("[ERROR] ValueError: five\nsix\nTraceback (most recent call last):\n")
    assert "raise ValueError" in error  # the whole traceback in the same event


def test_one_clock_for_every_timestamp_a_learner_compares(lab: lambdalab.Lab, role_arn: str) -> None:
    """CloudWatch timestamps, the stream's date, the runtime's own timestamps and the timeout line agree."""
    source = (
        "import logging, time\n"
        "logging.getLogger().setLevel(logging.INFO)\n"
        "def handler(event, context):\n"
        "    logging.info('hello')\n"
        "    time.sleep(5)\n"
    )
    name = create_python(lab, role_arn, source, Timeout=1)
    lab.client("lambda").invoke(FunctionName=name)
    [(stream, events)] = _stream_events(lab, name).items()

    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    record = next(e for e in events if e["message"].startswith("[INFO]"))
    said = record["message"].split("\t")[1]  # the runtime's own timestamp, inside the message
    said_ms = datetime.strptime(said, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp() * 1000
    # awslambdaric stamps the record when it is made and the frame a little later (microseconds, or
    # milliseconds on a busy machine); another clock (the lab's virtual one starts in 2025) is far off
    assert abs(said_ms - record["timestamp"]) <= 1000
    timed_out = next(e for e in events if "Task timed out" in e["message"])
    assert timed_out["message"].split(" ")[0] == iso(timed_out["timestamp"])
    assert stream.startswith(iso(events[0]["timestamp"])[:10].replace("-", "/"))
    # a real second apart, as they happened (less the time the handler took to log on a busy machine)
    assert 500 <= timed_out["timestamp"] - record["timestamp"] <= 3000


# -- the pure parts ------------------------------------------------------------------------------
def _frame(message: bytes, micros: int, kind: int = 0xA55A0003) -> bytes:
    return kind.to_bytes(4, "big") + len(message).to_bytes(4, "big") + micros.to_bytes(8, "big") + message


def test_frames_decode_in_any_pieces_and_long_messages_come_out_cut_between_characters() -> None:
    data = _frame(b"line one\nline two\n", 1_736_154_000_123_456) + _frame("é".encode() * 10, 2_000_000)
    reader = FrameReader(limit=8)
    out = [piece for i in range(len(data)) for piece in reader.feed(data[i : i + 1])]
    assert out[0] == (1_736_154_000_123, "line one")
    assert "".join(m for _, m in out[:3]) == "line one\nline two\n"
    assert [m for t, m in out if t == 2000] == ["éééé"] * 2 + ["éé"]
    broken = FrameReader()
    assert broken.feed(b"not a frame at all")[0][1].startswith("lambdalab: the runtime wrote 18 bytes")


def test_init_failure_events_put_init_report_before_start_and_no_init_duration_in_report() -> None:
    events, reported = invocation_events(
        request_id="r", version="$LATEST", memory_size=128, max_memory_used=20, kind="init_error",
        error_type="Runtime.ImportModuleError", delivered=False, before_start=[LogEvent(5, "INIT_START x")],
        events=[], started_ms=9, ended_ms=9, duration_ms=4.0, init_duration_ms=4.0,
    )  # fmt: skip
    assert reported is None
    assert [e.message.split(" ")[0] for e in events] == ["INIT_START", "INIT_REPORT", "START", "END", "REPORT"]
    assert (
        events[1].message
        == "INIT_REPORT Init Duration: 4.00 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError"
    )


@pytest.mark.parametrize(
    ("kind", "ends"), [("timeout", "Status: timeout\t"), ("oom", "Error Type: Runtime.OutOfMemory\t")]
)
def test_report_status_for_a_timeout_and_a_runtime_failure(kind: str, ends: str) -> None:
    events, _ = invocation_events(
        request_id="r", version="1", memory_size=128, max_memory_used=128, kind=kind,
        error_type="Sandbox.Timedout" if kind == "timeout" else "Runtime.OutOfMemory", delivered=True,
        before_start=[], events=[LogEvent(7, "late")], started_ms=9, ended_ms=8, duration_ms=1.0, init_duration_ms=None,
    )  # fmt: skip
    assert events[-1].message.endswith(ends)
    assert [e.timestamp for e in events] == [9, 9, 9, 9]  # never earlier than the event before
