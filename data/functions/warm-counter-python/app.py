"""Counts its own invocations in a module-level variable.

Handler setting: app.handler

Module-level code runs once, when an execution environment starts (the init
phase of a cold start).  While the environment stays warm, Lambda reuses it,
so `count` keeps growing; a fresh environment starts again from zero.
"""

import time

count = 0


def handler(event, context):
    global count
    count += 1
    time.sleep(event.get("sleep", 0))  # seconds; lets the notebook force a timeout
    return {"count": count}
