"""HTTP into functions: a warm function URL request next to a plain Invoke, and bursts of 1,000 requests.

Prints figures next to their targets; asserts nothing.  Run from the repository root::

    .venv/bin/python benchmarks/function_urls.py [--requests 300] [--burst 1000]

- warm request: the same trivial Python handler called through its function URL (``requests``, a
  GET of the URL, answer mapped back from the 2.0 event) and through boto3 ``invoke``, alternating
  in one run after warm-up; the target is the URL within 2 ms of Invoke (median);
- burst through the URL: ``--burst`` requests sent at once from 10 threads (the lab runs up to ten
  execution environments) to the function URL, wall time for all answers;
- burst on the virtual clock: ``lab.burst`` of ``--burst`` synchronous requests played out on the
  virtual clock (virtual execution environments, throttles), wall time; target under 3 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

# this file is named after its subject, which shadows the standard library's http package when run as a script
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import json
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

import lambdalab

SOURCE = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--burst", type=int, default=1000)
    args = parser.parse_args()

    with lambdalab.Lab() as lab:
        iam, lam = lab.client("iam"), lab.client("lambda")
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        lam.create_function(
            FunctionName="web",
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": lambdalab.zip_files({"app.py": SOURCE})},
        )
        url = lam.create_function_url_config(FunctionName="web", AuthType="NONE")["FunctionUrl"]
        lam.add_permission(
            FunctionName="web",
            StatementId="u",
            Action="lambda:InvokeFunctionUrl",
            Principal="*",
            FunctionUrlAuthType="NONE",
        )
        lam.add_permission(
            FunctionName="web",
            StatementId="i",
            Action="lambda:InvokeFunction",
            Principal="*",
            InvokedViaFunctionUrl=True,
        )
        session = requests.Session()
        for _ in range(20):  # warm: the environment, the connections, the code paths
            assert session.get(url, timeout=30).text == "ok"
            lam.invoke(FunctionName="web", Payload=b"{}")

        via_url, via_invoke = [], []
        for _ in range(args.requests):
            start = time.perf_counter()
            session.get(url, timeout=30)
            via_url.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            lam.invoke(FunctionName="web", Payload=b"{}")["Payload"].read()
            via_invoke.append((time.perf_counter() - start) * 1000)
        url_median, invoke_median = statistics.median(via_url), statistics.median(via_invoke)
        print(f"warm request, {args.requests} each, alternating:")
        print(f"  function URL  median {url_median:6.2f} ms   p90 {percentile(via_url, 90):6.2f} ms")
        print(f"  Invoke        median {invoke_median:6.2f} ms   p90 {percentile(via_invoke, 90):6.2f} ms")
        print(f"  difference    {url_median - invoke_median:+6.2f} ms   (target: within 2 ms)")

        def one(_: int) -> int:
            return requests.get(url, timeout=120).status_code

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(pool.map(one, range(args.burst)))
        wall = time.perf_counter() - start
        print(f"burst through the URL: {args.burst} requests from 10 threads in {wall:.2f} s wall "
              f"({args.burst / wall:.0f}/s); statuses {sorted(set(statuses))}")  # fmt: skip

        start = time.perf_counter()
        burst = lab.burst("web", args.burst)
        wall = time.perf_counter() - start
        starts = Counter(r.start for r in burst.requests)
        throttled = sum(1 for r in burst.requests if r.status != 200)
        print(
            f"burst on the virtual clock: {args.burst} requests in {wall:.2f} s wall (target: under 3 s); "
            f"starts {dict(starts)}, {throttled} throttled"
        )


if __name__ == "__main__":
    main()
