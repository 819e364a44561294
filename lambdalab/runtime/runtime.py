"""The local Lambda service's data plane: synchronous invoke over execution environments.

``Runtime.invoke`` is Lambda's Invoke (RequestResponse,
https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html): it picks an idle
warm environment of the same function version and revision, or starts one
(a cold start, https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html),
each concurrent call in its own environment, capped by reserved concurrency
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html) and by
``max_environments`` for the whole lab; beyond either it throttles with
``TooManyRequestsException`` (429).
"""

from __future__ import annotations

import base64
import binascii
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lambdalab.credentials import Credentials
from lambdalab.errors import ACCOUNT_LIMIT, RESERVED_LIMIT
from lambdalab.runtime.api import Invocation
from lambdalab.runtime.environment import Environment, new_log_stream_name
from lambdalab.runtime.launchers import Launcher
from lambdalab.runtime.logs import billed_ms, invocation_log
from lambdalab.runtime.realtime import epoch_seconds, log_date
from lambdalab.runtime.types import FunctionSpec, InvokeResult, RuntimeFailure

_SPAWN_TIMEOUT = 30.0


def _throttled(reason: str) -> RuntimeFailure:
    return RuntimeFailure("TooManyRequestsException", "Rate Exceeded.", 429, reason)


@dataclass(frozen=True)
class EnvironmentInfo:
    """A snapshot of one execution environment, for notebooks."""

    function_name: str
    version: str
    revision_id: str
    pid: int | None
    state: str  # "busy" or "warm"
    invocations: int
    rss_mb: int
    max_memory_used_mb: int


class Runtime:
    """Runs functions locally in execution environments (subprocesses)."""

    def __init__(
        self,
        *,
        endpoint_url: str,
        region: str,
        account_id: str,
        max_environments: int = 10,
        python_executable: str = sys.executable,
        credentials: Credentials | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.account_id = account_id
        self.max_environments = max_environments
        self._root = Path(tempfile.mkdtemp(prefix="lambdalab-runtime-"))
        self._launcher = Launcher(
            self._root,
            endpoint_url=endpoint_url,
            region=region,
            python_executable=python_executable,
            credentials=credentials or Credentials.random(temporary=True),
        )
        self._lock = threading.Lock()
        self._envs: list[Environment] = []
        self._closed = False
        # one long-lived thread forks every environment: PR_SET_PDEATHSIG fires when
        # the *thread* that forked a child ends, so invoking threads must not fork.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambdalab-spawner")

    # -- public ------------------------------------------------------------
    def invoke(
        self,
        spec: FunctionSpec,
        payload: bytes,
        *,
        request_id: str,
        invoked_function_arn: str,
        client_context: str | None = None,
        log_stream_name: str | None = None,
    ) -> InvokeResult:
        """Run one invocation to completion (blocking; safe to call from many threads).

        ``client_context`` is the Invoke API's ClientContext: base64 of a JSON
        document (JSON text is accepted too); the function sees the decoded JSON.
        """
        self._launcher.check(spec.runtime)
        env, to_kill = self._acquire(spec)
        for old in to_kill:
            old.kill()
        try:
            if env.proc is None:
                stream = log_stream_name or new_log_stream_name(spec.version, log_date())
                try:
                    launch = self._launcher.build(spec, api_address=env.api.address, log_stream_name=stream)
                    env.start(launch, self._spawn)
                except OSError as exc:  # e.g. a bootstrap that cannot be executed
                    env.kill()
                    return self._entrypoint_error(spec, request_id, exc)
            inv = Invocation(
                request_id=request_id,
                payload=payload,
                invoked_function_arn=invoked_function_arn,
                timeout=float(spec.timeout),
                client_context=_decode_client_context(client_context),
                trace_id=_trace_id(),
            )
            outcome = env.run(inv)
        except BaseException:
            env.kill()
            raise
        finally:
            self._release(env)
        function_error = None if outcome.kind == "response" else "Unhandled"
        log = invocation_log(
            request_id,
            spec.version,
            outcome.output,
            duration_ms=outcome.duration_ms,
            memory_size=spec.memory_size,
            max_memory_used=outcome.max_memory_mb,
            init_duration_ms=outcome.init_duration_ms,
        )
        return InvokeResult(
            request_id=request_id,
            payload=outcome.body,
            executed_version=spec.version,
            function_error=function_error,
            error_type=outcome.error_type if function_error else None,
            log=log,
            duration_ms=outcome.duration_ms,
            billed_duration_ms=billed_ms(outcome.duration_ms),
            max_memory_used_mb=outcome.max_memory_mb,
            init_duration_ms=outcome.init_duration_ms,
        )

    def retire(self, function_name: str, version: str | None = None) -> None:
        """Discard the environments of a function (all versions when ``version`` is None).

        Idle ones are killed now, busy ones when their invocation ends.
        """
        with self._lock:
            doomed = []
            for env in self._envs:
                if env.function_name == function_name and (version is None or env.version == version):
                    env.retired = True
                    if not env.busy:
                        doomed.append(env)
            self._envs = [e for e in self._envs if e not in doomed]
        for env in doomed:
            env.kill()

    def environments(self) -> list[EnvironmentInfo]:
        """What runs now: one row per execution environment."""
        with self._lock:
            envs = list(self._envs)
        return [
            EnvironmentInfo(
                function_name=e.key[0],
                version=e.key[1],
                revision_id=e.key[2],
                pid=e.pid,
                state="busy" if e.busy else "warm",
                invocations=e.invocations,
                rss_mb=e.rss_mb(),
                max_memory_used_mb=e.max_rss_mb,
            )
            for e in envs
        ]

    def close(self) -> None:
        """Kill every environment, close every socket, join every thread, remove temp files."""
        with self._lock:
            self._closed = True
            envs, self._envs = self._envs, []
        for env in envs:
            env.kill()
        self._spawner.shutdown(wait=True)
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------
    def _acquire(self, spec: FunctionSpec) -> tuple[Environment, list[Environment]]:
        key = (spec.function_name, spec.version, spec.revision_id)
        to_kill: list[Environment] = []
        with self._lock:
            if self._closed:
                raise RuntimeFailure("ServiceException", "The runtime is closed.", 500)
            if spec.reserved_concurrency == 0:
                raise _throttled(RESERVED_LIMIT)
            # environments of an older revision are never reused
            for env in self._envs:
                if env.key[:2] == key[:2] and env.key != key:
                    env.retired = True
                    if not env.busy:
                        to_kill.append(env)
            self._envs = [e for e in self._envs if e not in to_kill]
            busy = sum(1 for e in self._envs if e.busy and e.function_name == spec.function_name)
            if spec.reserved_concurrency is not None and busy >= spec.reserved_concurrency:
                raise _throttled(RESERVED_LIMIT)
            for env in sorted(self._envs, key=lambda e: -e.last_used):
                if env.key == key and not env.busy and not env.dead and env.proc and env.proc.poll() is None:
                    env.busy = True
                    return env, to_kill
            if len(self._envs) >= self.max_environments:
                idle = [e for e in self._envs if not e.busy]
                if not idle:
                    raise _throttled(ACCOUNT_LIMIT)
                victim = min(idle, key=lambda e: e.last_used)
                self._envs.remove(victim)
                to_kill.append(victim)
            env = Environment(key, spec.memory_size, float(spec.timeout))
            self._envs.append(env)
            return env, to_kill

    def _release(self, env: Environment) -> None:
        with self._lock:
            env.busy = False
            env.last_used = time.monotonic()
            discard = env.dead or env.retired or self._closed
            if discard and env in self._envs:
                self._envs.remove(env)
        if discard:
            env.kill()

    def _spawn(self, popen: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        return self._spawner.submit(popen).result(timeout=_SPAWN_TIMEOUT)

    def _entrypoint_error(self, spec: FunctionSpec, request_id: str, exc: OSError) -> InvokeResult:
        error_type = "Runtime.InvalidEntrypoint"
        if spec.runtime.startswith("provided"):
            detail = f"Couldn't find valid bootstrap(s): [{exc.filename or 'bootstrap'}] ({exc.strerror})"
        else:
            detail = str(exc)
        message = f"RequestId: {request_id} Error: {detail}"
        log = invocation_log(
            request_id,
            spec.version,
            f"{message}\n{error_type}\n",
            duration_ms=0.0,
            memory_size=spec.memory_size,
            max_memory_used=1,
            init_duration_ms=0.0,
        )
        return InvokeResult(
            request_id=request_id,
            payload=json.dumps({"errorType": error_type, "errorMessage": message}).encode(),
            executed_version=spec.version,
            function_error="Unhandled",
            error_type=error_type,
            log=log,
            billed_duration_ms=0,
            max_memory_used_mb=1,
            init_duration_ms=0.0,
        )


def _decode_client_context(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        text = base64.b64decode(value, validate=True).decode()
        json.loads(text)
        return text
    except (binascii.Error, ValueError):
        return value


def _trace_id() -> str:
    return f"Root=1-{int(epoch_seconds()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
