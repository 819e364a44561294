"""Durable functions the durable tests deploy (as app.py), and helpers to drive them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import lambdalab
from lambdalab.trace import Record

DAY = 86_400

#: reserve, wait for the payment callback (2 days at most), wait a week, ship
ORDER = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig, Duration

@durable_execution
def handler(event, context: DurableContext):
    order = event["order"]
    reserved = context.step(lambda _: f"reserved {order}", name="reserve")
    payment = context.create_callback(name="payment", config=CallbackConfig(timeout=Duration.from_days(2)))
    paid = payment.result()
    context.wait(Duration.from_days(7), name="cool-off")
    shipped = context.step(lambda _: f"shipped {order}", name="ship")
    return {"reserved": reserved, "paid": paid, "shipped": shipped}
"""

#: a step that fails twice before it succeeds, retried by the SDK's policy (5 s, then 10 s: no jitter)
FLAKY = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration, JitterStrategy, StepConfig
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

RETRY = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(
    max_attempts=3, initial_delay=Duration.from_seconds(5), backoff_rate=2, jitter_strategy=JitterStrategy.NONE)))

def charge(step_context):
    if step_context.attempt < 3:
        raise RuntimeError(f"card service busy (attempt {step_context.attempt})")
    return "charged"

@durable_execution
def handler(event, context: DurableContext):
    return context.step(charge, name="charge", config=RETRY)
"""

#: the process dies after the first step, in the execution's first invocation only
CRASH = """
import os
from aws_durable_execution_sdk_python import DurableContext, durable_execution

RUNS = []

@durable_execution
def workflow(event, context: DurableContext):
    reserved = context.step(lambda _: RUNS.append("reserve") or "reserved", name="reserve")
    if FIRST[0]:
        os._exit(137)  # the environment is killed mid-run
    charged = context.step(lambda _: RUNS.append("charge") or "charged", name="charge")
    return {"reserved": reserved, "charged": charged, "ran_here": RUNS}

FIRST = [False]

def handler(event, context):
    # only the EXECUTION operation checkpointed yet: this is the execution's first invocation
    FIRST[0] = len(event["InitialExecutionState"]["Operations"]) == 1
    return workflow(event, context)
"""

#: steps, a wait and a child context, no callback: the local testing runner can play it alone
PLAIN = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration

def pack(child: DurableContext):
    box = child.step(lambda _: "box", name="box")
    label = child.step(lambda _: "label", name="label")
    return [box, label]

@durable_execution
def handler(event, context: DurableContext):
    total = context.step(lambda _: sum(event["items"]), name="total")
    context.wait(Duration.from_days(1), name="settle")
    packed = context.run_in_child_context(pack, name="pack")
    return {"total": total, "packed": packed}
"""


#: the order workflow in JavaScript: reserve, wait for the payment callback, wait a week, ship
ORDER_JS = """
import { withDurableExecution } from '@aws/durable-execution-sdk-js';

export const handler = withDurableExecution(async (event, context) => {
  const order = event.order;
  const reserved = await context.step('reserve', async () => `reserved ${order}`);
  const paid = await context.waitForCallback('payment', async (callbackId) => {
    console.log(`payment for ${order}: callback ${callbackId}`);
  }, { timeout: { days: 2 } });
  await context.wait('cool-off', { days: 7 });
  const shipped = await context.step('ship', async () => `shipped ${order}`);
  return { reserved, paid, shipped };
});
"""

#: the process dies after the first step, in the execution's first invocation only (JavaScript)
CRASH_JS = """
import { withDurableExecution } from '@aws/durable-execution-sdk-js';

const ranHere = [];
let first = false;

const workflow = withDurableExecution(async (event, context) => {
  const reserved = await context.step('reserve', async () => { ranHere.push('reserve'); return 'reserved'; });
  if (first) process.exit(137); // the environment is killed mid-run
  const charged = await context.step('charge', async () => { ranHere.push('charge'); return 'charged'; });
  return { reserved, charged, ran_here: ranHere };
});

export const handler = async (event, context) => {
  // only the EXECUTION operation checkpointed yet: this is the execution's first invocation
  first = event.InitialExecutionState.Operations.length === 1;
  return workflow(event, context);
};
"""


#: what CRASH and CRASH_JS do: the first invocation dies after ``reserve``, Lambda invokes again 5 s later
CRASH_TIMELINE = [
    (0, "durable-started", "Event"),
    (0, "durable-operation", "START STEP reserve"),
    (0, "durable-operation", "SUCCEED STEP reserve"),
    (0, "durable-invocation", "#1 ERROR Runtime.ExitError"),
    (5, "durable-resumed", "invocation-retry"),
    (5, "durable-replay", "reserve"),
    (5, "durable-operation", "START STEP charge"),
    (5, "durable-operation", "SUCCEED STEP charge"),
    (5, "durable-invocation", "#2 SUCCEEDED"),
    (5, "durable-closed", "SUCCEEDED"),
]
#: the new environment ran only the step the dead one had not finished; reserve came from its checkpoint
CRASH_RESULT = {"reserved": "reserved", "charged": "charged", "ran_here": ["charge"]}


def sending_role(lab: lambdalab.Lab, name: str) -> str:
    """An execution role that checkpoints and logs (AWS's managed policy for durable functions) and sends to SQS
    queues (a dead-letter queue, a destination)."""
    from lambdalab.course import execution_role

    arn = execution_role(lab, name, "AWSLambdaBasicDurableExecutionRolePolicy")
    send = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
    lab.client("iam").put_role_policy(
        RoleName=name,
        PolicyName="queues",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [send]}),
    )
    return arn


def create_durable(
    lab: lambdalab.Lab,
    role_arn: str,
    name: str,
    source: str,
    timeout_days: int = 30,
    runtime: str = "python3.13",
    *,
    seconds: int | None = None,
    **extra: Any,
) -> None:
    """Deploy ``source`` as app.py (Python) or index.mjs (Node.js), handler ``<file>.handler``; its executions
    last ``timeout_days`` (or ``seconds``) at most."""
    file = "index.mjs" if runtime.startswith("nodejs") else "app.py"
    lab.client("lambda").create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=role_arn,
        Handler=file.split(".")[0] + ".handler",
        Code={"ZipFile": lambdalab.zip_files({file: source})},
        Timeout=60,
        DurableConfig={"ExecutionTimeout": seconds or timeout_days * DAY, "RetentionPeriodInDays": 7},
        **extra,
    )


def live(lab: lambdalab.Lab, name: str) -> str:
    """Publish ``name``'s code as a version and point the alias ``live`` at it: ``name:live``, the qualified name
    a durable function is invoked through (an execution replays against the version it started on)."""
    functions = lab.client("lambda")
    version = functions.publish_version(FunctionName=name)["Version"]
    functions.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    return f"{name}:live"


def start(lab: lambdalab.Lab, name: str, event: dict[str, Any], **extra: Any) -> str:
    """Invoke ``name`` asynchronously; the execution's ARN. A durable function is invoked qualified: a bare
    name is invoked as ``name:$LATEST`` (a version or an alias can be named: ``name:1``, ``name:live``)."""
    qualified = name if ":" in name else f"{name}:$LATEST"
    answer = lab.client("lambda").invoke(
        FunctionName=qualified, InvocationType="Event", Payload=json.dumps(event), **extra
    )
    return str(answer["DurableExecutionArn"])


def pay_within_the_hour(lab: lambdalab.Lab, name: str, callback: Callable[[str], str]) -> tuple[str, float]:
    """Start the order workflow ``name``, pay from a cell an hour later (the callback ``callback(arn)``), play
    out the rest: its ARN and when it started."""
    functions = lab.client("lambda")
    since = lab.clock.t
    arn = start(lab, name, {"order": "o-1"})
    lab.run_until_idle()  # runs until only the payment callback is awaited
    assert functions.get_durable_execution(DurableExecutionArn=arn)["Status"] == "RUNNING"
    lab.advance(3600)
    functions.send_durable_execution_callback_success(CallbackId=callback(arn), Result=b"paid")
    lab.run_until_idle(30 * DAY)
    return arn, since


def shipped_after(week: float, replayed: str) -> list[tuple[float, str, str]]:
    """The order workflow's last invocation on its timeline: the week's wait over, ``replayed`` skipped, ship."""
    return [
        (week, "durable-resumed", "timer"),
        (week, "durable-replay", replayed),
        (week, "durable-operation", "START STEP ship"),
        (week, "durable-operation", "SUCCEED STEP ship"),
        (week, "durable-invocation", "#3 SUCCEEDED"),
        (week, "durable-closed", "SUCCEEDED"),
    ]


def outcome(lab: lambdalab.Lab, arn: str) -> tuple[str, Any, float]:
    """A closed execution's status, result and length in virtual seconds."""
    execution = lab.client("lambda").get_durable_execution(DurableExecutionArn=arn)
    length = round((execution["EndTimestamp"] - execution["StartTimestamp"]).total_seconds(), 3)
    return execution["Status"], json.loads(execution.get("Result", "null")), length


def timeline(lab: lambdalab.Lab, arn: str, since: float) -> list[tuple[float, str, str]]:
    """The execution's durable records as (virtual seconds since ``since``, kind, what)."""
    out = []
    for record in lab.trace:
        if record.kind.startswith("durable-") and record.detail.get("execution") == arn:
            out.append((round(record.t - since, 3), record.kind, _what(record)))
    return out


def _what(record: Record) -> str:
    d = record.detail
    if record.kind == "durable-operation":
        return f"{d['action']} {d['type']} {d['name']}"
    if record.kind == "durable-invocation":
        return f"#{d['invocation']} {d['outcome']}" + (f" {d['error']}" if d["error"] else "")
    if record.kind == "durable-replay":
        return " ".join(d["names"])
    if record.kind == "durable-suspended":
        return ",".join(d["waiting_for"])
    if record.kind == "durable-resumed":
        return str(d["reason"])
    if record.kind == "durable-callback":
        return f"{d['outcome']} by {d['sender']}"
    if record.kind == "durable-closed":
        return str(d["status"])
    if record.kind == "durable-denied":
        return str(d["action"])
    if record.kind == "durable-chained-invoke":
        return f"{d['outcome']} {d['target']}" + (f" {d['error']}" if d["error"] else "")
    return str(d.get("how", ""))


def callback_id(lab: lambdalab.Lab, arn: str, name: str) -> str:
    """The callback id of the execution's callback operation ``name`` (from its history)."""
    events = lab.client("lambda").get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    started = [e for e in events if e["EventType"] == "CallbackStarted" and e.get("Name") == name]
    return str(started[-1]["CallbackStartedDetails"]["CallbackId"])


#: reserve, pay through another function (``context.invoke``), wait a day, ship; a refused payment releases
#: the stock and ends the order. ``event["pay_with"]`` names the payment function.
ORDER_INVOKE = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration
from aws_durable_execution_sdk_python.exceptions import InvokeError

@durable_execution
def handler(event, context: DurableContext):
    order = event["order"]
    reserved = context.step(lambda _: f"reserved {order}", name="reserve")
    try:
        receipt = context.invoke(event["pay_with"], {"order": order, "amount": event["amount"]}, name="pay")
    except InvokeError as err:
        released = context.step(lambda _: f"released {order}", name="release")
        return {"reserved": reserved, "released": released, "refused": str(err)}
    context.wait(Duration.from_days(1), name="settle")
    shipped = context.step(lambda _: f"shipped {order}", name="ship")
    return {"reserved": reserved, "receipt": receipt, "shipped": shipped}
"""

#: a plain function: charges up to 1000, declines more
PAYMENT = """
def handler(event, context):
    if event["amount"] > 1000:
        raise ValueError(f"card declined: {event['amount']} is over the limit")
    return {"receipt": "r-" + event["order"], "charged": event["amount"]}
"""

#: a durable payment: authorises, waits an hour for the bank to settle, captures; declines over 1000
DURABLE_PAYMENT = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration, StepConfig
from aws_durable_execution_sdk_python.retries import RetryPresets

ONCE = StepConfig(retry_strategy=RetryPresets.none())

def authorise(event):
    if event["amount"] > 1000:
        raise ValueError(f"card declined: {event['amount']} is over the limit")
    return "auth-" + event["order"]

@durable_execution
def handler(event, context: DurableContext):
    auth = context.step(lambda _: authorise(event), name="authorise", config=ONCE)
    context.wait(Duration.from_hours(1), name="bank-settles")
    return context.step(lambda _: {"receipt": "r-" + event["order"], "auth": auth}, name="capture")
"""
