"""A function that calls another AWS service: it puts each order it gets on an SQS queue.

Handler setting: app.handler
Environment: QUEUE_URL, the URL of the queue to write to.
Permissions: the execution role needs sqs:SendMessage on that queue.

The client is created once, outside the handler, so warm invocations reuse it.
Inside lambdalab, boto3 finds the lab through the AWS_ENDPOINT_URL variable the
runtime sets; on AWS the same code reaches the real SQS endpoint.
"""

import json
import os

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    sent = sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(event, sort_keys=True))
    print("queued message", sent["MessageId"])
    return {"queued": True, "messageId": sent["MessageId"]}
