"""``%aws`` and ``%%aws``: the ``aws`` CLI against the notebook's lab, in process.

::

    %load_ext lambdalab.cli_magic          # (``import lambdalab`` in IPython loads it by itself)
    %aws lambda list-functions --max-items 10
    %%aws
    aws lambda add-permission \\
     --function-name LogScheduledEvent \\
     --statement-id PerMinuteScheduledEvent ...

The CLI runs inside the kernel (``awscli.clidriver``: a tenth of the time of a
subprocess) with the lab's endpoint, credentials and region in its environment,
in the notebook's folder (so ``file://`` and ``fileb://`` paths are relative to it),
and the plugin that accepts AWS CLI v2's
``--cli-binary-format`` (:mod:`lambdalab.awscli_plugin`).  A cell may hold several
commands; lines ending in ``\\`` continue, a leading ``aws`` is optional, ``#`` starts a comment.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .lab import Lab

_lock = threading.Lock()
_config: dict[str, Path] = {}
_drivers: dict[str, Any] = {}


@dataclass(frozen=True)
class CliResult:
    """What one command printed, and its exit status."""

    rc: int
    stdout: str
    stderr: str


def environment(lab: Lab) -> dict[str, str]:
    """The variables the CLI (or any SDK) needs to talk to ``lab``."""
    from .awscli_plugin import write_config

    key = f"{lab.endpoint_url}|{lab.region}"
    if key not in _config:
        _config[key] = write_config(region=lab.region)
    return {
        "AWS_ENDPOINT_URL": lab.endpoint_url,
        "AWS_SESSION_TOKEN": "",
        **lab.credentials.environment(),
        "AWS_DEFAULT_REGION": lab.region,
        "AWS_REGION": lab.region,
        "AWS_CONFIG_FILE": str(_config[key]),
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
        "AWS_DEFAULT_OUTPUT": "json",
    }


def split_commands(text: str) -> list[list[str]]:
    """The commands of a cell: continuation lines joined, ``aws`` prefix and comments dropped."""
    joined = text.replace("\\\r\n", " ").replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] == "aws":
            words = words[1:]
        if words:
            commands.append(words)
    return commands


def run(lab: Lab, args: list[str] | str, *, cwd: str | Path | None = None) -> CliResult:
    """Run one ``aws`` command against ``lab`` in this process; its output is captured."""
    if isinstance(args, str):
        found = split_commands(args)
        args = found[0] if found else []
    env = environment(lab)
    out, err = io.StringIO(), io.StringIO()
    with _lock, _patched_environ(env), _chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        driver = _driver(lab)
        try:
            rc = driver.main(list(args))
        except SystemExit as stop:  # argparse errors (a usage message) exit
            rc = int(stop.code or 0) if isinstance(stop.code, int) else 2
        finally:
            # --region, --endpoint-url, --profile... are set on the session: forget them
            driver.session._session_instance_vars.clear()  # noqa: SLF001
    return CliResult(int(rc or 0), out.getvalue(), err.getvalue())


def _driver(lab: Lab) -> Any:
    """One CLI driver per lab, reused: building one costs most of a second, a command 20 ms."""
    from awscli.clidriver import create_clidriver

    key = lab.endpoint_url
    if key not in _drivers:
        _drivers.clear()
        _drivers[key] = create_clidriver()
    return _drivers[key]


@contextlib.contextmanager
def _patched_environ(env: dict[str, str]) -> Any:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _chdir(cwd: str | Path | None) -> Any:
    if cwd is None:
        yield
        return
    before = os.getcwd()
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(before)


def _current_lab() -> Lab:
    from . import lab as lab_module
    from .errors import LabError

    current = lab_module._current
    if current is None or current.closed:
        raise LabError("%aws needs an open lab: run `lab = lambdalab.Lab()` first.")
    return current


def _show(result: CliResult) -> None:
    if result.stdout:
        sys.stdout.write(result.stdout if result.stdout.endswith("\n") else result.stdout + "\n")
    if result.stderr:
        sys.stderr.write(result.stderr if result.stderr.endswith("\n") else result.stderr + "\n")


def aws(line: str, cell: str | None = None) -> None:
    """The magic: ``%aws <command>`` or a ``%%aws`` cell of commands."""
    lab = _current_lab()
    text = line if cell is None else (line + "\n" + cell)
    printed = False
    for args in split_commands(text):
        result = run(lab, args)
        if printed and (result.stdout or result.stderr):
            sys.stdout.write("\n")
        _show(result)
        printed = printed or bool(result.stdout or result.stderr)


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magic_function(aws, magic_kind="line_cell", magic_name="aws")


def register_if_ipython() -> None:
    """Load the magic when running inside IPython (``import lambdalab`` calls this)."""
    if "IPython" not in sys.modules:
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None and "aws" not in shell.magics_manager.magics.get("line", {}):
        load_ipython_extension(shell)
