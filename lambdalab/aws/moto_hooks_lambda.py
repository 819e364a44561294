"""moto's Lambda, where the lab takes over: the configuration AWS reports, code and configuration changes,
execution, published versions, and moto's own triggers switched off.

moto fires functions from inside other services' APIs (``send_message``, ``put_record``, ``publish``...);
in AWS the Lambda service polls and pushes on its own, so every such trigger goes to the lab's ``trigger``
sink instead (https://docs.aws.amazon.com/lambda/latest/dg/lambda-services.html).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import LabError
from . import moto_lambda

#: the hook points (module, attribute path, parameters the hooks rely on); ``moto_hooks.self_test`` checks them
POINTS: list[tuple[str, str, tuple[str, ...]]] = [
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
]


def install(patch: Callable[[Any, str, Callable[..., Any]], None], sinks: dict[str, Callable[..., Any]]) -> None:
    """Patch moto's Lambda; each hook reads its sink from ``sinks`` when it runs."""
    from moto.awslambda import models as lm
    from moto.s3 import notifications as s3n

    # Configuration: the fields AWS reports that moto leaves out or gets wrong
    original_config = lm.LambdaFunction.get_configuration

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config = original_config(self, on_create)
        extra = sinks.get("configuration")
        return extra(moto_lambda.ref(self), config, on_create) if extra else config

    patch(lm.LambdaFunction, "get_configuration", get_configuration)

    # Code and configuration changes: the lab bumps RevisionId, retires environments
    original_set_code = lm.LambdaFunction._set_function_code

    def _set_function_code(self: Any, updated_spec: dict[str, Any]) -> None:
        original_set_code(self, updated_spec)
        hook = sinks.get("changed")
        if hook:  # moto sets the code while it constructs the function, before its ARN
            hook(moto_lambda.ref(self), "code", None, not hasattr(self, "function_arn"))

    patch(lm.LambdaFunction, "_set_function_code", _set_function_code)

    original_update = lm.LambdaFunction.update_configuration

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        original_update(self, config_updates)
        hook = sinks.get("changed")
        if hook:
            hook(moto_lambda.ref(self), "configuration", config_updates, False)
        return self.get_configuration()

    patch(lm.LambdaFunction, "update_configuration", update_configuration)

    # Execution: every caller of moto's invoke reaches the lab's runtime
    def invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> Any:
        run = sinks.get("invoke")
        if run is None:
            raise LabError("no lab is running to execute this function")
        return run(moto_lambda.ref(self), body, request_headers, response_headers)

    patch(lm.LambdaFunction, "invoke", invoke)

    #    and a published version keeps what $LATEST has in the lab's tables
    original_publish_version = lm.LambdaStorage.publish_version

    def publish_version(self: Any, name_or_arn: str, *args: Any, **kwargs: Any) -> Any:
        published = original_publish_version(self, name_or_arn, *args, **kwargs)
        hook = sinks.get("published")
        if hook and published is not None:
            hook(moto_lambda.ref(published))
        return published

    patch(lm.LambdaStorage, "publish_version", publish_version)

    # moto's own triggers: never fire a function from inside another service's API
    def trigger(kind: str) -> Callable[..., Any]:
        def handler(*args: Any, **kwargs: Any) -> Any:
            sink = sinks.get("trigger")
            return sink(kind, args, kwargs) if sink else False

        return handler

    for kind in ("send_sqs_batch", "send_kinesis_message", "send_dynamodb_items", "send_sns_message"):
        patch(lm.LambdaBackend, kind, trigger(kind))
    patch(s3n, "_invoke_awslambda", trigger("s3_notification"))
