"""``lambdalab.Lab``: the one object a notebook holds.

It starts moto behind the lab's gateway on 127.0.0.1, binds boto3 clients to
it, owns the virtual clock (which moto's own "now" follows), the local Lambda
runtime, the engines and the trace, and closes everything it started.
"""

from __future__ import annotations

import random
import threading
import uuid
import weakref
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from .clock import EPOCH, Clock
from .credentials import Credentials
from .errors import LabError
from .trace import Trace

if TYPE_CHECKING:
    from .runtime.types import Runtime

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
    """

    account_id = ACCOUNT_ID

    def __init__(
        self, *, region: str = REGION, seed: int = 0, start: datetime = EPOCH, runtime: Runtime | None = None
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
        self._closed = False
        self._ids = random.Random(seed)
        self._id_lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._other_accounts: dict[str, Credentials] = {}
        self._closers: list[Callable[[], None]] = []
        self._runtime: Runtime | None = runtime
        try:
            self._start(start)
        except BaseException:
            self.close()
            raise
        self._finalizer = weakref.finalize(self, _finalize, self._closers)

    # -- start-up -----------------------------------------------------------------
    def _start(self, start: datetime) -> None:
        from .aws import moto_clock, moto_hooks
        from .aws.auth import Keyring
        from .aws.event_source_mappings import EventSourceMappingService
        from .aws.gateway import Gateway
        from .aws.lambda_functions import FunctionService
        from .aws.lambda_invoke import InvokeService
        from .aws.lambda_policy import PolicyService
        from .aws.server import Endpoint, moto_app

        moto_hooks.install()
        moto_hooks.reset()
        moto_hooks.seed(self.seed)
        self._closers.append(moto_hooks.reset)

        self.clock = Clock(start)
        moto_clock.set_now(lambda: self.clock.now)  # moto's now only: the learner's own clock stays real
        self._closers.append(partial(moto_clock.set_now, None))
        self.trace = Trace(lambda: self.clock.t)

        # random per lab: another lab's (or user's) clients cannot use this one
        self.credentials = Credentials.random()
        self.function_credentials = Credentials.random(temporary=True)
        keyring = Keyring([self.credentials, self.function_credentials])
        self.gateway = Gateway(moto_app(), keyring)
        self.gateway.request_ids = self.new_id
        self.functions = FunctionService(self)
        self.functions.register(self.gateway)
        self.invocations = InvokeService(self)
        self.invocations.register(self.gateway)
        self.policies = PolicyService(self)
        self.policies.register(self.gateway)
        self.mappings = EventSourceMappingService(self)
        self.mappings.register(self.gateway)
        from .engines import engine_factories

        self.engines: dict[str, Any] = {}
        for factory in engine_factories():
            engine = factory(self)
            engine.register(self.gateway)
            self.engines[engine.name] = engine
            if getattr(engine, "source_kind", None):
                self.mappings.add_engine(engine)
        moto_hooks.set_sink("configuration", self.functions.configuration)
        moto_hooks.set_sink("changed", self.functions.changed)
        moto_hooks.set_sink("published", self.functions.published)
        moto_hooks.set_sink("invoke", self.invocations.moto_invoke)
        moto_hooks.set_sink("trigger", self._moto_trigger)
        for name in ("configuration", "changed", "published", "invoke", "trigger"):
            self._closers.append(partial(moto_hooks.set_sink, name, None))

        self._endpoint = Endpoint(self.gateway)
        self._closers.append(self._endpoint.stop)
        self.endpoint_url = self._endpoint.url
        if self._runtime is not None:
            self._closers.append(self._runtime.close)  # closed first: before the endpoint its functions call
        from .cli_magic import register_if_ipython

        register_if_ipython()  # %aws in a notebook

    @property
    def runtime(self) -> Runtime:
        """The local Lambda runtime (started on first use: most cells never need it)."""
        if self._runtime is None:
            self._check_open()
            from .runtime.runtime import SubprocessRuntime

            runtime = SubprocessRuntime(
                endpoint_url=self.endpoint_url,
                region=self.region,
                account_id=self.account_id,
                credentials=self.function_credentials,
                ids=self.new_id,
            )
            self._closers.append(runtime.close)
            self._runtime = runtime
        return self._runtime

    def retire(self, function_name: str, version: str | None = None) -> None:
        """Stop the warm environments of a function (after a code or configuration change)."""
        if self._runtime is not None:
            self._runtime.retire(function_name, version)

    def _moto_trigger(self, kind: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        push = getattr(self, "engines", {}).get("push-sources")
        if push is not None and push.moto_trigger(kind, args, kwargs):
            return True
        self.trace.add("moto-trigger-suppressed", None, source=kind)
        return False

    # -- public surface -------------------------------------------------------------
    def client(self, service: str, *, account: str | None = None, **kwargs: Any) -> Any:
        """A boto3 client for ``service`` bound to this lab (its credentials, its region).

        ``account="111122223333"`` makes a caller from another AWS account: the lab signs
        its requests with credentials of that account's own, so resource-based policies
        decide what it may do (as they would for a partner's account on AWS).
        """
        self._check_open()
        if account is not None and account != self.account_id:
            return self._make_client(service, **self._account_credentials(account).client_options(), **kwargs)
        if kwargs:
            return self._make_client(service, **kwargs)
        if service not in self._clients:
            self._clients[service] = self._make_client(service)
        return self._clients[service]

    def _account_credentials(self, account: str) -> Credentials:
        """Credentials that sign as a caller from ``account`` (made once per account)."""
        if not (len(account) == 12 and account.isdigit()):
            raise ValueError(f"an AWS account id has 12 digits, not {account!r}")
        with self._id_lock:
            creds = self._other_accounts.get(account)
            if creds is None:
                creds = self._other_accounts[account] = Credentials.random(account=account)
                self.gateway.keyring.add(creds)
        return creds

    def _make_client(self, service: str, **kwargs: Any) -> Any:
        from botocore.config import Config

        from .aws.sdk import boto3_session

        session = boto3_session()
        # no automatic retries: a throttle must reach the learner, not be slept through
        config = Config(retries={"total_max_attempts": 1}, read_timeout=960, connect_timeout=5)
        options: dict[str, Any] = {"endpoint_url": self.endpoint_url, "config": config, "region_name": self.region}
        options.update(self.credentials.client_options())
        options.update(kwargs)
        return session.client(service, **options)

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
        with self._id_lock:
            return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

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
        for client in self._clients.values():
            client.close()
        self._clients.clear()
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
