"""The moto boundary: only ``lambdalab/aws/`` touches moto, and the start-up self-test
notices when a private name the hooks or adapters rely on moves."""

from __future__ import annotations

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
