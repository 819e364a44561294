"""Start-up figures: `import lambdalab`, and `Lab()` to its first answered call,
next to a bare moto server started the same way (ThreadedMotoServer + boto3)
in the same run.  Each figure is measured in a fresh interpreter.

Target (issue 2): a Lab answers its first call within 1 s of `Lab()`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

RUNS = 5

IMPORT = """
import time; t = time.perf_counter()
import lambdalab
print(time.perf_counter() - t)
"""

LAB = """
import lambdalab, time
t = time.perf_counter()
lab = lambdalab.Lab()
lab.client("lambda").list_functions()
print(time.perf_counter() - t)
lab.close()
"""

BARE_MOTO = """
import time
t = time.perf_counter()
import boto3
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
boto3.client("lambda", region_name="us-east-1", endpoint_url=f"http://{host}:{port}",
             aws_access_key_id="testing", aws_secret_access_key="testing").list_functions()
print(time.perf_counter() - t)
server.stop()
"""


def measure(code: str) -> list[float]:
    out = []
    for _ in range(RUNS):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        out.append(float(done.stdout.strip().splitlines()[-1]))
    return out


def main() -> None:
    rows = [
        ("import lambdalab", measure(IMPORT)),
        ("Lab() to first call (list_functions)", measure(LAB)),
        ("bare moto server + boto3 to first call (baseline)", measure(BARE_MOTO)),
    ]
    print(f"{'what':52} {'median':>9} {'min':>9} {'max':>9}   (seconds, {RUNS} fresh interpreters each)")
    for name, values in rows:
        print(f"{name:52} {statistics.median(values):9.3f} {min(values):9.3f} {max(values):9.3f}")
    lab, bare = statistics.median(rows[1][1]), statistics.median(rows[2][1])
    print(
        f"\nLab / bare moto: {lab / bare:.2f}x   target: Lab first call < 1.000 s -> {'met' if lab < 1 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
