"""Where an asynchronous event goes when Lambda is done with it.

**Destinations** (``DestinationConfig.OnSuccess`` / ``OnFailure`` of the
EventInvokeConfig) receive an *invocation record*: the request, the response and
how it ended.  SQS and SNS get it as the message, a Lambda function as its event
(invoked asynchronously), EventBridge as the ``detail`` of an event with
``source: "lambda"`` whose ``resources`` are the bus and the function version that
ran (as the events users capture from AWS show), S3 (on failure only) as a JSON object under
``aws/lambda/async/<function>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>``.

A **dead-letter queue** (``DeadLetterConfig.TargetArn`` of the function, SQS or
SNS) receives only the original event, with the attributes ``RequestID``,
``ErrorCode`` and ``ErrorMessage``.

Lambda delivers with the function's execution role: without the matching
permission the delivery fails (AWS counts a ``DestinationDeliveryFailures``
metric; the lab writes a ``delivery-failed`` trace record with the reason).

https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..aws import iam_policy, moto_iam
from ..aws.moto_sqs import MotoSqs, SendFailed
from ..timestamps import iso_millis
from .async_policy import DELIVERY_ACTIONS, destination_kind

if TYPE_CHECKING:
    from ..clock import Clock
    from ..ports import Clients, EventQueue, Ids, Invoker, Place

ERROR_MESSAGE_LIMIT = 1024

DETAIL_TYPES = {
    True: "Lambda Function Invocation Result - Success",
    False: "Lambda Function Invocation Result - Failure",
}


def parse_payload(data: bytes | None) -> Any:
    """A payload as JSON if it is JSON (it nearly always is), else as text."""
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return data.decode(errors="replace")


def invocation_record(
    *,
    timestamp: datetime,
    request_id: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    request_payload: bytes,
    status_code: int,
    executed_version: str,
    function_error: str | None = None,
    response_payload: bytes | None = None,
) -> dict[str, Any]:
    """The invocation record Lambda sends to a destination (AWS's field order)."""
    response: dict[str, Any] = {"statusCode": status_code, "executedVersion": executed_version}
    if function_error:
        response["functionError"] = function_error
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": iso_millis(timestamp),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": parse_payload(request_payload),
        "responseContext": response,
    }
    if response_payload is not None:
        record["responsePayload"] = parse_payload(response_payload)
    return record


def s3_key(function_name: str, when: datetime, uuid: str) -> str:
    """Where an on-failure record lands in an S3 bucket destination."""
    return f"aws/lambda/async/{function_name}/{when:%Y/%m/%d}/{when:%Y-%m-%dT%H.%M.%S}-{uuid}"


def dlq_attributes(request_id: str, error_code: int, error_message: str) -> dict[str, dict[str, str]]:
    """The message attributes of a dead-letter message (SQS spelling)."""
    return {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": str(error_code)},
        "ErrorMessage": {
            "DataType": "String",
            "StringValue": error_message.encode()[:ERROR_MESSAGE_LIMIT].decode(errors="ignore") or "-",
        },
    }


class DeliveryFailed(Exception):
    """A record or dead letter could not be delivered (the reason is the message)."""


class Deliverer:
    """Sends records and dead letters with the lab's clients, checking the role first."""

    def __init__(self, place: Place, ids: Ids, clock: Clock, invoker: Invoker, clients: Clients, sqs: MotoSqs) -> None:
        self.place, self.ids, self.clock, self.invoker, self.clients = place, ids, clock, invoker, clients
        self.sqs = sqs
        #: Lambda's asynchronous queue, for a function as destination (connected by :mod:`lambdalab.wiring`)
        self.queue: EventQueue | None = None

    def check_permission(self, role_arn: str, arn: str, kind: str) -> None:
        action = DELIVERY_ACTIONS[kind]
        resource = arn
        if kind == "s3":
            resource = f"{arn}/aws/lambda/async/*"
        policies = moto_iam.role_policies(self.place.account_id, role_arn)
        allowed = iam_policy.is_allowed(policies, action, resource)
        if kind == "s3" and not allowed:  # a policy on arn:aws:s3:::bucket/* allows the object
            allowed = iam_policy.is_allowed(policies, action, f"{arn}/aws/lambda/async/x")
        if not allowed:
            raise DeliveryFailed(
                f"The function's execution role {role_arn} is not authorized to perform {action} on {arn}"
            )

    def send_record(
        self, arn: str, record: dict[str, Any], *, role_arn: str, function_name: str, success: bool
    ) -> None:
        kind = destination_kind(arn)
        if kind is None:
            raise DeliveryFailed(f"{arn} is not a supported destination")
        self.check_permission(role_arn, arn, kind)
        body = json.dumps(record)
        if kind == "lambda":
            from ..errors import AwsError

            try:
                target = self.invoker.resolve(arn)
            except AwsError as err:
                raise DeliveryFailed(f"{err.code}: {err.message}") from err
            if self.queue is None:
                raise DeliveryFailed("Lambda destinations are not available in this lab.")
            self.queue.submit(target, body.encode(), self.ids.new_id())
            return
        if kind == "events":  # resources: the bus and the (qualified) function, as AWS's events list them
            function_arn = str(record.get("requestContext", {}).get("functionArn", ""))
            entry = {
                "Source": "lambda",
                "DetailType": DETAIL_TYPES[success],
                "Detail": body,
                "EventBusName": arn,
                "Resources": [arn, function_arn] if function_arn else [arn],
            }
            self._call("events", "put_events", Entries=[entry])
            return
        if kind == "s3":
            key = s3_key(function_name, self.clock.now, self.ids.new_id())
            self._call(
                "s3",
                "put_object",
                Bucket=arn.split(":")[-1],
                Key=key,
                Body=body.encode(),
                ContentType="application/json",
            )
            return
        self._send_message(kind, arn, body, None)

    def send_dead_letter(self, arn: str, event: bytes, attributes: dict[str, dict[str, str]], *, role_arn: str) -> None:
        kind = destination_kind(arn)
        if kind not in ("sqs", "sns"):
            raise DeliveryFailed(f"{arn} is not an SQS queue or SNS topic")
        self.check_permission(role_arn, arn, kind)
        self._send_message(kind, arn, event.decode(errors="replace"), attributes)

    def _send_message(self, kind: str, arn: str, body: str, attributes: dict[str, dict[str, str]] | None) -> None:
        if kind == "sqs":
            self._sqs_send(arn, body, attributes)
        else:
            kwargs: dict[str, Any] = {"TopicArn": arn, "Message": body}
            if attributes:
                kwargs["MessageAttributes"] = attributes
            self._call("sns", "publish", **kwargs)

    def _sqs_send(self, arn: str, body: str, attributes: dict[str, dict[str, str]] | None) -> None:
        """SendMessage in process (moto's own costs a scan of the queue per message)."""
        try:
            self.sqs.send(arn, body, attributes)
        except SendFailed as err:
            raise DeliveryFailed(str(err)) from err

    def _call(self, service: str, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        try:
            answer = getattr(self.clients.client(service), operation)(**kwargs)
        except ClientError as err:
            error = err.response.get("Error", {})
            raise DeliveryFailed(f"{error.get('Code')}: {error.get('Message')}") from err
        if service == "events" and answer.get("FailedEntryCount"):
            entry = answer["Entries"][0]
            raise DeliveryFailed(f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
        return answer
