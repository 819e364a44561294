"""A burst of synchronous requests on the virtual clock: wall time, next to plain Invokes measured in the same run.

Prints figures next to their goal; asserts nothing (timed assertions do not belong in tests).
Run from the repository root (and once more beside a busy core: ``python3 -c "while True: pass" &``)::

    .venv/bin/python benchmarks/burst.py [--requests 1000] [--rounds 3]

- baseline: ``--requests`` plain warm ``Invoke`` calls through boto3, one after another, to a trivial
  Python handler, and a burst of one request;
- a cold burst: ``lab.burst`` of N requests at one virtual instant (N virtual cold starts, each
  request's code run for real), goal: 1,000 requests under 3 s; its ratio to the baseline;
- a warm burst: the same again (N warm virtual environments), median of ``--rounds``;
- a spread burst: N requests 1 ms apart (each at an instant of its own, so each runs on its own);
- the real execution environments the lab holds afterwards (the virtual ones are N).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import lambdalab

SOURCE = "def handler(event, context):\n    return {'ok': True}\n"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def timed(action: Callable[[], object], rounds: int = 1) -> float:
    """The median wall time of ``rounds`` runs of ``action``, in seconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n = args.requests
    with lambdalab.Lab() as lab:
        iam, lam = lab.client("iam"), lab.client("lambda")
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        code = {"ZipFile": lambdalab.zip_files({"app.py": SOURCE})}
        for name in ("bench", "plain", "spread"):
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", Code=code)
            lam.invoke(FunctionName=name)  # each real environment starts outside the timing

        def plain() -> None:
            for _ in range(n):
                lam.invoke(FunctionName="plain", Payload=b"{}")["Payload"].read()

        invokes = timed(plain)
        one = timed(lambda: lab.burst("plain", 1), args.rounds)
        print(
            f"baseline: {n} plain warm Invokes one after another {invokes:.2f} s wall ({invokes / n * 1000:.2f} ms each)"
        )
        print(f"baseline: a burst of 1 request {one * 1000:.1f} ms wall")
        for label, rounds in (("cold", 1), ("warm", args.rounds)):
            wall = timed(lambda: lab.burst("bench", n), rounds)
            print(
                f"{label} burst of {n} at one instant: {wall:.2f} s wall ({wall / n * 1000:.2f} ms a request; "
                f"goal: 1,000 under 3 s); {wall / invokes:.2f} x the plain Invokes"
            )
        counts = lab.burst("bench", n).counts()
        spread = timed(lambda: lab.burst("spread", n, every=0.001))
        print(f"spread burst of {n}, 1 ms apart: {spread:.2f} s wall ({spread / n * 1000:.2f} ms a request)")
        print(f"starts of the last warm burst: {counts}")
        print(f"real execution environments afterwards: {len(lab.runtime.environments())} (virtual: {n} per function)")


if __name__ == "__main__":
    main()
