"""What a check says besides right or wrong: it judges only what happened after the learner's last change, it
says what it did to the lab (messages sent, clock moved), and one exercise's leftovers do not make another's
check run for an hour."""

from __future__ import annotations

import json

import lambdalab
from lambdalab import trace_kinds as k
from lambdalab.exercises import Correct, Incorrect, NotAttempted, RunIt, ex04, ex05, ex07

GRANT = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:123456789012:orders-failed"}
    ],
}


def test_a_delivery_that_failed_before_the_fix_is_not_reported_after_it() -> None:
    with lambdalab.Lab() as lab:
        q = ex04.FailureDestination(lab)
        q.setup()
        lam = lab.client("lambda")
        lam.put_function_event_invoke_config(
            FunctionName="orders",
            MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": lab.arn("sqs", "orders-failed")}},
        )
        lam.invoke(FunctionName="orders", InvocationType="Event", Payload=b'{"id": 1, "fail": true}')
        lab.run_until_idle()
        # GIVEN a record that could not be delivered (the role may not send to the queue)
        before = q.check()
        assert isinstance(before, Incorrect) and "could not deliver" in before.message, before
        # WHEN the learner fixes the role THEN the old failure is not held against them: the next step is to run it
        lab.client("iam").put_role_policy(
            RoleName="lambda-exec", PolicyName="failures", PolicyDocument=json.dumps(GRANT)
        )
        after_fix = q.check()
        assert isinstance(after_fix, RunIt) and "before that change" in after_fix.message, after_fix
        # WHEN a new failing event runs THEN its record is delivered and the exercise is done
        lam.invoke(FunctionName="orders", InvocationType="Event", Payload=b'{"id": 2, "fail": true}')
        lab.run_until_idle()
        assert isinstance(q.check(), Correct), q.check()
        # WHEN the configuration changes again THEN the delivery before it no longer counts
        lam.update_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=1)
        assert isinstance(q.check(), RunIt), q.check()


def test_messages_cycling_from_05_exercise_2_do_not_make_exercise_1s_check_run_an_hour() -> None:
    with lambdalab.Lab() as lab:
        # GIVEN exercise 2 solved and checked: its check's bad message returns every 10 s, forever (no DLQ)
        q2 = ex05.ReportBatchItemFailures(lab)
        q2.setup()
        q2.solve()
        assert isinstance(q2.check(), Correct)
        # AND exercise 1 solved
        q1 = ex05.PoisonToDeadLetterQueue(lab)
        q1.setup()
        q1.solve()
        runs_before, t_before = len(lab.trace.where(k.INVOKE, "batch-worker")), lab.clock.t
        # WHEN exercise 1 is checked
        outcome = q1.check()
        # THEN it runs the clock only as long as the redrive needs, and says so
        elapsed = lab.clock.t - t_before
        leftover_runs = len(lab.trace.where(k.INVOKE, "batch-worker")) - runs_before
        assert isinstance(outcome, Correct), outcome
        assert elapsed <= 60, f"the check ran the clock {elapsed} s"
        assert leftover_runs <= 7, f"the check ran exercise 2's leftover {leftover_runs} times"
        assert f"ran the clock {elapsed:g} s" in outcome.message, outcome.message


def test_a_check_that_sends_messages_or_moves_the_clock_says_so_and_one_that_does_not_says_nothing() -> None:
    with lambdalab.Lab() as lab:
        q = ex05.ReportBatchItemFailures(lab)
        q.setup()
        assert isinstance(q.check(), NotAttempted)
        q.solve()
        said = q.check()
        assert isinstance(said, Correct)
        assert (
            "check() sent two messages to batch-jobs (good-check and bad-check) and ran the clock 2 s" in said.message
        )
        schedule = ex07.HourlySchedule(lab)
        schedule.setup()
        schedule.solve()
        t_before = lab.clock.t
        said = schedule.check()
        assert isinstance(said, Correct) and lab.clock.t - t_before == 3600
        assert "ran the clock one hour" in said.message, said.message
        wrong = ex07.HourlySchedule(lab)
        lab.client("events").put_rule(Name="hourly-report", ScheduleExpression="rate(1 day)")
        assert "check()" not in wrong.check().message
