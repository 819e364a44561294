"""The ports: what a service or engine is given instead of the whole lab.

:mod:`lambdalab.wiring` builds every service and engine and hands each one only
the ports it uses.  A port is either a small frozen value (:class:`Place`,
:class:`Target`, :class:`Caller`) or a :class:`~typing.Protocol` that a concrete
part of the lab satisfies:

===================  =================================================  ===============================
port                 what it offers                                     satisfied by
===================  =================================================  ===============================
:class:`Place`       the lab's account id and region, ARNs              a value built by the lab
:class:`Ids`         seeded request ids and revision ids                ``Lab``
``Clock``            virtual time (:class:`lambdalab.clock.Clock`)      the clock itself
``Trace``            the record (:class:`lambdalab.trace.Trace`)        the trace itself
``Runtime``          runs function code (:mod:`lambdalab.runtime.types`)  SubprocessRuntime, FakeRuntime
:class:`Invoker`     finds a function version and invokes it            the Invoke API service
:class:`DurableCall` a durable execution a mapping waits for            the durable functions API
:class:`EventQueue`  queues an asynchronous invocation                  the async invocation engine
:class:`PolicyCheck` asks a function's resource-based policy            the policy service
:class:`Clients`     a boto3 client bound to the lab                    ``Lab``
===================  =================================================  ===============================

No module here imports a service or an engine, so every part can depend on
this one without an import loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from .clock import Signal
    from .errors import AwsError
    from .runtime.types import FunctionSpec, InvokeResult


@dataclass(frozen=True)
class Place:
    """Where the lab's resources live: one account, one region."""

    account_id: str
    region: str

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"


@dataclass(frozen=True)
class Target:
    """A resolved function version: what runs and under which ARN it was called."""

    spec: FunctionSpec
    invoked_arn: str
    executed_version: str
    role: str  # the execution role
    dead_letter_arn: str | None = None  # DeadLetterConfig.TargetArn

    @property
    def qualifier(self) -> str | None:
        """The qualifier the caller named (None for an unqualified ARN)."""
        parts = self.invoked_arn.split(":")
        return parts[7] if len(parts) > 7 else None


@dataclass(frozen=True)
class Caller:
    """Who asks to invoke: a service principal (with its source) or an account."""

    service: str | None = None  # e.g. "sns.amazonaws.com"
    account: str | None = None  # the caller's account (for a service: the source's owner)
    source_arn: str | None = None
    org_id: str | None = None


class Ids(Protocol):
    def new_id(self) -> str:
        """A UUID from the lab's seeded generator."""
        ...


class Clients(Protocol):
    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` bound to the lab."""
        ...


class Invoker(Protocol):
    """Lambda's own invoke path: resolve a name to a version, run it, log it, trace it."""

    def resolve(self, function_name: str, qualifier: str | None = None) -> Target: ...

    def run(
        self,
        target: Target,
        payload: bytes,
        *,
        client_context: str | None = None,
        source: str,
        request_id: str | None = None,
        trace_header: str | None = None,
    ) -> InvokeResult: ...

    def start_durable(self, target: Target, payload: bytes, *, source: str, request_id: str) -> DurableCall | None:
        """An event source mapping's batch for a durable function starts an execution (None: not durable)."""
        ...


class DurableCall(Protocol):
    """A durable execution an event source mapping started with its batch: the mapping waits until ``closed``
    fires (at most ``limit`` virtual seconds), then reads the execution's outcome as an invocation's."""

    @property
    def closed(self) -> Signal: ...

    @property
    def limit(self) -> float: ...

    def result(self) -> InvokeResult: ...


class BatchInvoker(Invoker, Protocol):
    """Lambda's invoke path for requests that arrive together: run in turn, each result as it comes."""

    def run_many(
        self, target: Target, payloads: Sequence[bytes], *, source: str
    ) -> Iterator[InvokeResult | AwsError]: ...


class EventQueue(Protocol):
    """Lambda's asynchronous invocation queue (``InvocationType=Event``)."""

    def submit(self, target: Target, payload: bytes, request_id: str, *, trace_header: str | None = None) -> None:
        """Queue an event; ``trace_header`` continues the chain of requests it belongs to (loop detection)."""
        ...


class PolicyCheck(Protocol):
    """A function's resource-based policy, asked before a service or account invokes it."""

    def check(self, function_name: str, qualifier: str | None, caller: Caller) -> str | None:
        """None when the policy lets ``caller`` invoke, else the reason it does not."""
        ...
