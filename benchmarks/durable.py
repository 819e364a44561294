"""Wall time to play 100 durable order workflows, each waiting a week in virtual time.

The workflow (a real function built with AWS's durable execution SDK): reserve (a step), wait for the
payment callback, wait seven days, ship (a step). Each execution takes three invocations (start; after
the callback; after the week), and its SDK calls the lab's checkpoint API over HTTP from the function.
Invocations of different executions due at the same instant run side by side (8 at most), as on AWS.

Baseline, measured in the same run: the same number of invocations (300) of a plain function, invoked
synchronously one after the other: what the machine does for the invocations alone. The ratio is the
cost of durability: checkpoints, replays, the control plane.

Prints figures; asserts nothing.  Run: .venv/bin/python benchmarks/durable.py
"""

from __future__ import annotations

import json
import time

import lambdalab

N = 100
WEEK = 7 * 86_400
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
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
DURABLE_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicDurableExecutionRolePolicy"
PLAIN = "def handler(event, context):\n    return f\"shipped {event['order']}\"\n"


def deploy(lab: lambdalab.Lab, name: str, source: str, **extra: object) -> None:
    iam = lab.client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    # logs and the SDK's checkpoints: what a durable function's execution role needs
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


def durable() -> tuple[float, dict[str, float], dict[str, int]]:
    with lambdalab.Lab() as lab:
        deploy(lab, "order", ORDER, DurableConfig={"ExecutionTimeout": 30 * 86_400})
        client = lab.client("lambda")
        phases: dict[str, float] = {}
        t0 = time.perf_counter()
        arns = [
            client.invoke(
                FunctionName="order", InvocationType="Event", Payload=json.dumps({"order": f"o-{n}"}).encode()
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
        statuses: dict[str, int] = {}
        for arn in arns:
            status = client.get_durable_execution(DurableExecutionArn=arn)["Status"]
            statuses[status] = statuses.get(status, 0) + 1
        phases["invocations"] = len(lab.trace.where("durable-invocation"))
        phases["checkpointed updates"] = len(lab.trace.where("durable-operation"))
        return total, phases, statuses


if __name__ == "__main__":
    base = baseline()
    print(f"baseline: {3 * N} synchronous invocations of a plain function: {base:.2f} s wall")
    total, phases, statuses = durable()
    print(f"durable: {N} order workflows, each waiting a week: {total:.2f} s wall ({total / base:.2f}x the baseline)")
    for what, value in phases.items():
        print(f"  {what}: {value:.2f} s" if isinstance(value, float) else f"  {what}: {value}")
    print(f"  statuses: {statuses}")
