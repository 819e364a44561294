"""Exercises for ``01-execution-role``: the role Lambda assumes, and its permissions."""

from __future__ import annotations

import json
from typing import Any

from ..aws import iam_policy
from . import _shared
from .core import Attempt, Problem

ROLE = _shared.ROLE_NAME
TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"

#: Every DynamoDB action a policy could grant besides the one asked for (the service authorization reference,
#: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html).
OTHER_DYNAMODB_ACTIONS = (
    "BatchGetItem BatchWriteItem ConditionCheckItem CreateBackup CreateTable DeleteBackup DeleteItem "
    "DeleteResourcePolicy DeleteTable DescribeStream DescribeTable DescribeTimeToLive ExportTableToPointInTime "
    "GetItem GetRecords GetResourcePolicy GetShardIterator ListStreams ListTables PartiQLDelete PartiQLInsert "
    "PartiQLSelect PartiQLUpdate PutResourcePolicy Query RestoreTableFromBackup Scan TagResource "
    "UntagResource UpdateContinuousBackups UpdateItem UpdateTable UpdateTimeToLive"
).split()
#: Resources that are not the table ``orders`` of this account and region, each with what it is.
OTHER_RESOURCES = (
    (TABLE_ARN.replace("us-east-1", "eu-west-1"), "a table named orders in another region"),
    (TABLE_ARN.replace("123456789012", "210987654321"), "a table named orders in another account"),
    (TABLE_ARN.replace("orders", "payroll"), "other tables (payroll)"),
    (TABLE_ARN + "-archive", "tables whose names start with orders (orders-archive)"),
)


def judge_table_policy(docs: list[Any]) -> bool | str:
    """Does this set of policies allow dynamodb:PutItem on the orders table, and nothing else? Evaluated with IAM's
    rules (``iam_policy``), so lists, wildcards, Sids and statement order are judged by what they allow."""
    if not iam_policy.is_allowed(docs, "dynamodb:PutItem", TABLE_ARN):
        return f"The inline policies of lambda-exec do not allow dynamodb:PutItem on {TABLE_ARN}."
    actions = [
        f"dynamodb:{a}" for a in OTHER_DYNAMODB_ACTIONS if iam_policy.is_allowed(docs, f"dynamodb:{a}", TABLE_ARN)
    ]
    places = [what for arn, what in OTHER_RESOURCES if iam_policy.is_allowed(docs, "dynamodb:PutItem", arn)]
    also = []
    if len(actions) == len(OTHER_DYNAMODB_ACTIONS):
        also.append("every other DynamoDB action on orders")
    elif actions:
        more = f" and {len(actions) - 3} more" if len(actions) > 3 else ""
        wildcard = " (a wildcard such as dynamodb:Put* matches more than PutItem)" if _wildcard_actions(docs) else ""
        also.append(f"{', '.join(actions[:3])}{more} on orders{wildcard}")
    if places:
        also.append(f"PutItem on {' and on '.join(places)}")
    if also:
        return (
            f"PutItem on orders is allowed, but so is {'; and '.join(also)}. Allow the one action dynamodb:PutItem "
            f"on the one resource {TABLE_ARN}, with no wildcard for region, account or table."
        )
    return True


def _wildcard_actions(docs: list[Any]) -> bool:
    """Whether some Allow statement names its actions with a wildcard (``dynamodb:Put*``)."""
    for doc in docs:
        statements = iam_policy.parse(doc).get("Statement", [])
        for st in statements if isinstance(statements, list) else [statements]:
            named = st.get("Action", []) if isinstance(st, dict) else []
            if any("*" in a for a in (named if isinstance(named, list) else [named])):
                return True
    return False


def _role(lab: Any, name: str = ROLE) -> dict[str, Any] | None:
    iam = lab.client("iam")
    try:
        return dict(iam.get_role(RoleName=name)["Role"])
    except iam.exceptions.NoSuchEntityException:
        return None


def _create_role(lab: Any, trust: dict[str, Any]) -> None:
    if _role(lab) is None:
        lab.client("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))


class TrustPolicy(Problem):
    """Create the role ``lambda-exec`` with a trust policy that lets Lambda assume it."""

    title = "A role Lambda can assume"
    _hint = (
        '`iam.create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=json.dumps(trust))`. The trust '
        'policy needs one statement: Effect Allow, Principal `{"Service": "lambda.amazonaws.com"}`, '
        "Action `sts:AssumeRole`."
    )
    _solution = (
        "```python\n"
        'trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",\n'
        '          "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}\n'
        'lab.client("iam").create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=json.dumps(trust))\n'
        "```"
    )

    mistakes = (
        Attempt(
            'lab.client("iam").create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))',
            names="ec2.amazonaws.com",
            undo='lab.client("iam").delete_role(RoleName="lambda-exec")',
        ),
        Attempt(
            'lab.client("iam").create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazon.com"}, "Action": "sts:AssumeRole"}]}))',
            names="lambda.amazon.com",
            undo='lab.client("iam").delete_role(RoleName="lambda-exec")',
        ),
        Attempt(
            'lab.client("iam").create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "lambda:InvokeFunction"}]}))',
            names="lambda:InvokeFunction",
            undo='lab.client("iam").delete_role(RoleName="lambda-exec")',
        ),
        Attempt(
            'lab.client("iam").create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))',
            names="Deny",
            undo='lab.client("iam").delete_role(RoleName="lambda-exec")',
        ),
    )
    correct_forms = (
        Attempt(
            'lab.client("iam").create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Sid": "LambdaAssumes", "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]}))',
            undo='lab.client("iam").delete_role(RoleName="lambda-exec")',
        ),
        Attempt(
            'lab.client("iam").create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": ["edgelambda.amazonaws.com", "lambda.amazonaws.com"]}, "Action": "sts:AssumeRole"}]}))',
            undo='lab.client("iam").delete_role(RoleName="lambda-exec")',
        ),
    )

    def _check(self) -> bool | str | None:
        role = _role(self.lab)
        if role is None:
            return None
        if iam_policy.trust_allows(role["AssumeRolePolicyDocument"]):
            return True
        doc = iam_policy.parse(role["AssumeRolePolicyDocument"])
        said = json.dumps(doc.get("Statement"), sort_keys=True)
        return (
            f"The role exists, but its trust policy ({said}) does not let lambda.amazonaws.com call sts:AssumeRole, "
            "so create-function would refuse it. Fix it with iam.update_assume_role_policy(RoleName=..., "
            "PolicyDocument=...)."
        )

    def solve(self) -> None:
        if _role(self.lab) is None:
            _create_role(self.lab, _shared.TRUST_POLICY)
        else:
            self.lab.client("iam").update_assume_role_policy(
                RoleName=ROLE, PolicyDocument=json.dumps(_shared.TRUST_POLICY)
            )

    def attempt_wrong(self) -> bool:
        ec2 = json.loads(json.dumps(_shared.TRUST_POLICY))
        ec2["Statement"][0]["Principal"] = {"Service": "ec2.amazonaws.com"}
        _create_role(self.lab, ec2)
        return True


class BasicExecutionPolicy(Problem):
    """Attach the AWS managed policy AWSLambdaBasicExecutionRole to ``lambda-exec``."""

    title = "Permission to write logs"
    _hint = (
        "AWS managed policies live in the `aws` account: their ARNs start with `arn:aws:iam::aws:policy/`. "
        "Use `iam.attach_role_policy(RoleName=..., PolicyArn=...)`."
    )
    _solution = (
        "```python\n"
        'lab.client("iam").attach_role_policy(\n'
        '    RoleName="lambda-exec",\n'
        '    PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",\n'
        ")\n"
        "```"
    )

    mistakes = (
        Attempt(
            'doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}\nown = iam.create_policy(PolicyName="AWSLambdaBasicExecutionRole", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]\niam.attach_role_policy(RoleName="lambda-exec", PolicyArn=own)',
            names="not the AWS managed policy",
            undo='iam.detach_role_policy(RoleName="lambda-exec", PolicyArn=own)\niam.delete_policy(PolicyArn=own)',
        ),
        Attempt(
            'iam.attach_role_policy(RoleName="lambda-exec", PolicyArn="arn:aws:iam::aws:policy/AWSLambdaExecute")',
            names="AWSLambdaExecute",
            undo='iam.detach_role_policy(RoleName="lambda-exec", PolicyArn="arn:aws:iam::aws:policy/AWSLambdaExecute")',
        ),
        Attempt(
            'iam.attach_role_policy(RoleName="lambda-exec", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaRole")',
            names="AWSLambdaRole",
            undo='iam.detach_role_policy(RoleName="lambda-exec", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaRole")',
        ),
    )
    correct_forms = (
        Attempt(
            'lab.client("iam").attach_role_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", RoleName="lambda-exec")',
            undo='iam.detach_role_policy(RoleName="lambda-exec", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")',
        ),
        Attempt(
            'iam.attach_role_policy(RoleName="lambda-exec", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")\niam.attach_role_policy(RoleName="lambda-exec", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")',
            undo='iam.detach_role_policy(RoleName="lambda-exec", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")\niam.detach_role_policy(RoleName="lambda-exec", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")',
        ),
    )

    def setup(self) -> None:
        _create_role(self.lab, _shared.TRUST_POLICY)

    def _check(self) -> bool | str | None:
        if _role(self.lab) is None:
            return "There is no role named lambda-exec: create it first (exercise 1, or run setup())."
        attached = self.lab.client("iam").list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
        arns = [p["PolicyArn"] for p in attached]
        if _shared.BASIC_POLICY_ARN in arns:
            return True
        if not arns:
            return None
        return (
            f"lambda-exec has {', '.join(sorted(arns))} attached, not the AWS managed policy "
            f"{_shared.BASIC_POLICY_ARN}. A policy in your own account with the same name is a different policy."
        )

    def _congrats(self) -> str:
        return "Functions using lambda-exec may now create log groups and streams and write log events."

    def solve(self) -> None:
        self.setup()
        self.lab.client("iam").attach_role_policy(RoleName=ROLE, PolicyArn=_shared.BASIC_POLICY_ARN)

    def attempt_wrong(self) -> bool:
        iam = self.lab.client("iam")
        doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}
        arn = iam.create_policy(PolicyName="AWSLambdaBasicExecutionRole", PolicyDocument=json.dumps(doc))["Policy"][
            "Arn"
        ]
        iam.attach_role_policy(RoleName=ROLE, PolicyArn=arn)
        return True


class InlineTablePolicy(Problem):
    """Give ``lambda-exec`` an inline policy allowing dynamodb:PutItem on the table ``orders`` only."""

    title = "A least-privilege inline policy"
    _hint = (
        '`iam.put_role_policy(RoleName="lambda-exec", PolicyName=..., PolicyDocument=json.dumps(doc))`. '
        f"Name the action `dynamodb:PutItem` and the resource `{TABLE_ARN}`: no wildcards."
    )
    _solution = (
        "```python\n"
        'doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem",\n'
        f'        "Resource": "{TABLE_ARN}"}}]}}\n'
        'lab.client("iam").put_role_policy(RoleName="lambda-exec", PolicyName="orders-writer",\n'
        "                                   PolicyDocument=json.dumps(doc))\n"
        "```"
    )

    mistakes = (
        Attempt(
            'iam.put_role_policy(RoleName="lambda-exec", PolicyName="orders-writer", PolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:GetItem"], "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}]}))',
            names="dynamodb:GetItem on orders",
            undo='iam.delete_role_policy(RoleName="lambda-exec", PolicyName="orders-writer")',
        ),
        Attempt(
            'iam.put_role_policy(RoleName="lambda-exec", PolicyName="orders-writer", PolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:Put*", "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}]}))',
            names="dynamodb:Put* matches more than PutItem",
            undo='iam.delete_role_policy(RoleName="lambda-exec", PolicyName="orders-writer")',
        ),
        Attempt(
            'iam.put_role_policy(RoleName="lambda-exec", PolicyName="orders-writer", PolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "arn:aws:dynamodb:*:*:table/orders"}]}))',
            names="in another region and on a table named orders in another account",
            undo='iam.delete_role_policy(RoleName="lambda-exec", PolicyName="orders-writer")',
        ),
        Attempt(
            'iam.put_role_policy(RoleName="lambda-exec", PolicyName="orders-writer", PolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}]}))',
            names="other tables",
            undo='iam.delete_role_policy(RoleName="lambda-exec", PolicyName="orders-writer")',
        ),
        Attempt(
            'iam.put_role_policy(RoleName="lambda-exec", PolicyName="orders-writer", PolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}]}))',
            names="every other DynamoDB action",
            undo='iam.delete_role_policy(RoleName="lambda-exec", PolicyName="orders-writer")',
        ),
        Attempt(
            'iam.put_role_policy(RoleName="lambda-exec", PolicyName="orders-writer", PolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}]}))',
            names="do not allow dynamodb:PutItem",
            undo='iam.delete_role_policy(RoleName="lambda-exec", PolicyName="orders-writer")',
        ),
    )
    correct_forms = (
        Attempt(
            'iam.put_role_policy(RoleName="lambda-exec", PolicyName="orders-writer", PolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Sid": "WriteOrders", "Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"]}]}))',
            undo='iam.delete_role_policy(RoleName="lambda-exec", PolicyName="orders-writer")',
        ),
        Attempt(
            'iam.put_role_policy(RoleName="lambda-exec", PolicyName="orders-writer", PolicyDocument=json.dumps(\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": "dynamodb:PutItem", "Resource": "*"}, {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}]}))',
            undo='iam.delete_role_policy(RoleName="lambda-exec", PolicyName="orders-writer")',
        ),
    )

    def setup(self) -> None:
        _create_role(self.lab, _shared.TRUST_POLICY)

    def _inline_documents(self) -> list[Any]:
        iam = self.lab.client("iam")
        names = iam.list_role_policies(RoleName=ROLE)["PolicyNames"]
        return [iam.get_role_policy(RoleName=ROLE, PolicyName=n)["PolicyDocument"] for n in names]

    def _check(self) -> bool | str | None:
        if _role(self.lab) is None:
            return "There is no role named lambda-exec: create it first (exercise 1, or run setup())."
        docs = self._inline_documents()
        if not docs:
            return None
        return judge_table_policy(docs)

    def solve(self) -> None:
        self.setup()
        doc = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": TABLE_ARN}],
        }
        self.lab.client("iam").put_role_policy(
            RoleName=ROLE, PolicyName="orders-writer", PolicyDocument=json.dumps(doc)
        )

    def attempt_wrong(self) -> bool:
        doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}
        self.lab.client("iam").put_role_policy(
            RoleName=ROLE, PolicyName="orders-writer", PolicyDocument=json.dumps(doc)
        )
        return True
