"""A burst of synchronous requests on the virtual clock: wall time per request, real processes used.

Prints figures next to their goal; asserts nothing (timed assertions do not belong in tests).
Run from the repository root::

    .venv/bin/python benchmarks/burst.py [--requests 1000] [--rounds 3]

- a cold burst: ``lab.burst`` of N requests at one virtual instant to a trivial Python handler
  (N virtual cold starts, each request's code run for real), goal: 1,000 requests under 3 s;
- a warm burst: the same again (N warm environments);
- the real execution environments the lab holds afterwards (the virtual ones are N).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import lambdalab

SOURCE = "def handler(event, context):\n    return {'ok': True}\n"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with lambdalab.Lab() as lab:
        iam = lab.client("iam")
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        lab.client("lambda").create_function(
            FunctionName="bench",
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": lambdalab.zip_files({"app.py": SOURCE})},
        )
        lab.client("lambda").invoke(FunctionName="bench")  # the real environment starts outside the timing
        for label in ("cold", "warm"):
            times = []
            for _ in range(args.rounds if label == "warm" else 1):
                start = time.perf_counter()
                burst = lab.burst("bench", args.requests)
                times.append(time.perf_counter() - start)
            print(
                f"{label} burst of {args.requests}: {statistics.median(times):.2f} s wall "
                f"({statistics.median(times) / args.requests * 1000:.2f} ms a request; goal: 1,000 under 3 s) "
                f"{burst.counts()}"
            )
        print(f"real execution environments afterwards: {len(lab.runtime.environments())}")


if __name__ == "__main__":
    main()
