"""A room on one machine: a real JupyterHub (classroom/trial_config.py) with three learners.

Each learner's server starts through the hub's REST API and runs notebook 05 top to bottom in a
kernel of its own, at the same time as the others, through the server's API and the kernel's
websocket. Every lab works and is its own: each prints what the committed notebook printed (the
virtual clock makes it the same), has its own endpoint and credentials, and holds only its own
functions. Two learners' labs cannot reach each other: learner A's code calling learner B's lab
endpoint, or B's function's Runtime API, is refused (SigV4 against B's own credentials; the
Runtime API's /proc peer check). When the hub stops, no process of its tree is left, not even
of a lab its learner never closed.

The trial configuration runs every learner as one Unix user: what that does and does not
isolate is in docs/classroom.md.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from pathlib import Path

import nbformat
import pytest
from hub_support import PROXY, Hub, Kernel, Reply

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "05-sqs-event-source-mapping.ipynb"
LEARNERS = ["ana", "ben", "cy"]
CHECKED = "nbval-check-output"

if not (PROXY.exists() and importlib.util.find_spec("jupyterhub")):
    reason = "JupyterHub or configurable-http-proxy is not installed (make setup; make classroom)"
    if os.environ.get("CI"):
        raise RuntimeError(reason)  # CI installs both: their absence is a failure there
    pytest.skip(reason, allow_module_level=True)

#: what each learner's lab says about itself once the notebook has run
ABOUT_THE_LAB = """
import json, os
print(json.dumps({
    "endpoint": lab.endpoint_url,
    "key": lab.credentials.access_key,
    "functions": sorted(f["FunctionName"] for f in lam.list_functions()["Functions"]),
    "home": os.path.expanduser("~"),
}))
"""

#: a function that tells where its Runtime API is (its environment stays warm after the call)
WHERE_IS_MY_RUNTIME_API = """
deploy("where-am-i", "import os\\ndef handler(event, context):\\n    return os.environ['AWS_LAMBDA_RUNTIME_API']\\n")
print(json.loads(lam.invoke(FunctionName="where-am-i")["Payload"].read()))
"""

#: from A's kernel: B's endpoint with A's own keys, B's endpoint unsigned, B's function's Runtime API
KNOCK_ON_B = """
import json, socket, urllib.error, urllib.request
import boto3
from botocore.exceptions import ClientError

tried = {{}}
other = boto3.client("lambda", endpoint_url={endpoint!r}, region_name=lab.region, **lab.credentials.client_options())
try:
    other.list_functions()
    tried["signed with A's keys"] = "answered"
except ClientError as err:
    tried["signed with A's keys"] = err.response["Error"]["Code"]
try:
    urllib.request.urlopen({endpoint!r} + "/2015-03-31/functions/", timeout=10)
    tried["unsigned"] = "answered"
except urllib.error.HTTPError as err:
    tried["unsigned"] = err.code
host, port = {runtime_api!r}.split(":")
with socket.create_connection((host, int(port)), timeout=10) as conn:
    conn.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
    tried["runtime api"] = conn.recv(65536).decode(errors="replace").split("\\r\\n")[0]
tried["own lab"] = len(lam.list_functions()["Functions"])
print(json.dumps(tried))
"""


def _cells() -> list[nbformat.NotebookNode]:
    """Notebook 05's code cells but the last, which closes the lab (the test closes it after its checks)."""
    cells = [cell for cell in nbformat.read(NOTEBOOK, as_version=4).cells if cell.cell_type == "code"]
    assert cells[-1].source.strip() == "lab.close()"
    return cells[:-1]


def _output(kernel: Kernel, code: str) -> str:
    reply = kernel.run(code)
    assert reply.error is None, f"{kernel.user}: {reply.error}"
    return reply.text


def _committed_text(cell: nbformat.NotebookNode) -> str:
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def _learn(hub: Hub, user: str, kernels: dict[str, Kernel], replies: dict[str, list[Reply]]) -> None:
    """Start a kernel on ``user``'s server and run notebook 05 (but its last cell), stopping at the first failed cell."""
    kernel = kernels[user] = Kernel(hub, user)
    done = replies.setdefault(user, [])
    for cell in _cells():
        done.append(kernel.run(cell.source))
        if done[-1].error:
            return


def test_three_learners_each_run_notebook_05_in_a_lab_of_their_own(tmp_path: Path) -> None:
    hub = Hub(tmp_path, LEARNERS)
    started: dict[str, Kernel] = {}
    try:
        hub.wait_until_up()
        for user in LEARNERS:
            hub.start_server(user)
        for user in LEARNERS:
            hub.wait_until_ready(user)

        # all three run notebook 05 at the same time
        replies: dict[str, list[Reply]] = {}
        threads = [threading.Thread(target=_learn, args=(hub, user, started, replies)) for user in LEARNERS]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
        kernels = [started[user] for user in LEARNERS]
        cells = _cells()
        for user in LEARNERS:
            errors = [(i, r.error) for i, r in enumerate(replies[user]) if r.error]
            assert not errors, f"{user}: {errors}\n" + hub.tail()
            assert len(replies[user]) == len(cells)
            # every checked cell printed what the committed notebook shows, and every view drew itself
            for cell, reply in zip(cells, replies[user], strict=True):
                if CHECKED in cell.metadata.get("tags", []):
                    assert reply.text == _committed_text(cell), (user, cell.source)
            assert sum("image/svg+xml" in r.mimes for r in replies[user]) >= 4, user

        # each lab is its own: endpoint, keys, home, and only the notebook's own functions
        about = {k.user: json.loads(_output(k, ABOUT_THE_LAB)) for k in kernels}
        for field in ("endpoint", "key", "home"):
            assert len({about[user][field] for user in LEARNERS}) == 3, about
        assert about["ana"]["functions"] == about["ben"]["functions"] == about["cy"]["functions"]
        assert len(about["ana"]["functions"]) == len(set(about["ana"]["functions"])) >= 5
        assert all(about[u]["home"] == str(hub.homes / u) for u in LEARNERS), about

        # learner A (ana) cannot reach learner B's (ben's) lab, and still reaches her own
        ana, ben = kernels[0], kernels[1]
        runtime_api = _output(ben, WHERE_IS_MY_RUNTIME_API).strip()
        assert runtime_api.startswith("127.0.0.1:"), runtime_api
        tried = json.loads(_output(ana, KNOCK_ON_B.format(endpoint=about["ben"]["endpoint"], runtime_api=runtime_api)))
        assert tried["signed with A's keys"] == "UnrecognizedClientException", tried
        assert tried["unsigned"] == 403, tried
        assert tried["runtime api"] == "HTTP/1.1 403 Forbidden", tried
        assert tried["own lab"] == len(about["ana"]["functions"]), tried
        # and ben's function still answers, from ben's own lab
        assert _output(ben, 'print(lam.invoke(FunctionName="where-am-i")["StatusCode"])').strip() == "200"
        # the notebook's last cell closes ana's and cy's labs; ben leaves his open, with a warm function
        for kernel in (kernels[0], kernels[2]):
            _output(kernel, "lab.close()")
    finally:
        for kernel in started.values():
            kernel.close()
        left = hub.stop()
    assert not left, f"processes left after the hub stopped: {left}\n" + hub.tail()
