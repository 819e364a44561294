"""How an execution environment starts: command line, environment variables, task root.

What differs per runtime (the interpreter or launcher, the runtime directory) is
the runtime's family's (:mod:`.families`); the launcher adds what every
environment shares and answers the families' questions about this machine
(where ``node`` is, which Python runs functions).

An environment sees only the variables Lambda defines
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
plus the function's own; nothing of the host's environment leaks in.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from lambdalab.credentials import Credentials
from lambdalab.deployment_package import PackageError, extract
from lambdalab.runtime.families import Family, cannot_run, family_of
from lambdalab.runtime.types import FunctionSpec, RuntimeFailure

#: the packages AWS ships in /var/runtime for Python (plus awslambdaric's own needs)
_PYTHON_RUNTIME_PACKAGES = (
    "awslambdaric",
    "runtime_client",
    "simplejson",
    "snapshot_restore_py",
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "dateutil",
    "urllib3",
    "six",
    "aws_durable_execution_sdk_python",  # the durable execution SDK, as AWS's Python runtimes include it
)


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one execution environment."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    notice: str | None = None  # one line for the first invocation's log
    #: a managed runtime gets a telemetry descriptor for framed log records (custom runtimes do not)
    telemetry: bool = False
    #: the function's layers extracted (Lambda's /opt; mounted there where the sandbox has namespaces)
    opt: str | None = None


class Launcher:
    """Builds launches; owns the unzipped code and the staged Python runtime dir (a :class:`.families.Host`)."""

    def __init__(
        self, root: Path, *, endpoint_url: str, region: str, python_executable: str, credentials: Credentials
    ) -> None:
        self.root = root
        self._credentials = credentials
        self._endpoint_url = endpoint_url
        self._region = region
        self.python = python_executable
        self._lock = threading.Lock()
        self._node: tuple[str, int] | None | bool = False  # False = not looked up yet
        self.python_version = _python_version(python_executable)
        self._python_runtime_dir: Path | None = None

    # -- checks ------------------------------------------------------------
    def family(self, runtime: str) -> Family:
        """The family of ``runtime``; RuntimeFailure when this machine cannot run it."""
        family = family_of(runtime)
        why = cannot_run(runtime) if family is None else family.unavailable(runtime, self)
        if family is None or why is not None:
            raise RuntimeFailure("InvalidRuntimeException", why or cannot_run(runtime), 502)
        return family

    def check(self, runtime: str) -> None:
        """Raise RuntimeFailure when this machine cannot run ``runtime``."""
        self.family(runtime)

    def node(self) -> tuple[str, int] | None:
        """The ``node`` on PATH and its major version (looked up once)."""
        if self._node is False:
            path = shutil.which("node")
            found: tuple[str, int] | None = None
            if path:
                try:
                    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
                    found = (path, int(out.strip().lstrip("v").split(".")[0]))
                except (OSError, ValueError, subprocess.TimeoutExpired):
                    found = None
            self._node = found
        return self._node  # type: ignore[return-value]

    # -- building a launch ---------------------------------------------------
    def build(self, spec: FunctionSpec, *, api_address: str, log_stream_name: str, provisioned: bool = False) -> Launch:
        """``provisioned``: an environment of provisioned concurrency (``AWS_LAMBDA_INITIALIZATION_TYPE``)."""
        family = self.family(spec.runtime)
        task_root = self.task_root(spec)
        env = {
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.logging.group_of(spec.function_name),
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream_name,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency" if provisioned else "on-demand",
            "_HANDLER": spec.handler,
            "LAMBDA_TASK_ROOT": str(task_root),
            "AWS_REGION": self._region,
            "AWS_DEFAULT_REGION": self._region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_RUNTIME_API": api_address,
            **self._credentials.environment(),  # the lab's function credentials, as Lambda gives a role's
            "AWS_ENDPOINT_URL": self._endpoint_url,
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
        }
        if spec.logging.json:  # what the runtime's own logging reads (monitoring-cloudwatchlogs-logformat)
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            env["AWS_LAMBDA_LOG_LEVEL"] = spec.logging.application_level or "INFO"
        start = family.start(spec.runtime, spec.handler, task_root, self)
        env.update(start.env)
        if start.path:
            env["PATH"] = f"{start.path}:{env['PATH']}"
        opt = self.opt_root(spec)
        if opt is not None:
            layer_paths(env, family.name, spec.runtime, opt)
        for key, value in spec.environment.items():
            env.setdefault(str(key), str(value))  # reserved names stay Lambda's
        managed = family.name in ("python", "nodejs")
        return Launch(
            argv=start.argv,
            env=env,
            cwd=str(task_root),
            notice=start.notice,
            telemetry=managed,
            opt=str(opt) if opt is not None else None,
        )

    def opt_root(self, spec: FunctionSpec) -> Path | None:
        """The function's layers extracted in order into one directory (Lambda's /opt), once per list of layers."""
        if not spec.layers:
            return None
        digest = hashlib.sha256("\n".join(sha for sha, _ in spec.layers).encode()).hexdigest()[:32]
        target = self.root / "opt" / digest
        with self._lock:
            if not target.exists():
                _extract_once(target, [data for _sha, data in spec.layers])  # later layers' files win
        return target

    def task_root(self, spec: FunctionSpec) -> Path:
        """The package unzipped once per code SHA-256 (Lambda's /var/task)."""
        safe = re.sub(r"[^A-Za-z0-9]", "_", spec.code_sha256)[:64] or "code"
        target = self.root / "code" / safe
        with self._lock:
            if not target.exists():
                tmp = _extract_once(target.with_name(target.name + ".tmp"), [spec.code_zip])
                family = family_of(spec.runtime)
                for name in family.executables if family else ():
                    program = tmp / name
                    if program.is_file():
                        program.chmod(program.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
                tmp.rename(target)
        return target

    def python_runtime_dir(self) -> Path:
        """A /var/runtime of symlinks: awslambdaric and the AWS SDK, nothing else of the host."""
        with self._lock:
            if self._python_runtime_dir is None:
                target = self.root / "python-runtime"
                target.mkdir(parents=True, exist_ok=True)
                for entry in _site_dirs(self.python):
                    for child in entry.iterdir():
                        name = child.name.split(".")[0].split("-")[0]
                        if child.name.endswith((".dist-info", ".pth")) or name not in _PYTHON_RUNTIME_PACKAGES:
                            continue
                        link = target / child.name
                        if not link.exists():
                            link.symlink_to(child)
                self._python_runtime_dir = target
            return self._python_runtime_dir


def layer_paths(env: dict[str, str], family: str, runtime: str, opt: Path) -> None:
    """Put the layers' folders where each runtime looks (packaging-layers: "Layer paths for each Lambda runtime").

    Python finds ``python/lib/python3.x/site-packages`` and ``python`` before its own runtime
    directory (a layer's boto3 replaces the runtime's); Node.js ``nodejs/nodeNN/node_modules`` and
    ``nodejs/node_modules`` on ``NODE_PATH``; every runtime ``bin`` on ``PATH`` and ``lib`` on
    ``LD_LIBRARY_PATH``.  The paths are the real directory's, so they hold with or without the /opt mount.
    """

    def before(name: str, *paths: Path) -> None:
        env[name] = os.pathsep.join([*map(str, paths), *filter(None, [env.get(name)])])

    if family == "python":
        version = runtime.removeprefix("python")
        before("PYTHONPATH", opt / "python" / "lib" / f"python{version}" / "site-packages", opt / "python")
    elif family == "nodejs":
        major = re.sub(r"\D", "", runtime.split(".")[0])
        before("NODE_PATH", opt / "nodejs" / f"node{major}" / "node_modules", opt / "nodejs" / "node_modules")
    before("PATH", opt / "bin")
    before("LD_LIBRARY_PATH", opt / "lib")


def _extract_once(target: Path, archives: list[bytes]) -> Path:
    """Unzip ``archives`` in order into a fresh ``target`` (removed again if one cannot be unzipped)."""
    staging = target.with_name(target.name + ".part")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for data in archives:
            _unzip(data, staging)
    except RuntimeFailure:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def _unzip(data: bytes, target: Path) -> None:
    """Lambda's /var/task: the package unzipped within the quota, names kept inside the task root."""
    try:
        extract(data, target)
    except PackageError as err:
        raise RuntimeFailure("InvalidZipFileException", "Lambda could not unzip the deployment package.", 502) from err


def _python_version(python: str) -> str:
    if Path(python).resolve() == Path(sys.executable).resolve():
        return ".".join(map(str, sys.version_info[:3]))
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return out or "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def _site_dirs(python: str) -> list[Path]:
    if Path(python).resolve() == Path(sys.executable).resolve() or python == sys.executable:
        paths = [p for p in sys.path if p.endswith("site-packages")]
    else:
        out = subprocess.run(
            [python, "-c", "import sys; print('\\n'.join(p for p in sys.path if p.endswith('site-packages')))"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        paths = out.split()
    return [Path(p) for p in paths if os.path.isdir(p)]
