"""The kinds of trace record, and what each kind's ``detail`` holds.

Every record the lab writes has one of the kinds below; its value is the string a
notebook prints (``record.kind``).  Each kind has a typed view of its detail
fields, a :class:`~typing.TypedDict` named after it.  Writers use the constant:
``trace.add(ASYNC_ATTEMPT, name, ids, attempt=1, ...)``, and mypy checks the
fields against the kind (the overloads of :meth:`lambdalab.trace.Trace.add`).
Readers use the view: ``record.view(AsyncAttempt)["outcome"]``.

Outcomes are the words of :class:`lambdalab.engines.attempts.Outcome`, as strings.
"""

from __future__ import annotations

from typing import Any, Final, Literal, NotRequired, TypedDict

# -- functions and their configuration ------------------------------------------------

#: CreateFunction succeeded
FUNCTION_CREATED: Final = "function-created"
FunctionCreated = TypedDict("FunctionCreated", {"runtime": str | None})

#: the code or configuration changed (a new RevisionId; warm environments retire)
FUNCTION_UPDATED: Final = "function-updated"
FunctionUpdated = TypedDict("FunctionUpdated", {"what": str})

#: DeleteFunction removed the function, or one version of it
FUNCTION_DELETED: Final = "function-deleted"
FunctionDeleted = TypedDict("FunctionDeleted", {"qualifier": str | None})

#: something AWS accepts but that will fail later (the lab also warns in Python)
WARNING: Final = "warning"
LabWarning = TypedDict("LabWarning", {"message": str})

#: an asynchronous invocation configuration was put, updated or deleted
EVENT_INVOKE_CONFIG: Final = "event-invoke-config"
EventInvokeConfig = TypedDict(
    "EventInvokeConfig", {"qualifier": str | None, "operation": Literal["put", "update", "delete"]}
)

#: AddPermission added a statement (``ids``: its Sid) to the resource-based policy
PERMISSION_ADDED: Final = "permission-added"
PermissionAdded = TypedDict("PermissionAdded", {"qualifier": str | None, "principal": str, "source_arn": str | None})

#: RemovePermission removed a statement (``ids``: its Sid)
PERMISSION_REMOVED: Final = "permission-removed"
PermissionRemoved = TypedDict("PermissionRemoved", {"qualifier": str | None})

#: an event source mapping was created (``ids``: its UUID)
MAPPING_CREATED: Final = "mapping-created"
MappingCreated = TypedDict("MappingCreated", {"source": str, "source_kind": str})

#: an event source mapping was updated, enabled or disabled
MAPPING_UPDATED: Final = "mapping-updated"
MappingUpdated = TypedDict("MappingUpdated", {"enabled": bool})

#: an event source mapping was deleted
MAPPING_DELETED: Final = "mapping-deleted"
MappingDeleted = TypedDict("MappingDeleted", {})

#: moto would have invoked a function inside another service's call; the lab stopped it
MOTO_TRIGGER_SUPPRESSED: Final = "moto-trigger-suppressed"
MotoTriggerSuppressed = TypedDict("MotoTriggerSuppressed", {"source": str})

# -- invocations ------------------------------------------------------------------------

#: the function ran (``ids``: the request id; ``source``: sync, async, sqs, kinesis, dynamodb, sns, s3, ...;
#: ``error``: the errorType of a failed invocation)
INVOKE: Final = "invoke"
Invoke = TypedDict("Invoke", {"source": str, "version": str, "error": str | None, "cold": bool})

#: Lambda refused to run the function (a throttle, ...)
INVOKE_REFUSED: Final = "invoke-refused"
InvokeRefused = TypedDict("InvokeRefused", {"code": str, "source": str})

#: a resource-based policy does not let the caller invoke the function (``caller``: another account
#: calling Invoke; ``source``, ``source_arn``: a service pushing an event)
INVOKE_DENIED: Final = "invoke-denied"
InvokeDenied = TypedDict(
    "InvokeDenied",
    {"reason": str, "caller": NotRequired[str], "source": NotRequired[str], "source_arn": NotRequired[str]},
)

#: the execution role may not write the invocation's logs to CloudWatch Logs (``missing``: the IAM actions)
LOGS_DROPPED: Final = "logs-dropped"
LogsDropped = TypedDict("LogsDropped", {"missing": list[str]})

# -- asynchronous invocation ----------------------------------------------------------------

#: an event entered Lambda's asynchronous queue (``ids``: the request id; ``preview``: its payload's first characters)
ASYNC_QUEUED: Final = "async-queued"
AsyncQueued = TypedDict("AsyncQueued", {"qualifier": str, "size": int, "preview": str})

#: one attempt of a queued event
ASYNC_ATTEMPT: Final = "async-attempt"
AsyncAttempt = TypedDict("AsyncAttempt", {"attempt": int, "outcome": str, "error": str | None, "version": str})

#: the event waits before its next attempt (or until it is too old: reason "expiring")
RETRY_WAIT: Final = "retry-wait"
RetryWait = TypedDict("RetryWait", {"delay": float, "until": float, "reason": str})

#: the event's last attempt: Success, RetriesExhausted or EventAgeExceeded
ASYNC_DONE: Final = "async-done"
AsyncDone = TypedDict("AsyncDone", {"condition": str, "attempts": int})

#: the event's function (or version) no longer exists
ASYNC_DROPPED: Final = "async-dropped"
AsyncDropped = TypedDict("AsyncDropped", {"reason": str})

#: a failed event had no destination and no dead-letter queue: it is gone
ASYNC_DISCARDED: Final = "async-discarded"
AsyncDiscarded = TypedDict("AsyncDiscarded", {"condition": str})

#: an invocation record went to a destination (via OnSuccess, OnFailure or DLQ)
DELIVERY: Final = "delivery"
Delivery = TypedDict("Delivery", {"via": str, "target": str, "condition": str})

#: a destination or dead-letter queue could not take the record
DELIVERY_FAILED: Final = "delivery-failed"
DeliveryFailed = TypedDict("DeliveryFailed", {"via": str, "target": str, "condition": str, "reason": str})

# -- SQS event source mappings (ids: message ids) ----------------------------------------------

#: a poller received messages (``counts``: their ApproximateReceiveCount; ``bodies``: shortened;
#: ``groups``: their MessageGroupId on a FIFO queue)
SQS_RECEIVE: Final = "sqs-receive"
SqsReceive = TypedDict(
    "SqsReceive",
    {"mapping": str, "queue": str, "counts": list[int], "bodies": list[str], "groups": list[str | None] | None},
)

#: messages no filter pattern matched: deleted without an invocation
SQS_FILTERED: Final = "sqs-filtered"
SqsFiltered = TypedDict("SqsFiltered", {"mapping": str})

#: a batch was sent to the function (why: full, window, payload, received)
SQS_BATCH: Final = "sqs-batch"
SqsBatch = TypedDict("SqsBatch", {"mapping": str, "batch": str, "reason": str, "size": int, "bytes": int})

#: a batch settled: which messages failed and why
SQS_BATCH_RESULT: Final = "sqs-batch-result"
SqsBatchResult = TypedDict(
    "SqsBatchResult",
    {
        "mapping": str,
        "batch": str,
        "outcome": str,
        "failed": list[str],
        "reason": str | None,
        "started": float,
        "request_id": str,
    },
)

#: the mapping's batches in flight changed
SQS_CONCURRENCY: Final = "sqs-concurrency"
SqsConcurrency = TypedDict("SqsConcurrency", {"mapping": str, "in_flight": int, "batch": str})

#: Lambda deleted messages from the queue
SQS_DELETED: Final = "sqs-deleted"
SqsDeleted = TypedDict("SqsDeleted", {"mapping": str, "batch": str})

#: a delete found messages already gone (another receive of a duplicate deleted them)
SQS_ALREADY_DELETED: Final = "sqs-already-deleted"
SqsAlreadyDeleted = TypedDict("SqsAlreadyDeleted", {"mapping": str, "batch": str})

#: messages will be visible again when their visibility timeout ends
SQS_RETURNED: Final = "sqs-returned"
SqsReturned = TypedDict("SqsReturned", {"mapping": str, "batch": str | None, "visible_at": float})

#: the queue's redrive policy moved a message to its dead-letter queue
SQS_REDRIVE: Final = "sqs-redrive"
SqsRedrive = TypedDict("SqsRedrive", {"mapping": str, "queue": str, "dlq": str | None, "receive_count": int})

#: the mapping's concurrency limit changed (scaling up, or back to the start)
SQS_SCALE: Final = "sqs-scale"
SqsScale = TypedDict("SqsScale", {"mapping": str, "limit": int})

# -- Kinesis and DynamoDB Streams mappings (ids: the mapping's UUID) ------------------------------

#: one invocation of a lane with a batch of records (``split``: a half of a bisected batch; ``final``:
#: the last invocation of a tumbling window; ``failed_from``: the lowest failed record of a partial answer)
STREAM_BATCH: Final = "stream-batch"
StreamBatch = TypedDict(
    "StreamBatch",
    {
        "shard": str,
        "lane": int,
        "seqs": list[str],
        "keys": list[str],
        "start": float,
        "duration": float,
        "attempt": int,
        "outcome": str,
        "split": bool,
        "final": bool,
        "request_id": str,
        "failed_from": int | None,
    },
)

#: the lane waits before retrying its batch
STREAM_RETRY_WAIT: Final = "stream-retry-wait"
StreamRetryWait = TypedDict(
    "StreamRetryWait", {"shard": str, "lane": int, "delay": float, "until": float, "reason": str, "retry": int}
)

#: a failing batch was split in two halves
STREAM_BISECT: Final = "stream-bisect"
StreamBisect = TypedDict("StreamBisect", {"shard": str, "lane": int, "seqs": list[str], "halves": list[int]})

#: the shard is checkpointed past these records
STREAM_CHECKPOINT: Final = "stream-checkpoint"
StreamCheckpoint = TypedDict("StreamCheckpoint", {"shard": str, "lane": int, "seqs": list[str]})

#: records no filter pattern matched: skipped
STREAM_FILTERED: Final = "stream-filtered"
StreamFiltered = TypedDict("StreamFiltered", {"shard": str, "seqs": list[str]})

#: records given up on: RetryAttemptsExhausted or RecordAgeExceeded
STREAM_DISCARD: Final = "stream-discard"
StreamDiscard = TypedDict(
    "StreamDiscard", {"shard": str, "lane": int, "seqs": list[str], "condition": str, "attempts": int}
)

#: the on-failure record of discarded records went to the destination
STREAM_DELIVERY: Final = "stream-delivery"
StreamDelivery = TypedDict("StreamDelivery", {"target": str, "condition": str, "shard": str, "seqs": list[str]})

#: the on-failure destination could not take the record
STREAM_DELIVERY_FAILED: Final = "stream-delivery-failed"
StreamDeliveryFailed = TypedDict("StreamDeliveryFailed", {"target": str, "condition": str, "reason": str})

#: a tumbling window closed with its final state
STREAM_WINDOW_FINAL: Final = "stream-window-final"
StreamWindowFinal = TypedDict(
    "StreamWindowFinal", {"shard": str, "lane": int, "window": list[float], "state": dict[str, Any]}
)

# -- push sources and schedules -------------------------------------------------------------

#: SNS, S3 or EventBridge invoked the function asynchronously
PUSH: Final = "push"
Push = TypedDict("Push", {"source": str, "source_arn": str, "source_id": str})

#: a push source could not hand its event to Lambda
PUSH_FAILED: Final = "push-failed"
PushFailed = TypedDict("PushFailed", {"source": str, "source_arn": str, "reason": str})

#: S3 refused a notification configuration that names the function
S3_NOTIFICATION_REFUSED: Final = "s3-notification-refused"
S3NotificationRefused = TypedDict("S3NotificationRefused", {"source_arn": str, "reason": str})

#: a schedule rule fired
SCHEDULE: Final = "schedule"
Schedule = TypedDict("Schedule", {"rule": str, "expression": str | None})

#: EventBridge refused a schedule expression
SCHEDULE_REFUSED: Final = "schedule-refused"
ScheduleRefused = TypedDict("ScheduleRefused", {"rule": str, "expression": str})

# -- durable functions (ids: the execution's ARN, or an invocation's request id) -----------------------

#: a durable execution started (``ids``: its ARN; ``how``: RequestResponse, Event, ChainedInvoke, or the
#: event source mapping's source that started it: sqs, kinesis, dynamodb)
DURABLE_STARTED: Final = "durable-started"
DurableStarted = TypedDict("DurableStarted", {"execution": str, "name": str, "how": str})

#: one invocation of a durable execution ended (``ids``: its request id; ``outcome``: SUCCEEDED, FAILED,
#: PENDING, or ERROR when it crashed, timed out or did not answer as the SDK does; ``replayed``: operations it replayed)
DURABLE_INVOCATION: Final = "durable-invocation"
DurableInvocation = TypedDict(
    "DurableInvocation", {"execution": str, "invocation": int, "outcome": str, "error": str | None, "replayed": int}
)

#: the SDK checkpointed an operation update (``type``: STEP, WAIT, CALLBACK, CONTEXT, EXECUTION, ...;
#: ``action``: START, SUCCEED, FAIL, RETRY, CANCEL)
DURABLE_OPERATION: Final = "durable-operation"
DurableOperation = TypedDict(
    "DurableOperation",
    {
        "execution": str,
        "invocation": int,
        "operation": str,
        "type": str,
        "action": str,
        "name": str | None,
        "parent": str | None,
    },
)

#: an invocation was handed operations already finished: the SDK returns their results without running them
DURABLE_REPLAY: Final = "durable-replay"
DurableReplay = TypedDict(
    "DurableReplay", {"execution": str, "invocation": int, "operations": list[str], "names": list[str]}
)

#: an invocation ended PENDING: the execution waits (``waiting_for``: wait, retry, callback, invoke; ``until``: when the
#: clock resumes it, None when only a callback can)
DURABLE_SUSPENDED: Final = "durable-suspended"
DurableSuspended = TypedDict(
    "DurableSuspended", {"execution": str, "invocation": int, "waiting_for": list[str], "until": float | None}
)

#: the execution is invoked again (``reason``: timer, callback, invoke, changed, invocation-retry)
DURABLE_RESUMED: Final = "durable-resumed"
DurableResumed = TypedDict("DurableResumed", {"execution": str, "reason": str})

#: a callback was completed, heartbeated or timed out (``sender``: client, function or clock)
DURABLE_CALLBACK: Final = "durable-callback"
DurableCallback = TypedDict("DurableCallback", {"execution": str, "operation": str, "outcome": str, "sender": str})

#: Lambda refused a durable function's own SDK call (``action``: lambda:CheckpointDurableExecution or
#: lambda:GetDurableExecutionState): its execution ``role`` does not allow it on the execution's ARN
DURABLE_DENIED: Final = "durable-denied"
DurableDenied = TypedDict("DurableDenied", {"execution": str, "action": str, "role": str})

#: a chained invoke (``context.invoke``): Lambda ran its ``target`` for the execution's CHAINED_INVOKE
#: ``operation`` (``outcome`` STARTED), then recorded the target's answer (SUCCEEDED, FAILED, TIMED_OUT,
#: STOPPED); ``target_execution``: the target's own durable execution, None for a plain function (whose one
#: invocation is ``request_id``)
DURABLE_CHAINED_INVOKE: Final = "durable-chained-invoke"
DurableChainedInvoke = TypedDict(
    "DurableChainedInvoke",
    {
        "execution": str,
        "operation": str,
        "name": str | None,
        "target": str,
        "target_execution": str | None,
        "request_id": str | None,
        "outcome": str,
        "error": str | None,
    },
)

#: a durable execution closed (``status``: SUCCEEDED, FAILED, TIMED_OUT, STOPPED)
DURABLE_CLOSED: Final = "durable-closed"
DurableClosed = TypedDict("DurableClosed", {"execution": str, "status": str, "error": str | None, "invocations": int})

#: Lambda stopped an invocation that would run the function a 17th time in one chain of requests
#: (``count``: the invocation it would have been; ``source``: what invoked it: sqs, async for an event
#: from Lambda's queue (SNS, S3, ``Event``; its ``async-attempt`` says ``recursive-loop``), Invoke)
RECURSION_STOPPED: Final = "recursion-stopped"
RecursionStopped = TypedDict("RecursionStopped", {"count": int, "source": str})

# -- scaling ----------------------------------------------------------------------------

#: a provisioned concurrency config changed status (IN_PROGRESS, READY, DELETED; ``allocated`` environments)
PROVISIONED_CONCURRENCY: Final = "provisioned-concurrency"
ProvisionedConcurrency = TypedDict("ProvisionedConcurrency", {"qualifier": str, "status": str, "allocated": int})

#: a synchronous request of a burst on the virtual clock (``lab.burst``): the environment it got
#: (``start``: provisioned, warm, cold or throttled, with the throttle's ``reason``) and the function's
#: concurrency after it (``in_flight``), its virtual ``environments`` and how many are ``provisioned``
FUNCTION_CONCURRENCY: Final = "function-concurrency"
FunctionConcurrency = TypedDict(
    "FunctionConcurrency",
    {
        "start": str,
        "reason": str | None,
        "environment": int | None,
        "in_flight": int,
        "environments": int,
        "provisioned": int,
        "ended": bool,
    },
)

#: every kind and the view of its detail
DETAILS: Final[dict[str, type]] = {
    FUNCTION_CREATED: FunctionCreated,
    FUNCTION_UPDATED: FunctionUpdated,
    FUNCTION_DELETED: FunctionDeleted,
    WARNING: LabWarning,
    EVENT_INVOKE_CONFIG: EventInvokeConfig,
    PERMISSION_ADDED: PermissionAdded,
    PERMISSION_REMOVED: PermissionRemoved,
    MAPPING_CREATED: MappingCreated,
    MAPPING_UPDATED: MappingUpdated,
    MAPPING_DELETED: MappingDeleted,
    MOTO_TRIGGER_SUPPRESSED: MotoTriggerSuppressed,
    INVOKE: Invoke,
    INVOKE_REFUSED: InvokeRefused,
    INVOKE_DENIED: InvokeDenied,
    LOGS_DROPPED: LogsDropped,
    ASYNC_QUEUED: AsyncQueued,
    ASYNC_ATTEMPT: AsyncAttempt,
    RETRY_WAIT: RetryWait,
    ASYNC_DONE: AsyncDone,
    ASYNC_DROPPED: AsyncDropped,
    ASYNC_DISCARDED: AsyncDiscarded,
    DELIVERY: Delivery,
    DELIVERY_FAILED: DeliveryFailed,
    SQS_RECEIVE: SqsReceive,
    SQS_FILTERED: SqsFiltered,
    SQS_BATCH: SqsBatch,
    SQS_BATCH_RESULT: SqsBatchResult,
    SQS_CONCURRENCY: SqsConcurrency,
    SQS_DELETED: SqsDeleted,
    SQS_ALREADY_DELETED: SqsAlreadyDeleted,
    SQS_RETURNED: SqsReturned,
    SQS_REDRIVE: SqsRedrive,
    SQS_SCALE: SqsScale,
    STREAM_BATCH: StreamBatch,
    STREAM_RETRY_WAIT: StreamRetryWait,
    STREAM_BISECT: StreamBisect,
    STREAM_CHECKPOINT: StreamCheckpoint,
    STREAM_FILTERED: StreamFiltered,
    STREAM_DISCARD: StreamDiscard,
    STREAM_DELIVERY: StreamDelivery,
    STREAM_DELIVERY_FAILED: StreamDeliveryFailed,
    STREAM_WINDOW_FINAL: StreamWindowFinal,
    PUSH: Push,
    PUSH_FAILED: PushFailed,
    S3_NOTIFICATION_REFUSED: S3NotificationRefused,
    SCHEDULE: Schedule,
    SCHEDULE_REFUSED: ScheduleRefused,
    DURABLE_STARTED: DurableStarted,
    DURABLE_INVOCATION: DurableInvocation,
    DURABLE_OPERATION: DurableOperation,
    DURABLE_REPLAY: DurableReplay,
    DURABLE_SUSPENDED: DurableSuspended,
    DURABLE_RESUMED: DurableResumed,
    DURABLE_CALLBACK: DurableCallback,
    DURABLE_DENIED: DurableDenied,
    DURABLE_CHAINED_INVOKE: DurableChainedInvoke,
    DURABLE_CLOSED: DurableClosed,
    PROVISIONED_CONCURRENCY: ProvisionedConcurrency,
    RECURSION_STOPPED: RecursionStopped,
    FUNCTION_CONCURRENCY: FunctionConcurrency,
}
