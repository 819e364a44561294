"""Exercises for ``07-triggers-and-permissions``: let a topic in, and a schedule."""

from __future__ import annotations

import json
from typing import Any

from .. import trace_kinds as k
from . import _shared
from .core import Attempt, Problem

RECORDER = "recorder"
TOPIC = "alerts"
RULE = "hourly-report"


def _function_arn(lab: Any) -> str:
    return str(lab.client("lambda").get_function(FunctionName=RECORDER)["Configuration"]["FunctionArn"])


def _statements(lab: Any) -> list[dict[str, Any]]:
    lam = lab.client("lambda")
    try:
        return list(json.loads(lam.get_policy(FunctionName=RECORDER)["Policy"])["Statement"])
    except lam.exceptions.ResourceNotFoundException:
        return []


def _service(statement: dict[str, Any]) -> str:
    """The service principal a statement names ("" if none)."""
    principal = statement.get("Principal")
    return str(principal.get("Service", "")) if isinstance(principal, dict) else str(principal or "")


def _setup_recorder(lab: Any) -> None:
    _shared.ensure_hello(lab, RECORDER)


class LetTheTopicIn(Problem):
    """The topic ``alerts`` has a ``lambda`` subscription to ``recorder``; grant SNS the right to
    invoke ``recorder`` for that topic only."""

    title = "Let one SNS topic invoke a function"
    _hint = (
        '`lam.add_permission(...)` with `Principal="sns.amazonaws.com"`, `Action="lambda:InvokeFunction"`, '
        "a `StatementId` of your choice and `SourceArn` set to the topic's ARN. Without `SourceArn`, every topic "
        "of every account could invoke the function. check() publishes a message and looks for the delivery."
    )
    _solution = (
        "```python\n"
        'topic_arn = sns.create_topic(Name="alerts")["TopicArn"]  # create_topic returns the existing one\n'
        'lam.add_permission(FunctionName="recorder", StatementId="sns-alerts", Action="lambda:InvokeFunction",\n'
        '                   Principal="sns.amazonaws.com", SourceArn=topic_arn)\n'
        "```"
    )

    mistakes = (
        Attempt(
            'lam.add_permission(FunctionName="recorder", StatementId="sns-alerts", Action="lambda:InvokeFunction", Principal="sns.amazon.com", SourceArn=lab.arn("sns", "alerts"))',
            names="sns.amazon.com",
            undo='lam.remove_permission(FunctionName="recorder", StatementId="sns-alerts")',
        ),
        Attempt(
            'lam.add_permission(FunctionName="recorder", StatementId="sns-alerts", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com")',
            names="Add SourceArn",
            undo='lam.remove_permission(FunctionName="recorder", StatementId="sns-alerts")',
        ),
        Attempt(
            'other = sns.create_topic(Name="alerts-archive")["TopicArn"]\n'
            + 'lam.add_permission(FunctionName="recorder", StatementId="sns-alerts", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com", SourceArn=other)',
            names="alerts-archive",
            undo='lam.remove_permission(FunctionName="recorder", StatementId="sns-alerts")',
        ),
        Attempt(
            'lam.add_permission(FunctionName="recorder", StatementId="sns-alerts", Action="lambda:GetFunction", Principal="sns.amazonaws.com", SourceArn=lab.arn("sns", "alerts"))',
            names="not delivered",
            undo='lam.remove_permission(FunctionName="recorder", StatementId="sns-alerts")',
        ),
    )
    correct_forms = (
        Attempt(
            'topic_arn = sns.create_topic(Name="alerts")["TopicArn"]\n'
            + 'lam.add_permission(FunctionName="recorder", StatementId="sns-alerts", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com", SourceArn=topic_arn, SourceAccount="123456789012")',
            undo='lam.remove_permission(FunctionName="recorder", StatementId="sns-alerts")',
        ),
        Attempt(
            'lam.add_permission(FunctionName="recorder", StatementId="sns-alerts", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com", SourceArn="arn:aws:sns:us-east-1:123456789012:alerts")',
            undo='lam.remove_permission(FunctionName="recorder", StatementId="sns-alerts")',
        ),
    )

    def setup(self) -> None:
        _setup_recorder(self.lab)
        sns = self.lab.client("sns")
        topic = sns.create_topic(Name=TOPIC)["TopicArn"]
        arn = _function_arn(self.lab)
        subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        if not any(s["Endpoint"] == arn for s in subs):
            sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)

    def _check(self) -> bool | str | None:
        topic = self.lab.arn("sns", TOPIC)
        sns_statements = [s for s in _statements(self.lab) if s.get("Principal") == {"Service": "sns.amazonaws.com"}]
        if not sns_statements:
            misspelt = [_service(s) for s in _statements(self.lab) if "sns" in _service(s) or "topic" in _service(s)]
            if misspelt:
                return (
                    f"recorder's policy names the principal {misspelt[-1]}, which is not SNS: the service principal "
                    "is sns.amazonaws.com. Remove the statement (remove_permission) and add it again."
                )
            return None
        sources = [s.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn") for s in sns_statements]
        if topic not in sources and any(sources):
            named = ", ".join(str(a) for a in sources if a)
            return f"SNS may invoke recorder, but only for {named}, not for the topic alerts ({topic})."
        if topic not in sources:
            return (
                "SNS may invoke recorder, but the statement does not name the topic: any topic, in any account, "
                "could invoke it. Add SourceArn (the topic's ARN)."
            )
        before = len(self.lab.trace.where(k.PUSH, RECORDER))
        self.lab.client("sns").publish(TopicArn=topic, Message="check()")
        self._did('published the message "check()" to alerts')
        if len(self.lab.trace.where(k.PUSH, RECORDER)) == before:
            denied = self.lab.trace.where(k.INVOKE_DENIED, RECORDER)
            return f"The message was not delivered: {denied[-1].view(k.InvokeDenied)['reason'] if denied else 'no delivery'}"
        return True

    def _congrats(self) -> str:
        return "SNS invoked recorder with the message."

    def solve(self) -> None:
        self.lab.client("lambda").add_permission(
            FunctionName=RECORDER,
            StatementId="sns-alerts",
            Action="lambda:InvokeFunction",
            Principal="sns.amazonaws.com",
            SourceArn=self.lab.arn("sns", TOPIC),
        )

    def attempt_wrong(self) -> bool:
        self.lab.client("lambda").add_permission(
            FunctionName=RECORDER, StatementId="sns-any", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com"
        )
        return True


class HourlySchedule(Problem):
    """Run ``recorder`` at the top of every hour with an EventBridge rule ``hourly-report``."""

    title = "An hourly schedule"
    _hint = (
        'Three calls: `events.put_rule(Name="hourly-report", ScheduleExpression="cron(0 * * * ? *)")` (it returns '
        "the rule's ARN), `events.put_targets(...)` with the function's ARN, and `lam.add_permission(...)` for "
        "`events.amazonaws.com` with the rule's ARN as `SourceArn`. check() moves the clock to the next hour."
    )
    _solution = (
        "```python\n"
        'rule_arn = events.put_rule(Name="hourly-report", ScheduleExpression="cron(0 * * * ? *)")["RuleArn"]\n'
        'fn_arn = lam.get_function(FunctionName="recorder")["Configuration"]["FunctionArn"]\n'
        'events.put_targets(Rule="hourly-report", Targets=[{"Id": "recorder", "Arn": fn_arn}])\n'
        'lam.add_permission(FunctionName="recorder", StatementId="hourly-report", Action="lambda:InvokeFunction",\n'
        '                   Principal="events.amazonaws.com", SourceArn=rule_arn)\n'
        "```"
    )

    mistakes = (
        Attempt(
            'rule_arn = events.put_rule(Name="hourly-report", ScheduleExpression="cron(0 * * * ? *)")["RuleArn"]\nevents.put_targets(Rule="hourly-report", Targets=[{"Id": "recorder", "Arn": fn_arn}])\n',
            names="events.amazonaws.com",
            undo='events.remove_targets(Rule="hourly-report", Ids=["recorder"])\nevents.delete_rule(Name="hourly-report")',
        ),
        Attempt(
            'rule_arn = events.put_rule(Name="hourly-report", ScheduleExpression="rate(1 day)")["RuleArn"]\nevents.put_targets(Rule="hourly-report", Targets=[{"Id": "recorder", "Arn": fn_arn}])\nlam.add_permission(FunctionName="recorder", StatementId="hourly-report", Action="lambda:InvokeFunction", Principal="events.amazonaws.com", SourceArn=rule_arn)\n',
            names="rate(1 day)",
            undo='lam.remove_permission(FunctionName="recorder", StatementId="hourly-report")\nevents.remove_targets(Rule="hourly-report", Ids=["recorder"])\nevents.delete_rule(Name="hourly-report")',
        ),
        Attempt(
            'rule_arn = events.put_rule(Name="hourly-report", ScheduleExpression="cron(0 * * * ? *)")["RuleArn"]\nlam.add_permission(FunctionName="recorder", StatementId="hourly-report", Action="lambda:InvokeFunction", Principal="events.amazonaws.com", SourceArn=rule_arn)\n',
            names="no target",
            undo='lam.remove_permission(FunctionName="recorder", StatementId="hourly-report")\nevents.delete_rule(Name="hourly-report")',
        ),
    )
    correct_forms = (
        Attempt(
            'rule_arn = events.put_rule(Name="hourly-report", ScheduleExpression="rate(1 hour)")["RuleArn"]\nevents.put_targets(Rule="hourly-report", Targets=[{"Id": "recorder", "Arn": fn_arn}])\nlam.add_permission(FunctionName="recorder", StatementId="hourly-report", Action="lambda:InvokeFunction", Principal="events.amazonaws.com", SourceArn=rule_arn)\n',
            undo='lam.remove_permission(FunctionName="recorder", StatementId="hourly-report")\nevents.remove_targets(Rule="hourly-report", Ids=["recorder"])\nevents.delete_rule(Name="hourly-report")',
        ),
        Attempt(
            'rule_arn = events.put_rule(Name="hourly-report", ScheduleExpression="rate(60 minutes)")["RuleArn"]\nevents.put_targets(Rule="hourly-report", Targets=[{"Id": "recorder", "Arn": fn_arn}])\nlam.add_permission(FunctionName="recorder", StatementId="hourly-report", Action="lambda:InvokeFunction", Principal="events.amazonaws.com", SourceArn=rule_arn)\n',
            undo='lam.remove_permission(FunctionName="recorder", StatementId="hourly-report")\nevents.remove_targets(Rule="hourly-report", Ids=["recorder"])\nevents.delete_rule(Name="hourly-report")',
        ),
    )

    def setup(self) -> None:
        _setup_recorder(self.lab)

    def _check(self) -> bool | str | None:
        events = self.lab.client("events")
        try:
            rule = events.describe_rule(Name=RULE)
        except events.exceptions.ResourceNotFoundException:
            return None
        expression = rule.get("ScheduleExpression", "")
        if expression not in ("cron(0 * * * ? *)", "rate(1 hour)", "rate(60 minutes)"):
            return f"hourly-report runs on {expression or 'no schedule'}; it should fire once an hour."
        targets = events.list_targets_by_rule(Rule=RULE)["Targets"]
        if not any(t["Arn"].startswith(_function_arn(self.lab)) for t in targets):
            return "hourly-report has no target pointing at recorder (put_targets)."
        before = len(self.lab.trace.where(k.PUSH, RECORDER))
        denied_before = len(self.lab.trace.where(k.INVOKE_DENIED, RECORDER))
        self.lab.advance(3600)
        self._did("ran the clock one hour, to see the rule fire")
        if len(self.lab.trace.where(k.PUSH, RECORDER)) == before:
            denied = self.lab.trace.where(k.INVOKE_DENIED, RECORDER)[denied_before:]
            if denied:
                return f"The rule fired but Lambda refused it: {denied[-1].view(k.InvokeDenied)['reason']}. Add a permission for events.amazonaws.com."
            return "An hour passed and recorder was not invoked."
        return True

    def _congrats(self) -> str:
        return "The rule invoked recorder: an hour of virtual time took no time at all."

    def solve(self) -> None:
        lam, events = self.lab.client("lambda"), self.lab.client("events")
        rule_arn = events.put_rule(Name=RULE, ScheduleExpression="cron(0 * * * ? *)")["RuleArn"]
        events.put_targets(Rule=RULE, Targets=[{"Id": RECORDER, "Arn": _function_arn(self.lab)}])
        if not any(s["Sid"] == RULE for s in _statements(self.lab)):
            lam.add_permission(
                FunctionName=RECORDER,
                StatementId=RULE,
                Action="lambda:InvokeFunction",
                Principal="events.amazonaws.com",
                SourceArn=rule_arn,
            )

    def attempt_wrong(self) -> bool:
        events = self.lab.client("events")
        events.put_rule(Name=RULE, ScheduleExpression="cron(0 * * * ? *)")
        events.put_targets(Rule=RULE, Targets=[{"Id": RECORDER, "Arn": _function_arn(self.lab)}])
        return True
