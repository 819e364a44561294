"""Which function version a name, partial ARN or ARN (and a ``Qualifier``) refers to.

Every Lambda operation that names a function accepts the same forms: ``my-fn``,
``123456789012:function:my-fn``, the full ARN, each with an optional ``:qualifier``
(a version or an alias); a qualifier in the name must match the ``Qualifier``
parameter when both are given.

https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_RequestSyntax
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import AwsError, invalid_parameter, not_found, validation
from ..ports import Place, Target

if TYPE_CHECKING:
    from collections.abc import Callable

    from .function_table import FunctionTable
    from .moto_lambda import MotoLambda

_ARN = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):)?(?:(?P<account>\d{12}):)?(?:function:)?(?P<name>[a-zA-Z0-9-_]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$"
)


class TargetResolver:
    """Finds function versions: moto stores them, the lab's table adds RevisionId and DeadLetterConfig."""

    def __init__(self, place: Place, store: MotoLambda, table: FunctionTable) -> None:
        self.place, self.store, self.table = place, store, table
        #: the layers of a function version: (unqualified ARN, version) -> ((CodeSha256, zip), ...)
        self.layers: Callable[[str, str], tuple[tuple[str, bytes], ...]] = lambda arn, version: ()

    def resolve(self, function_name: str, qualifier: str | None = None) -> Target:
        """Find the version a name, partial ARN or ARN (and Qualifier) refers to."""
        from ..runtime.types import FunctionSpec

        hit = _ARN.match(function_name)
        if not hit:
            raise validation(
                function_name,
                "functionName",
                "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
            )
        name, derived = hit.group("name"), hit.group("qualifier")
        if derived and qualifier and derived != qualifier:
            raise invalid_parameter(
                "The derived qualifier from the function name does not match the specified qualifier."
            )
        qualifier = qualifier or derived
        unqualified = self.place.arn("lambda", f"function:{name}")
        store, table = self.store, self.table
        try:
            fn = store.get(name, qualifier or "$LATEST")
        except AwsError as err:
            raise not_found(f"Function not found: {unqualified}{':' + qualifier if qualifier else ''}") from err
        latest = store.get(name, "$LATEST")
        version = fn.version
        spec = FunctionSpec(
            function_name=fn.function_name,
            function_arn=unqualified,
            version=version,
            runtime=fn.runtime,
            handler=fn.handler,
            code_zip=fn.code_zip,
            code_sha256=fn.code_sha256,
            timeout=fn.timeout,
            memory_size=fn.memory_size,
            environment=fn.environment,
            revision_id=table.environment_key(fn.function_name, version) or "",
            reserved_concurrency=latest.reserved_concurrency,
            layers=self.layers(unqualified, version),
            logging=table.logging(fn.function_name, version),
        )
        invoked = unqualified + (f":{qualifier}" if qualifier else "")
        return Target(spec, invoked, version, fn.role, table.dead_letter(fn.function_name, version))
