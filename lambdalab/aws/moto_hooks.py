"""Every place where lambdalab reaches into moto, from one module.

moto is the lab's control plane: it stores resources and serves the AWS APIs.
It also *acts* in places where AWS Lambda would (it fires functions inside
``send_message``, ``put_record``, ``publish``...), and gets some Lambda facts
wrong (see ``reference/aws-behaviour.md``).  The hooks switch those actions
off or hand them to the lab, one module per concept (``moto_hooks_lambda``,
``_sqs``, ``_iam``, ``_push_sources``, ``_streams``); this module installs them.
:func:`self_test` checks at start that each hook point still exists in the
installed moto, and fails loudly naming the one that moved, rather than letting
the lab quietly behave like plain moto.

Tested with the moto range pinned in ``pyproject.toml``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..errors import LabError
from . import (
    moto_apigatewayv2,
    moto_clock,
    moto_dynamodb,
    moto_events,
    moto_hooks_iam,
    moto_hooks_lambda,
    moto_hooks_push_sources,
    moto_hooks_sqs,
    moto_hooks_streams,
    moto_iam,
    moto_kinesis,
    moto_lambda,
    moto_logs,
    moto_needs,
    moto_s3,
    moto_sns,
    moto_sqs,
    server,
)
from .moto_needs import MOTO_RANGE

#: the adapters that read moto's private state; :func:`self_test` checks what each needs
ADAPTERS = (
    moto_apigatewayv2,
    moto_clock,
    server,
    moto_lambda,
    moto_iam,
    moto_logs,
    moto_sqs,
    moto_kinesis,
    moto_dynamodb,
    moto_sns,
    moto_s3,
    moto_events,
)

#: the modules that patch moto, one per concept; :func:`self_test` checks each one's hook points
HOOKS = (moto_hooks_lambda, moto_hooks_sqs, moto_hooks_iam, moto_hooks_push_sources, moto_hooks_streams)

#: where the hooks send what moto would have done itself; the lab sets these
_sinks: dict[str, Callable[..., Any]] = {}


def set_sink(name: str, fn: Callable[..., Any] | None) -> None:
    """Route a moto action (``trigger`` or ``invoke``) to the lab; None to drop it."""
    if fn is None:
        _sinks.pop(name, None)
    else:
        _sinks[name] = fn


#: the other names the hooks read (the policies they load, the clock they read, the reset)
NEEDS = (
    moto_needs.Needs("moto.iam.models", "AWSManagedPolicy", ("from_data",)),
    moto_needs.Needs("moto.iam.aws_managed_policies", "aws_managed_policies_data"),
    moto_needs.Needs("moto.moto_api._internal.models", "moto_api_backend", ("reset",)),
    moto_needs.Needs("moto.core.utils", "unix_time_millis"),
)

# The hook points: (module, attribute path, parameters we rely on): the hook modules' and the seed's
_POINTS: list[tuple[str, str, tuple[str, ...]]] = [
    *(point for hooks in HOOKS for point in hooks.POINTS),
    ("moto.moto_api._internal", "mock_random.seed", ()),
]


def self_test() -> None:
    """Fail loudly if a hook point, or a name an adapter reads, moved in the installed moto."""
    import moto

    for module, path, params in _POINTS:
        try:
            target = moto_needs.resolve(module, path)
        except (ImportError, AttributeError) as err:
            raise LabError(
                f"moto {moto.__version__} has no {module}.{path} ({err}); lambdalab's hooks "
                f"were tested with moto{','.join(MOTO_RANGE)}. Install that range."
            ) from err
        if params:
            target = getattr(target, "__lambdalab_original__", target)
            have = list(inspect.signature(target).parameters)
            missing = [p for p in params if p not in have]
            if missing:
                raise LabError(
                    f"moto {moto.__version__}: {module}.{path} lost parameters {missing}; "
                    f"lambdalab's hooks need moto{','.join(MOTO_RANGE)}."
                )
    saved = dict(_sinks)
    _sinks.clear()  # the sample objects the checks build must not reach a lab
    try:
        moto_needs.check(NEEDS)
        for adapter in ADAPTERS:
            moto_needs.check(adapter.NEEDS)
    finally:
        _sinks.update(saved)
    moto_clock.check_points()


_installed = False


def install() -> None:
    """Patch moto once per process (idempotent)."""
    global _installed
    self_test()
    moto_clock.install()
    moto_clock.self_test()  # moto reads the lab's clock, the process its own
    if _installed:
        return

    def patch(owner: Any, name: str, new: Callable[..., Any]) -> None:
        new.__lambdalab_original__ = getattr(owner, name)  # type: ignore[attr-defined]
        setattr(owner, name, new)

    moto_hooks_lambda.install(patch, _sinks)
    moto_hooks_sqs.install(patch, _sinks)
    moto_hooks_iam.install(patch)
    moto_hooks_push_sources.install(patch, _sinks)
    moto_hooks_streams.install(patch)
    _installed = True


def seed(value: int) -> None:
    """Make moto's generated ids (message ids, UUIDs, receipt handles) repeat."""
    from moto.moto_api._internal import mock_random

    mock_random.seed(value)


def reset() -> None:
    """Forget every resource moto holds (a lab's close)."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
