"""The moto boundary: only ``lambdalab/aws/`` touches moto, and the start-up self-test
notices when a private name the hooks or adapters rely on moves."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from lambdalab.aws import moto_hooks
from lambdalab.errors import LabError


def test_the_self_test_passes_with_the_installed_moto() -> None:
    moto_hooks.self_test()


def test_the_self_test_names_a_private_attribute_moto_stopped_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.sqs.models import Message

    original = Message.__init__

    def init_without_old_handles(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        del self._old_receipt_handles

    monkeypatch.setattr(Message, "__init__", init_without_old_handles)
    with pytest.raises(LabError, match=r"moto\.sqs\.models\.Message\._old_receipt_handles"):
        moto_hooks.self_test()


def test_the_self_test_names_a_module_level_name_that_moved(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto.sqs.models

    monkeypatch.delattr(moto.sqs.models, "MAXIMUM_MESSAGE_LENGTH")
    with pytest.raises(LabError, match=r"moto\.sqs\.models\.MAXIMUM_MESSAGE_LENGTH"):
        moto_hooks.self_test()


def test_the_self_test_names_a_hook_point_that_moved(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto.events.models

    monkeypatch.delattr(moto.events.models.EventsBackend, "put_rule")
    with pytest.raises(LabError, match=r"EventsBackend\.put_rule"):
        moto_hooks.self_test()


PACKAGE = Path(__file__).resolve().parent.parent / "lambdalab"


def _imports_moto(path: Path) -> list[int]:
    """Lines of ``path`` that import moto (any form, at any depth: module level, functions, TYPE_CHECKING)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        if any(name == "moto" or name.startswith("moto.") for name in names):
            lines.append(node.lineno)
    return lines


def test_no_module_outside_aws_imports_moto() -> None:
    outside = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if PACKAGE / "aws" not in path.parents and (lines := _imports_moto(path))
    }
    assert outside == {}


def test_the_walk_sees_every_form_of_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import moto\nimport os, moto.sqs\nfrom moto.sqs import models\n"
        "def f():\n    from moto import mock_aws\nfrom motor import x\nfrom . import moto\n"
    )
    assert _imports_moto(probe) == [1, 2, 3, 5]


def test_every_aws_module_that_imports_moto_is_checked_by_the_self_test() -> None:
    checked = {module.__name__.rsplit(".", 1)[1] for module in (*moto_hooks.ADAPTERS, *moto_hooks.HOOKS)}
    unchecked = [
        path.stem
        for path in sorted((PACKAGE / "aws").glob("*.py"))
        if _imports_moto(path) and path.stem not in checked | {"moto_hooks", "moto_needs"}
    ]
    assert unchecked == []
    assert all(adapter.NEEDS for adapter in moto_hooks.ADAPTERS)
    assert all(hooks.POINTS for hooks in moto_hooks.HOOKS)
