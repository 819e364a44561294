"""The trace's record kinds: one constant and one typed view per kind, and Trace.add typed per kind."""

from __future__ import annotations

import ast
import inspect
import re
import typing
from pathlib import Path

import pytest

from lambdalab import trace_kinds as k
from lambdalab.trace import Record, Trace

PACKAGE = Path(k.__file__).parent


def _constants() -> dict[str, str]:
    return {name: value for name, value in vars(k).items() if name.isupper() and isinstance(value, str)}


def test_every_kind_has_one_constant_and_one_view() -> None:
    constants = _constants()
    assert len(set(constants.values())) == len(constants) == len(k.DETAILS)
    assert set(constants.values()) == set(k.DETAILS)
    assert all(typing.is_typeddict(view) for view in k.DETAILS.values())


def test_trace_add_has_one_overload_per_kind_with_its_view() -> None:
    pairs = set()
    for overload in typing.get_overloads(Trace.add):
        params = inspect.signature(overload).parameters
        kind = re.fullmatch(r"Literal\['([a-z0-9-]+)'\]", str(params["kind"].annotation))
        view = re.fullmatch(r"Unpack\[k\.(\w+)\]", str(params["d"].annotation))
        assert kind and view, overload
        pairs.add((kind.group(1), view.group(1)))
    assert pairs == {(kind, view.__name__) for kind, view in k.DETAILS.items()}


def test_every_writer_names_its_kind_by_constant() -> None:
    """``trace.add("async-attempt", ...)`` would still type-check; the lab writes ``trace.add(k.ASYNC_ATTEMPT, ...)``."""
    literal = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add"
                and "trace" in ast.unparse(node.func.value)
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                literal.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert literal == []


def test_a_view_reads_the_detail_of_its_own_kind_only() -> None:
    record = Record(1.0, k.ASYNC_DONE, "f", ("r1",), {"condition": "Success", "attempts": 1})
    assert record.view(k.AsyncDone)["condition"] == "Success"
    with pytest.raises(TypeError, match="'async-done' record has no AsyncAttempt detail"):
        record.view(k.AsyncAttempt)


def test_records_keep_plain_string_kinds_and_details_in_call_order() -> None:
    trace = Trace(lambda: 0.0)
    trace.add(k.ASYNC_ATTEMPT, "f", ("r1",), attempt=1, outcome="success", error=None, version="$LATEST")
    [record] = trace
    assert type(record.kind) is str and record.kind == "async-attempt"
    assert list(record.detail) == ["attempt", "outcome", "error", "version"]
