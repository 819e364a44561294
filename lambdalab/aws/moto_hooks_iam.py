"""moto's IAM with the AWS managed policies a Lambda learner attaches, and only those (loading every managed
policy costs seconds at start).

AWS managed policies for Lambda: https://docs.aws.amazon.com/lambda/latest/dg/security-iam-awsmanpol.html
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

#: the hook points (module, attribute path, parameters the hooks rely on); ``moto_hooks.self_test`` checks them
POINTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("moto.iam.models", "IAMBackend._init_aws_policies", ("self",)),
]

#: AWS managed policies a Lambda learner meets; the lab loads only these
#: (loading all of them costs seconds at start).
MANAGED_POLICIES = (
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaExecute",
    "AWSLambdaRole",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaKinesisExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
    "AWSLambdaBasicDurableExecutionRolePolicy",
    "AWSLambda_FullAccess",
    "AWSLambda_ReadOnlyAccess",
    "AmazonSQSFullAccess",
    "AmazonSNSFullAccess",
    "AmazonS3FullAccess",
    "AmazonS3ReadOnlyAccess",
    "AmazonDynamoDBFullAccess",
    "AmazonKinesisFullAccess",
    "AmazonEventBridgeFullAccess",
    "CloudWatchLogsFullAccess",
)


def install(patch: Callable[[Any, str, Callable[..., Any]], None]) -> None:
    """Patch moto's IAM to load :data:`MANAGED_POLICIES` only."""
    from moto.iam import models as im

    def _init_aws_policies(self: Any) -> list[Any]:
        # The policies' ids come from a generator of their own: the learner's ids (roles, policies,
        # subscriptions) then do not move when this list grows.
        from moto.moto_api._internal import mock_random

        data = _managed_policy_data()
        state = mock_random.getstate()
        mock_random.seed("aws-managed-policies")
        try:
            return [im.AWSManagedPolicy.from_data(n, self.account_id, self.region_name, d) for n, d in data.items()]
        finally:
            mock_random.setstate(state)

    patch(im.IAMBackend, "_init_aws_policies", _init_aws_policies)


@cache
def _managed_policy_data() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = json.loads(aws_managed_policies_data)
    return {name: data[name] for name in MANAGED_POLICIES if name in data}
