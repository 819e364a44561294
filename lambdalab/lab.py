"""``lambdalab.Lab``: the one object a notebook holds.

It starts moto behind the lab's gateway on 127.0.0.1, binds boto3 clients to
it, owns the virtual clock (which moto's own "now" follows), the local Lambda
runtime, the engines and the trace, and closes everything it started.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .clock import EPOCH, Clock
from .credentials import Credentials
from .errors import LabError
from .ids import SeededIds
from .ports import Place
from .trace import Trace

if TYPE_CHECKING:
    from .aws.clients import LabClients
    from .aws.event_invoke_config import EventInvokeConfigs
    from .aws.event_source_mappings import EventSourceMappingService
    from .aws.gateway import Gateway
    from .aws.lambda_functions import FunctionService
    from .aws.lambda_invoke import InvokeService
    from .aws.lambda_policy import PolicyService
    from .engines.burst import Burst
    from .engines.durable_engine import DurableEngine
    from .engines.durations import VirtualDurations
    from .remote.connected_lab import ConnectedLab
    from .runtime.types import Runtime
    from .wiring import OnDemandRuntime

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"

_current: Lab | None = None
_current_lock = threading.Lock()


class Lab:
    """A local AWS with a Lambda that really runs code, on virtual time.

    Use it as a context manager, or call :meth:`close` when done::

        with lambdalab.Lab() as lab:
            lab.client("lambda").list_functions()

    ``runtime`` runs the functions' code: by default execution environments as
    subprocesses; tests pass a :class:`lambdalab.runtime.FakeRuntime` to call
    Python functions in process instead.  The lab closes it when it closes.

    ``clock`` keeps the lab's time: by default a virtual :class:`~lambdalab.clock.Clock`
    starting at ``start`` that moves only when asked; ``lambdalab server`` passes a
    :class:`~lambdalab.realtime_clock.RealtimeClock` that follows the wall clock.

    The lab builds nothing itself: :mod:`lambdalab.wiring` builds and connects
    its parts, and the lab exposes them.
    """

    account_id = ACCOUNT_ID

    clock: Clock
    """virtual time (``lab.clock.now``, ``lab.clock.t``)"""
    trace: Trace
    """the record of everything that happened"""
    endpoint_url: str
    """the lab's AWS endpoint, for the ``aws`` CLI and other SDKs"""
    durations: VirtualDurations
    """virtual seconds an SQS batch or async event holds a function, per function (``lab.durations["fn"] = 15.0``)"""
    gateway: Gateway
    functions: FunctionService
    invocations: InvokeService
    policies: PolicyService
    event_invoke_configs: EventInvokeConfigs
    mappings: EventSourceMappingService
    durable: DurableEngine
    """the durable executions (``lab.durable.runs``: each one's state, by ARN)"""

    def __init__(
        self,
        *,
        region: str = REGION,
        seed: int = 0,
        start: datetime = EPOCH,
        runtime: Runtime | None = None,
        clock: Clock | None = None,
    ) -> None:
        global _current
        with _current_lock:
            if _current is not None:
                raise LabError(
                    "Another Lab is already open in this Python process. moto keeps its resources "
                    "and its clock per process, so two labs would share both. Close the first one "
                    "(lab.close(), or leave its `with` block) first."
                )
            _current = self
        self.region = region
        self.seed = seed
        self.place = Place(self.account_id, region)
        self._closed = False
        self._ids = SeededIds(seed)
        self._closers: list[Callable[[], None]] = []
        try:
            self._start(clock if clock is not None else Clock(start), runtime)
        except BaseException:
            self.close()
            raise
        self._finalizer = weakref.finalize(self, _finalize, self._closers)

    def _start(self, clock: Clock, runtime: Runtime | None) -> None:
        from .wiring import build

        # random per lab: another lab's (or user's) clients cannot use this one
        self.credentials = Credentials.random()
        self.function_credentials = Credentials.random(temporary=True)
        parts = build(
            self.place,
            self._ids,
            credentials=self.credentials,
            function_credentials=self.function_credentials,
            seed=self.seed,
            clock=clock,
            runtime=runtime,
            on_close=self._closers.append,
        )
        self.clock, self.trace = parts.clock, parts.trace
        self.gateway = parts.gateway
        self.endpoint_url = parts.endpoint.url
        self._clients: LabClients = parts.clients
        self._runtime: OnDemandRuntime = parts.runtime
        self.functions, self.invocations, self.policies = parts.functions, parts.invocations, parts.policies
        self.event_invoke_configs, self.mappings = parts.event_invoke_configs, parts.mappings
        self.durations = parts.durations
        self.layers = parts.layers  # the layer API and the layer versions of every account
        self.function_urls, self.url_listener = parts.function_urls, parts.url_listener
        self.durable = parts.durable
        self._sqs = parts.sqs
        self._push_sources = parts.push_sources
        self._concurrency = parts.concurrency
        self._burst = parts.burst

    @staticmethod
    def connect(
        endpoint_url: str | None = None,
        *,
        region: str | None = None,
        profile: str | None = None,
        confirm: str | None = None,
        **options: Any,
    ) -> ConnectedLab:
        """The same surface (``client``, ``clock``, ``advance``, ``run_until_idle``, ``trace``, ``close``)
        against a running ``lambdalab server`` (``endpoint_url``) or a real AWS account (None).

        On AWS it prints the account and region first and goes on only with ``confirm="<account id>"``.
        Everything the run creates is named ``ll-<run>-...`` and tagged; ``close()`` deletes exactly that.
        See :mod:`lambdalab.remote`.
        """
        from .remote.connected_lab import connect

        return connect(endpoint_url, region=region, profile=profile, confirm=confirm, **options)

    # -- knobs the notebooks turn -----------------------------------------------------------
    @property
    def sqs_scale_up_per_minute(self) -> int:
        """How many concurrent batches an SQS mapping adds per minute while messages wait.

        AWS today: 300; the 2022 documentation said 60 (notebook 05 compares the two).
        https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
        """
        return self._sqs.rate_per_minute

    @sqs_scale_up_per_minute.setter
    def sqs_scale_up_per_minute(self, value: int) -> None:
        self._sqs.rate_per_minute = int(value)

    @property
    def account_concurrency(self) -> int:
        """The account's concurrency quota (1,000 by default; AWS raises it on request).

        https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
        """
        return self._concurrency.account_concurrency

    @account_concurrency.setter
    def account_concurrency(self, value: int) -> None:
        self._concurrency.account_concurrency = int(value)

    def burst(
        self, function_name: str, count: int, *, every: float = 0.0, payload: Any = None, qualifier: str | None = None
    ) -> Burst:
        """``count`` synchronous invokes, one each ``every`` virtual seconds from now, played out on the clock.

        Each request gets a provisioned, warm or new (cold) virtual execution environment, or a throttle
        with its Reason (:mod:`lambdalab.engines.burst`); ``FunctionConcurrencyChart`` draws them.
        """
        self._check_open()
        body = json.dumps({} if payload is None else payload).encode()
        burst = self._burst.burst(function_name, count, every=every, payload=body, qualifier=qualifier)
        self.clock.run_until_idle()
        return burst

    @property
    def pushed_events(self) -> dict[str, dict[str, Any] | str]:
        """The event each SNS, S3 or EventBridge push handed to Lambda, by the ``push`` record's request id."""
        return self._push_sources.sent

    @property
    def runtime(self) -> Runtime:
        """The local Lambda runtime (started on first use: most cells never need it)."""
        self._check_open()
        return self._runtime.started()

    def retire(self, function_name: str, version: str | None = None) -> None:
        """Stop the warm environments of a function (after a code or configuration change)."""
        self._runtime.retire(function_name, version)

    # -- public surface -------------------------------------------------------------
    def client(self, service: str, *, account: str | None = None, **kwargs: Any) -> Any:
        """A boto3 client for ``service`` bound to this lab (its credentials, its region).

        ``account="111122223333"`` makes a caller from another AWS account: the lab signs
        its requests with credentials of that account's own, so resource-based policies
        decide what it may do (as they would for a partner's account on AWS).
        """
        self._check_open()
        return self._clients.client(service, account=account, **kwargs)

    def advance(self, seconds: float) -> None:
        """Move virtual time forward, running every retry, batch and delivery that falls due."""
        self._check_open()
        self.clock.advance(seconds)

    def run_until_idle(self, max_seconds: float = 86_400.0) -> float:
        """Run until nothing is left to do (or ``max_seconds`` pass); returns seconds elapsed."""
        self._check_open()
        return self.clock.run_until_idle(max_seconds)

    def new_id(self) -> str:
        """A UUID from the lab's seeded generator: the same sequence every run."""
        return self._ids.new_id()

    def arn(self, service: str, resource: str) -> str:
        return self.place.arn(service, resource)

    # -- lifecycle --------------------------------------------------------------------
    def on_close(self, closer: Callable[[], None]) -> None:
        """Run ``closer`` when the lab closes (last registered, first run)."""
        self._closers.append(closer)

    def _check_open(self) -> None:
        if self._closed:
            raise LabError("This lab is closed. Start a new one with lambdalab.Lab().")

    def close(self) -> None:
        """Stop every process, thread and server the lab started, and forget its resources."""
        global _current
        if self._closed:
            return
        self._closed = True
        _finalize(self._closers)
        with _current_lock:
            if _current is self:
                _current = None

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{self.endpoint_url}, t={self.clock.t:g}s"
        return f"<lambdalab.Lab {state}>"


def _finalize(closers: list[Callable[[], None]]) -> None:
    while closers:
        closer = closers.pop()
        try:
            closer()
        except Exception:  # noqa: BLE001 - closing must go on
            pass
