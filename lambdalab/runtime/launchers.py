"""How each Lambda runtime starts: command line, environment variables, task root.

- ``python3.x`` runs AWS's own runtime interface client, ``python -m awslambdaric
  <handler>`` (https://docs.aws.amazon.com/lambda/latest/dg/python-image.html).
- ``nodejs*`` runs our small bootstrap, ``node/bootstrap.mjs``
  (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html).
- ``provided.al2023`` / ``provided.al2`` runs the package's own ``bootstrap``
  (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html).

An environment sees only the variables Lambda defines
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
plus the function's own; nothing of the host's environment leaks in.
"""

from __future__ import annotations

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
from lambdalab.runtime.types import FunctionSpec, RuntimeFailure

NODE_BOOTSTRAP = Path(__file__).with_name("node") / "bootstrap.mjs"
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
)
PROVIDED = ("provided", "provided.al2", "provided.al2023")


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one execution environment."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    notice: str | None = None  # one line for the first invocation's log


class Launcher:
    """Builds launches; owns the unzipped code and the staged Python runtime dir."""

    def __init__(
        self, root: Path, *, endpoint_url: str, region: str, python_executable: str, credentials: Credentials
    ) -> None:
        self._root = root
        self._credentials = credentials
        self._endpoint_url = endpoint_url
        self._region = region
        self._python = python_executable
        self._lock = threading.Lock()
        self._node: tuple[str, int] | None | bool = False  # False = not looked up yet
        self._python_version = _python_version(python_executable)
        self._python_runtime_dir: Path | None = None

    # -- checks ------------------------------------------------------------
    def check(self, runtime: str) -> None:
        """Raise RuntimeFailure when this machine cannot run ``runtime``."""
        if runtime.startswith("python3"):
            return
        if runtime.startswith("nodejs"):
            if self._find_node() is None:
                raise RuntimeFailure(
                    "InvalidRuntimeException",
                    f"The runtime {runtime} needs Node.js, which is not installed on this machine "
                    "(no 'node' executable on PATH). Install Node.js to run this function.",
                    502,
                )
            return
        if runtime in PROVIDED:
            return
        raise RuntimeFailure(
            "InvalidRuntimeException",
            f"The runtime {runtime} cannot run in lambdalab: this machine runs python3.x, "
            "nodejs*.x (with Node.js installed) and provided.al2/provided.al2023 functions.",
            502,
        )

    def _find_node(self) -> tuple[str, int] | None:
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
    def build(self, spec: FunctionSpec, *, api_address: str, log_stream_name: str) -> Launch:
        self.check(spec.runtime)
        task_root = self.task_root(spec)
        env = {
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream_name,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
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
        notice = None
        if spec.runtime.startswith("python3"):
            runtime_dir = self._stage_python_runtime()
            env["LAMBDA_RUNTIME_DIR"] = str(runtime_dir)
            env["PYTHONPATH"] = str(runtime_dir)
            env["PATH"] = f"{Path(self._python).parent}:{env['PATH']}"
            wanted = spec.runtime.removeprefix("python")
            have = ".".join(self._python_version.split(".")[:2])
            if wanted != have:
                notice = (
                    f"lambdalab: {spec.runtime} is not installed here; "
                    f"running this function on Python {self._python_version}"
                )
            argv = [self._python, "-S", "-m", "awslambdaric", spec.handler]
        elif spec.runtime.startswith("nodejs"):
            node = self._find_node()
            assert node is not None
            env["LAMBDA_RUNTIME_DIR"] = str(NODE_BOOTSTRAP.parent)
            env["NODE_PATH"] = str(task_root / "node_modules")
            env["PATH"] = f"{Path(node[0]).parent}:{env['PATH']}"
            match = re.match(r"nodejs(\d+)", spec.runtime)
            if match and int(match.group(1)) != node[1]:
                notice = f"lambdalab: {spec.runtime} is not installed here; running this function on Node.js {node[1]}"
            argv = [node[0], str(NODE_BOOTSTRAP)]
        else:
            env["LAMBDA_RUNTIME_DIR"] = str(self._root / "provided-runtime")
            (self._root / "provided-runtime").mkdir(exist_ok=True)
            argv = [str(task_root / "bootstrap")]
        for key, value in spec.environment.items():
            env.setdefault(str(key), str(value))  # reserved names stay Lambda's
        return Launch(argv=argv, env=env, cwd=str(task_root), notice=notice)

    def task_root(self, spec: FunctionSpec) -> Path:
        """The package unzipped once per code SHA-256 (Lambda's /var/task)."""
        safe = re.sub(r"[^A-Za-z0-9]", "_", spec.code_sha256)[:64] or "code"
        target = self._root / "code" / safe
        with self._lock:
            if not target.exists():
                tmp = target.with_name(target.name + ".tmp")
                shutil.rmtree(tmp, ignore_errors=True)
                tmp.mkdir(parents=True)
                try:
                    _unzip(spec.code_zip, tmp)
                except RuntimeFailure:
                    shutil.rmtree(tmp, ignore_errors=True)
                    raise
                bootstrap = tmp / "bootstrap"
                if spec.runtime in PROVIDED and bootstrap.is_file():
                    bootstrap.chmod(bootstrap.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
                tmp.rename(target)
        return target

    def _stage_python_runtime(self) -> Path:
        """A /var/runtime of symlinks: awslambdaric and the AWS SDK, nothing else of the host."""
        with self._lock:
            if self._python_runtime_dir is None:
                target = self._root / "python-runtime"
                target.mkdir(parents=True, exist_ok=True)
                for entry in _site_dirs(self._python):
                    for child in entry.iterdir():
                        name = child.name.split(".")[0].split("-")[0]
                        if child.name.endswith((".dist-info", ".pth")) or name not in _PYTHON_RUNTIME_PACKAGES:
                            continue
                        link = target / child.name
                        if not link.exists():
                            link.symlink_to(child)
                self._python_runtime_dir = target
            return self._python_runtime_dir


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
