"""How Lambda scales a function for synchronous requests: which execution environment a request gets, or a throttle.

Pure decisions over a function's *virtual* execution environments (the burst engine,
:mod:`.burst`, runs the code itself in the lab's few real ones):

- **Concurrency** is the number of requests in flight.  Each runs in an environment of
  its own; an idle one of the same version is reused (warm), otherwise a new one starts
  (cold, with an init).
- **Provisioned concurrency** (per version or alias): that many environments are
  initialised ahead and used first; a request they serve has no init.  Beyond them the
  function scales on demand as usual.
- **Reserved concurrency** caps the function's concurrency; over it the request is
  throttled (``ReservedFunctionConcurrentInvocationLimitExceeded``).  An unreserved
  function shares what the account's concurrency (1,000 by default) leaves after every
  reservation; over it, ``ConcurrentInvocationLimitExceeded``.
- **Scaling rate**: each function may add at most 1,000 environments every 10 seconds,
  refilled continuously (100 a second here) and never saved up beyond 1,000.  A request
  that needs a new environment when none may be added is throttled.  AWS does not say
  which ``Reason`` that throttle carries; the lab says ``FunctionInvocationRateLimitExceeded``,
  botocore's name for a function's rate limit.

https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html
https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html
https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from ..errors import ACCOUNT_LIMIT, RESERVED_LIMIT

#: the account's concurrency quota unless raised
ACCOUNT_CONCURRENCY = 1000
#: environments a function may add per :data:`SCALING_WINDOW` seconds
SCALING_STEP = 1000
SCALING_WINDOW = 10.0
#: the throttle's Reason when the scaling rate is used up (the lab's choice: AWS does not say)
SCALING_LIMIT = "FunctionInvocationRateLimitExceeded"


@dataclass
class VirtualEnvironment:
    """One execution environment on the virtual clock."""

    number: int
    version: str
    provisioned: bool
    busy: bool = False


@dataclass(frozen=True)
class Admission:
    """What a request got: ``start`` is ``provisioned``, ``warm``, ``cold`` or ``throttled`` (with ``reason``)."""

    start: str
    environment: VirtualEnvironment | None = None
    reason: str | None = None


@dataclass
class ScalingBudget:
    """The scaling rate as a bucket of new environments: full at 1,000, refilled 100 a second."""

    tokens: float = float(SCALING_STEP)
    at: float = 0.0

    def take(self, t: float) -> bool:
        """One new environment at ``t``, if the rate allows it."""
        self.tokens = min(float(SCALING_STEP), self.tokens + (t - self.at) * SCALING_STEP / SCALING_WINDOW)
        self.at = t
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


@dataclass
class Fleet:
    """The virtual environments of one function, every version.

    Counts are kept as requests come and go, and each version's idle environments wait in a heap
    ordered as :meth:`admit` picks them, so a burst of thousands costs no more per request than one.
    """

    environments: list[VirtualEnvironment] = field(default_factory=list)
    budget: ScalingBudget = field(default_factory=ScalingBudget)
    _numbers: int = 0
    _busy: int = 0
    _provisioned: int = 0
    #: per version, its idle environments as ``(not provisioned, number, environment)``: provisioned first, then oldest
    _idle: dict[str, list[tuple[bool, int, VirtualEnvironment]]] = field(default_factory=dict)

    @property
    def in_flight(self) -> int:
        return self._busy

    @property
    def provisioned_total(self) -> int:
        """Provisioned environments of every version."""
        return self._provisioned

    def provisioned(self, version: str) -> int:
        return sum(e.provisioned and e.version == version for e in self.environments)

    def provision(self, version: str, count: int) -> None:
        """Hold ``count`` initialised environments for ``version`` (fewer: idle extra ones go first)."""
        have = [e for e in self.environments if e.provisioned and e.version == version]
        for _ in range(count - len(have)):
            env = self._new(version, provisioned=True)
            self.environments.append(env)
            self._provisioned += 1
        for env in have[count:] if count < len(have) else []:
            env.provisioned = False  # busy ones finish their request, then stay as on-demand environments
            self._provisioned -= 1
        idle = [(not e.provisioned, e.number, e) for e in self.environments if e.version == version and not e.busy]
        heapq.heapify(idle)
        self._idle[version] = idle

    def admit(self, t: float, version: str, *, reserved: int | None, unreserved_room: int) -> Admission:
        """Place a request for ``version`` arriving at ``t``.

        ``reserved`` is the function's reserved concurrency (None: unreserved); ``unreserved_room``
        how many more requests the account's unreserved concurrency takes now (used when unreserved).
        """
        if reserved is not None and self._busy >= reserved:
            return Admission("throttled", reason=RESERVED_LIMIT)
        if reserved is None and unreserved_room <= 0:
            return Admission("throttled", reason=ACCOUNT_LIMIT)
        idle = self._idle.get(version)
        if idle:
            env = heapq.heappop(idle)[2]
            env.busy = True
            self._busy += 1
            return Admission("provisioned" if env.provisioned else "warm", env)
        if not self.budget.take(t):
            return Admission("throttled", reason=SCALING_LIMIT)
        env = self._new(version, provisioned=False)
        env.busy = True
        self._busy += 1
        self.environments.append(env)
        return Admission("cold", env)

    def release(self, env: VirtualEnvironment) -> None:
        if env.busy:
            env.busy = False
            self._busy -= 1
            heapq.heappush(self._idle.setdefault(env.version, []), (not env.provisioned, env.number, env))

    def _new(self, version: str, *, provisioned: bool) -> VirtualEnvironment:
        self._numbers += 1
        return VirtualEnvironment(self._numbers, version, provisioned)
