"""Events in AWS's exact shapes: one builder per source, used by the lab's engines and
for the sample events in ``data/events`` (the same code path, so they cannot drift).

=============  ======================================  ===========================
source         builder                                 who sends it
=============  ======================================  ===========================
SQS            :func:`lambdalab.events.sqs.record`     the SQS event source mapping
Kinesis        :func:`lambdalab.events.kinesis.record` the Kinesis mapping
DynamoDB       :func:`lambdalab.events.dynamodb.record` the DynamoDB Streams mapping
SNS            :func:`lambdalab.events.sns.record`     an SNS subscription (push)
S3             :func:`lambdalab.events.s3.record`      an S3 event notification (push)
EventBridge    :func:`lambdalab.events.eventbridge.event` a rule's Lambda target (push)
scheduled      :func:`lambdalab.events.eventbridge.scheduled` a rule's schedule
ALB            :func:`lambdalab.events.alb.request`    a load balancer's target group (sync)
API Gateway    :func:`lambdalab.events.apigateway.rest_request` / ``http_request`` (sync)
=============  ======================================  ===========================

``python -m lambdalab.events`` rewrites ``data/events/*.json`` from :func:`samples`,
like ``sam local generate-event``; a test regenerates them in memory and compares.

https://docs.aws.amazon.com/lambda/latest/dg/lambda-services.html
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: where the sample events live in the repository
DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "events"


def _registry() -> dict[str, Callable[[], dict[str, Any]]]:
    from . import alb, apigateway, dynamodb, eventbridge, kinesis, s3, sns, sqs

    return {
        "sqs-receive-message.json": sqs.sample,
        "kinesis-get-records.json": kinesis.sample,
        "dynamodb-update.json": dynamodb.sample,
        "sns-notification.json": sns.sample,
        "s3-put.json": s3.sample_put,
        "s3-delete.json": s3.sample_delete,
        "eventbridge-event.json": eventbridge.sample,
        "eventbridge-scheduled.json": eventbridge.sample_scheduled,
        "alb-request.json": alb.sample,
        "apigateway-rest-request.json": apigateway.sample_rest,
        "apigateway-http-request.json": apigateway.sample_http,
    }


def samples() -> dict[str, dict[str, Any]]:
    """Every sample event, by file name (deterministic: fixed ids and times)."""
    return {name: build() for name, build in _registry().items()}


def render(event: dict[str, Any]) -> str:
    """The text a sample file holds."""
    return json.dumps(event, indent=2) + "\n"


def write_samples(folder: Path = DATA_DIR) -> list[Path]:
    """(Re)write the sample files; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, event in samples().items():
        path = folder / name
        path.write_text(render(event))
        written.append(path)
    return written


def load(name: str) -> dict[str, Any]:
    """A sample event by file name (``"sns-notification.json"``) or stem (``"sns-notification"``)."""
    file = name if name.endswith(".json") else f"{name}.json"
    return dict(json.loads((DATA_DIR / file).read_text()))
