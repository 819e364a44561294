"""Resource-based policies of Lambda functions: AddPermission, GetPolicy, RemovePermission,
and the check Lambda makes before another service or account may invoke a function.

A function's policy says *who may call it*; the execution role says what the
function may call.  Each AddPermission adds one statement::

    {"Sid": "...", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
     "Action": "lambda:InvokeFunction", "Resource": "<function ARN>",
     "Condition": {"ArnLike": {"AWS:SourceArn": "<topic ARN>"}}}

moto stores these statements but never consults them; the lab answers the three
operations itself and enforces them: SNS, S3 and EventBridge deliver only when a
statement names their service principal (and, if it has them, the source ARN and
account match), and a caller from another account (credentials the lab made for that
account, see :func:`caller_account`) needs a statement naming its account or organization.
Callers in the function's own account are authorized by their identity policies
(the lab lets them through).

https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html
https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from typing import TYPE_CHECKING, Any

from ..errors import AwsError, invalid_parameter, not_found, validation
from ..ports import Caller
from ..trace_kinds import INVOKE_DENIED, PERMISSION_ADDED, PERMISSION_REMOVED
from .gateway import Gateway, Request, Response
from .targets import _ARN

if TYPE_CHECKING:
    from ..ports import Ids, Place
    from ..trace import Trace
    from .function_table import FunctionTable
    from .targets import TargetResolver

__all__ = ["Caller", "PolicyService", "caller_account"]

_SID = re.compile(r"^[a-zA-Z0-9-_.]+$")
_ACTION = re.compile(r"^(lambda:[*]|lambda:[a-zA-Z]+|[*])$")
_ACCOUNT = re.compile(r"^\d{12}$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
POLICY_LIMIT = 20 * 1024  # bytes of the whole policy document
GONE = "The resource you requested does not exist."
INVOKE = "lambda:InvokeFunction"


def principal_block(principal: str) -> str | dict[str, str]:
    """How AWS writes the Principal of a statement from AddPermission's ``Principal``."""
    if principal == "*":
        return "*"
    if _ACCOUNT.match(principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    if principal.startswith("arn:"):
        return {"AWS": principal}
    return {"Service": principal}


def statement(body: dict[str, Any], resource: str) -> dict[str, Any]:
    """The statement AddPermission stores, in AWS's key order."""
    st: dict[str, Any] = {
        "Sid": body["StatementId"],
        "Effect": "Allow",
        "Principal": principal_block(body["Principal"]),
        "Action": body["Action"],
        "Resource": resource,
    }
    condition: dict[str, dict[str, str]] = {}
    equals: dict[str, str] = {}
    if body.get("SourceAccount"):
        equals["AWS:SourceAccount"] = body["SourceAccount"]
    if body.get("PrincipalOrgID"):
        equals["aws:PrincipalOrgID"] = body["PrincipalOrgID"]
    if body.get("EventSourceToken"):
        equals["lambda:EventSourceToken"] = body["EventSourceToken"]
    if body.get("FunctionUrlAuthType"):
        equals["lambda:FunctionUrlAuthType"] = body["FunctionUrlAuthType"]
    if equals:
        condition["StringEquals"] = equals
    if body.get("InvokedViaFunctionUrl"):  # the InvokeFunction a function URL needs since October 2025
        condition["Bool"] = {"lambda:InvokedViaFunctionUrl": "true"}
    if body.get("SourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": body["SourceArn"]}
    if condition:
        st["Condition"] = condition
    return st


def _like(pattern: str, value: str | None) -> bool:
    return value is not None and fnmatch.fnmatchcase(value, pattern)


def _condition_holds(condition: dict[str, Any], caller: Caller) -> bool:
    values = {
        "aws:sourcearn": caller.source_arn,
        "aws:sourceaccount": caller.account,
        "aws:principalorgid": caller.org_id,
    }
    for operator, tests in condition.items():
        for key, expected in tests.items():
            key = key.lower()
            if key == "lambda:invokedviafunctionurl":
                return False  # a statement for calls through a function URL: this call is not one
            if not key.startswith("aws:"):
                continue  # lambda:FunctionUrlAuthType / EventSourceToken: not about InvokeFunction callers
            have = values.get(key)
            options = expected if isinstance(expected, list) else [expected]
            if operator in ("ArnLike", "StringLike", "ArnEquals"):
                ok = any(_like(str(o), have) for o in options)
            elif operator == "StringEquals":
                ok = have is not None and have in options
            else:
                ok = False
            if not ok:
                return False
    return True


def _principal_holds(principal: Any, caller: Caller) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if caller.service:
        return caller.service in _list(principal.get("Service"))
    for arn in _list(principal.get("AWS")):
        if arn == "*" or arn == caller.account or arn == f"arn:aws:iam::{caller.account}:root":
            return True
    return False


def _list(value: Any) -> list[Any]:
    return [] if value is None else value if isinstance(value, list) else [value]


def allows(statements: list[dict[str, Any]], caller: Caller, action: str = INVOKE) -> bool:
    """Does some statement let ``caller`` perform ``action``?  (Pure: statements in, yes/no out.)"""
    for st in statements:
        if st.get("Effect") != "Allow":
            continue
        if not any(a in ("*", "lambda:*", action) for a in _list(st.get("Action"))):
            continue
        if not _principal_holds(st.get("Principal"), caller):
            continue
        if _condition_holds(st.get("Condition") or {}, caller):
            return True
    return False


def caller_account(req: Request, own_account: str) -> str:
    """The account a request comes from: the account of the credentials that signed it
    (``lab.client(service, account=...)`` makes a caller from another account)."""
    return req.caller_account or own_account


class PolicyService:
    """The store (statements per function and qualifier) and the three API handlers."""

    def __init__(
        self, place: Place, ids: Ids, trace: Trace, resolver: TargetResolver, table: FunctionTable | None = None
    ) -> None:
        self.place, self.ids, self.trace, self.resolver = place, ids, trace, resolver
        #: the functions' RevisionIds: a policy change is a new RevisionId of the function version
        self.table = table
        self._policies: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._revisions: dict[tuple[str, str], str] = {}  # aliases' policies, and functions without a table
        self._lock = threading.Lock()
        #: organizations the lab knows: org id -> member accounts (AWS Organizations is not modelled)
        self.organizations: dict[str, set[str]] = {}

    def register(self, gw: Gateway) -> None:
        gw.route("lambda", "AddPermission", self.add)
        gw.route("lambda", "GetPolicy", self.get)
        gw.route("lambda", "RemovePermission", self.remove)

    # -- lookups --------------------------------------------------------------------
    def _key(self, req: Request) -> tuple[str, str, str]:
        """(function name, qualifier or "", the Resource ARN), checking function and qualifier."""
        hit = _ARN.match(req.params["FunctionName"])
        derived = hit.group("qualifier") if hit else None
        qualifier = req.q("Qualifier") or derived or ""
        target = self.resolver.resolve(req.params["FunctionName"], req.q("Qualifier"))
        name = target.spec.function_name
        resource = target.spec.function_arn + (f":{qualifier}" if qualifier else "")
        return name, qualifier, resource

    def _revision(self, name: str, qualifier: str) -> str:
        """The policy's RevisionId: the function version's own (an alias's policy keeps one of its own)."""
        if self.table is not None and not _is_alias(qualifier):
            return self.table.revision(name, qualifier or "$LATEST") or ""
        return self._revisions.get((name, qualifier), "")

    def _changed(self, name: str, qualifier: str) -> None:
        """The policy changed: the function version gets a new RevisionId."""
        if self.table is not None and not _is_alias(qualifier):
            self.table.new_revision(name, qualifier or "$LATEST", policy_only=True)
        else:
            self._revisions[(name, qualifier)] = self.ids.new_id()

    def statements(self, function_name: str, qualifier: str | None = None) -> list[dict[str, Any]]:
        """The statements in force for a call to ``function_name`` (qualified or not)."""
        q = "" if qualifier in (None, "", "$LATEST") else str(qualifier)
        with self._lock:
            return [dict(s) for s in self._policies.get((function_name, q), [])]

    def org_of(self, account: str) -> str | None:
        for org, members in self.organizations.items():
            if account in members:
                return org
        return None

    def check(self, function_name: str, qualifier: str | None, caller: Caller) -> str | None:
        """None when the policy lets ``caller`` invoke, else the reason it does not."""
        if caller.service is None and caller.account == self.place.account_id:
            return None
        if caller.org_id is None and caller.account and caller.service is None:
            caller = Caller(caller.service, caller.account, caller.source_arn, self.org_of(caller.account))
        if allows(self.statements(function_name, qualifier), caller):
            return None
        who = caller.service or f"arn:aws:iam::{caller.account}:root"
        arn = self.place.arn("lambda", f"function:{function_name}") + (f":{qualifier}" if qualifier else "")
        via = f" from {caller.source_arn}" if caller.source_arn else ""
        return f"The resource-based policy of {arn} does not allow {who}{via} to perform lambda:InvokeFunction"

    def check_cross_account(self, req: Request) -> None:
        account = caller_account(req, self.place.account_id)
        if account == self.place.account_id:
            return
        target = self.resolver.resolve(req.params["FunctionName"], req.q("Qualifier"))
        qualifier = target.qualifier
        reason = self.check(target.spec.function_name, qualifier, Caller(account=account))
        if reason:
            self.trace.add(INVOKE_DENIED, target.spec.function_name, caller=account, reason=reason)
            raise AwsError(
                "AccessDeniedException",
                f"User: arn:aws:iam::{account}:root is not authorized to perform: lambda:InvokeFunction on resource: "
                f"{target.invoked_arn} because no resource-based policy allows the lambda:InvokeFunction action",
                403,
            )

    # -- the API ----------------------------------------------------------------------
    def add(self, req: Request, gw: Gateway) -> Response:
        body = req.json()
        self._validate(body)
        name, qualifier, resource = self._key(req)
        if qualifier == "$LATEST":
            raise invalid_parameter("We currently do not support adding policies for $LATEST.")
        st = statement(body, resource)
        with self._lock:
            key = (name, qualifier)
            current = self._policies.setdefault(key, [])
            revision = self._revision(name, qualifier)
            if body.get("RevisionId") and body["RevisionId"] != revision:
                raise AwsError(
                    "PreconditionFailedException",
                    "The Revision Id provided does not match the latest Revision Id. "
                    "Call the GetPolicy API to retrieve the latest Revision Id",
                    412,
                )
            if any(s["Sid"] == st["Sid"] for s in current):
                raise AwsError(
                    "ResourceConflictException",
                    f"The statement id ({st['Sid']}) provided already exists. Please provide a new statement id, "
                    "or remove the existing statement.",
                    409,
                )
            if len(json.dumps(self._document(current + [st]))) > POLICY_LIMIT:
                raise AwsError(
                    "PolicyLengthExceededException", "The final policy size (bytes) is bigger than the limit.", 400
                )
            current.append(st)
            self._changed(name, qualifier)
        self.trace.add(
            PERMISSION_ADDED,
            name,
            (st["Sid"],),
            qualifier=qualifier or None,
            principal=body["Principal"],
            source_arn=body.get("SourceArn"),
        )
        return Response.json(201, {"Statement": json.dumps(st, separators=(",", ":"))})

    def get(self, req: Request, gw: Gateway) -> Response:
        name, qualifier, _ = self._key(req)
        with self._lock:
            current = list(self._policies.get((name, qualifier), []))
            revision = self._revision(name, qualifier)
        if not current:
            raise not_found(GONE)
        policy = json.dumps(self._document(current), separators=(",", ":"))
        return Response.json(200, {"Policy": policy, "RevisionId": revision})

    def remove(self, req: Request, gw: Gateway) -> Response:
        name, qualifier, _ = self._key(req)
        sid = req.params["StatementId"]
        with self._lock:
            key = (name, qualifier)
            current = self._policies.get(key, [])
            revision = req.q("RevisionId")
            if revision and revision != self._revision(name, qualifier):
                raise AwsError(
                    "PreconditionFailedException",
                    "The Revision Id provided does not match the latest Revision Id. "
                    "Call the GetPolicy API to retrieve the latest Revision Id",
                    412,
                )
            kept = [s for s in current if s["Sid"] != sid]
            if len(kept) == len(current):
                raise not_found(f"Statement {sid} is not found in resource policy.")
            self._policies[key] = kept
            self._changed(name, qualifier)
        self.trace.add(PERMISSION_REMOVED, name, (sid,), qualifier=qualifier or None)
        return Response(204, b"")

    def forget(self, function_name: str) -> None:
        """A deleted function loses its policy."""
        with self._lock:
            for key in [k for k in self._policies if k[0] == function_name]:
                self._policies.pop(key, None)
                self._revisions.pop(key, None)

    # -- helpers ----------------------------------------------------------------------
    @staticmethod
    def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Id": "default", "Statement": statements}

    @staticmethod
    def _validate(body: dict[str, Any]) -> None:
        sid = str(body.get("StatementId", ""))
        if not sid or len(sid) > 100 or not _SID.match(sid):
            raise validation(sid, "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)")
        action = str(body.get("Action", ""))
        if not _ACTION.match(action):
            raise validation(
                action, "action", "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])"
            )
        principal = str(body.get("Principal", ""))
        if not principal or re.search(r"\s", principal):
            raise validation(principal, "principal", "Member must satisfy regular expression pattern: [^\\s]+")
        account = body.get("SourceAccount")
        if account is not None and not _ACCOUNT.match(str(account)):
            raise validation(account, "sourceAccount", "Member must satisfy regular expression pattern: \\d{12}")
        org = body.get("PrincipalOrgID")
        if org is not None and not _ORG.match(str(org)):
            raise validation(
                org, "principalOrgID", "Member must satisfy regular expression pattern: ^o-[a-z0-9]{10,32}$"
            )
        auth = body.get("FunctionUrlAuthType")
        if auth is not None and auth not in ("NONE", "AWS_IAM"):
            raise validation(auth, "functionUrlAuthType", "Member must satisfy enum value set: [NONE, AWS_IAM]")


def _is_alias(qualifier: str) -> bool:
    """A qualifier that names an alias (not ``$LATEST`` or a version number)."""
    return bool(qualifier) and qualifier != "$LATEST" and not qualifier.isdigit()
