"""Synchronous invoke: latency, cold starts and memory, measured in one run.

Prints figures next to their targets; asserts nothing (timed assertions do not
belong in tests).  Run from the repository root::

    .venv/bin/python benchmarks/invoke.py [--invokes 300] [--colds 7]

- warm invoke: boto3 ``invoke`` of a trivial Python handler, after warm-up,
  against a boto3 ``get_function`` on the same lab (the cost of the gateway,
  moto and botocore alone); the target is the difference;
- cold start: the invoke round trip right after ``lab.retire`` (a fresh
  execution environment), and the Init Duration the REPORT line gives;
- python-lambda-local (https://pypi.org/project/python-lambda-local/), the peer
  tool, running the same handler, one process per invoke as it is used;
- resident memory: one warm Python and one warm Node.js environment, and a lab
  holding ten warm environments (their RSS plus this process's, which hosts the lab).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import lambdalab

PY_SOURCE = "def handler(event, context):\n    return {'ok': True}\n"
NODE_SOURCE = "exports.handler = async (event) => ({ ok: true });\n"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
INIT = re.compile(r"Init Duration: ([\d.]+) ms")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def timed_ms(call: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def own_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def deploy(lab: lambdalab.Lab, role: str, name: str, runtime: str) -> None:
    files = {"index.js": NODE_SOURCE} if runtime.startswith("nodejs") else {"app.py": PY_SOURCE}
    handler = "index.handler" if runtime.startswith("nodejs") else "app.handler"
    lam = lab.client("lambda")
    lam.create_function(
        FunctionName=name, Runtime=runtime, Role=role, Handler=handler, Code={"ZipFile": lambdalab.zip_files(files)}
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)


def cold_starts(lab: lambdalab.Lab, name: str, n: int) -> tuple[list[float], list[float]]:
    """Round-trip ms and Init Duration ms of ``n`` invokes, each in a fresh environment."""
    lam = lab.client("lambda")
    trips, inits = [], []
    for _ in range(n):
        lab.retire(name)
        start = time.perf_counter()
        response = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
        trips.append((time.perf_counter() - start) * 1000)
        found = INIT.search(base64.b64decode(response["LogResult"]).decode())
        inits.append(float(found.group(1)) if found else float("nan"))
    return trips, inits


def python_lambda_local(n: int) -> list[float]:
    """Wall-clock ms per run of ``python-lambda-local -f handler app.py event.json``."""
    exe = shutil.which(
        "python-lambda-local", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    if exe is None:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "app.py").write_text(PY_SOURCE)
        (Path(tmp) / "event.json").write_text("{}")
        runs = []
        for _ in range(n + 1):  # the first run fills the OS file cache
            start = time.perf_counter()
            subprocess.run([exe, "-f", "handler", "app.py", "event.json"], cwd=tmp, capture_output=True, check=True)
            runs.append((time.perf_counter() - start) * 1000)
        return runs[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invokes", type=int, default=300)
    parser.add_argument("--colds", type=int, default=7)
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str]] = []

    with lambdalab.Lab() as lab:
        lam = lab.client("lambda")
        iam = lab.client("iam")
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        deploy(lab, role, "py", "python3.11")
        deploy(lab, role, "node", "nodejs20.x")

        # -- warm invoke against the get-function baseline
        invoke = lambda: lam.invoke(FunctionName="py", Payload=b"{}")["Payload"].read()  # noqa: E731
        get = lambda: lam.get_function(FunctionName="py")  # noqa: E731
        timed_ms(invoke, 30)
        timed_ms(get, 30)
        warm = timed_ms(invoke, args.invokes)
        base = timed_ms(get, args.invokes)
        w50, w99, b50, b99 = percentile(warm, 50), percentile(warm, 99), percentile(base, 50), percentile(base, 99)
        print(f"warm invoke, {args.invokes} calls:  p50 {w50:.2f} ms  p99 {w99:.2f} ms")
        print(f"get-function, {args.invokes} calls: p50 {b50:.2f} ms  p99 {b99:.2f} ms")
        print(f"difference:             p50 {w50 - b50:+.2f} ms  p99 {w99 - b99:+.2f} ms")
        rows.append(("warm invoke - get-function, p50", f"{w50 - b50:+.2f} ms", "<= 2 ms", _ok(w50 - b50 <= 2)))
        rows.append(("warm invoke - get-function, p99", f"{w99 - b99:+.2f} ms", "(shown)", ""))

        # -- cold starts
        for name, label, target in (("py", "Python", 300.0), ("node", "Node.js", 200.0)):
            trips, inits = cold_starts(lab, name, args.colds)
            trip, init = statistics.median(trips), statistics.median(inits)
            print(
                f"cold start {label}, median of {args.colds}: round trip {trip:.1f} ms, Init Duration {init:.1f} ms"
                f"  (round trips {', '.join(f'{t:.0f}' for t in trips)})"
            )
            rows.append(
                (f"cold start {label} (round trip)", f"{trip:.1f} ms", f"< {target:.0f} ms", _ok(trip < target))
            )

        # -- the peer tool
        runs = python_lambda_local(max(3, args.colds // 2))
        if runs:
            print(
                f"python-lambda-local, {len(runs)} runs: median {statistics.median(runs):.1f} ms per invoke "
                f"(a new process each time: {', '.join(f'{r:.0f}' for r in runs)})"
            )
            rows.append(("python-lambda-local per invoke", f"{statistics.median(runs):.1f} ms", "(peer)", ""))
        else:
            print("python-lambda-local: not installed")

        # -- memory: one warm environment of each runtime
        lam.invoke(FunctionName="py", Payload=b"{}")
        lam.invoke(FunctionName="node", Payload=b"{}")
        envs = {e.function_name: e for e in lab.runtime.environments()}
        for name, label in (("py", "Python"), ("node", "Node.js")):
            rss = envs[name].rss_mb
            print(f"warm {label} environment: RSS {rss} MB")
            rows.append((f"warm {label} environment RSS", f"{rss} MB", "< 60 MB", _ok(rss < 60)))

        # -- ten warm environments: py, node and eight more functions
        for i in range(8):
            deploy(lab, role, f"py-{i}", "python3.11")
            lam.invoke(FunctionName=f"py-{i}", Payload=b"{}")
        lam.invoke(FunctionName="py", Payload=b"{}")
        lam.invoke(FunctionName="node", Payload=b"{}")
        envs_now = lab.runtime.environments()
        env_total = sum(e.rss_mb for e in envs_now)
        lab_rss = own_rss_mb()
        print(
            f"lab with {len(envs_now)} warm environments: environments {env_total} MB "
            f"+ lab process {lab_rss:.0f} MB = {env_total + lab_rss:.0f} MB"
        )
        rows.append((f"lab + {len(envs_now)} warm environments", f"{env_total + lab_rss:.0f} MB", "(shown)", ""))
        rows.append(
            (
                "  per environment (mean)",
                f"{env_total / max(1, len(envs_now)):.0f} MB",
                "< 60 MB",
                _ok(env_total / max(1, len(envs_now)) < 60),
            )
        )

    print()
    widths = [max(len(r[i]) for r in rows + [("figure", "measured", "target", "met")]) for i in range(4)]
    for row in [("figure", "measured", "target", "met"), tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _ok(flag: bool) -> str:
    return "yes" if flag else "NO"


if __name__ == "__main__":
    main()
