"""The lab's memory stays bounded whatever a function prints or answers.

AWS applies its limits where it applies them: the Runtime API refuses an answer
larger than 6 MB and 100 bytes without reading it (413 to the runtime,
``Function.ResponseSizeTooLarge`` to the caller), a CloudWatch Logs event holds at
most 256 KB, ``LogType=Tail`` returns the last 4 KB.  The lab keeps the head and
the tail of each invocation's output.  Each scenario runs in a fresh Python
process and reports the growth of that process's peak resident memory (VmHWM):
those figures are what the tests bound.

https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lambdalab.runtime.api import MAX_PAYLOAD
from lambdalab.runtime.output import EVENT_MESSAGE_LIMIT, CappedLog, event_messages
from lambdalab.runtime.types import LogEvent

TESTS = Path(__file__).resolve().parent
MIB = 1024 * 1024
#: generous: a lab that kept what these functions send would grow by 200 to 1,000 MiB
PEAK_GROWTH_CAP_MIB = 100

_SCENARIO = """
import base64, json, sys
import lambdalab
from support import LAMBDA_TRUST

def hwm_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

with lambdalab.Lab() as lab:
    iam = lab.client("iam")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    lam = lab.client("lambda")
    kind = sys.argv[1]
    if kind == "print":
        code = lambdalab.zip_files({"app.py": (
            "def handler(event, context):\\n"
            "    line = 'x' * (1 << 20)\\n"
            "    for _ in range(event['mib']):\\n"
            "        print(line)\\n"
            "    return 'printed'\\n")})
        lam.create_function(FunctionName="f", Runtime="python3.12", Role=role, Handler="app.handler",
                            MemorySize=512, Timeout=120, Code={"ZipFile": code})
    else:
        code = lambdalab.zip_files({"bootstrap": BOOTSTRAP})
        lam.create_function(FunctionName="f", Runtime="provided.al2023", Role=role, Handler="x",
                            MemorySize=512, Timeout=120, Code={"ZipFile": code})
    lam.invoke(FunctionName="f", Payload=json.dumps({"mib": 1, "chunked": kind == "chunked"}))  # cold start
    before = hwm_kib()
    out = {}
    for i in range(int(sys.argv[3])):
        r = lam.invoke(FunctionName="f", LogType="Tail", Payload=json.dumps({"mib": int(sys.argv[2]), "chunked": kind == "chunked"}))
        out = {"payload": r["Payload"].read().decode()[:300], "error": r.get("FunctionError"),
               "tail": base64.b64decode(r["LogResult"]).decode(errors="replace")}
    logs = lab.client("logs")
    kept = sum(len(e["message"]) for s in logs.describe_log_streams(logGroupName="/aws/lambda/f")["logStreams"]
               for e in logs.get_log_events(logGroupName="/aws/lambda/f", logStreamName=s["logStreamName"])["events"])
    out.update(growth_mib=(hwm_kib() - before) / 1024, logs_kept_mib=kept / 2**20)
    print("RESULT " + json.dumps(out))
"""

_BOOTSTRAP = """#!{python}
import http.client, json, os
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
api = "/2018-06-01/runtime/invocation"
while True:
    conn = http.client.HTTPConnection(host, int(port))
    conn.request("GET", api + "/next")
    r = conn.getresponse()
    rid, event = r.getheader("Lambda-Runtime-Aws-Request-Id"), json.loads(r.read())
    chunk, n = b"x" * (1 << 20), event["mib"]
    conn.putrequest("POST", api + "/" + rid + "/response")
    if event["chunked"]:
        conn.putheader("Transfer-Encoding", "chunked")
    else:
        conn.putheader("Content-Length", str(n * len(chunk)))
    conn.endheaders()
    try:
        for _ in range(n):
            conn.send(b"%x\\r\\n%s\\r\\n" % (len(chunk), chunk) if event["chunked"] else chunk)
        if event["chunked"]:
            conn.send(b"0\\r\\n\\r\\n")
        print("runtime API answered", conn.getresponse().status)
    except OSError as err:
        print("runtime API refused the answer:", err)
        raise SystemExit(1)
"""


def _run(kind: str, mib: int, times: int = 1) -> dict[str, object]:
    script = _SCENARIO.replace("BOOTSTRAP", repr(_BOOTSTRAP.replace("{python}", sys.executable)))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), kind, str(mib), str(times)],
        cwd=TESTS, capture_output=True, text=True, timeout=600,
        env={"PYTHONPATH": str(TESTS), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stdout[-2000:] + done.stderr[-4000:]
    result: dict[str, object] = json.loads(lines[-1][len("RESULT ") :])
    print(f"{kind} {mib} MiB x{times}: lab peak RSS grew by {result['growth_mib']:.1f} MiB")
    return result


def test_a_function_printing_200_mib_costs_the_lab_a_bounded_amount_of_memory() -> None:
    result = _run("print", 200, times=3)
    assert result["payload"] == '"printed"'
    assert float(str(result["growth_mib"])) < PEAK_GROWTH_CAP_MIB
    assert float(str(result["logs_kept_mib"])) < 3 * 1  # three invocations, well under a MiB each
    tail = str(result["tail"])
    assert "REPORT RequestId:" in tail and tail.count("x") > 3000  # the last 4 KB: output, END and REPORT


@pytest.mark.parametrize("kind", ["content-length", "chunked"])
def test_a_500_mib_response_is_refused_without_being_kept(kind: str) -> None:
    result = _run(kind, 500)
    assert result["error"] == "Unhandled"
    assert json.loads(str(result["payload"])) == {
        "errorMessage": f"Response payload size ({500 * MIB} bytes) exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
    assert float(str(result["growth_mib"])) < PEAK_GROWTH_CAP_MIB


def test_the_runtime_api_limit_is_6_mb_and_100_bytes() -> None:
    assert MAX_PAYLOAD == 6291556


def test_captured_output_keeps_its_head_and_tail_and_says_what_it_left_out() -> None:
    out = CappedLog(head=10, tail=6)
    out.write(b"012345678\n", 1)  # 9 bytes: fits the head
    for _ in range(100):
        out.write(b"abcdefghi\n", 2)
    out.write(b"-tail-", 3)  # no line break: still an event at the end
    events = out.events()
    assert out.total == 9 + 900 + 6 and out.dropped == 900
    assert events[0] == LogEvent(1, "012345678")
    assert events[1].message.startswith("[lambdalab: 900 bytes of this invocation's output are not kept here")
    assert events[-1] == LogEvent(3, "-tail-") and len(events) == 3
    small = CappedLog(head=10, tail=6)
    small.write(b"hello\n", 5)
    assert small.events() == [LogEvent(5, "hello")] and not small.dropped


def test_a_line_longer_than_one_log_event_becomes_several_events() -> None:
    line = "é" * EVENT_MESSAGE_LIMIT  # two bytes a character
    pieces = event_messages(line)
    assert "".join(pieces) == line
    assert all(len(p.encode()) <= EVENT_MESSAGE_LIMIT for p in pieces) and len(pieces) == 2
    assert event_messages("short") == ["short"]
