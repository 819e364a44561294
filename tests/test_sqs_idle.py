"""A mapping on an empty queue leaves the lab idle; moto's own triggers never fire."""

from __future__ import annotations

import pytest
from sqs_support import OK, setup, sqs_role

import lambdalab

pytestmark = pytest.mark.fake_runtime


@pytest.fixture(scope="module")
def role(lab: lambdalab.Lab) -> str:
    return sqs_role(lab)


def test_an_empty_queue_does_not_keep_the_lab_busy_and_moto_never_triggers(lab: lambdalab.Lab, role: str) -> None:
    s = setup(lab, role, OK)
    assert lab.run_until_idle(3600) == 0
    assert not lab.trace.where("moto-trigger-suppressed")
    # a message sent later is picked up the moment the clock runs again
    [mid] = s.send("late")
    lab.advance(0)
    assert [r.ids for r in s.records("sqs-receive")] == [(mid,)]
    assert lab.run_until_idle(3600) == 1.0
