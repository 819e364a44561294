"""The composition root: the one place that builds the lab's parts and connects them.

Reading order: the clock and the trace; moto behind the gateway and the
endpoint; the Lambda API services; the engines; then the connections between
them (the asynchronous queue, the source engines of the mapping service, the
busy probes of the clock, moto's hook points).  Every part receives only the
ports it uses (:mod:`lambdalab.ports`), never the lab, and no part looks another
up by name.

A new event source is one engine module (a class that declares itself the way
:class:`~lambdalab.aws.event_source_mappings.SourceEngine` says) plus one
``mappings.add_engine(...)`` line below.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from .aws import moto_clock, moto_hooks
from .aws.auth import Keyring
from .aws.clients import LabClients
from .aws.concurrency import ConcurrencyService, Fleets
from .aws.durable_api import DurableApi
from .aws.durable_invoke import DurableInvoke
from .aws.event_invoke_config import EventInvokeConfigs
from .aws.event_source_mappings import EventSourceMappingService
from .aws.function_table import FunctionTable
from .aws.function_urls import FunctionUrls
from .aws.gateway import Gateway
from .aws.http_apis import HttpApis
from .aws.lambda_functions import FunctionService
from .aws.lambda_invoke import InvokeService
from .aws.lambda_layers import LayerService
from .aws.lambda_policy import PolicyService
from .aws.lambda_streaming import StreamingInvokeService
from .aws.layers import LayerStore
from .aws.moto_lambda import MotoLambda
from .aws.moto_sqs import MotoSqs
from .aws.recursion_config import RecursionConfigs
from .aws.server import Endpoint, moto_app
from .aws.targets import TargetResolver
from .aws.url_listener import UrlListener
from .clock import Clock
from .engines import unavailable_sources
from .engines.async_invoke import AsyncInvokeEngine
from .engines.burst import BurstEngine
from .engines.destinations import Deliverer
from .engines.durable_engine import DurableEngine
from .engines.durations import InFlight, VirtualDurations
from .engines.dynamodb_streams_engine import DynamoDBStreamsEngine
from .engines.kinesis_engine import KinesisEngine
from .engines.push_handoff import PushHandOff
from .engines.push_sources import PushSourcesEngine
from .engines.sqs_engine import SqsEngine
from .trace import Trace
from .trace_kinds import MOTO_TRIGGER_SUPPRESSED

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from .credentials import Credentials
    from .ports import Ids, Place
    from .runtime.types import (
        Call,
        EnvironmentInfo,
        FunctionSpec,
        InitLog,
        InvokeResult,
        ResponseStream,
        Runtime,
        RuntimeFailure,
    )

Closer = Callable[[], None]


@dataclass
class Parts:
    """Everything a lab is made of (the lab exposes each as a typed attribute)."""

    clock: Clock
    trace: Trace
    gateway: Gateway
    endpoint: Endpoint
    clients: LabClients
    runtime: OnDemandRuntime
    functions: FunctionService
    invocations: InvokeService
    policies: PolicyService
    event_invoke_configs: EventInvokeConfigs
    mappings: EventSourceMappingService
    deliverer: Deliverer
    async_invoke: AsyncInvokeEngine
    sqs: SqsEngine
    kinesis: KinesisEngine
    dynamodb_streams: DynamoDBStreamsEngine
    push_sources: PushSourcesEngine
    durations: VirtualDurations
    layers: LayerService
    function_urls: FunctionUrls
    url_listener: UrlListener
    durable: DurableEngine
    concurrency: ConcurrencyService
    burst: BurstEngine


def build(
    place: Place,
    ids: Ids,
    *,
    credentials: Credentials,
    function_credentials: Credentials,
    seed: int,
    clock: Clock,
    runtime: Runtime | None = None,
    on_close: Callable[[Closer], None],
) -> Parts:
    """Start moto and the endpoint, build every service and engine, connect them.

    ``credentials`` sign the lab's own clients, ``function_credentials`` are what
    functions find in their environment; the endpoint accepts both and nothing else.
    ``runtime`` runs function code (by default execution environments as subprocesses,
    started on first use); ``on_close`` receives what must run when the lab closes
    (last registered, first run).
    """
    moto_hooks.install()
    moto_hooks.reset()
    moto_hooks.seed(seed)
    on_close(moto_hooks.reset)

    # -- time: the clock, and moto's "now" following it ------------------------------------
    moto_clock.set_now(lambda: clock.now)  # moto's now only: the learner's own clock stays real
    on_close(partial(moto_clock.set_now, None))
    trace = Trace(lambda: clock.t)

    # -- the endpoint: moto behind the gateway --------------------------------------------
    gateway = Gateway(moto_app(), Keyring([credentials, function_credentials]))
    gateway.request_ids = ids.new_id
    endpoint = Endpoint(gateway)
    on_close(endpoint.stop)
    clients = LabClients(endpoint.url, place, credentials, gateway.keyring)
    on_close(clients.close)
    code_runner = OnDemandRuntime(endpoint.url, place, function_credentials, ids, runtime)
    on_close(code_runner.close)  # closed first: before the endpoint its functions call

    # -- the Lambda API -------------------------------------------------------------------------
    store = MotoLambda(place.account_id, place.region)  # moto's functions, read as values
    table = FunctionTable(lambda name: place.arn("lambda", f"function:{name}"), ids.new_id)  # RevisionId, DLQ
    resolver = TargetResolver(place, store, table)
    policies = PolicyService(place, ids, trace, resolver, table)
    invocations = InvokeService(place, ids, clock, trace, resolver, code_runner, policies)
    functions = FunctionService(
        place, ids, clock, trace, code_runner, policies, store, table, lambda: endpoint.url, credentials
    )
    configs = EventInvokeConfigs(clock, trace, resolver)
    mappings = EventSourceMappingService(place, ids, clock, trace, resolver)
    layer_store = LayerStore()
    layers = LayerService(place, ids, clock, layer_store, lambda: endpoint.url, credentials, policies.org_of)
    for service in (functions, invocations, policies, configs, mappings, layers):
        service.register(gateway)
    functions.layers = layers  # a function's Layers are the lab's, never moto's
    urls = FunctionUrls(place, ids, clock, store, lambda: url_listener.url())
    url_listener = UrlListener(place, ids, clock, trace, urls, invocations, policies, gateway.keyring)
    on_close(url_listener.close)
    urls.register(gateway)
    functions.urls = urls
    StreamingInvokeService(ids, invocations).register(gateway)
    url_listener.http_apis = HttpApis(place, ids, clock, trace, invocations, policies, url_listener.url)
    url_listener.http_apis.register(gateway)
    resolver.layers = lambda arn, version: tuple(
        (v.code_sha256, v.zip_bytes) for v in layer_store.attached(arn, version)
    )

    # -- the engines ----------------------------------------------------------------------------
    durations = VirtualDurations()
    in_flight = InFlight()  # slots held on the virtual clock, per function, by every engine
    sqs_store = MotoSqs(place.account_id)  # the lab's view of SQS's queues, and the messages its pollers hold
    deliverer = Deliverer(place, ids, clock, invocations, clients, sqs_store)
    async_invoke = AsyncInvokeEngine(clock, trace, invocations, configs, deliverer, durations, in_flight)
    sqs = SqsEngine(place, ids, clock, trace, invocations, sqs_store, durations, in_flight)
    kinesis = KinesisEngine(place, ids, clock, trace, invocations, deliverer)
    dynamodb_streams = DynamoDBStreamsEngine(place, ids, clock, trace, invocations, deliverer)
    push_sources = PushSourcesEngine(PushHandOff(place, ids, clock, trace, invocations, policies, async_invoke))
    durable = DurableEngine(ids, clock, trace, invocations, functions.durable_configs.get)  # played on the clock
    durable_api = DurableApi(ids, clock, durable, functions.durable_configs, resolver, function_credentials.access_key)
    durable_api.register(gateway)
    recursion = RecursionConfigs(resolver)  # RecursiveLoop per function; SQS keeps a sender's trace header
    recursion.register(gateway)
    invocations.recursion = recursion
    fleets = Fleets()  # the virtual execution environments of synchronous bursts, per function
    concurrency = ConcurrencyService(clock, trace, resolver, store, fleets, code_runner, invocations.write_logs)
    concurrency.register(gateway)
    functions.concurrency = concurrency
    burst = BurstEngine(clock, trace, invocations, durations, in_flight, fleets.of, concurrency.reservations)

    # -- the connections ------------------------------------------------------------------------
    invocations.event_queue = async_invoke  # InvocationType=Event
    deliverer.queue = async_invoke  # a function as a destination is invoked asynchronously
    durable_invoke = DurableInvoke(ids, clock, durable, functions.durable_configs)
    durable_invoke.deliverer = deliverer  # a failed asynchronous execution's event goes to the function's DLQ
    invocations.durable = durable_invoke  # Invoke of a durable function starts a durable execution
    async_invoke.durable = lambda name: functions.durable_configs.get(name) is not None  # no destinations
    mappings.durable_configs = functions.durable_configs  # a mapping waits 15 minutes at most for an execution
    mappings.add_engine(sqs)
    mappings.add_engine(kinesis)
    mappings.add_engine(dynamodb_streams)
    mappings.add_engine(unavailable_sources.kafka())
    mappings.add_engine(unavailable_sources.amazon_mq())
    clock.add_busy_probe(kinesis.has_unread)
    clock.add_busy_probe(dynamodb_streams.has_unread)

    def moto_trigger(kind: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        if push_sources.moto_trigger(kind, args, kwargs):
            return True
        trace.add(MOTO_TRIGGER_SUPPRESSED, None, source=kind)
        return False

    sinks: dict[str, Callable[..., Any]] = {
        "configuration": functions.configuration,
        "changed": functions.changed,
        "published": functions.published,
        "invoke": invocations.moto_invoke,
        "trigger": moto_trigger,
        "sqs-message": sqs.message_added,
        "sns-lambda": push_sources.sns_published,
        "s3-notification-config": push_sources.s3_configured,
        "events-lambda": push_sources.event_matched,
        "events-rule": push_sources.schedules.rule_put,
    }
    for name, sink in sinks.items():
        moto_hooks.set_sink(name, sink)
        on_close(partial(moto_hooks.set_sink, name, None))

    return Parts(
        clock=clock,
        trace=trace,
        gateway=gateway,
        endpoint=endpoint,
        clients=clients,
        runtime=code_runner,
        functions=functions,
        invocations=invocations,
        policies=policies,
        event_invoke_configs=configs,
        mappings=mappings,
        deliverer=deliverer,
        async_invoke=async_invoke,
        sqs=sqs,
        kinesis=kinesis,
        dynamodb_streams=dynamodb_streams,
        push_sources=push_sources,
        concurrency=concurrency,
        burst=burst,
        durations=durations,
        layers=layers,
        function_urls=urls,
        url_listener=url_listener,
        durable=durable,
    )


class OnDemandRuntime:
    """The lab's runtime, started on first use (most cells never need it); a given one is used as is."""

    def __init__(
        self, endpoint_url: str, place: Place, credentials: Credentials, ids: Ids, runtime: Runtime | None = None
    ) -> None:
        self.endpoint_url, self.place, self.credentials, self.ids = endpoint_url, place, credentials, ids
        self._runtime = runtime
        self._closed = False
        self._lock = threading.Lock()

    def started(self) -> Runtime:
        """The runtime, started now if it was not yet."""
        with self._lock:
            if self._closed:
                from .errors import LabError

                raise LabError("This lab is closed. Start a new one with lambdalab.Lab().")
            if self._runtime is None:
                from .runtime.runtime import SubprocessRuntime

                self._runtime = SubprocessRuntime(
                    endpoint_url=self.endpoint_url,
                    region=self.place.region,
                    account_id=self.place.account_id,
                    credentials=self.credentials,
                    ids=self.ids.new_id,
                )
            return self._runtime

    def invoke(
        self,
        spec: FunctionSpec,
        payload: bytes,
        *,
        request_id: str,
        invoked_function_arn: str,
        client_context: str | None = None,
        stream: ResponseStream | None = None,
        trace_id: str | None = None,
    ) -> InvokeResult:
        return self.started().invoke(
            spec,
            payload,
            request_id=request_id,
            invoked_function_arn=invoked_function_arn,
            client_context=client_context,
            stream=stream,
            trace_id=trace_id,
        )

    def provision(self, spec: FunctionSpec, invoked_function_arn: str, count: int) -> list[InitLog]:
        return self.started().provision(spec, invoked_function_arn, count)

    def deprovision(self, invoked_function_arn: str) -> None:
        runtime = self._runtime
        if runtime is not None:
            runtime.deprovision(invoked_function_arn)

    def invoke_many(self, spec: FunctionSpec, calls: Sequence[Call]) -> Iterator[InvokeResult | RuntimeFailure]:
        return self.started().invoke_many(spec, calls)

    def retire(self, function_name: str, version: str | None = None) -> None:
        """Stop the warm environments of a function (nothing to do before the runtime started)."""
        runtime = self._runtime
        if runtime is not None:
            runtime.retire(function_name, version)

    def environments(self) -> list[EnvironmentInfo]:
        runtime = self._runtime
        return runtime.environments() if runtime is not None else []

    def close(self) -> None:
        with self._lock:
            self._closed = True
            runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.close()
