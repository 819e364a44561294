"""Chained invokes (``context.invoke``) on the virtual clock: an order workflow pays through another function.

The target runs as a real function in the lab's runtime; the caller's invocation ends PENDING, and the
caller is invoked again when the target's answer is recorded in its state. Each test reads the exact
virtual timeline of the caller (and of a durable target's own execution), and the history is compared
with what AWS's testing runner records for the same handlers.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest
from durable_support import DAY, DURABLE_PAYMENT, ORDER_INVOKE, PAYMENT, create_durable, start, timeline

import lambdalab
from lambdalab import trace_kinds as k
from lambdalab.course import execution_role


@pytest.fixture(scope="module")
def role_arn(lab: lambdalab.Lab) -> str:
    """The functions' execution role: AWS's managed policy for durable functions (logs and checkpoints)."""
    return execution_role(lab, "durable-exec", "AWSLambdaBasicDurableExecutionRolePolicy")


@pytest.fixture(scope="module")
def functions(lab: lambdalab.Lab, role_arn: str) -> Any:
    create_durable(lab, role_arn, "order", ORDER_INVOKE)
    create_durable(lab, role_arn, "payment-durable", DURABLE_PAYMENT)
    client = lab.client("lambda")
    _function(client, role_arn, "payment", PAYMENT, Timeout=30)
    return client


def _function(client: Any, role_arn: str, name: str, source: str | dict[str, str], **settings: Any) -> None:
    """Create the function ``name`` running ``source`` (app.py, or the files given; Python unless told)."""
    files = {"app.py": source} if isinstance(source, str) else source
    config = {"Runtime": "python3.13", "Handler": "app.handler", **settings}
    client.create_function(FunctionName=name, Role=role_arn, Code={"ZipFile": lambdalab.zip_files(files)}, **config)


def _order(lab: lambdalab.Lab, order: str, amount: int, pay_with: str, **extra: Any) -> tuple[str, float]:
    """Start an order paid with ``pay_with`` and play it out: its execution's ARN, and when it started."""
    since = lab.clock.t
    arn = start(lab, "order", {"order": order, "amount": amount, "pay_with": pay_with}, **extra)
    lab.run_until_idle(30 * DAY)
    return arn, since


def _result(functions: Any, arn: str) -> Any:
    execution = functions.get_durable_execution(DurableExecutionArn=arn)
    assert execution["Status"] == "SUCCEEDED"
    return json.loads(execution["Result"])


def test_the_order_pays_through_a_plain_function_and_resumes_with_its_receipt(
    lab: lambdalab.Lab, functions: Any
) -> None:
    arn, since = _order(lab, "o-1", 120, "payment")
    assert timeline(lab, arn, since) == [
        (0, "durable-started", "Event"),
        (0, "durable-operation", "START STEP reserve"),
        (0, "durable-operation", "SUCCEED STEP reserve"),
        (0, "durable-operation", "START CHAINED_INVOKE pay"),
        (0, "durable-invocation", "#1 PENDING"),
        (0, "durable-suspended", "invoke"),
        (0, "durable-chained-invoke", "STARTED payment"),
        (0, "durable-chained-invoke", "SUCCEEDED payment"),
        (0, "durable-resumed", "invoke"),
        (0, "durable-replay", "reserve pay"),
        (0, "durable-operation", "START WAIT settle"),
        (0, "durable-invocation", "#2 PENDING"),
        (0, "durable-suspended", "wait"),
        (DAY, "durable-resumed", "timer"),
        (DAY, "durable-replay", "reserve pay settle"),
        (DAY, "durable-operation", "START STEP ship"),
        (DAY, "durable-operation", "SUCCEED STEP ship"),
        (DAY, "durable-invocation", "#3 SUCCEEDED"),
        (DAY, "durable-closed", "SUCCEEDED"),
    ]
    assert _result(functions, arn) == {
        "reserved": "reserved o-1",
        "receipt": {"receipt": "r-o-1", "charged": 120},
        "shipped": "shipped o-1",
    }
    # the payment ran once, a real invocation of its own, between the order's first and second
    started = [r for r in lab.trace.where(k.DURABLE_CHAINED_INVOKE) if r.detail["execution"] == arn][0]
    ran = [r for r in lab.trace.where(k.INVOKE, "payment") if r.ids == (started.detail["request_id"],)]
    assert [(r.detail["source"], r.detail["error"]) for r in ran] == [("durable-invoke", None)]


def test_a_payment_the_function_refuses_raises_in_the_order_which_releases_the_stock(
    lab: lambdalab.Lab, functions: Any
) -> None:
    arn, since = _order(lab, "o-2", 5000, "payment")
    assert timeline(lab, arn, since)[5:] == [
        (0, "durable-suspended", "invoke"),
        (0, "durable-chained-invoke", "STARTED payment"),
        (0, "durable-chained-invoke", "FAILED payment ValueError"),
        (0, "durable-resumed", "invoke"),
        (0, "durable-replay", "reserve pay"),
        (0, "durable-operation", "START STEP release"),
        (0, "durable-operation", "SUCCEED STEP release"),
        (0, "durable-invocation", "#2 SUCCEEDED"),
        (0, "durable-closed", "SUCCEEDED"),
    ]
    result = _result(functions, arn)
    assert result["released"] == "released o-2"
    assert "card declined: 5000 is over the limit" in result["refused"]
    events = functions.get_durable_execution_history(DurableExecutionArn=arn, IncludeExecutionData=True)["Events"]
    failed = [e for e in events if e["EventType"] == "ChainedInvokeFailed"]
    assert [e["ChainedInvokeFailedDetails"]["Error"]["Payload"]["ErrorType"] for e in failed] == ["ValueError"]


def test_a_durable_payment_runs_as_its_own_execution_on_the_same_clock(lab: lambdalab.Lab, functions: Any) -> None:
    arn, since = _order(lab, "o-3", 80, "payment-durable:$LATEST")
    invoked = [r for r in lab.trace.where(k.DURABLE_CHAINED_INVOKE) if r.detail["execution"] == arn]
    child = invoked[0].detail["target_execution"]
    assert child is not None and child.split(":function:")[1].startswith("payment-durable:$LATEST/durable-execution/")
    assert timeline(lab, child, since) == [
        (0, "durable-started", "ChainedInvoke"),
        (0, "durable-operation", "START STEP authorise"),
        (0, "durable-operation", "SUCCEED STEP authorise"),
        (0, "durable-operation", "START WAIT bank-settles"),
        (0, "durable-invocation", "#1 PENDING"),
        (0, "durable-suspended", "wait"),
        (3600, "durable-resumed", "timer"),
        (3600, "durable-replay", "authorise bank-settles"),
        (3600, "durable-operation", "START STEP capture"),
        (3600, "durable-operation", "SUCCEED STEP capture"),
        (3600, "durable-invocation", "#2 SUCCEEDED"),
        (3600, "durable-closed", "SUCCEEDED"),
    ]
    assert [x for x in timeline(lab, arn, since) if x[1] != "durable-operation"] == [
        (0, "durable-started", "Event"),
        (0, "durable-invocation", "#1 PENDING"),
        (0, "durable-suspended", "invoke"),
        (0, "durable-chained-invoke", "STARTED payment-durable:$LATEST"),
        (3600, "durable-chained-invoke", "SUCCEEDED payment-durable:$LATEST"),
        (3600, "durable-resumed", "invoke"),
        (3600, "durable-replay", "reserve pay"),
        (3600, "durable-invocation", "#2 PENDING"),
        (3600, "durable-suspended", "wait"),
        (3600 + DAY, "durable-resumed", "timer"),
        (3600 + DAY, "durable-replay", "reserve pay settle"),
        (3600 + DAY, "durable-invocation", "#3 SUCCEEDED"),
        (3600 + DAY, "durable-closed", "SUCCEEDED"),
    ]
    assert _result(functions, arn)["receipt"] == {"receipt": "r-o-3", "auth": "auth-o-3"}
    events = functions.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    started = [e for e in events if e["EventType"] == "ChainedInvokeStarted"]
    assert [e["ChainedInvokeStartedDetails"]["DurableExecutionArn"] for e in started] == [child]


def test_a_durable_payment_that_fails_fails_the_chained_invoke_with_its_error(
    lab: lambdalab.Lab, functions: Any
) -> None:
    arn, since = _order(lab, "o-4", 9000, "payment-durable:$LATEST")
    steps = [x for x in timeline(lab, arn, since) if x[1] in ("durable-chained-invoke", "durable-closed")]
    assert steps == [
        (0, "durable-chained-invoke", "STARTED payment-durable:$LATEST"),
        (
            0,
            "durable-chained-invoke",
            "FAILED payment-durable:$LATEST aws_durable_execution_sdk_python.exceptions.StepError",
        ),
        (0, "durable-closed", "SUCCEEDED"),
    ]
    assert "card declined: 9000" in _result(functions, arn)["refused"]


@pytest.mark.parametrize(
    ("order", "pay_with", "refused"),
    [
        ("o-5", "no-such-payment", "Function not found"),
        # a durable target named without a version or an alias: refused as an Invoke of it is
        ("o-6", "payment-durable", "You cannot invoke a durable function using an unqualified ARN."),
    ],
)
def test_a_target_lambda_cannot_invoke_fails_the_invoke_in_its_own_checkpoint(
    lab: lambdalab.Lab, functions: Any, order: str, pay_with: str, refused: str
) -> None:
    def running() -> list[str]:
        listed = functions.list_durable_executions_by_function(FunctionName="payment-durable")["DurableExecutions"]
        return [e["DurableExecutionArn"] for e in listed]

    before = running()
    arn, since = _order(lab, order, 10, pay_with)
    assert timeline(lab, arn, since) == [  # no suspension: the handler raised at once, in its first invocation
        (0, "durable-started", "Event"),
        (0, "durable-operation", "START STEP reserve"),
        (0, "durable-operation", "SUCCEED STEP reserve"),
        (0, "durable-operation", "START CHAINED_INVOKE pay"),
        (0, "durable-operation", "START STEP release"),
        (0, "durable-operation", "SUCCEED STEP release"),
        (0, "durable-invocation", "#1 SUCCEEDED"),
        (0, "durable-closed", "SUCCEEDED"),
    ]
    assert refused in _result(functions, arn)["refused"]
    assert running() == before  # no execution of the target started


def _essence(events: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
    """Each event's type, name and result (request ids and times differ by construction)."""
    out = []
    for e in events:
        if e["EventType"] == "InvocationCompleted":
            continue
        details = next((v for key, v in e.items() if key.endswith("Details") and isinstance(v, dict)), {})
        payload = (details.get("Result") or details.get("Input") or {}).get("Payload")
        error = (details.get("Error") or {}).get("Payload", {}).get("ErrorType")
        out.append((e["EventType"], e.get("Name"), payload or error))
    return out


@pytest.mark.parametrize(("pay_with", "amount"), [("payment", 70), ("payment", 7000), ("payment-durable:$LATEST", 70)])
def test_the_history_matches_what_aws_testing_runner_records_for_the_same_handlers(
    lab: lambdalab.Lab, functions: Any, pay_with: str, amount: int
) -> None:
    from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner

    event = json.dumps({"order": "o-9", "amount": amount, "pay_with": pay_with})
    name = f"compare-{pay_with.split(':')[0]}-{amount}"
    arn, _ = _order(lab, "o-9", amount, pay_with, DurableExecutionName=name)
    ours = functions.get_durable_execution_history(DurableExecutionArn=arn, IncludeExecutionData=True)["Events"]

    handlers: dict[str, Any] = {}
    for key, source in (("order", ORDER_INVOKE), ("payment", PAYMENT), ("payment-durable", DURABLE_PAYMENT)):
        namespace: dict[str, Any] = {}
        exec(source, namespace)
        handlers[key] = namespace["handler"]
    with DurableFunctionTestRunner(handler=handlers["order"]) as runner:
        runner.register_function("payment", handlers["payment"])
        runner.register_durable_function("payment-durable", handlers["payment-durable"], execution_timeout=30 * DAY)
        theirs_arn = runner.run_async(input=event, execution_timeout=60, execution_name=name)
        assert json.loads(runner.wait_for_result(theirs_arn, timeout=60).result or "null") == _result(functions, arn)
        theirs = runner.get_execution_history(theirs_arn, include_execution_data=True).to_dict()["Events"]
        assert _essence(ours) == _essence(theirs)
        answered = "ChainedInvokeSucceeded" if amount < 1000 else "ChainedInvokeFailed"
        assert answered in [e["EventType"] for e in ours]
        if pay_with.startswith("payment-durable"):  # the target's own execution, too
            child = [e for e in ours if e["EventType"] == "ChainedInvokeStarted"][0]
            their_child = [e for e in theirs if e["EventType"] == "ChainedInvokeStarted"][0]
            child_arn = child["ChainedInvokeStartedDetails"]["DurableExecutionArn"]
            their_child_arn = their_child["ChainedInvokeStartedDetails"]["DurableExecutionArn"]
            ours_child = functions.get_durable_execution_history(
                DurableExecutionArn=child_arn, IncludeExecutionData=True
            )
            theirs_child = runner.get_execution_history(their_child_arn, include_execution_data=True).to_dict()
            unnamed = [(t, None if t.startswith("Execution") else n, v) for t, n, v in _essence(ours_child["Events"])]
            assert unnamed == [  # the child executions' names are ids, different by construction
                (t, None if t.startswith("Execution") else n, v) for t, n, v in _essence(theirs_child["Events"])
            ]
            assert [t for t, _, _ in unnamed].count("WaitSucceeded") == 1


def test_a_durable_payment_that_outlives_its_execution_timeout_times_the_invoke_out(
    lab: lambdalab.Lab, functions: Any, role_arn: str
) -> None:
    slow = {"ExecutionTimeout": 600}  # ten minutes, and the bank takes an hour
    _function(functions, role_arn, "payment-slow", DURABLE_PAYMENT, Timeout=60, DurableConfig=slow)
    arn, since = _order(lab, "o-10", 50, "payment-slow:$LATEST")
    assert [x for x in timeline(lab, arn, since) if x[1] == "durable-chained-invoke"] == [
        (0, "durable-chained-invoke", "STARTED payment-slow:$LATEST"),
        (600, "durable-chained-invoke", "TIMED_OUT payment-slow:$LATEST ChainedInvoke.Timeout"),
    ]
    assert _result(functions, arn)["refused"] == "CHAINED_INVOKE timed out after 600 seconds."
    events = functions.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    assert "ChainedInvokeTimedOut" in [e["EventType"] for e in events]


def test_a_stopped_target_stops_the_invoke_and_a_stopped_caller_leaves_its_target_running(
    lab: lambdalab.Lab, functions: Any
) -> None:
    since = lab.clock.t
    arn = start(lab, "order", {"order": "o-11", "amount": 60, "pay_with": "payment-durable:$LATEST"})
    lab.run_until_idle(60)  # the payment waits for its bank
    [invoked] = [r for r in lab.trace.where(k.DURABLE_CHAINED_INVOKE) if r.detail["execution"] == arn]
    functions.stop_durable_execution(
        DurableExecutionArn=invoked.detail["target_execution"], Error={"ErrorMessage": "fraud suspected"}
    )
    lab.run_until_idle(30 * DAY)
    assert timeline(lab, arn, since)[-7:-3] == [
        (60, "durable-chained-invoke", "STOPPED payment-durable:$LATEST fraud suspected"),
        (60, "durable-resumed", "invoke"),
        (60, "durable-replay", "reserve pay"),
        (60, "durable-operation", "START STEP release"),
    ]
    assert _result(functions, arn)["refused"] == "fraud suspected"

    arn = start(lab, "order", {"order": "o-12", "amount": 60, "pay_with": "payment-durable:$LATEST"})
    lab.run_until_idle(60)
    [invoked] = [r for r in lab.trace.where(k.DURABLE_CHAINED_INVOKE) if r.detail["execution"] == arn]
    functions.stop_durable_execution(DurableExecutionArn=arn)
    lab.run_until_idle(30 * DAY)
    target = functions.get_durable_execution(DurableExecutionArn=invoked.detail["target_execution"])
    assert target["Status"] == "SUCCEEDED"  # it ran on; its answer came too late for a stopped caller
    assert [r.detail["outcome"] for r in lab.trace.where(k.DURABLE_CHAINED_INVOKE) if r.detail["execution"] == arn] == [
        "STARTED"
    ]


def test_a_plain_payment_that_runs_past_its_timeout_fails_the_invoke_with_sandbox_timedout(
    lab: lambdalab.Lab, functions: Any, role_arn: str
) -> None:
    hangs = "import time\ndef handler(event, context):\n    time.sleep(5)\n"
    _function(functions, role_arn, "payment-hangs", hangs, Timeout=1)
    arn, since = _order(lab, "o-13", 50, "payment-hangs")
    assert [x for x in timeline(lab, arn, since) if x[1] == "durable-chained-invoke"] == [
        (0, "durable-chained-invoke", "STARTED payment-hangs"),
        (0, "durable-chained-invoke", "FAILED payment-hangs Sandbox.Timedout"),
    ]
    assert "Task timed out after 1.00 seconds" in _result(functions, arn)["refused"]


def test_a_synchronous_invoke_of_the_caller_waits_through_its_chained_invoke(
    lab: lambdalab.Lab, functions: Any
) -> None:
    answer = functions.invoke(
        FunctionName="order:$LATEST",
        Payload=json.dumps({"order": "o-14", "amount": 9000, "pay_with": "payment-durable:$LATEST"}),
    )
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert "card declined: 9000" in json.loads(answer["Payload"].read())["refused"]


def test_a_durable_target_named_by_a_published_version_runs_that_version(lab: lambdalab.Lab, functions: Any) -> None:
    version = functions.publish_version(FunctionName="payment-durable")["Version"]
    arn, _ = _order(lab, "o-16", 40, f"payment-durable:{version}")
    [started, answered] = [r for r in lab.trace.where(k.DURABLE_CHAINED_INVOKE) if r.detail["execution"] == arn]
    assert f":function:payment-durable:{version}/durable-execution/" in started.detail["target_execution"]
    assert answered.detail["target"] == f"payment-durable:{version}"
    assert _result(functions, arn)["receipt"] == {"receipt": "r-o-16", "auth": "auth-o-16"}


ORDER_JS = """
import { withDurableExecution } from '@aws/durable-execution-sdk-js';

export const handler = withDurableExecution(async (event, context) => {
  const reserved = await context.step('reserve', async () => `reserved ${event.order}`);
  try {
    const receipt = await context.invoke('pay', 'payment', { order: event.order, amount: event.amount });
    return { reserved, receipt };
  } catch (err) {
    return { reserved, refused: err.message, error: err.name };
  }
});
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_javascript_sdks_invoke_runs_the_same_way(lab: lambdalab.Lab, functions: Any, role_arn: str) -> None:
    durable = {"ExecutionTimeout": DAY, "RetentionPeriodInDays": 7}
    node = {"Runtime": "nodejs22.x", "Handler": "index.handler", "Timeout": 60}
    _function(functions, role_arn, "order-js", {"index.mjs": ORDER_JS}, DurableConfig=durable, **node)
    results = []
    for order, amount in (("o-17", 10), ("o-18", 5000)):
        since = lab.clock.t
        arn = start(lab, "order-js", {"order": order, "amount": amount})
        lab.run_until_idle()
        assert [x[2] for x in timeline(lab, arn, since) if x[1] == "durable-chained-invoke"][-1].split()[0] == (
            "SUCCEEDED" if amount < 1000 else "FAILED"
        )
        results.append(_result(functions, arn))
    assert results == [
        {"reserved": "reserved o-17", "receipt": {"receipt": "r-o-17", "charged": 10}},
        {"reserved": "reserved o-18", "refused": "card declined: 5000 is over the limit", "error": "InvokeError"},
    ]
