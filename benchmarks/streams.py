"""Wall time to process Kinesis records through an event source mapping.

10,000 records over 4 shards (partition keys spread them), BatchSize 100, a Python
handler that decodes every record; every batch really runs in the warm runtime (a
subprocess).  Figures for 1,000, 5,000 and 10,000 records show the cost per 1,000
records stays flat.  Writing the records (PutRecords through the lab's endpoint)
is timed apart from processing them (lab.run_until_idle).

Prints figures; asserts nothing.  Run: .venv/bin/python benchmarks/streams.py
"""

from __future__ import annotations

import json
import time

import lambdalab

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
CODE = "import base64\ndef handler(event, context):\n    return {'n': sum(len(base64.b64decode(r['kinesis']['data'])) for r in event['Records'])}\n"


def run(n: int) -> tuple[float, float, int]:
    with lambdalab.Lab() as lab:
        iam = lab.client("iam")
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        iam.attach_role_policy(
            RoleName="bench", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole"
        )
        kin = lab.client("kinesis")
        kin.create_stream(StreamName="bench", ShardCount=4)
        arn = kin.describe_stream(StreamName="bench")["StreamDescription"]["StreamARN"]
        lab.client("lambda").create_function(
            FunctionName="bench",
            Runtime="python3.12",
            Handler="app.handler",
            Role=role,
            Code={"ZipFile": lambdalab.zip_files({"app.py": CODE})},
        )
        lab.client("lambda").invoke(FunctionName="bench", Payload=b'{"Records": []}')  # warm
        start = time.perf_counter()
        for i in range(0, n, 500):
            kin.put_records(
                StreamName="bench",
                Records=[
                    {"PartitionKey": f"user-{j % 97}", "Data": f"record {j}".encode()}
                    for j in range(i, min(i + 500, n))
                ],
            )
        put = time.perf_counter() - start
        uuid = lab.client("lambda").create_event_source_mapping(
            FunctionName="bench", EventSourceArn=arn, StartingPosition="TRIM_HORIZON", BatchSize=100
        )["UUID"]
        start = time.perf_counter()
        lab.run_until_idle(3600)
        processed = time.perf_counter() - start
        done = sum(len(r.detail["seqs"]) for r in lab.trace.where("stream-checkpoint") if uuid in r.ids)
        return put, processed, done


def main() -> None:
    print(f"{'records':>8} {'put s':>7} {'process s':>10} {'per 1k s':>9} {'processed':>10}")
    for n in (1_000, 5_000, 10_000):
        put, processed, done = run(n)
        print(f"{n:>8} {put:>7.2f} {processed:>10.2f} {processed / (n / 1000):>9.3f} {done:>10}")


if __name__ == "__main__":
    main()
