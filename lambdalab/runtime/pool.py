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

    def acquire(self, spec: FunctionSpec) -> tuple[E, list[E]]:
        """A busy environment for ``spec`` (new ones are not started yet), and the environments to kill.

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
            for env in sorted(self._envs, key=lambda e: -e.last_used):
                if env.key == key and not env.busy and env.alive():
                    env.busy = True
                    return env, to_kill
            if len(self._envs) >= self.max_environments:
                idle = [e for e in self._envs if not e.busy]
                if not idle:
                    raise throttled(ACCOUNT_LIMIT)
                victim = min(idle, key=lambda e: e.last_used)
                self._envs.remove(victim)
                to_kill.append(victim)
            env = self._make(key, spec)
            env.busy = True
            env.last_used = next(self._uses)
            self._envs.append(env)
            return env, to_kill

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
