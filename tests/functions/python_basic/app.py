"""Test fixture: Python handlers for lambdalab's runtime tests."""

import json
import os
import time
import uuid

print("init: module loaded")
COUNT = 0
ENVIRONMENT = uuid.uuid4().hex  # one per execution environment (pids repeat across sandboxes)


def handler(event, context):
    global COUNT
    COUNT += 1
    print(f"handling {event!r}")
    return {
        "event": event,
        "count": COUNT,
        "pid": os.getpid(),
        "environment": ENVIRONMENT,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }


def boom(event, context):
    raise ValueError(f"boom: {event.get('why')}")


def crash(event, context):
    print("about to exit")
    os._exit(1)


def sleepy(event, context):
    print("sleeping", event["seconds"])
    time.sleep(event["seconds"])
    return {"slept": event["seconds"], "pid": os.getpid(), "environment": ENVIRONMENT, "id": event.get("id")}


def hog(event, context):
    blob = b"x" * (event["mb"] << 20)  # touches every page
    time.sleep(2)
    return len(blob)


def unserialisable(event, context):
    return {"when": object()}


def environ(event, context):
    return dict(os.environ)


def client_context(event, context):
    cc = context.client_context
    return {"custom": cc.custom, "env": cc.env, "installation_id": cc.client.installation_id if cc.client else None}


def log_json(event, context):
    print(json.dumps(event))
    return "ok"
