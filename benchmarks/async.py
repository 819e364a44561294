"""Wall time to play six virtual hours of asynchronous retries for 1,000 events.

Scenario A: a function that fails for about half the events (seeded); failures are
retried at 60 s and 180 s and end on an SQS OnFailure destination.  Every attempt
really runs the handler in the warm Python runtime (a subprocess).
Scenario B: the same 1,000 events to a throttled function (reserved concurrency 0):
backoff 1 s doubling to 5 min for six hours, then EventAgeExceeded (no subprocess).

Prints figures; asserts nothing.  Run: .venv/bin/python benchmarks/async.py
"""

from __future__ import annotations

import json
import random
import time

import lambdalab

N = 1_000
SIX_HOURS = 6 * 3600
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
ALLOW = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}
CODE = "def handler(event, context):\n    if event['fail']:\n        raise RuntimeError('no')\n    return event['n']\n"


def setup(lab: lambdalab.Lab, name: str) -> str:
    iam = lab.client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="deliver", PolicyDocument=json.dumps(ALLOW))
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName=f"{name}-failed")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client = lab.client("lambda")
    client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Handler="app.handler",
        Role=role,
        Code={"ZipFile": lambdalab.zip_files({"app.py": CODE})},
    )
    client.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}})
    return name


def scenario(label: str, throttled: bool) -> None:
    with lambdalab.Lab() as lab:
        name = setup(lab, "bench")
        client = lab.client("lambda")
        if throttled:
            client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
        rng = random.Random(7)
        t0 = time.perf_counter()
        for n in range(N):
            client.invoke(
                FunctionName=name,
                InvocationType="Event",
                Payload=json.dumps({"n": n, "fail": rng.random() < 0.5}).encode(),
            )
        queued = time.perf_counter() - t0
        t1 = time.perf_counter()
        lab.advance(SIX_HOURS)
        played = time.perf_counter() - t1
        attempts = len(lab.trace.where("async-attempt"))
        ran = len(lab.trace.where("invoke", source="async"))
        conditions: dict[str, int] = {}
        for r in lab.trace.where("async-done"):
            conditions[r.detail["condition"]] = conditions.get(r.detail["condition"], 0) + 1
        print(f"{label}:")
        print(f"  queue {N} events (Invoke Event over HTTP): {queued:.2f} s wall")
        print(f"  play {SIX_HOURS} virtual seconds:          {played:.2f} s wall")
        print(f"  attempts {attempts} (handler ran {ran} times), {attempts / played:.0f} attempts/s")
        print(f"  outcomes {conditions}, deliveries {len(lab.trace.where('delivery'))}")


if __name__ == "__main__":
    scenario("A. function errors, real handler runs", throttled=False)
    scenario("B. throttled for six hours (no handler runs)", throttled=True)
