"""Wall time to play 100 durable order workflows, each waiting a week in virtual time.

The workflow (a real function built with AWS's durable execution SDK): reserve (a step), wait for the
payment callback, wait seven days, ship (a step). Each execution takes three invocations (start; after
the callback; after the week), and its SDK calls the lab's checkpoint API over HTTP from the function.
Invocations of different executions due at the same instant run side by side (8 at most), as on AWS.

Baseline, measured in the same run: the same number of invocations (300) of a plain function, invoked
synchronously one after the other: what the machine does for the invocations alone. The ratio is the
cost of durability: checkpoints, replays, the control plane.

Where the time goes (printed after the phases, from the functions' own REPORT lines and the CPU time
of the lab's process and of each execution environment):

- every invocation of a durable function lasts about 100 ms more than its handler's work: when the
  handler has returned, the SDK (``aws_durable_execution_sdk_python`` 3.0.0, ``state.py``) stops its
  checkpoint thread by setting an event that the thread reads only when its ``queue.get(timeout=0.1)``
  on the empty checkpoint queue times out (``_STOP_SIGNAL_POLL_SECONDS``). Nothing outside the
  function can end that wait (a checkpoint answer without a token would, but that tells the SDK its
  token was revoked), so it holds on AWS too; 300 invocations 8 at a time wait about 3.75 s in all;
- the first invocation in each of the 8 environments is a cold start: importing the SDK (and boto3
  with it) and creating its boto3 client take about half a CPU second each;
- the rest (checkpoints over HTTP, the control plane, replays) is a few milliseconds per invocation.

Prints figures; asserts nothing.  Run: .venv/bin/python benchmarks/durable.py [--busy]
(``--busy``: with a CPU-bound process beside the benchmark, as on a machine doing something else.)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import lambdalab
from lambdalab.engines.durable_invocations import PARALLEL

N = 100
WEEK = 7 * 86_400
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
#: what a durable function's execution role needs: its logs (whose REPORT lines give each invocation's
#: Duration) and the SDK's checkpoint and state calls
DURABLE_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicDurableExecutionRolePolicy"
ORDER = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration

@durable_execution
def handler(event, context: DurableContext):
    order = event["order"]
    reserved = context.step(lambda _: f"reserved {order}", name="reserve")
    paid = context.create_callback(name="payment").result()
    context.wait(Duration.from_days(7), name="cool-off")
    return context.step(lambda _: f"shipped {order} ({reserved}, {paid})", name="ship")
"""
PLAIN = "def handler(event, context):\n    return f\"shipped {event['order']}\"\n"
REPORT = re.compile(r"Duration: ([\d.]+) ms.*?(?:Init Duration: ([\d.]+) ms)?\s*$")


def deploy(lab: lambdalab.Lab, name: str, source: str, **extra: object) -> None:
    iam = lab.client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=DURABLE_POLICY)
    lab.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": lambdalab.zip_files({"app.py": source})},
        Timeout=60,
        **extra,
    )


def baseline() -> float:
    with lambdalab.Lab() as lab:
        deploy(lab, "plain", PLAIN)
        client = lab.client("lambda")
        client.invoke(FunctionName="plain", Payload=b'{"order": "warm-up"}')
        t0 = time.perf_counter()
        for n in range(3 * N):
            client.invoke(FunctionName="plain", Payload=json.dumps({"order": f"o-{n}"}).encode())
        return time.perf_counter() - t0


def durable() -> tuple[float, dict[str, float], dict[str, int], list[str]]:
    with lambdalab.Lab() as lab:
        deploy(lab, "order", ORDER, DurableConfig={"ExecutionTimeout": 30 * 86_400})
        client = lab.client("lambda")
        # a durable function is invoked qualified: its code published as version 1, behind the alias live
        version = client.publish_version(FunctionName="order")["Version"]
        client.create_alias(FunctionName="order", Name="live", FunctionVersion=version)
        phases: dict[str, float] = {}
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        arns = [
            client.invoke(
                FunctionName="order:live", InvocationType="Event", Payload=json.dumps({"order": f"o-{n}"}).encode()
            )["DurableExecutionArn"]
            for n in range(N)
        ]
        phases["start 100 executions (Invoke Event)"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        lab.run_until_idle()  # each runs its first invocation and waits for its payment
        phases["first invocations, up to the callback"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        for arn in arns:
            events = client.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
            callback = next(e for e in events if e["EventType"] == "CallbackStarted")["CallbackStartedDetails"]
            client.send_durable_execution_callback_success(CallbackId=callback["CallbackId"], Result=b"paid")
        phases["read 100 histories, send 100 callbacks"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        virtual = lab.run_until_idle(2 * WEEK)
        phases[f"play the rest ({virtual / 86_400:.0f} virtual days)"] = time.perf_counter() - t3
        total = time.perf_counter() - t0
        lab_cpu = time.process_time() - cpu0
        statuses: dict[str, int] = {}
        for arn in arns:
            status = client.get_durable_execution(DurableExecutionArn=arn)["Status"]
            statuses[status] = statuses.get(status, 0) + 1
        phases["invocations"] = len(lab.trace.where("durable-invocation"))
        phases["checkpointed updates"] = len(lab.trace.where("durable-operation"))
        return total, phases, statuses, where_time_goes(lab, lab_cpu)


def where_time_goes(lab: lambdalab.Lab, lab_cpu: float) -> list[str]:
    """Lines on the invocations' durations (their REPORT lines) and the CPU time of the lab and the environments."""
    logs = lab.client("logs")
    warm: list[float] = []
    cold: list[tuple[float, float]] = []
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName="/aws/lambda/order"):
        for event in page["events"]:
            found = REPORT.search(event["message"]) if event["message"].startswith("REPORT") else None
            if found and found.group(2):
                cold.append((float(found.group(2)), float(found.group(1))))
            elif found:
                warm.append(float(found.group(1)))
    environments = [env for env in lab.runtime.environments() if env.function_name == "order"]
    env_cpu = sum(_cpu_seconds(env.pid) for env in environments if env.pid is not None)
    invocations = len(warm) + len(cold)
    median = statistics.median(warm) if warm else 0.0
    lines = [
        f"{len(warm)} warm invocations: Duration median {median:.0f} ms (about 100 ms of it the SDK's end, see the "
        f"docstring); {invocations} x {median:.0f} ms / {PARALLEL} side by side = {invocations * median / 1000 / PARALLEL:.2f} s",
    ]
    if cold:
        init = statistics.median(c[0] for c in cold)
        first = statistics.median(c[1] for c in cold)
        lines.append(
            f"{len(cold)} cold starts (one per environment): Init Duration median {init:.0f} ms, "
            f"then the first invocation {first:.0f} ms (the SDK's boto3 client is created)"
        )
    lines.append(
        f"CPU: {lab_cpu:.2f} s in the lab's process (gateway, control plane, runtime, this script's calls), "
        f"{env_cpu:.2f} s in the {len(environments)} environments"
    )
    return lines


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (its threads included), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", action="store_true", help="run a CPU-bound process beside the benchmark")
    busy = None
    if parser.parse_args().busy:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        print(f"beside a CPU-bound process (pid {busy.pid}) on {os.cpu_count()} cores")
    try:
        base = baseline()
        print(f"baseline: {3 * N} synchronous invocations of a plain function: {base:.2f} s wall")
        total, phases, statuses, lines = durable()
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    print(f"durable: {N} order workflows, each waiting a week: {total:.2f} s wall ({total / base:.2f}x the baseline)")
    for what, value in phases.items():
        print(f"  {what}: {value:.2f} s" if isinstance(value, float) else f"  {what}: {value}")
    print(f"  statuses: {statuses}")
    print("where the time goes:")
    for line in lines:
        print(f"  {line}")


if __name__ == "__main__":
    main()
