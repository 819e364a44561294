"""Which execution environment an invocation gets, and when Lambda throttles instead.

Lambda runs each concurrent request in its own execution environment.  An idle
warm environment of the same function version and revision is reused (a warm
start); otherwise a new one starts (a cold start).  Environments of an older
revision are never reused: a code or configuration change retires them.
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html

Reserved concurrency caps a function's busy environments, and the lab caps all
of them (``max_environments``, evicting the least recently used idle one first);
beyond either the invoke is throttled with ``TooManyRequestsException`` (429).
https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html

Provisioned concurrency (:meth:`Pool.provision`) holds a number of environments for one qualified
ARN (a version or an alias): invocations through that ARN take them first, and beyond them
spill over to on-demand environments; no other qualifier ever uses them.  The lab keeps few real
processes, so at most :attr:`Pool.ahead` of them are made when the config becomes READY; the
rest are made when a request first needs one (still provisioned: their init is not the request's).
When the lab's cap forces an eviction, idle on-demand environments go before provisioned ones.
https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html

The pool only decides; what an environment *is* (a subprocess, or an in-process
fake) belongs to the runtime that owns the pool.  Both runtimes share this
module, so the fake throttles and reuses exactly as the real one does.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from lambdalab.errors import ACCOUNT_LIMIT, RESERVED_LIMIT
from lambdalab.runtime.types import FunctionSpec, RuntimeFailure

#: (function name, version, revision id): environments are reused only within one key
EnvironmentKey = tuple[str, str, str]


def throttled(reason: str) -> RuntimeFailure:
    """What Invoke answers when no environment may take the request (``reason``: which limit)."""
    return RuntimeFailure("TooManyRequestsException", "Rate Exceeded.", 429, reason)


class Slot(Protocol):
    """What the pool needs of an execution environment."""

    key: EnvironmentKey
    busy: bool
    retired: bool  # discard when the current invocation ends
    last_used: int
    provisioned_for: str  # the qualified ARN whose provisioned concurrency it serves ("": on demand)

    def alive(self) -> bool:
        """Can this environment take another invocation?"""
        ...


E = TypeVar("E", bound=Slot)


class Pool(Generic[E]):
    """The environments of one runtime (thread-safe)."""

    def __init__(self, make: Callable[[EnvironmentKey, FunctionSpec], E], max_environments: int) -> None:
        self._make = make
        self.max_environments = max_environments
        self._lock = threading.Lock()
        self._envs: list[E] = []
        self._closed = False
        self._uses = itertools.count(1)  # an order of use, not a time: eviction picks the smallest
        #: provisioned environments per qualified ARN (its config's allocated count)
        self._provisioned: dict[str, int] = {}
        #: how many provisioned environments of one ARN are made ahead, when the config becomes READY
        self.ahead = max(1, max_environments // 2)

    def acquire(self, spec: FunctionSpec, invoked_arn: str = "") -> tuple[E, list[E]]:
        """A busy environment for ``spec`` invoked as ``invoked_arn`` (new ones are not started yet), and the
        environments to kill.

        Raises :class:`RuntimeFailure` when the invoke is throttled or the runtime is closed.
        """
        key = (spec.function_name, spec.version, spec.revision_id)
        to_kill: list[E] = []
        with self._lock:
            if self._closed:
                raise RuntimeFailure("ServiceException", "The runtime is closed.", 500)
            if spec.reserved_concurrency == 0:
                raise throttled(RESERVED_LIMIT)
            for env in self._envs:  # environments of an older revision are never reused
                if env.key[:2] == key[:2] and env.key != key:
                    env.retired = True
                    if not env.busy:
                        to_kill.append(env)
            self._envs = [e for e in self._envs if e not in to_kill]
            busy = sum(1 for e in self._envs if e.busy and e.key[0] == spec.function_name)
            if spec.reserved_concurrency is not None and busy >= spec.reserved_concurrency:
                raise throttled(RESERVED_LIMIT)
            tag = invoked_arn if self._provisioned.get(invoked_arn, 0) else ""
            if tag:
                mine = [e for e in self._envs if e.provisioned_for == tag and e.key == key]
                if not any(not e.busy and e.alive() for e in mine) and len(mine) >= self._provisioned[tag]:
                    tag = ""  # every provisioned environment is busy: spill over to on-demand ones
            warm = self._take_idle(key, tag)
            return (warm or self._add(key, spec, tag, to_kill)), to_kill

    def acquire_spare(self, spec: FunctionSpec) -> E | None:
        """One more on-demand environment for ``spec``, if it takes no other's place (a batch of requests
        runs in several at once): None when the lab's cap or the function's reserved concurrency is reached."""
        key = (spec.function_name, spec.version, spec.revision_id)
        with self._lock:
            busy = sum(1 for e in self._envs if e.busy and e.key[0] == spec.function_name)
            if self._closed or (spec.reserved_concurrency is not None and busy >= spec.reserved_concurrency):
                return None
            warm = self._take_idle(key, "")
            if warm is None and len(self._envs) < self.max_environments:
                warm = self._add(key, spec, "", [])
            return warm

    def _take_idle(self, key: EnvironmentKey, tag: str) -> E | None:
        """The most recently used idle environment of ``key`` (tagged ``tag``), now busy; None if there is none."""
        for env in sorted(self._envs, key=lambda e: -e.last_used):
            if env.key == key and env.provisioned_for == tag and not env.busy and env.alive():
                env.busy = True
                return env
        return None

    def provision(self, spec: FunctionSpec, invoked_arn: str, count: int) -> tuple[list[E], list[E]]:
        """Hold ``count`` provisioned environments for ``invoked_arn``: (new ones to start now, busy; ones to kill).

        At most :attr:`ahead` exist ahead of requests; extra idle ones go now, extra busy ones when they finish.
        """
        key = (spec.function_name, spec.version, spec.revision_id)
        with self._lock:
            if self._closed:
                raise RuntimeFailure("ServiceException", "The runtime is closed.", 500)
            to_kill = self._unprovision(invoked_arn, keep=count, key=key)
            self._provisioned[invoked_arn] = count
            have = sum(e.provisioned_for == invoked_arn for e in self._envs)
            new: list[E] = []
            for _ in range(min(count, self.ahead) - have):
                try:
                    new.append(self._add(key, spec, invoked_arn, to_kill))
                except RuntimeFailure:
                    break  # the lab's cap: the rest are made when requests need them
            return new, to_kill

    def deprovision(self, invoked_arn: str) -> list[E]:
        """Release the provisioned environments of ``invoked_arn``; returns the idle ones to kill."""
        with self._lock:
            self._provisioned.pop(invoked_arn, None)
            return self._unprovision(invoked_arn, keep=0)

    def _unprovision(self, invoked_arn: str, *, keep: int, key: EnvironmentKey | None = None) -> list[E]:
        """Retire ``invoked_arn``'s environments beyond ``keep`` (and any of another version); idle ones to kill."""
        mine = sorted((e for e in self._envs if e.provisioned_for == invoked_arn), key=lambda e: e.busy)
        stale = [e for e in mine if key is not None and e.key != key]
        current = [e for e in mine if e not in stale]
        doomed = stale + current[: max(0, len(current) - keep)]
        for env in doomed:
            env.retired = True
        idle = [e for e in doomed if not e.busy]
        self._envs = [e for e in self._envs if e not in idle]
        return idle

    def _add(self, key: EnvironmentKey, spec: FunctionSpec, tag: str, to_kill: list[E]) -> E:
        """A new busy environment (tagged ``tag`` when provisioned), evicting an idle one at the lab's cap."""
        if len(self._envs) >= self.max_environments:
            idle = [e for e in self._envs if not e.busy]
            if not idle:
                raise throttled(ACCOUNT_LIMIT)
            victim = min(idle, key=lambda e: (e.provisioned_for != "", e.last_used))  # on-demand ones first
            self._envs.remove(victim)
            to_kill.append(victim)
        env = self._make(key, spec)
        env.provisioned_for = tag
        env.busy = True
        env.last_used = next(self._uses)
        self._envs.append(env)
        return env

    def release(self, env: E) -> bool:
        """The invocation in ``env`` ended; True when the environment must now be killed."""
        with self._lock:
            env.busy = False
            env.last_used = next(self._uses)
            discard = not env.alive() or env.retired or self._closed
            if discard and env in self._envs:
                self._envs.remove(env)
        return discard

    def retire(self, function_name: str, version: str | None = None) -> list[E]:
        """Mark a function's environments (all versions when ``version`` is None); returns the idle ones to kill."""
        with self._lock:
            doomed = []
            for env in self._envs:
                if env.key[0] == function_name and (version is None or env.key[1] == version):
                    env.retired = True
                    if not env.busy:
                        doomed.append(env)
            self._envs = [e for e in self._envs if e not in doomed]
        return doomed

    def discard_idle(self, env: E) -> bool:
        """Take ``env`` out of the pool unless an invocation holds it; True when it was taken (to kill)."""
        with self._lock:
            if env.busy or env not in self._envs:
                return False
            self._envs.remove(env)
            return True

    def snapshot(self) -> list[E]:
        with self._lock:
            return list(self._envs)

    def close(self) -> list[E]:
        """Refuse further invokes; returns every environment (to kill)."""
        with self._lock:
            self._closed = True
            envs, self._envs = self._envs, []
        return envs
