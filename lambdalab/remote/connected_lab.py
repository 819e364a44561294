"""``lambdalab.Lab.connect(...)``: the lab's public surface against a ``lambdalab server`` or AWS.

- **A server** (``endpoint_url="http://127.0.0.1:PORT"``): its keys come from the file only its
  user can read (:mod:`.server_file`); its clock runs at its ``--speed``.
- **AWS** (``endpoint_url=None``): boto3's credential chain (``profile=``, environment, SSO...).
  Before anything is created the kit prints the account id and region and goes on only with
  ``confirm="<that account id>"``: a flag in code, so an unattended notebook never reaches a real
  account by accident, and a different account than the one confirmed is refused.

Time cannot be moved there: :meth:`ConnectedLab.advance` waits in real time (divided by the
server's speed) with a progress bar; :meth:`ConnectedLab.run_until_idle` waits until what the
kit can observe has settled (the run's SQS event sources drained, each asynchronous event it
sent succeeded or used its retries, as the logs show) up to a limit it states.  Names carry the
run's prefix and tag (:mod:`.naming`); :meth:`ConnectedLab.close` deletes exactly those
(:mod:`.cleanup`) and prints a rough bill (:mod:`.cost`).

https://boto3.amazonaws.com/v1/documentation/api/latest/guide/credentials.html
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from ..errors import LabError, LocalOnlyError
from . import server_file
from .cleanup import Cleanup, CleanupReport
from .cost import CostEstimate, estimate
from .log_trace import LogTrace
from .naming import RunNames
from .waiting import WallClock, wait

#: how long run_until_idle waits at most, by default, in the endpoint's seconds
DEFAULT_IDLE_LIMIT = {"server": 3600.0, "aws": 600.0}
#: how long a read waits for a synchronous run's logs: a lambdalab server writes them before Invoke
#: answers (the second is for a loaded machine); AWS shows them seconds later (LogTrace's default)
SERVER_LOG_LAG = 1.0
#: Lambda's default number of retries of an asynchronous event
DEFAULT_RETRIES = 2
_LOCAL_ONLY = {
    "durations": "virtual invocation durations",
    "sqs_scale_up_per_minute": "the SQS scaling rate",
    "pushed_events": "the events pushed to Lambda",
    "runtime": "the local runtime",
    "gateway": "the local gateway",
}


class ConnectedLab:
    """A lab whose AWS is elsewhere: a running ``lambdalab server`` or an AWS account."""

    def __init__(
        self,
        session: Any,
        *,
        where: str,
        endpoint_url: str | None,
        region: str,
        account_id: str,
        clock: WallClock,
        names: RunNames | None = None,
        log_lag: float = 30.0,
        out: TextIO | None = None,
        announce: bool = True,
    ) -> None:
        self.where = where  # "server" or "aws"
        self.endpoint_url = endpoint_url
        """the endpoint (None on AWS: each service's own regional endpoint)"""
        self.region = region
        self.account_id = account_id
        self.clock = clock
        self.names = names or RunNames.new()
        self._session = session
        self._out = out or sys.stdout
        self._closed = False
        self._closers: list[Callable[[], None]] = []
        self._clients: dict[str, Any] = {}
        self._raw_clients: dict[str, Any] = {}
        self.trace = LogTrace(clock, self.names, lambda: self._raw("logs"), log_lag=log_lag)
        self._sqs_calls: list[tuple[bool, int]] = []
        self._event_sources: set[str] = set()  # SQS queue ARNs of the run's mappings
        self.cleanup_report: CleanupReport | None = None
        self.cost: CostEstimate | None = None
        if announce:
            self._say(
                f"Connected to {self._place()}. This run's resources are named {self.names.prefix}...; "
                f"lab.close() deletes them (or, should this kernel stop first, `lambdalab cleanup {self.names.prefix}`)."
            )

    # -- the public surface -------------------------------------------------------------
    def client(self, service: str, *, account: str | None = None, **kwargs: Any) -> Any:
        """A boto3 client whose calls name and tag what they create with this run's prefix."""
        self._check_open()
        if account is not None:
            raise LocalOnlyError("A caller from another account is made by the local lab only (its own keys).")
        if not kwargs and service in self._clients:
            return self._clients[service]
        client = self._make(service, **kwargs)
        self.names.install(client, self._on_call)
        if not kwargs:
            self._clients[service] = client
        return client

    def arn(self, service: str, resource: str) -> str:
        """The ARN of one of this run's resources: ``lab.arn("sqs", "orders")`` names the prefixed queue."""
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{self.names.resource(resource)}"

    def new_id(self) -> str:
        return str(uuid.uuid4())

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass: real time cannot jump, so this waits (``seconds`` / the server's speed)."""
        self._check_open()
        real = self.clock.real_seconds(seconds)
        if real < 1:
            time.sleep(max(0.0, real))
            return
        wait(real, f"advance({seconds:g}): {self._place()} cannot move its clock; waiting", out=self._out)

    def run_until_idle(self, max_seconds: float | None = None) -> float:
        """Wait until the run's queues are drained and its async events settled, or ``max_seconds`` pass.

        Returns the seconds (the endpoint's) that passed.
        """
        self._check_open()
        limit = DEFAULT_IDLE_LIMIT[self.where] if max_seconds is None else max_seconds
        real = self.clock.real_seconds(limit)
        began = self.clock.t
        label = f"run_until_idle: waiting for queues and async events, at most {real:.0f} s real time"
        if not self._idle() and not wait(real, label, done=self._idle, out=self._out):
            self._say(f"Still busy after {real:.0f} s of real time (the limit): some work may still be under way.")
        return self.clock.t - began

    # -- what only the local lab has ----------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name in _LOCAL_ONLY:
            raise LocalOnlyError(f"lab.{name} ({_LOCAL_ONLY[name]}) exists only in the local lab (lambdalab.Lab()).")
        raise AttributeError(name)

    # -- lifecycle --------------------------------------------------------------------------
    def on_close(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    def close(self) -> None:
        """Delete every resource of this run (and only those), say what was removed and what it cost."""
        if self._closed:
            return
        self._closed = True
        while self._closers:
            self._closers.pop()()
        self.trace.refresh(wait=True)
        self.cost = estimate(((r.billed_ms, r.memory_mb) for r in self.trace.reports), self._sqs_calls)
        self.cleanup_report = Cleanup(self._raw, self.names).run()
        self._say(f"Cleanup of {self.names.prefix}* in {self._place()}:\n{self.cleanup_report}\n{self.cost}")

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> ConnectedLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<lambdalab.ConnectedLab {self._place()}, run {self.names.prefix}{' closed' if self._closed else ''}>"

    # -- inside ---------------------------------------------------------------------------------
    def _raw(self, service: str) -> Any:
        """A client without the run's hook (the trace and cleanup read through these; made once each)."""
        if service not in self._raw_clients:
            self._raw_clients[service] = self._make(service)
        return self._raw_clients[service]

    def _make(self, service: str, **kwargs: Any) -> Any:
        return self._session.client(service, endpoint_url=self.endpoint_url, region_name=self.region, **kwargs)

    def _place(self) -> str:
        if self.where == "server":
            return f"the lambdalab server at {self.endpoint_url} ({self.clock.speed:g}x real time)"
        return f"AWS account {self.account_id} in {self.region}"

    def _say(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    def _check_open(self) -> None:
        if self._closed:
            raise LabError(
                "This lab is closed (its resources were deleted). Connect again with lambdalab.Lab.connect()."
            )

    def _on_call(self, service: str, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        if service == "lambda":
            self.trace.api_call(operation, params, parsed)
            source = str(parsed.get("EventSourceArn", ""))
            if operation == "CreateEventSourceMapping" and source.startswith("arn:aws:sqs:"):
                self._event_sources.add(source)
        elif service == "sqs":
            fifo = str(params.get("QueueUrl") or params.get("QueueName") or "").endswith(".fifo")
            entries = params.get("Entries") or [params]
            self._sqs_calls.append((fifo, sum(len(str(e.get("MessageBody", ""))) for e in entries)))

    # -- when is it idle? ----------------------------------------------------------------------
    def _idle(self) -> bool:
        return self._queues_drained() and self._async_settled()

    def _queues_drained(self) -> bool:
        sqs = self._raw("sqs")
        for arn in self._event_sources:
            _, _, _, region, account, name = arn.split(":", 5)
            url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            wanted = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=wanted)["Attributes"]
            if any(int(attrs.get(name, "0")) for name in wanted):
                return False
        return True

    def _async_settled(self) -> bool:
        """Each async event of the run succeeded, or failed as many times as its function allows."""
        pending = {rid for rid, source in self.trace.sources.items() if source == "async"}
        if not pending:
            return True
        attempts: dict[str, list[str | None]] = {}
        functions: dict[str, str] = {}
        for record in self.trace.snapshot():
            if record.kind == "invoke" and record.ids and record.ids[0] in pending:
                attempts.setdefault(record.ids[0], []).append(record.detail.get("error"))
                functions[record.ids[0]] = str(record.function)
        retries: dict[str, int] = {}
        for rid in pending:
            tries = attempts.get(rid)
            if not tries:
                return False
            if tries[-1] is None:
                continue
            function = functions[rid]
            if function not in retries:
                retries[function] = self._retries(function)
            if len(tries) < 1 + retries[function]:
                return False
        return True

    def _retries(self, function: str) -> int:
        lam = self._raw("lambda")
        try:
            config = lam.get_function_event_invoke_config(FunctionName=self.names.name(function))
        except lam.exceptions.ResourceNotFoundException:
            return DEFAULT_RETRIES
        return int(config.get("MaximumRetryAttempts", DEFAULT_RETRIES))


def connect(
    endpoint_url: str | None = None,
    *,
    region: str | None = None,
    profile: str | None = None,
    confirm: str | None = None,
    server_file_path: str | None = None,
    session: Any = None,
    run: str | None = None,
    out: TextIO | None = None,
    announce: bool = True,
) -> ConnectedLab:
    """A :class:`ConnectedLab` on the server at ``endpoint_url``, or on AWS when it is None."""
    from pathlib import Path

    import boto3

    names = RunNames.parse(run) if run else None
    if endpoint_url is not None:
        info = server_file.read(endpoint_url, Path(server_file_path) if server_file_path else None)
        session = session or boto3.Session(
            aws_access_key_id=info.access_key, aws_secret_access_key=info.secret_key, region_name=info.region
        )
        start = datetime.fromisoformat(info.virtual_start)
        clock = WallClock(start, speed=info.speed, origin=info.started)
        return ConnectedLab(
            session, where="server", endpoint_url=info.endpoint_url, region=info.region,
            account_id=info.account_id, clock=clock, names=names, log_lag=SERVER_LOG_LAG, out=out, announce=announce,
        )  # fmt: skip
    session = session or boto3.Session(profile_name=profile, region_name=region)
    region = region or session.region_name
    if not region:
        raise LabError("Name the AWS region: Lab.connect(region='eu-west-1') (or set AWS_DEFAULT_REGION).")
    identity = session.client("sts", region_name=region).get_caller_identity()
    account = str(identity["Account"])
    print(f"AWS account {account}, region {region}, as {identity['Arn']}", file=out or sys.stdout, flush=True)
    if confirm != account:
        raise LabError(
            f"This notebook would create (and later delete) resources in AWS account {account}, region {region}. "
            f"If that is what you want, connect with Lab.connect(region={region!r}, confirm={account!r})."
        )
    clock = WallClock(datetime.now(UTC), speed=1.0)
    return ConnectedLab(
        session, where="aws", endpoint_url=None, region=region, account_id=account, clock=clock, names=names,
        out=out, announce=announce,
    )  # fmt: skip
