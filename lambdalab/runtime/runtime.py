"""The local Lambda service's data plane: synchronous invoke over execution environments.

``Runtime.invoke`` is Lambda's Invoke (RequestResponse,
https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html): it picks an idle
warm environment of the same function version and revision, or starts one
(a cold start, https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html),
each concurrent call in its own environment, capped by reserved concurrency
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html) and by
``max_environments`` for the whole lab; beyond either it throttles with
``TooManyRequestsException`` (429).  Which environment an invocation gets is
decided in :mod:`.pool`; what it reports, in :mod:`.outcome`.

Between invocations a watcher looks at the memory of idle environments: a thread
or a child process still at work after the response counts against MemorySize
too, and an environment over it is stopped (the next invocation starts a new one
and its log says why).
"""

from __future__ import annotations

import shutil
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from queue import SimpleQueue

from lambdalab.credentials import Credentials
from lambdalab.runtime.api import Invocation
from lambdalab.runtime.environment import Environment
from lambdalab.runtime.launchers import Launcher
from lambdalab.runtime.log_stream import LogStream, now_ms, stream_name
from lambdalab.runtime.logs import init_start_event
from lambdalab.runtime.outcome import Outcome, error_doc, result_of
from lambdalab.runtime.pool import EnvironmentKey, Pool
from lambdalab.runtime.realtime import epoch_seconds
from lambdalab.runtime.sandbox import Supervisors
from lambdalab.runtime.types import (
    Call,
    EnvironmentInfo,
    FunctionSpec,
    InitLog,
    InvokeResult,
    LogEvent,
    ResponseStream,
    RuntimeFailure,
    client_context_json,
)
from lambdalab.runtime.workdir import make_root

_IDLE_MEMORY_POLL = 0.25  # seconds between looks at idle environments' memory
#: a batch of invocations gets one more environment (a lane) for each this many calls, up to MAX_LANES
CALLS_PER_LANE = 200
MAX_LANES = 4


class SubprocessRuntime:
    """Runs functions locally in execution environments (subprocesses); a :class:`~lambdalab.runtime.types.Runtime`."""

    def __init__(
        self,
        *,
        endpoint_url: str,
        region: str,
        account_id: str,
        max_environments: int = 10,
        python_executable: str = sys.executable,
        credentials: Credentials | None = None,
        ids: Callable[[], str] | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.account_id = account_id
        #: where log stream ids come from (the lab hands in its seeded ids)
        self._ids = ids or (lambda: str(uuid.uuid4()))
        self._root = make_root()  # not under /tmp: environments get their own /tmp
        self._launcher = Launcher(
            self._root,
            endpoint_url=endpoint_url,
            region=region,
            python_executable=python_executable,
            credentials=credentials or Credentials.random(temporary=True),
        )
        self._pool: Pool[Environment] = Pool(self._new_environment, max_environments)
        # one long-lived thread forks every environment: PR_SET_PDEATHSIG fires when
        # the *thread* that forked a child ends, so invoking threads must not fork.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambdalab-spawner")
        self._supervisors = Supervisors(self._spawner)
        self._notices: dict[tuple[str, str], str] = {}  # for the next cold start of a function version
        self._notices_lock = threading.Lock()
        self._stop_watching = threading.Event()
        self._watcher = threading.Thread(target=self._watch_idle_memory, name="lambdalab-idle-memory", daemon=True)
        self._watcher.start()

    @property
    def max_environments(self) -> int:
        return self._pool.max_environments

    # -- public ------------------------------------------------------------
    def invoke(
        self,
        spec: FunctionSpec,
        payload: bytes,
        *,
        request_id: str,
        invoked_function_arn: str,
        client_context: str | None = None,
        stream: ResponseStream | None = None,
        trace_id: str | None = None,
    ) -> InvokeResult:
        """Run one invocation to completion (blocking; safe to call from many threads).

        ``client_context`` is the Invoke API's ClientContext: base64 of a JSON
        document (JSON text is accepted too); the function sees the decoded JSON.
        """
        self._launcher.check(spec.runtime)
        env, to_kill = self._pool.acquire(spec, invoked_function_arn)
        for old in to_kill:
            old.kill()
        call = Call(payload, request_id, invoked_function_arn, client_context, trace_id)
        [result] = self._run_queued(env, spec, [call], stream)
        return result

    def invoke_many(self, spec: FunctionSpec, calls: Sequence[Call]) -> Iterator[InvokeResult | RuntimeFailure]:
        """Run ``calls`` queued together on environments' Runtime APIs; each result comes, in order, as it ends.

        In one environment the runtime takes the next call as soon as it answered one, with no round
        trip through the lab in between.  A long batch (:data:`CALLS_PER_LANE` calls or more) is dealt
        out in turn to a few environments that run at once (at most :data:`MAX_LANES`, only where the
        lab has room for them): call ``i`` goes to environment ``i`` modulo their number.  An
        environment that ends (a crash, a timeout) leaves what it had not started to a new one, as
        separate invokes would.
        """
        envs = self._lane_environments(spec, calls)
        if not envs:
            yield from self._in_turn(spec, calls)
            return
        lanes: list[SimpleQueue[InvokeResult | RuntimeFailure | BaseException]] = [SimpleQueue() for _ in envs]
        for n, (env, lane) in enumerate(zip(envs, lanes, strict=True)):
            share = calls[n :: len(envs)]
            threading.Thread(target=self._run_lane, args=(spec, share, env, lane), daemon=True).start()
        for i in range(len(calls)):
            result = lanes[i % len(envs)].get()
            if isinstance(result, BaseException):
                raise result
            yield result

    def _lane_environments(self, spec: FunctionSpec, calls: Sequence[Call]) -> list[Environment]:
        """The started environments a long batch is dealt out to (none: it runs in one, in turn).

        They are taken and started here, one after another, so that their log streams are named in
        the same order every run.
        """
        wanted = min(MAX_LANES, len(calls) // CALLS_PER_LANE)
        if wanted < 2:
            return []
        try:
            self._launcher.check(spec.runtime)
            first, to_kill = self._pool.acquire(spec, calls[0].invoked_function_arn)
        except RuntimeFailure:
            return []
        for old in to_kill:
            old.kill()
        envs = [first]
        while len(envs) < wanted and (spare := self._pool.acquire_spare(spec)) is not None:
            envs.append(spare)
        started = []
        for env in envs:
            if env.started or self._start(env, spec) is None:
                started.append(env)
            elif self._pool.release(env):
                env.kill()
        if len(started) < 2:
            for env in started:
                if self._pool.release(env):
                    env.kill()
            return []
        return started

    def _run_lane(
        self,
        spec: FunctionSpec,
        calls: Sequence[Call],
        env: Environment,
        lane: SimpleQueue[InvokeResult | RuntimeFailure | BaseException],
    ) -> None:
        try:
            for result in self._in_turn(spec, calls, env):
                lane.put(result)
        except BaseException as exc:  # the consumer raises it in its own thread
            lane.put(exc)

    def _in_turn(
        self, spec: FunctionSpec, calls: Sequence[Call], env: Environment | None = None
    ) -> Iterator[InvokeResult | RuntimeFailure]:
        """``calls`` one after another, in ``env`` (taken from the pool when None) and, if it ends, in the next."""
        sent = 0
        while sent < len(calls):
            if env is None:
                try:
                    self._launcher.check(spec.runtime)
                    env, to_kill = self._pool.acquire(spec, calls[sent].invoked_function_arn)
                except RuntimeFailure as failure:  # this one is refused; the next asks again, as its invoke would
                    sent += 1
                    yield failure
                    continue
                for old in to_kill:
                    old.kill()
            for result in self._run_queued(env, spec, calls[sent:]):
                sent += 1
                yield result
            env = None

    def _run_queued(
        self, env: Environment, spec: FunctionSpec, calls: Sequence[Call], stream: ResponseStream | None = None
    ) -> Iterator[InvokeResult]:
        """The results of the first of ``calls`` and of as many after it as ``env`` runs, as they come."""
        try:
            if not env.started:  # a new environment, with a log stream of its own
                failed = self._start(env, spec)
                if failed is not None:
                    yield self._entrypoint_error(spec, calls[0].request_id, *failed)
                    return
            queued = [self._invocation(spec, call, stream) for call in calls]
            for inv in queued:
                env.offer(inv)
            for n, inv in enumerate(queued):
                outcome = env.wait(inv)
                if n and not outcome.delivered:  # the environment ended before it got there
                    return
                result = result_of(spec, inv.request_id, outcome, env.log.name if env.log else "")
                yield replace(result, streamed=True) if inv.streamed else result
                if not env.alive():
                    return
        except BaseException:
            env.kill()
            raise
        finally:
            if self._pool.release(env):
                env.kill()

    def provision(self, spec: FunctionSpec, invoked_function_arn: str, count: int) -> list[InitLog]:
        """Hold ``count`` provisioned environments for ``invoked_function_arn``; the inits run now, with their logs.

        The environments made now (at most the pool's ``ahead``) start together and are initialised before
        this returns; the others are made when a request through the ARN first needs one.
        """
        self._launcher.check(spec.runtime)
        new, to_kill = self._pool.provision(spec, invoked_function_arn, count)
        for old in to_kill:
            old.kill()
        started: list[tuple[Environment, InitLog | None]] = []
        for env in new:
            failed = self._start(env, spec)
            log_name = env.log.name if env.log else ""
            started.append((env, None if failed is None else InitLog(log_name, (), "Runtime.InvalidEntrypoint")))
        inits = []
        for env, init in started:
            if init is None:
                events, error = env.initialise()
                init = InitLog(env.log.name if env.log else "", tuple(events), error)
            inits.append(init)
            if self._pool.release(env):
                env.kill()
        return inits

    def deprovision(self, invoked_function_arn: str) -> None:
        """Release the provisioned environments of ``invoked_function_arn`` (busy ones when their request ends)."""
        for env in self._pool.deprovision(invoked_function_arn):
            env.kill()

    def retire(self, function_name: str, version: str | None = None) -> None:
        """Discard the environments of a function (all versions when ``version`` is None).

        Idle ones are killed now, busy ones when their invocation ends.
        """
        for env in self._pool.retire(function_name, version):
            env.kill()

    def environments(self) -> list[EnvironmentInfo]:
        """What runs now: one row per execution environment."""
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
            for e in self._pool.snapshot()
        ]

    def close(self) -> None:
        """Kill every environment, close every socket, join every thread, remove temp files."""
        envs = self._pool.close()
        self._stop_watching.set()
        self._watcher.join(timeout=5)
        for env in envs:
            env.kill()
        self._supervisors.close()
        self._spawner.shutdown(wait=True)
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> SubprocessRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------
    def _start(self, env: Environment, spec: FunctionSpec) -> tuple[OSError | ValueError, LogStream] | None:
        """Start a new environment's runtime, with a log stream of its own; the error if it cannot start."""
        started = now_ms()
        hex_id = self._ids().replace("-", "")[:32]
        log = LogStream(stream_name(spec.version, started, hex_id, spec.function_name, spec.logging), started)
        try:
            launch = self._launcher.build(
                spec, api_address=env.api.address, log_stream_name=log.name, provisioned=bool(env.provisioned_for)
            )
            with self._notices_lock:
                why = self._notices.pop(env.key[:2], None)
            if why:
                launch = replace(launch, notice="\n".join(filter(None, [why, launch.notice])))
            opening = init_start_event(
                started,
                spec.runtime,
                self.region,
                spec.logging,
                function_name=spec.function_name,
                version=spec.version,
            )
            env.start(launch, self._supervisors, log, opening)
        except (OSError, ValueError) as exc:  # a bootstrap that cannot run; an environment no process takes
            env.kill()
            return exc, log
        return None

    @staticmethod
    def _invocation(spec: FunctionSpec, call: Call, stream: ResponseStream | None = None) -> Invocation:
        return Invocation(
            request_id=call.request_id,
            payload=call.payload,
            invoked_function_arn=call.invoked_function_arn,
            timeout=float(spec.timeout),
            client_context=client_context_json(call.client_context),
            trace_id=call.trace_id or _trace_id(),
            stream=stream,
        )

    def _new_environment(self, key: EnvironmentKey, spec: FunctionSpec) -> Environment:
        return Environment(key, spec.memory_size, float(spec.timeout), self._root / "envs" / uuid.uuid4().hex)

    def _watch_idle_memory(self) -> None:
        """Stop an idle environment whose processes hold more than MemorySize."""
        while not self._stop_watching.wait(_IDLE_MEMORY_POLL):
            for env in self._pool.snapshot():
                if env.busy or env.dead or not env.over_memory():
                    continue
                used = env.rss_mb()
                if not self._pool.discard_idle(env):
                    continue  # an invocation took it meanwhile: the invocation's own check applies
                with self._notices_lock:
                    self._notices[env.key[:2]] = (
                        "lambdalab: the previous execution environment was stopped between invocations: "
                        f"its processes held {used} MB, more than the function's {env.memory_size} MB"
                    )
                env.kill()

    def _entrypoint_error(
        self, spec: FunctionSpec, request_id: str, exc: OSError | ValueError, log: LogStream
    ) -> InvokeResult:
        """The runtime could not even start: its init fails at once (a bootstrap that cannot run)."""
        error_type = "Runtime.InvalidEntrypoint"
        family = self._launcher.family(spec.runtime)
        detail = family.entrypoint_error(exc) if isinstance(exc, OSError) else str(exc)
        message = f"RequestId: {request_id} Error: {detail}"
        ended = now_ms()
        outcome = Outcome(
            kind="init_error",
            body=error_doc(error_type, message),
            error_type=error_type,
            duration_ms=0.0,
            init_duration_ms=0.0,
            max_memory_mb=1,
            before_start=tuple(log.next_phase()),
            events=(LogEvent(ended, f"{message}\n{error_type}"),),
            delivered=False,
            started_ms=ended,
            ended_ms=ended,
        )
        return result_of(spec, request_id, outcome, log.name)


def _trace_id() -> str:
    return f"Root=1-{int(epoch_seconds()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
