"""A first Lambda function: greets whoever the event names.

Handler setting: app.handler
"""

import json


def handler(event, context):
    # Whatever a function prints goes to its CloudWatch Logs log stream.
    print("event:", json.dumps(event, sort_keys=True))
    name = event.get("name", "world")
    return {"message": f"Hello, {name}!"}
