"""The Invoke API: qualifier routing, payload rules, and the hand-off to the runtime.

moto reads ``qualifier`` in lower case (so always runs ``$LATEST``), answers
``Handled`` for unhandled errors and runs ``Event`` and ``DryRun`` invocations;
the lab answers Invoke itself, the way Lambda does.

Payload limits (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): 6 MB for a
synchronous request, 1 MB for an ``Event`` (raised from 256 KB in 2025).  AWS's pages do not quote the error
texts; for an oversized ``Event`` the lab uses the one users have reported from AWS: ``N byte payload is too
large for the Event invocation type (limit L bytes)`` (github.com/ASFHyP3/hyp3/issues/2241, 2024, with the old
256 KB limit).  An oversized response is refused by the Runtime API (:mod:`lambdalab.runtime.api`).

https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from ..engines import recursion
from ..errors import RESERVED_LIMIT, AwsError, invalid_parameter, throttled, validation
from ..runtime.logs import is_init_start
from ..trace_kinds import INVOKE, INVOKE_REFUSED, LOGS_DROPPED, RECURSION_STOPPED
from . import json_documents, moto_iam
from .gateway import Gateway, Request, Response
from .moto_lambda import VersionRef
from .moto_logs import MotoLogs

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from ..clock import Clock
    from ..ports import DurableCall, EventQueue, Ids, Place, Target
    from ..runtime.types import InvokeResult, LogEvent, ResponseStream, Runtime, RuntimeFailure
    from ..trace import Trace
    from .durable_invoke import DurableInvoke
    from .lambda_policy import PolicyService
    from .recursion_config import RecursionConfigs
    from .targets import TargetResolver

SYNC_LIMIT = 6 * 1024 * 1024  # 6 MB request (RequestResponse); the response limit lives in runtime/api.py
ASYNC_LIMIT = 1024 * 1024  # 1 MB (Event), raised from 256 KB in 2025
LOG_TAIL = 4096
INVOCATION_TYPES = ("Event", "RequestResponse", "DryRun")


class InvokeService:
    """The Invoke API, and the one path every invocation of the lab takes to the runtime."""

    def __init__(
        self,
        place: Place,
        ids: Ids,
        clock: Clock,
        trace: Trace,
        resolver: TargetResolver,
        runner: Runtime,
        policies: PolicyService,
    ) -> None:
        self.place, self.ids, self.clock, self.trace = place, ids, clock, trace
        self.resolver, self.runner, self.policies = resolver, runner, policies
        #: each function's RecursiveLoop (connected by :mod:`lambdalab.wiring`; None: no loop detection)
        self.recursion: RecursionConfigs | None = None
        #: Lambda's asynchronous queue for InvocationType=Event (connected by :mod:`lambdalab.wiring`)
        self.event_queue: EventQueue | None = None
        #: durable functions: an Invoke starts a durable execution (connected by :mod:`lambdalab.wiring`)
        self.durable: DurableInvoke | None = None

    def register(self, gw: Gateway) -> None:
        gw.route("lambda", "Invoke", self.invoke)
        # refused before the body is read, as AWS does: a 500 MiB payload is never held
        gw.size_check(
            "lambda", "Invoke", lambda headers, size: payload_too_large(headers.get("x-amz-invocation-type", ""), size)
        )

    def resolve(self, function_name: str, qualifier: str | None = None) -> Target:
        """Find the version a name, partial ARN or ARN (and Qualifier) refers to."""
        return self.resolver.resolve(function_name, qualifier)

    # -- the API ------------------------------------------------------------------
    def invoke(self, req: Request, gw: Gateway) -> Response:
        kind = req.headers.get("x-amz-invocation-type", "RequestResponse")
        if kind not in INVOCATION_TYPES:
            raise validation(
                kind, "invocationType", f"Member must satisfy enum value set: [{', '.join(INVOCATION_TYPES)}]"
            )
        target, payload = self.checked(req, kind)
        if kind == "DryRun":
            return Response(204, b"")
        durable = self.durable.invoke(target, payload, kind, req) if self.durable is not None else None
        if durable is not None:
            return durable
        chain = recursion.from_request(req.headers.get("x-amzn-trace-id"))  # sent by a caller inside a function
        if kind == "Event":
            if self.event_queue is None:
                raise AwsError("ServiceException", "Asynchronous invocation is not available in this lab.", 500)
            request_id = self.ids.new_id()
            self.event_queue.submit(target, payload, request_id, trace_header=chain)
            return Response(202, b"", {"x-amzn-RequestId": request_id})
        client_context = decode_client_context(req.headers.get("x-amz-client-context"))
        result = self.run(target, payload, client_context=client_context, source="Invoke", trace_header=chain)
        headers = {
            "Content-Type": "application/json",
            "X-Amz-Executed-Version": result.executed_version,
            "x-amzn-RequestId": result.request_id,
        }
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        if req.headers.get("x-amz-log-type") == "Tail":
            headers["X-Amz-Log-Result"] = base64.b64encode(result.log.encode()[-LOG_TAIL:]).decode()
        return Response(200, result.payload, headers)

    def checked(self, req: Request, kind: str) -> tuple[Target, bytes]:
        """What every invoke request is checked for: the caller's account, the function, the payload."""
        self.policies.check_cross_account(req)  # another account needs a resource-policy statement
        target = self.resolve(req.params["FunctionName"], req.q("Qualifier"))
        if self.durable is not None:
            self.durable.check_qualified(target)  # a durable function only through a version, an alias or $LATEST
        too_large = payload_too_large(kind, len(req.body))
        if too_large is not None:
            raise too_large
        payload = req.body or b"{}"
        check_json(payload)
        return target, payload

    def run(
        self,
        target: Target,
        payload: bytes,
        *,
        client_context: str | None = None,
        source: str,
        request_id: str | None = None,
        stream: ResponseStream | None = None,
        trace_header: str | None = None,
    ) -> InvokeResult:
        """Execute one invocation in the runtime; log it to CloudWatch Logs and the trace.

        ``stream`` receives a streamed answer as the function writes it (only passed on when given).
        ``trace_header`` is the event's (an SQS message's AWSTraceHeader, the header of the request
        that invoked, published or wrote it): the invocation continues its chain, and Lambda stops it
        when the chain loops (:mod:`lambdalab.engines.recursion`).
        """
        from ..runtime.types import RuntimeFailure

        request_id = request_id or self.ids.new_id()
        if self.durable is not None:  # a push, a function URL: the invocation fails, handled as its source does
            self.durable.check_qualified(target)
            if stream is not None:  # InvokeWithResponseStream, a RESPONSE_STREAM URL: refused
                self.durable.check_streamable(target)
            elif source == "FunctionUrl":  # a BUFFERED URL is a synchronous Invoke: the execution, waited for
                answered = self.durable.run_sync(target, payload, request_id, source)
                if answered is not None:
                    return answered
        if source == "async" and self.durable is not None:  # from the async queue (SNS, S3, EventBridge, ...)
            started = self.durable.start_queued(target, payload, request_id)
            if started is not None:
                return started
        extra: dict[str, Any] = {"stream": stream} if stream is not None else {}
        if self.recursion is not None:
            extra["trace_id"] = self._continue_chain(target, request_id, trace_header, source)
        try:
            result: InvokeResult | RuntimeFailure = self.runner.invoke(
                target.spec,
                payload,
                request_id=request_id,
                invoked_function_arn=target.invoked_arn,
                client_context=client_context,
                **extra,
            )
        except RuntimeFailure as err:
            result = err
        return self._ran(target, request_id, result, source)

    def run_many(self, target: Target, payloads: Sequence[bytes], *, source: str) -> Iterator[InvokeResult | AwsError]:
        """:meth:`run` for each payload in turn, handed to the runtime together (``Runtime.invoke_many``).

        The requests of a burst that arrive at one virtual instant: each runs for real, in order, and
        is logged and traced as its own invoke is (as it ends); a refused one is its error.
        """
        from ..runtime.types import Call

        calls: list[Call] = []
        stopped: dict[int, AwsError] = {}
        for i, payload in enumerate(payloads):
            request_id = self.ids.new_id()
            try:
                chain = self._continue_chain(target, request_id, None, source) if self.recursion is not None else None
            except AwsError as err:
                stopped[i] = err
                continue
            calls.append(Call(payload, request_id, target.invoked_arn, trace_id=chain))
        ran = zip(calls, self.runner.invoke_many(target.spec, calls), strict=True)
        for i in range(len(payloads)):
            if i in stopped:
                yield stopped[i]
                continue
            call, result = next(ran)
            try:
                outcome: InvokeResult | AwsError = self._ran(target, call.request_id, result, source)
            except AwsError as err:
                outcome = err
            yield outcome
        next(ran, None)  # the runtime's last step: it gives its environment back

    def _ran(self, target: Target, request_id: str, result: InvokeResult | RuntimeFailure, source: str) -> InvokeResult:
        """Log and trace what the runtime did; a refusal becomes the error Invoke answers."""
        from ..runtime.types import RuntimeFailure

        if isinstance(result, RuntimeFailure):
            self.trace.add(INVOKE_REFUSED, target.spec.function_name, (request_id,), code=result.code, source=source)
            if result.code == "TooManyRequestsException":
                raise throttled(result.reason or RESERVED_LIMIT) from result
            raise AwsError(result.code, result.message, result.status) from result
        self.write_logs(target, result.log_stream_name, result.log_events, (result.request_id,))
        self.trace.add(
            INVOKE,
            target.spec.function_name,
            (request_id,),
            source=source,
            version=result.executed_version,
            error=result.error_type if result.function_error else None,
            cold=result.init_duration_ms is not None,
        )
        return result

    def start_durable(self, target: Target, payload: bytes, *, source: str, request_id: str) -> DurableCall | None:
        """An event source mapping's batch for a durable function: Lambda starts a durable execution with the batch
        as its input and the mapping waits for it (None: the function is not durable, invoke it with :meth:`run`).

        https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking-esm.html
        """
        if self.durable is None:
            return None
        return self.durable.start_for_mapping(target, payload, source, request_id)

    def _continue_chain(self, target: Target, request_id: str, incoming: str | None, source: str) -> str:
        """The invocation's trace header; RecursiveInvocationException when Lambda stops the chain here."""
        assert self.recursion is not None
        name = target.spec.function_name
        digits = request_id.replace("-", "")
        hop = recursion.next_hop(
            incoming,
            target.spec.function_arn,
            root=f"1-{int(self.clock.now.timestamp()):08x}-{digits[:24]}",
            parent=digits[-16:],
            config=self.recursion.config_of(name),
        )
        if hop.stopped:
            self.trace.add(RECURSION_STOPPED, name, (request_id,), count=hop.count, source=source)
            raise AwsError(recursion.STOPPED_CODE, recursion.STOPPED_MESSAGE, 400)
        return hop.header

    def moto_invoke(self, fn: VersionRef, body: Any, request_headers: Any, response_headers: Any) -> str:
        """moto's own ``LambdaFunction.invoke`` path, executed for real."""
        target = self.resolve(fn.function_name, fn.version)
        payload = body.encode() if isinstance(body, str) else (body or b"{}")
        result = self.run(target, payload, source="moto")
        if result.function_error:
            response_headers["x-amz-function-error"] = result.function_error
        return result.payload.decode()

    def write_logs(
        self, target: Target, stream: str, log_events: Sequence[LogEvent], request_ids: tuple[str, ...] = ()
    ) -> None:
        """Lambda writes logs with the execution role's permissions; without them they are lost.

        Each execution environment has its own stream (``stream``, the name the function sees as
        ``context.log_stream_name``), created when the environment starts.  ``request_ids``: the
        invocation the events are of (none for an init run ahead, by provisioned concurrency).
        """
        from . import iam_policy

        if not stream:
            return
        logs = MotoLogs(self.place.account_id, self.place.region)
        group = target.spec.logging.group_of(target.spec.function_name)
        policies = moto_iam.role_policies(self.place.account_id, target.role)
        group_arn = self.place.arn("logs", f"log-group:{group}")
        needed = [("logs:CreateLogStream", f"{group_arn}:*"), ("logs:PutLogEvents", f"{group_arn}:log-stream:{stream}")]
        if not logs.has_group(group):
            needed.insert(0, ("logs:CreateLogGroup", f"{group_arn}:*"))
        denied = [action for action, arn in needed if not iam_policy.is_allowed(policies, action, arn)]
        if denied:
            self.trace.add(LOGS_DROPPED, target.spec.function_name, request_ids, missing=denied)
            return
        events = [{"timestamp": e.timestamp, "message": e.message} for e in log_events]
        first = log_events[0] if log_events else None
        started = first.timestamp if first and is_init_start(first.message) else None
        logs.write(group, stream, events, stream_started_ms=started)


def payload_too_large(kind: str, size: int) -> AwsError | None:
    """The error for a payload over the invocation type's limit, or None."""
    if kind == "Event" and size > ASYNC_LIMIT:
        return AwsError(
            "RequestEntityTooLargeException",
            f"{size} byte payload is too large for the Event invocation type (limit {ASYNC_LIMIT} bytes)",
            413,
        )
    if size > SYNC_LIMIT:
        return AwsError(
            "RequestEntityTooLargeException",
            f"Request must be smaller than {SYNC_LIMIT} bytes for the InvokeFunction operation",
            413,
        )
    return None


def check_json(payload: bytes) -> None:
    """Lambda accepts any JSON document as an event, and nothing else."""
    try:
        json_documents.check(payload)
    except json_documents.DocumentError as err:
        text = payload[:64].decode(errors="replace")
        raise AwsError(
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {err.args[0] if err.args else err}: "
            f'[Source: (byte[])"{text}"]',
            400,
        ) from err


def decode_client_context(header: str | None) -> str | None:
    """ClientContext arrives base64-encoded; the function sees the JSON text."""
    if not header:
        return None
    if len(header) > 3583:
        raise invalid_parameter("Client context must be less than 3583 bytes after base64 encoding.")
    try:
        text = base64.b64decode(header).decode()
        json.loads(text)
    except ValueError as err:
        raise invalid_parameter("Client context must be a valid Base64-encoded JSON object.") from err
    return text
