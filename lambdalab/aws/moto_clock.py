"""moto's "now" follows the lab's virtual clock; the rest of the process keeps real time.

moto reads the time in one function, ``moto.core.utils.utcnow``: ``unix_time``,
``unix_time_millis`` and the ``iso_8601`` helpers call it, and the models import it by
name (SQS sent timestamps, visibility timeouts and delays; Kinesis arrival times;
DynamoDB stream records; CloudWatch Logs' ingestion times and its window for accepted
events; IAM, Lambda, SNS and EventBridge dates; the ``Date`` response header).  Its body
asks ``datetime.datetime.now(UTC)`` of the ``datetime`` module ``moto.core.utils``
imported, so the lab gives that one name a stand-in whose ``datetime.now`` is the lab's
clock: one patch reaches every caller, also in the models moto imports later.  The few
models that ask ``datetime`` for now themselves get the same stand-in: S3 (a bucket's
creation date, its access-log names) and moto's ``ManagedState`` (S3 object restores).

Left alone, on purpose: ``awslambda.models.zip2tar`` (moto's Docker execution, never used
by the lab) and the Kinesis-to-Lambda trigger in ``awslambda.models`` (switched off by
:mod:`.moto_hooks_lambda`).

Everything else keeps the real clock: a learner's ``time.time()`` and ``datetime.now()``,
botocore's request signing, the function processes.  :func:`self_test` proves both
halves at every lab start.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import inspect
from collections.abc import Callable
from typing import Any

from ..errors import LabError
from .moto_needs import MOTO_RANGE, Needs

#: the lab's clock (an aware UTC datetime), or None: moto then reads real time
_now: Callable[[], _dt.datetime] | None = None


def set_now(now: Callable[[], _dt.datetime] | None) -> None:
    """Make moto's now ``now()`` (the lab's clock), or real time again with None."""
    global _now
    _now = now


def moto_now() -> _dt.datetime:
    """What moto reads as now: the lab's clock while a lab is open, else real time (aware UTC)."""
    now = _now
    return now() if now is not None else _dt.datetime.now(_dt.UTC)


class _Datetime:
    """``datetime.datetime`` as moto sees it: ``now``, ``utcnow`` and ``today`` read moto's now."""

    @staticmethod
    def now(tz: _dt.tzinfo | None = None) -> _dt.datetime:
        at = moto_now()
        return at.astimezone(tz) if tz is not None else at.astimezone().replace(tzinfo=None)

    @staticmethod
    def utcnow() -> _dt.datetime:
        return moto_now().astimezone(_dt.UTC).replace(tzinfo=None)

    @staticmethod
    def today() -> _dt.datetime:
        return _Datetime.now()

    def __getattr__(self, name: str) -> Any:
        return getattr(_dt.datetime, name)


class _DatetimeModule:
    """The ``datetime`` module as moto sees it: its ``datetime`` is :class:`_Datetime`."""

    datetime = _Datetime()

    def __getattr__(self, name: str) -> Any:
        return getattr(_dt, name)


#: (module, name it binds, what it binds before the lab patches it, the stand-in)
_POINTS: tuple[tuple[str, str, Any, Any], ...] = (
    ("moto.core.utils", "datetime", _dt, _DatetimeModule()),
    ("moto.s3.models", "datetime", _dt, _DatetimeModule()),
    ("moto.moto_api._internal.managed_state_model", "datetime", _dt.datetime, _DatetimeModule.datetime),
)

#: the names :func:`check_points` looks at, for :func:`lambdalab.aws.moto_hooks.self_test`
NEEDS = (Needs("moto.core.utils", "utcnow"), *(Needs(module, name) for module, name, _, _ in _POINTS))


def install() -> None:
    """Give each point its stand-in (idempotent)."""
    check_points()
    for module, name, _real, stand_in in _POINTS:
        setattr(importlib.import_module(module), name, stand_in)


def check_points() -> None:
    """Fail loudly if a place moto reads now moved: each name binds what we replace (or our stand-in),
    and ``utcnow`` still asks ``datetime.datetime.now``."""
    for module, name, real, stand_in in _POINTS:
        bound = getattr(importlib.import_module(module), name, None)
        if bound is not real and bound is not stand_in:
            raise _moved(f"{module}.{name} is no longer the datetime {'module' if real is _dt else 'class'}")
    from moto.core import utils

    if "datetime.datetime.now(" not in inspect.getsource(utils.utcnow):
        raise _moved("moto.core.utils.utcnow no longer reads datetime.datetime.now")


def self_test() -> None:
    """Prove, after :func:`install`, that moto reads the lab's now and the process reads real time."""
    from moto.core import utils
    from moto.moto_api._internal import managed_state_model
    from moto.s3 import models as s3_models

    probe = _dt.datetime(2001, 2, 3, 4, 5, 6, 789000, tzinfo=_dt.UTC)
    saved = _now
    set_now(lambda: probe)
    try:
        seen = {
            "moto.core.utils.utcnow": utils.utcnow() == probe.replace(tzinfo=None),
            "moto.core.utils.unix_time": utils.unix_time() == probe.timestamp(),
            "moto.core.utils.iso_8601_datetime_with_milliseconds": (
                utils.iso_8601_datetime_with_milliseconds() == "2001-02-03T04:05:06.789Z"
            ),
            "moto.s3.models datetime.now": s3_models.datetime.datetime.now(tz=_dt.UTC) == probe,
            "moto_api ManagedState datetime.now": managed_state_model.datetime.now()
            == probe.astimezone().replace(tzinfo=None),
            "the process's own datetime.now (must stay real)": _dt.datetime.now(_dt.UTC).year != probe.year,
        }
    finally:
        set_now(saved)
    wrong = [name for name, ok in seen.items() if not ok]
    if wrong:
        raise _moved(f"the lab's clock does not reach {', '.join(wrong)}")


def _moved(what: str) -> LabError:
    import moto

    return LabError(
        f"moto {moto.__version__}: {what}; lambdalab's clock patch was tested with moto{','.join(MOTO_RANGE)}."
    )
