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


#: the rest of the SDK: a step retried by its own strategy, parallel branches (one waits an hour), map,
#: a child context, and a callback nobody completes, which times out after two hours
EVERYTHING_ELSE = """
import { withDurableExecution } from '@aws/durable-execution-sdk-js';

export const handler = withDurableExecution(async (event, context) => {
  const charged = await context.step('charge', async (step) => {
    if (step.attempt < 3) throw new Error(`card service busy (attempt ${step.attempt})`);
    return 'charged';
  }, { retryStrategy: (error, attempt) => ({ shouldRetry: attempt < 5, delay: { seconds: 5 * attempt } }) });
  const both = await context.parallel('both', [
    async (branch) => branch.step('a', async () => 'A'),
    async (branch) => { await branch.wait({ hours: 1 }); return branch.step('b', async () => 'B'); },
  ]);
  const doubled = await context.map('double', [1, 2, 3], async (item, x) => item.step(async () => x * 2));
  const packed = await context.runInChildContext('pack', async (child) => child.step('box', async () => 'box'));
  const [approval] = await context.createCallback('approve', { timeout: { hours: 2 } });
  const approved = await approval.then(() => 'approved', (error) => `${error.name}: ${error.message}`);
  return { charged, both: both.getResults(), doubled: doubled.getResults(), packed, approved };
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


def test_retries_parallel_map_child_contexts_and_a_callback_timeout_play_on_the_clock(
    lab: lambdalab.Lab, role_arn: str, functions: Any
) -> None:
    create_durable(lab, role_arn, "everything-js", EVERYTHING_ELSE, runtime="nodejs22.x")
    since = lab.clock.t
    arn = start(lab, "everything-js", {})
    lab.run_until_idle()  # until only the approval is awaited
    lab.advance(3 * 3600)
    kinds = ("durable-invocation", "durable-resumed", "durable-callback", "durable-closed")
    hour = 15 + 3600  # the branch's hour starts once the charge succeeded
    assert [x for x in timeline(lab, arn, since) if x[1] in kinds] == [
        (0, "durable-invocation", "#1 PENDING"),
        (5, "durable-resumed", "timer"),  # the strategy's 5 s after attempt 1
        (5, "durable-invocation", "#2 PENDING"),
        (15, "durable-resumed", "timer"),  # 10 s after attempt 2
        (15, "durable-invocation", "#3 PENDING"),
        (hour, "durable-resumed", "timer"),
        (hour, "durable-invocation", "#4 PENDING"),
        (hour + 7200, "durable-callback", "TIMED_OUT by clock"),
        (hour + 7200, "durable-resumed", "callback"),
        (hour + 7200, "durable-invocation", "#5 SUCCEEDED"),
        (hour + 7200, "durable-closed", "SUCCEEDED"),
    ]
    status, result, _ = outcome(lab, arn)
    assert (status, result) == (
        "SUCCEEDED",
        {
            "charged": "charged",
            "both": ["A", "B"],
            "doubled": [2, 4, 6],
            "packed": "box",
            "approved": "CallbackTimeoutError: Callback timed out",
        },
    )
