"""Exercise 2 of ``03-sync-invoke``, the function timeout: Lambda stops a handler at its Timeout.

Timeouts: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
"""

from __future__ import annotations

from ... import trace_kinds as k
from ...packaging import zip_files
from .. import _shared
from ..core import Attempt, NextStep, Problem
from ._common import create_afresh

SLOW = "slow-report"
SLOW_AGAIN = 'lam.delete_function(FunctionName="slow-report")\nexercise.setup()'


SLOW_PY = """import time


def handler(event, context):
    time.sleep(2.5)  # a slow report
    return {"report": "done"}
"""


class TimeoutAtTwoSeconds(Problem):
    """Give ``slow-report`` (it works for 2.5 s) a 2-second timeout and watch an invocation time out."""

    title = "A function that times out at 2 s"
    _hint = (
        "The timeout is part of the function's configuration: `update_function_configuration(FunctionName=..., "
        "Timeout=...)`, in whole seconds. Then invoke the function once: the answer carries "
        "`FunctionError` and the errorType `Sandbox.Timedout`."
    )
    _solution = (
        "```python\n"
        'lam.update_function_configuration(FunctionName="slow-report", Timeout=2)\n'
        'lam.get_waiter("function_updated_v2").wait(FunctionName="slow-report")\n'
        'response = lam.invoke(FunctionName="slow-report")\n'
        'response["FunctionError"], json.load(response["Payload"])\n'
        "```"
    )

    mistakes = (
        Attempt('lam.invoke(FunctionName="slow-report")', names="default timeout of 3 s", undo=SLOW_AGAIN),
        Attempt(  # room for the work to finish: the opposite of the exercise
            'lam.update_function_configuration(FunctionName="slow-report", Timeout=30)',
            names="timeout is 30 s",
            undo=SLOW_AGAIN,
        ),
        Attempt(
            'reconfigure("slow-report", Timeout=1)\nlam.invoke(FunctionName="slow-report")',
            names="timeout is 1 s",
            undo=SLOW_AGAIN,
        ),
    )
    correct_forms = (
        Attempt(
            'reconfigure("slow-report", Timeout=2)\n'
            'response = lam.invoke(FunctionName="slow-report", LogType="Tail")\n'
            'print(base64.b64decode(response["LogResult"]).decode())',
            undo=SLOW_AGAIN,
        ),
        Attempt(
            'lam.update_function_configuration(FunctionName="slow-report", MemorySize=256, Timeout=2)\n'
            'lam.get_waiter("function_updated_v2").wait(FunctionName="slow-report")\n'
            'lam.invoke(FunctionName="slow-report", InvocationType="RequestResponse", Payload=b"{}")',
            undo=SLOW_AGAIN,
        ),
    )

    def setup(self) -> None:
        if _shared.function_config(self.lab, SLOW) is None:
            create_afresh(
                self.lab,
                SLOW,
                Runtime="python3.13",
                Handler="app.handler",
                Code={"ZipFile": zip_files({"app.py": SLOW_PY})},
            )

    def _check(self) -> bool | str | None:
        config = _shared.function_config(self.lab, SLOW)
        if config is None:
            return "slow-report is gone. Run setup() to deploy it again."
        runs = self._runs_since_last_change()
        timed_out = "Sandbox.Timedout" in runs
        if config["Timeout"] == 3 and runs and not timed_out:
            return (
                "slow-report ran with the default timeout of 3 s, so its 2.5 s of work finished and nothing timed "
                "out. Set Timeout=2 first (update_function_configuration), then invoke it again."
            )
        if config["Timeout"] == 3 and not timed_out:
            return None
        if config["Timeout"] != 2:
            return f"slow-report's timeout is {config['Timeout']} s; the exercise asks for 2 s."
        if not timed_out:
            return NextStep("The timeout is 2 s. Now invoke slow-report and look at the answer: it should time out.")
        return True

    def _runs_since_last_change(self) -> list[str]:
        """The outcome of each invocation after the function was last created or changed ("" for success)."""
        return [str(r.view(k.Invoke).get("error") or "") for r in _shared.runs_since_change(self.lab, SLOW)]

    def _congrats(self) -> str:
        return "Lambda stopped slow-report after 2 s and answered Sandbox.Timedout; its environment was discarded."

    def solve(self) -> None:
        self.setup()
        lam = self.lab.client("lambda")
        lam.update_function_configuration(FunctionName=SLOW, Timeout=2)
        lam.invoke(FunctionName=SLOW)

    def attempt_wrong(self) -> bool:
        # invoked with the default timeout of 3 s: the 2.5 s of work finishes
        self.lab.client("lambda").invoke(FunctionName=SLOW)
        return True
