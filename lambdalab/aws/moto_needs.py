"""What the lab's moto adapters rely on of moto's private state, checked at start.

moto has no API for what the lab does in process (read a queue without scanning it,
read a shard's records, find a rule): the adapters (``moto_sqs``, ``moto_kinesis``,
``moto_dynamodb``, ``moto_events``...) read moto's storage directly.  Each lists what it
reads as :class:`Needs`; :func:`check` resolves every name, builds a sample object where
the attributes live on instances, and fails loudly naming the one that moved, rather
than letting an adapter break deep inside a run.  :func:`lambdalab.aws.moto_hooks.self_test`
calls it at every lab start.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import LabError

#: moto versions the hooks and adapters were written and tested against
MOTO_RANGE = (">=5.2.1", "<5.3")


@dataclass(frozen=True)
class Needs:
    """Names an adapter reads of one moto object: ``module.name`` and attributes of it.

    With ``sample``, the attributes are looked up on ``sample(obj)`` (an instance built
    from the class ``module.name``), since moto sets most of them in ``__init__``.
    """

    module: str
    name: str
    attributes: tuple[str, ...] = ()
    sample: Callable[[Any], Any] | None = None


def _fail(what: str, err: object) -> LabError:
    import moto

    return LabError(
        f"moto {moto.__version__} has no {what} ({err}); lambdalab's moto adapters were tested "
        f"with moto{','.join(MOTO_RANGE)}. Install that range."
    )


def resolve(module: str, path: str) -> Any:
    """``module.path`` (a dotted path inside the module), imported."""
    obj: Any = importlib.import_module(module)
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def check(needs: Iterable[Needs]) -> None:
    """Raise :class:`LabError` naming the first thing an adapter needs that moto lacks."""
    for need in needs:
        where = f"{need.module}.{need.name}"
        try:
            obj = resolve(need.module, need.name)
            target = need.sample(obj) if need.sample is not None else obj
        except Exception as err:  # noqa: BLE001 - a moved name, or a constructor that changed
            raise _fail(where, err) from err
        for attribute in need.attributes:
            if not hasattr(target, attribute):
                raise _fail(f"{where}.{attribute}", "attribute missing")
