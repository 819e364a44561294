"""Durable functions in Node.js: AWS's JavaScript SDK, shipped by the lab's Node.js runtime, on the virtual clock.

AWS's nodejs22.x and nodejs24.x runtimes include ``@aws/durable-execution-sdk-js``
(https://docs.aws.amazon.com/lambda/latest/dg/durable-supported-runtimes.html); the lab's runtime ships it in
``lambdalab/runtime/node/node_modules`` (``make setup``), so these functions' packages hold only their code.
The execution loop and the control plane are the ones Python functions use: only the handler changes.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest
from durable_support import (
    CRASH_JS,
    CRASH_RESULT,
    CRASH_TIMELINE,
    DAY,
    ORDER_JS,
    create_durable,
    outcome,
    pay_within_the_hour,
    shipped_after,
    start,
    timeline,
)

import lambdalab
from lambdalab.course import execution_role

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")

#: a CommonJS handler: require() finds the SDK through NODE_PATH
WAIT_CJS = """
const { withDurableExecution } = require('@aws/durable-execution-sdk-js');

exports.handler = withDurableExecution(async (event, context) => {
  await context.wait('settle', { hours: 1 });
  return context.step('greet', async () => `hello ${event.name}`);
});
"""


@pytest.fixture(scope="module")
def role_arn(lab: lambdalab.Lab) -> str:
    """The durable functions' execution role: AWS's managed policy for durable functions (logs and checkpoints)."""
    return execution_role(lab, "durable-exec", "AWSLambdaBasicDurableExecutionRolePolicy")


@pytest.fixture(scope="module")
def functions(lab: lambdalab.Lab, role_arn: str) -> Any:
    for name, source in (("order-js", ORDER_JS), ("crash-js", CRASH_JS)):
        create_durable(lab, role_arn, name, source, runtime="nodejs22.x")
    return lab.client("lambda")


def _callback_in(lab: lambdalab.Lab, arn: str, context_name: str) -> str:
    """The id of the callback waitForCallback made in its child context ``context_name`` (from the history)."""
    events = lab.client("lambda").get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    parent = next(e["Id"] for e in events if e["EventType"] == "ContextStarted" and e.get("Name") == context_name)
    started = [e for e in events if e["EventType"] == "CallbackStarted" and e.get("ParentId") == parent]
    return str(started[-1]["CallbackStartedDetails"]["CallbackId"])


def test_a_node_order_workflow_waits_for_its_callback_and_a_week_then_succeeds(
    lab: lambdalab.Lab, functions: Any
) -> None:
    arn, since = pay_within_the_hour(lab, "order-js", lambda arn: _callback_in(lab, arn, "payment"))

    week = 3600 + 7 * DAY
    assert timeline(lab, arn, since) == [
        (0, "durable-started", "Event"),
        (0, "durable-operation", "START STEP reserve"),
        (0, "durable-operation", "SUCCEED STEP reserve"),
        # waitForCallback: a child context holding the callback and a step that runs the submitter
        (0, "durable-operation", "START CONTEXT payment"),
        (0, "durable-operation", "START CALLBACK None"),
        (0, "durable-operation", "START STEP None"),
        (0, "durable-operation", "SUCCEED STEP None"),
        (0, "durable-invocation", "#1 PENDING"),
        (0, "durable-suspended", "callback"),
        (3600, "durable-callback", "SUCCEEDED by client"),
        (3600, "durable-resumed", "callback"),
        # the SDK's ids are hashes of the operation's place in the handler: the same every run
        (3600, "durable-replay", "reserve callback 8fbdbf55 step 3c46a040"),
        (3600, "durable-operation", "SUCCEED CONTEXT payment"),
        (3600, "durable-operation", "START WAIT cool-off"),
        (3600, "durable-invocation", "#2 PENDING"),
        (3600, "durable-suspended", "wait"),
        *shipped_after(week, replayed="reserve payment callback 8fbdbf55 step 3c46a040 cool-off"),
    ]
    paid = {"reserved": "reserved o-1", "paid": "paid", "shipped": "shipped o-1"}
    assert outcome(lab, arn) == ("SUCCEEDED", paid, week)


def test_a_killed_node_environment_resumes_from_checkpoints_without_rerunning_finished_steps(
    lab: lambdalab.Lab, functions: Any
) -> None:
    since = lab.clock.t
    arn = start(lab, "crash-js", {})
    lab.run_until_idle()
    assert timeline(lab, arn, since) == CRASH_TIMELINE
    assert json.loads(functions.get_durable_execution(DurableExecutionArn=arn)["Result"]) == CRASH_RESULT


def test_a_commonjs_handler_requires_the_sdk_the_runtime_ships(
    lab: lambdalab.Lab, role_arn: str, functions: Any
) -> None:
    lab.client("lambda").create_function(
        FunctionName="wait-cjs",
        Runtime="nodejs24.x",
        Role=role_arn,
        Handler="app.handler",
        Code={"ZipFile": lambdalab.zip_files({"app.js": WAIT_CJS})},
        DurableConfig={"ExecutionTimeout": DAY},
    )
    since = lab.clock.t
    arn = start(lab, "wait-cjs", {"name": "Ada"})
    lab.run_until_idle()
    execution = functions.get_durable_execution(DurableExecutionArn=arn)
    assert (execution["Status"], json.loads(execution["Result"])) == ("SUCCEEDED", "hello Ada")
    assert [x for x in timeline(lab, arn, since) if x[1] == "durable-invocation"] == [
        (0, "durable-invocation", "#1 PENDING"),
        (3600, "durable-invocation", "#2 SUCCEEDED"),
    ]
