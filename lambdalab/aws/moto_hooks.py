"""Every place where lambdalab reaches into moto, in one module.

moto is the lab's control plane: it stores resources and serves the AWS APIs.
It also *acts* in places where AWS Lambda would (it fires functions inside
``send_message``, ``put_record``, ``publish``...), and gets some Lambda facts
wrong (see ``reference/aws-behaviour.md``).  The hooks below switch those
actions off or hand them to the lab.  :func:`self_test` checks at start that
each hook point still exists in the installed moto, and fails loudly naming the
one that moved, rather than letting the lab quietly behave like plain moto.

Tested with the moto range pinned in ``pyproject.toml``.
"""

from __future__ import annotations

import inspect
import itertools
import json
from collections.abc import Callable
from functools import cache
from typing import Any

from ..errors import LabError
from . import (
    moto_apigatewayv2,
    moto_clock,
    moto_dynamodb,
    moto_events,
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

#: AWS managed policies a Lambda learner meets; the lab loads only these
#: (loading all of them costs seconds at start).
MANAGED_POLICIES = (
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaExecute",
    "AWSLambdaRole",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaKinesisExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
    "AWSLambdaBasicDurableExecutionRolePolicy",
    "AWSLambda_FullAccess",
    "AWSLambda_ReadOnlyAccess",
    "AmazonSQSFullAccess",
    "AmazonSNSFullAccess",
    "AmazonS3FullAccess",
    "AmazonS3ReadOnlyAccess",
    "AmazonDynamoDBFullAccess",
    "AmazonKinesisFullAccess",
    "AmazonEventBridgeFullAccess",
    "CloudWatchLogsFullAccess",
)

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

# The hook points: (module, attribute path, parameters we rely on)
_POINTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("moto.awslambda.models", "LambdaFunction.get_configuration", ("self", "on_create")),
    ("moto.awslambda.models", "LambdaFunction.invoke", ("self", "body", "request_headers", "response_headers")),
    ("moto.awslambda.models", "LambdaFunction._set_function_code", ("self", "updated_spec")),
    ("moto.awslambda.models", "LambdaFunction.update_configuration", ("self", "config_updates")),
    ("moto.awslambda.models", "LambdaStorage.publish_version", ("self", "name_or_arn")),
    ("moto.awslambda.models", "LambdaBackend.send_sqs_batch", ("self", "function_arn", "messages", "queue_arn")),
    ("moto.awslambda.models", "LambdaBackend.send_kinesis_message", ("self",)),
    ("moto.awslambda.models", "LambdaBackend.send_dynamodb_items", ("self",)),
    ("moto.awslambda.models", "LambdaBackend.send_sns_message", ("self",)),
    ("moto.s3.notifications", "_invoke_awslambda", ("account_id", "event_body", "fn_arn", "region_name")),
    ("moto.iam.models", "IAMBackend._init_aws_policies", ("self",)),
    ("moto.moto_api._internal", "mock_random.seed", ()),
    ("moto.sqs.models", "Message.visible", ()),
    ("moto.sqs.models", "Message.delayed", ()),
    ("moto.sqs.models", "Queue.add_message", ("self", "message")),
    ("moto.sqs.models", "Queue.messages", ()),
    ("moto.sqs.models", "Queue.approximate_number_of_messages", ()),
    ("moto.sqs.models", "Queue.approximate_number_of_messages_not_visible", ()),
    ("moto.sqs.models", "Queue.approximate_number_of_messages_delayed", ()),
    ("moto.sqs.models", "camelcase_to_underscores", ("argument",)),
    ("moto.sns.models", "Subscription.publish", ("self", "message", "message_id", "subject", "message_attributes")),
    ("moto.s3.models", "FakeBucket.set_notification_configuration", ("self", "notification_config")),
    ("moto.events.models", "Rule.send_to_targets", ("self", "original_event")),
    ("moto.events.models", "EventsBackend.put_rule", ("self", "name")),
    ("moto.dynamodb.models.table", "Table.set_stream_specification", ("self", "streams")),
    (
        "moto.kinesis.models",
        "KinesisBackend.get_shard_iterator",
        ("self", "stream_arn", "stream_name", "shard_id", "shard_iterator_type", "starting_sequence_number"),
    ),
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

#: SQS numbers FIFO messages with "large, non-consecutive" 128-bit numbers that grow in send order
#: (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html);
#: the lab's are 20 digits, 2**16 apart, from one counter for every queue of the process
_fifo_numbers = itertools.count(1)


def _next_fifo_sequence_number() -> str:
    return str(18_000_000_000_000_000_000 + next(_fifo_numbers) * 65_536)


def install() -> None:
    """Patch moto once per process (idempotent)."""
    global _installed
    self_test()
    moto_clock.install()
    moto_clock.self_test()  # moto reads the lab's clock, the process its own
    if _installed:
        return
    from moto.awslambda import models as lm
    from moto.iam import models as im
    from moto.s3 import notifications as s3n

    def patch(owner: Any, name: str, new: Callable[..., Any]) -> None:
        new.__lambdalab_original__ = getattr(owner, name)  # type: ignore[attr-defined]
        setattr(owner, name, new)

    # 1. Configuration: the fields AWS reports that moto leaves out or gets wrong
    original_config = lm.LambdaFunction.get_configuration

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config = original_config(self, on_create)
        extra = _sinks.get("configuration")
        return extra(moto_lambda.ref(self), config, on_create) if extra else config

    patch(lm.LambdaFunction, "get_configuration", get_configuration)

    # 2. Code and configuration changes: the lab bumps RevisionId, retires environments
    original_set_code = lm.LambdaFunction._set_function_code

    def _set_function_code(self: Any, updated_spec: dict[str, Any]) -> None:
        original_set_code(self, updated_spec)
        hook = _sinks.get("changed")
        if hook:  # moto sets the code while it constructs the function, before its ARN
            hook(moto_lambda.ref(self), "code", None, not hasattr(self, "function_arn"))

    patch(lm.LambdaFunction, "_set_function_code", _set_function_code)

    original_update = lm.LambdaFunction.update_configuration

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        original_update(self, config_updates)
        hook = _sinks.get("changed")
        if hook:
            hook(moto_lambda.ref(self), "configuration", config_updates, False)
        return self.get_configuration()

    patch(lm.LambdaFunction, "update_configuration", update_configuration)

    # 3. Execution: every caller of moto's invoke reaches the lab's runtime
    def invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> Any:
        run = _sinks.get("invoke")
        if run is None:
            raise LabError("no lab is running to execute this function")
        return run(moto_lambda.ref(self), body, request_headers, response_headers)

    patch(lm.LambdaFunction, "invoke", invoke)

    #    and a published version keeps what $LATEST has in the lab's tables
    original_publish_version = lm.LambdaStorage.publish_version

    def publish_version(self: Any, name_or_arn: str, *args: Any, **kwargs: Any) -> Any:
        published = original_publish_version(self, name_or_arn, *args, **kwargs)
        hook = _sinks.get("published")
        if hook and published is not None:
            hook(moto_lambda.ref(published))
        return published

    patch(lm.LambdaStorage, "publish_version", publish_version)

    # 4. moto's own triggers: never fire a function from inside another service's API
    def trigger(kind: str) -> Callable[..., Any]:
        def handler(*args: Any, **kwargs: Any) -> Any:
            sink = _sinks.get("trigger")
            return sink(kind, args, kwargs) if sink else False

        return handler

    for kind in ("send_sqs_batch", "send_kinesis_message", "send_dynamodb_items", "send_sns_message"):
        patch(lm.LambdaBackend, kind, trigger(kind))
    patch(s3n, "_invoke_awslambda", trigger("s3_notification"))

    # 5. SQS: a message is visible again the instant its visibility timeout ends (moto
    #    wants a millisecond more, which breaks exact timelines on a discrete clock)
    from moto.core.utils import unix_time_millis
    from moto.sqs import models as sqm

    sqm.Message.visible = property(lambda self: unix_time_millis() >= self.visible_at)  # type: ignore[method-assign, assignment]
    sqm.Message.delayed = property(lambda self: unix_time_millis() < self.delayed_until)  # type: ignore[method-assign, assignment]

    #    and the lab's SQS pollers hear of every stored message at once (no busy polling)
    original_add_message = sqm.Queue.add_message

    def add_message(self: Any, message: Any) -> None:
        original_add_message(self, message)
        if self.fifo_queue:  # every FIFO message gets its SequenceNumber (moto gives one only with an explicit
            message.sequence_number = _next_fifo_sequence_number()  # dedup id, and not in send order)
        hook = _sinks.get("sqs-message")
        if hook:
            hook(self.queue_arn)

    patch(sqm.Queue, "add_message", add_message)

    #    and read the clock once per scan, not twice per message (every SendMessage counts
    #    the queue through Queue.attributes, which read it twice per stored message)
    def _visible(queue: Any) -> list[Any]:
        now = unix_time_millis()
        return [m for m in queue._messages if now >= m.visible_at and now >= m.delayed_until]

    def _not_visible(queue: Any) -> int:
        now = unix_time_millis()
        return sum(1 for m in queue._messages if now < m.visible_at)

    def _delayed(queue: Any) -> int:
        now = unix_time_millis()
        return sum(1 for m in queue._messages if now < m.delayed_until)

    sqm.Queue.messages = property(_visible)  # type: ignore[method-assign,assignment]
    sqm.Queue.approximate_number_of_messages = property(lambda self: len(_visible(self)))  # type: ignore[method-assign,assignment]
    sqm.Queue.approximate_number_of_messages_not_visible = property(_not_visible)  # type: ignore[method-assign,assignment]
    sqm.Queue.approximate_number_of_messages_delayed = property(_delayed)  # type: ignore[method-assign,assignment]
    sqm.camelcase_to_underscores = cache(sqm.camelcase_to_underscores)  # pure; 60 us a call, 14 calls a message

    # 6. IAM: the AWS managed policies a Lambda learner attaches, and only those
    def _init_aws_policies(self: Any) -> list[Any]:
        data = _managed_policy_data()
        return [im.AWSManagedPolicy.from_data(n, self.account_id, self.region_name, d) for n, d in data.items()]

    patch(im.IAMBackend, "_init_aws_policies", _init_aws_policies)
    _install_push_sources(patch)
    _installed = True


def _install_push_sources(patch: Callable[[Any, str, Callable[..., Any]], None]) -> None:
    """7. Push sources (SNS, S3, EventBridge): the lab's push-source engine delivers to Lambda."""
    from moto.events import models as evm
    from moto.s3 import models as s3m
    from moto.sns import models as snm

    #    SNS: a lambda subscription hands the whole message to the lab (moto's own trigger
    #    passes only the text); the subscription's filter policy is applied first, as moto does
    original_publish = snm.Subscription.publish

    def publish(
        self: Any,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        sink = _sinks.get("sns-lambda")
        if self.protocol != "lambda" or sink is None:
            return original_publish(self, message, message_id, subject, message_attributes, *args, **kwargs)
        if not moto_sns.filter_allows(self, message, message_attributes):
            return None
        if kwargs.get("message_structure") == "json":
            message = moto_sns.message_for(self, message)
        sink(moto_sns.subscription(self), message, message_id, subject, message_attributes)
        return None

    patch(snm.Subscription, "publish", publish)

    #    S3: a Lambda notification needs the function's permission for s3.amazonaws.com (the sink raises)
    original_set_notifications = s3m.FakeBucket.set_notification_configuration

    def set_notification_configuration(self: Any, notification_config: dict[str, Any] | None) -> None:
        previous = self.notification_configuration
        original_set_notifications(self, notification_config)
        check = _sinks.get("s3-notification-config")
        if check is not None and self.notification_configuration is not None:
            try:
                check(moto_s3.bucket(self))
            except Exception:
                self.notification_configuration = previous
                raise

    patch(s3m.FakeBucket, "set_notification_configuration", set_notification_configuration)

    #    EventBridge: moto raises NotImplementedError for Lambda targets; the lab delivers them
    original_send = evm.Rule.send_to_targets

    def send_to_targets(self: Any, original_event: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        sink = _sinks.get("events-lambda")
        lambdas = [t for t in self.targets if ":lambda:" in str(t.get("Arn"))]
        if sink is None or not lambdas:
            return original_send(self, original_event, *args, **kwargs)  # type: ignore[arg-type]
        if self.event_pattern.matches_event(original_event):
            for target in lambdas:
                sink(moto_events.rule(self), dict(target), original_event)
        targets = self.targets
        self.targets = [t for t in targets if t not in lambdas]
        try:
            return original_send(self, original_event, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            self.targets = targets

    patch(evm.Rule, "send_to_targets", send_to_targets)

    #    and hears of every rule put (a schedule starts or changes)
    original_put_rule = evm.EventsBackend.put_rule

    def put_rule(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        rule = original_put_rule(self, name, *args, **kwargs)
        hook = _sinks.get("events-rule")
        if hook is not None:
            hook(moto_events.rule(rule))
        return rule

    patch(evm.EventsBackend, "put_rule", put_rule)

    # 7. DynamoDB Streams: a stream's label is the time it was enabled to the millisecond, as
    #    AWS writes it (``2015-06-27T00:48:05.899``, with-ddb); moto writes isoformat(),
    #    which drops the fraction on a whole second and gives microseconds otherwise
    from moto.dynamodb.models import table as dtm

    original_set_stream = dtm.Table.set_stream_specification

    def set_stream_specification(self: Any, streams: Any) -> None:
        before = self.latest_stream_label
        original_set_stream(self, streams)
        if self.latest_stream_label and self.latest_stream_label != before:
            self.latest_stream_label = stream_label(self.latest_stream_label)

    patch(dtm.Table, "set_stream_specification", set_stream_specification)

    #    Kinesis: Lambda hands out sequence numbers in AWS's 56-digit form (engines/stream_records.py);
    #    a reader who starts AT_ or AFTER_SEQUENCE_NUMBER one of them reaches the record moto numbers so
    from moto.kinesis import models as kim

    original_iterator = kim.KinesisBackend.get_shard_iterator

    def moto_number(number: Any) -> Any:
        if isinstance(number, str) and len(number) == 56 and number.startswith("49") and number.isdigit():
            return str(int(number[-40:]))
        return number

    def get_shard_iterator(self: Any, *args: Any, **kwargs: Any) -> Any:
        if len(args) > 4:  # stream_arn, stream_name, shard_id, shard_iterator_type, starting_sequence_number
            args = (*args[:4], moto_number(args[4]), *args[5:])
        if "starting_sequence_number" in kwargs:
            kwargs["starting_sequence_number"] = moto_number(kwargs["starting_sequence_number"])
        return original_iterator(self, *args, **kwargs)

    patch(kim.KinesisBackend, "get_shard_iterator", get_shard_iterator)


def stream_label(isoformat: str) -> str:
    """A DynamoDB stream label in AWS's form, to the millisecond: ``2025-01-06T09:00:00.000``."""
    from datetime import datetime

    return datetime.fromisoformat(isoformat).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


@cache
def _managed_policy_data() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = json.loads(aws_managed_policies_data)
    return {name: data[name] for name in MANAGED_POLICIES if name in data}


def seed(value: int) -> None:
    """Make moto's generated ids (message ids, UUIDs, receipt handles) repeat."""
    from moto.moto_api._internal import mock_random

    mock_random.seed(value)


def reset() -> None:
    """Forget every resource moto holds (a lab's close)."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
