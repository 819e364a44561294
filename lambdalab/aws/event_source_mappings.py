"""The event source mapping API: create, get, list, update, delete.

A mapping is a Lambda resource that polls a queue or stream and invokes a
function with batches.  This module owns the resource (its settings, its state
machine, AWS's validation and the execution-role check); the polling itself is
done by a *source engine* per kind of source, registered by :mod:`lambdalab.wiring`.
Each engine declares itself (:class:`SourceEngine`): which ARNs it accepts, how
AWS's messages name its family, the state reasons and error texts of its
mappings.  This module asks the registered engines and knows no kind by name;
a new source is one engine module plus one registration line in the wiring.

moto fires functions inside ``send_message``/``put_record`` for its own mappings;
the lab never creates moto mappings, so those triggers never fire.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html
https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
https://docs.aws.amazon.com/lambda/latest/dg/durable-invoking-esm.html
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import AwsError, invalid_parameter, validation
from ..trace_kinds import MAPPING_CREATED, MAPPING_DELETED, MAPPING_UPDATED
from . import durable_config, iam_policy, moto_iam
from .gateway import Gateway, Request, Response
from .pagination import page

if TYPE_CHECKING:
    from ..clock import Clock
    from ..ports import Ids, Place
    from ..trace import Trace
    from .targets import TargetResolver

#: seconds of virtual time a state change (Creating, Updating, Disabling...) takes
TRANSITION_SECONDS = 1.0

_STATIC_ONLY = {
    "UUID",
    "State",
    "StateTransitionReason",
    "LastModified",
    "FunctionArn",
    "EventSourceArn",
    "EventSourceMappingArn",
}


class SourceEngine(Protocol):
    """What a source engine tells the mapping service about itself, and what it does."""

    @property
    def source_kind(self) -> str:
        """The mapping's kind, in the trace's ``source_kind`` ("sqs", "kinesis", "dynamodb", ...)."""
        ...

    @property
    def read_actions(self) -> tuple[str, ...]:
        """The actions the execution role must allow on the source."""
        ...

    @property
    def user_reason(self) -> str:
        """StateTransitionReason of a mapping the learner created or changed."""
        ...

    @property
    def unavailable(self) -> str | None:
        """Set by a stand-in for a source the lab cannot run: the error CreateEventSourceMapping answers."""
        ...

    def accepts(self, source_arn: str) -> bool:
        """Whether ``source_arn`` names a source of this kind."""
        ...

    def duplicate_message(self, source_arn: str, function_name: str, uuid: str) -> str:
        """AWS's ResourceConflictException text when the source and function already have a mapping."""
        ...

    def role_message(self, source_arn: str, action: str) -> str:
        """AWS's text when the execution role may not perform ``action`` (``sqs:ReceiveMessage``...)."""
        ...

    def settings(self, source_arn: str, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        """Validate the request's settings and fill the defaults (API shape)."""
        ...

    def check_destination(self, role_arn: str, settings: dict[str, Any]) -> None: ...
    def start(self, mapping: Mapping) -> None: ...
    def stop(self, mapping: Mapping) -> None: ...
    def check_function(self, source_arn: str, function_timeout: int) -> None:
        """Refuse a function the source cannot be mapped to (checked on create and on every update)."""
        ...


@dataclass
class Mapping:
    """One event source mapping, as GetEventSourceMapping describes it."""

    uuid: str
    kind: str
    function_arn: str
    source_arn: str
    arn: str
    state: str = "Creating"
    reason: str = "USER_INITIATED"
    last_modified: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    running: bool = False
    last_result: str | None = None

    @property
    def function_name(self) -> str:
        return self.function_arn.split(":function:")[1].split(":")[0]

    @property
    def qualifier(self) -> str | None:
        rest = self.function_arn.split(":function:")[1].split(":")
        return rest[1] if len(rest) > 1 else None

    def describe(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"UUID": self.uuid}
        doc.update(self.settings)
        doc.update(
            EventSourceArn=self.source_arn,
            FunctionArn=self.function_arn,
            LastModified=self.last_modified,
            State=self.state,
            StateTransitionReason=self.reason,
            EventSourceMappingArn=self.arn,
        )
        if self.last_result is not None:
            doc["LastProcessingResult"] = self.last_result
        return doc


_ARN_PATTERN = "arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)"


class EventSourceMappingService:
    """The mapping resources of the lab, and the API handlers."""

    def __init__(self, place: Place, ids: Ids, clock: Clock, trace: Trace, resolver: TargetResolver) -> None:
        self.place, self.ids, self.clock, self.trace, self.resolver = place, ids, clock, trace, resolver
        self.mappings: dict[str, Mapping] = {}
        self.engines: dict[str, SourceEngine] = {}
        #: which functions are durable (connected by :mod:`lambdalab.wiring`)
        self.durable_configs: durable_config.DurableConfigs | None = None

    def add_engine(self, engine: SourceEngine) -> None:
        """Register a source engine: its mappings are created, polled and stopped through it."""
        self.engines[engine.source_kind] = engine

    def engine_for(self, source_arn: str) -> SourceEngine:
        """The registered engine that accepts ``source_arn`` (AWS's errors when none does)."""
        parts = source_arn.split(":")
        if len(parts) < 6 or not source_arn.startswith("arn:"):
            raise validation(
                source_arn, "eventSourceArn", f"Member must satisfy regular expression pattern: {_ARN_PATTERN}"
            )
        for engine in self.engines.values():
            if engine.accepts(source_arn):
                if engine.unavailable:
                    raise invalid_parameter(engine.unavailable)
                return engine
        raise invalid_parameter("Unsupported event source type")

    def register(self, gw: Gateway) -> None:
        gw.route("lambda", "CreateEventSourceMapping", self.create)
        gw.route("lambda", "GetEventSourceMapping", self.get)
        gw.route("lambda", "ListEventSourceMappings", self.list)
        gw.route("lambda", "UpdateEventSourceMapping", self.update)
        gw.route("lambda", "DeleteEventSourceMapping", self.delete)

    # -- the API ------------------------------------------------------------------
    def create(self, req: Request, gw: Gateway) -> Response:
        body = req.json()
        source_arn = body.get("EventSourceArn", "")
        engine = self.engine_for(source_arn)
        kind = engine.source_kind
        target = self.resolver.resolve(body.get("FunctionName", ""))
        function_arn = target.invoked_arn
        for existing in self.mappings.values():
            if existing.source_arn == source_arn and existing.function_arn == function_arn:
                text = engine.duplicate_message(source_arn, target.spec.function_name, existing.uuid)
                raise AwsError("ResourceConflictException", text, 409)
        settings = engine.settings(source_arn, body, None)
        engine.check_function(source_arn, target.spec.timeout)
        self._check_durable(target.spec.function_name)
        self._check_role(target.role, engine, source_arn)
        engine.check_destination(target.role, settings)  # the role must reach an on-failure destination
        uuid = self.ids.new_id()
        mapping = Mapping(
            uuid=uuid,
            kind=kind,
            function_arn=function_arn,
            source_arn=source_arn,
            arn=self.place.arn("lambda", f"event-source-mapping:{uuid}"),
            last_modified=self._now(),
            settings=settings,
            enabled=body.get("Enabled", True) is not False,
            reason=engine.user_reason,
        )
        self.mappings[uuid] = mapping
        self.trace.add(MAPPING_CREATED, mapping.function_name, (uuid,), source=source_arn, source_kind=kind)
        self._transition(mapping, "Creating", "Enabled" if mapping.enabled else "Disabled")
        return Response.json(202, mapping.describe())

    def get(self, req: Request, gw: Gateway) -> Response:
        return Response.json(200, self._find(req.params["UUID"]).describe())

    def list(self, req: Request, gw: Gateway) -> Response:
        found = list(self.mappings.values())
        source = req.q("EventSourceArn")
        if source:
            found = [m for m in found if m.source_arn == source]
        fn = req.q("FunctionName")
        if fn:
            target = self.resolver.resolve(fn)
            found = [m for m in found if m.function_name == target.spec.function_name]
        chunk, nxt = page(req, found, default=100, maximum=10000)
        out: dict[str, Any] = {"EventSourceMappings": [m.describe() for m in chunk]}
        if nxt:
            out["NextMarker"] = nxt
        return Response.json(200, out)

    def update(self, req: Request, gw: Gateway) -> Response:
        mapping = self._find(req.params["UUID"])
        if mapping.state not in ("Enabled", "Disabled"):
            raise AwsError(
                "ResourceInUseException",
                f"Cannot update the event source mapping because it is in use. The mapping is {mapping.state}.",
                400,
            )
        body = req.json()
        engine = self.engines[mapping.kind]
        target = self.resolver.resolve(body.get("FunctionName") or mapping.function_arn)
        settings = engine.settings(mapping.source_arn, body, mapping.settings)
        engine.check_function(mapping.source_arn, target.spec.timeout)  # re-checked on every update
        self._check_durable(target.spec.function_name)
        if "FunctionName" in body:
            self._check_role(target.role, engine, mapping.source_arn)
        engine.check_destination(target.role, settings)
        mapping.function_arn = target.invoked_arn
        mapping.settings = settings
        mapping.last_modified = self._now()
        was = mapping.enabled
        if "Enabled" in body:
            mapping.enabled = bool(body["Enabled"])
        if was and not mapping.enabled:
            self._transition(mapping, "Disabling", "Disabled")
        elif not was and mapping.enabled:
            self._transition(mapping, "Enabling", "Enabled")
        else:
            self._transition(mapping, "Updating", "Enabled" if mapping.enabled else "Disabled")
        self.trace.add(MAPPING_UPDATED, mapping.function_name, (mapping.uuid,), enabled=mapping.enabled)
        return Response.json(202, mapping.describe())

    def delete(self, req: Request, gw: Gateway) -> Response:
        mapping = self._find(req.params["UUID"])
        if mapping.state == "Deleting":
            raise AwsError(
                "ResourceInUseException", "Cannot delete the event source mapping because it is in use.", 400
            )
        self._transition(mapping, "Deleting", None)
        self.trace.add(MAPPING_DELETED, mapping.function_name, (mapping.uuid,))
        return Response.json(202, mapping.describe())

    # -- state machine ------------------------------------------------------------
    def _transition(self, mapping: Mapping, during: str, after: str | None) -> None:
        """AWS moves a mapping through a transient state; here it takes one virtual second."""
        mapping.state = during
        engine = self.engines[mapping.kind]
        if mapping.running and after != "Enabled":
            engine.stop(mapping)  # a mapping that is being disabled or deleted stops polling at once
            mapping.running = False

        def settle() -> None:
            if mapping.state != during:
                return  # superseded by a later change
            if after is None:
                self.mappings.pop(mapping.uuid, None)
                return
            mapping.state = after
            if after == "Enabled" and not mapping.running:
                mapping.running = True
                engine.start(mapping)
            elif after == "Enabled" and mapping.running:
                engine.stop(mapping)
                engine.start(mapping)

        self.clock.call_later(TRANSITION_SECONDS, settle)

    # -- helpers ------------------------------------------------------------------
    def _find(self, uuid: str) -> Mapping:
        mapping = self.mappings.get(uuid)
        if mapping is None:
            raise AwsError("ResourceNotFoundException", "The resource you requested does not exist.", 404)
        return mapping

    def _now(self) -> float:
        return round(self.clock.now.timestamp(), 3)

    def _check_durable(self, function_name: str) -> None:
        """A durable function's executions must fit in the 15 minutes a mapping waits for each one."""
        if self.durable_configs is not None:
            problem = durable_config.mapping_problem(function_name, self.durable_configs.get(function_name))
            if problem is not None:
                raise invalid_parameter(problem)

    def _check_role(self, role_arn: str, engine: SourceEngine, source_arn: str) -> None:
        """Lambda reads the source with the function's execution role: it must allow the read actions."""
        policies = moto_iam.role_policies(self.place.account_id, role_arn)
        missing = iam_policy.missing_actions(policies, engine.read_actions, source_arn)
        if not missing:
            return
        raise invalid_parameter(engine.role_message(source_arn, missing[0]))
