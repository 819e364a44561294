"""How fast messages flow through an SQS event source mapping (wall time, not virtual).

Prints: moto's own ReceiveMessage cost with 1,000 messages waiting (the baseline
the lab's poller avoids), then 1k, 5k and 10k messages through a mapping with
BatchSize 10 and a trivial Python handler, and the cost per 1,000 messages.

    .venv/bin/python benchmarks/sqs.py
"""

from __future__ import annotations

import json
import time

import lambdalab

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
HANDLER = "def handler(event, context):\n    return None\n"


def _send(lab: lambdalab.Lab, url: str, count: int) -> None:
    sqs = lab.client("sqs")
    for start in range(0, count, 10):
        entries = [{"Id": str(i), "MessageBody": json.dumps({"n": start + i})} for i in range(min(10, count - start))]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def _preload(lab: lambdalab.Lab, name: str, count: int) -> None:
    """Put ``count`` messages straight into the queue, in process (its SendMessage costs ~1 ms a message
    in moto's own bookkeeping; that is not what this benchmark measures)."""
    from lambdalab.aws.moto_sqs import MotoSqs

    sqs, arn = MotoSqs(lab.account_id), lab.arn("sqs", name)
    for i in range(count):
        sqs.send(arn, json.dumps({"n": i}))


def _role(lab: lambdalab.Lab) -> str:
    iam = lab.client("iam")
    arn = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.attach_role_policy(
        RoleName="bench", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
    )
    return str(arn)


def moto_receive_baseline(waiting: int = 1000, calls: int = 5) -> float:
    """Seconds per ReceiveMessage call of moto itself with ``waiting`` messages queued."""
    with lambdalab.Lab() as lab:
        sqs = lab.client("sqs")
        url = sqs.create_queue(QueueName="baseline", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
        _send(lab, url, waiting)
        start = time.perf_counter()
        for _ in range(calls):
            sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        return (time.perf_counter() - start) / calls


def through_mapping(count: int) -> tuple[float, float, int]:
    """(wall seconds to drain, virtual seconds, invocations) for ``count`` messages."""
    with lambdalab.Lab() as lab:
        lam, sqs = lab.client("lambda"), lab.client("sqs")
        lam.create_function(
            FunctionName="trivial",
            Runtime="python3.12",
            Role=_role(lab),
            Handler="app.handler",
            Code={"ZipFile": lambdalab.zip_files({"app.py": HANDLER})},
        )
        url = sqs.create_queue(QueueName="bench")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        uuid = lam.create_event_source_mapping(FunctionName="trivial", EventSourceArn=arn, BatchSize=10, Enabled=False)[
            "UUID"
        ]
        _preload(lab, "bench", count)
        lab.advance(1)
        lam.update_event_source_mapping(UUID=uuid, Enabled=True)
        start = time.perf_counter()
        virtual = lab.run_until_idle(86_400)
        wall = time.perf_counter() - start
        left = int(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]["ApproximateNumberOfMessages"]
        )
        assert left == 0, f"{left} messages left"
        invocations = len(lab.trace.where("sqs-batch"))
        return wall, virtual, invocations


def main() -> None:
    base = moto_receive_baseline()
    print(f"moto ReceiveMessage with 1,000 messages waiting: {base * 1000:.0f} ms per call (baseline)")
    for count in (1_000, 5_000, 10_000):
        wall, virtual, invocations = through_mapping(count)
        print(
            f"{count:>6,} messages: {wall:6.2f} s wall, {invocations:>5} invocations, {virtual:7.1f} s virtual, "
            f"{wall / count * 1000:.3f} s per 1,000 messages"
        )


if __name__ == "__main__":
    main()
