"""The callers of the cross-tenant matrix and what each must get, derived from the policy each
operation declares in its OpenAPI document (``x-gsi-policy``): 401 for a token problem, 403 for
a role the policy does not allow, the object's 404 for an object of a tenant the policy's scope
does not reach — the very answer a missing object gets — and, for a request that names nothing
of A's, whatever the caller's own data gives, without any of A's.

:data:`RULES` is the short list of operations whose answer is not what their policy alone
implies, each with its reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gsi_kernel.auth import DevTokenIssuer, Principal, Role
from gsi_kernel.http.policy import in_scope
from tests.security.operations import Operation
from tests.security.world import ORG_A, ORG_B, REVIEWER_A, REVIEWER_B


@dataclass(frozen=True)
class Caller:
    name: str
    roles: tuple[Role, ...] = ()
    organization: str | None = None
    assigned: tuple[str, ...] = ()
    user_id: str = "nobody"
    token_problem: str | None = None  # the 401 code its token gets

    def principal(self) -> Principal:
        return Principal(self.user_id, frozenset(self.roles), self.organization, frozenset(self.assigned))


def _broken(name: str, problem: str | None) -> Caller:
    """An A manager's token (or none), broken one way: it must get 401 whatever it asks."""
    return Caller(name, (Role.ORG_MANAGER,), ORG_A, user_id=f"manager@{ORG_A}", token_problem=problem)


CALLERS: tuple[Caller, ...] = (
    Caller("org_b_staff", (Role.ORG_STAFF,), ORG_B, user_id=f"staff@{ORG_B}"),
    Caller("org_b_manager", (Role.ORG_MANAGER,), ORG_B, user_id=f"manager@{ORG_B}"),
    Caller("reviewer_unassigned", (Role.MINISTRY_REVIEWER,), assigned=(ORG_B,), user_id=REVIEWER_B),
    Caller("reviewer_assigned", (Role.MINISTRY_REVIEWER,), assigned=(ORG_A,), user_id=REVIEWER_A),
    Caller("admin", (Role.ADMIN,), user_id="admin@mifi"),
    Caller("org_a_staff", (Role.ORG_STAFF,), ORG_A, user_id=f"staff@{ORG_A}"),
    _broken("org_a_manager", None),
    _broken("no_token", "auth.missing_token"),
    _broken("expired_token", "auth.token_expired"),
    _broken("bad_signature", "auth.invalid_token"),
    _broken("wrong_issuer", "auth.wrong_issuer"),
)


def headers_of(issuer: DevTokenIssuer) -> dict[str, dict[str, str]]:
    """Each caller's headers, its token minted by the services' development issuer — or by a
    forger with another key, or for another issuer, or expired eight hours ago."""
    now = datetime.now(UTC)
    probe = jwt.decode(issuer.issue(user_id="probe", roles=[], now=now), options={"verify_signature": False})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    forger = DevTokenIssuer(pem, issuer=probe["iss"], audience=probe["aud"])
    found: dict[str, dict[str, str]] = {}
    for caller in CALLERS:
        if caller.token_problem == "auth.missing_token":
            found[caller.name] = {}
            continue
        mint = forger.issue if caller.token_problem == "auth.invalid_token" else issuer.issue
        token = mint(
            user_id=caller.user_id,
            roles=caller.roles,
            organization=caller.organization,
            assigned_organizations=caller.assigned,
            now=now - timedelta(hours=9) if caller.token_problem == "auth.token_expired" else now,
            issuer="https://faux-emetteur.example" if caller.token_problem == "auth.wrong_issuer" else None,
        )
        found[caller.name] = {"Authorization": f"Bearer {token}"}
    return found


class Outcome(Enum):
    UNAUTHENTICATED = "401"
    FORBIDDEN = "403"
    NOT_FOUND = "404 as a missing object"
    AS_MISSING = "as a missing object"
    OWN = "own data only"
    ENTITLED = "entitled"
    UNFILLABLE = "the tests cannot fill the operation"
    NO_POLICY = "no declared policy"


@dataclass(frozen=True)
class Rule:
    """What an operation answers beyond what its policy implies, and why."""

    why: str
    entitled: Callable[[Caller], bool] | None = None  # instead of the policy's scope
    refusal: tuple[int, str] | None = None  # to a caller not entitled, instead of a 404
    as_missing: frozenset[int] = frozenset({404, 422})  # statuses a body naming A's objects may get


def _ministry_or_member(caller: Caller) -> bool:
    return bool({Role.MINISTRY_REVIEWER, Role.ADMIN} & set(caller.roles)) or caller.organization == ORG_A


def _the_reviewer_or_admin(caller: Caller) -> bool:
    return caller.user_id == REVIEWER_A or Role.ADMIN in caller.roles


_REGISTRY = Rule("the whole ministry reads the organization registry", entitled=_ministry_or_member)
RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/organizations"): _REGISTRY,
    ("GET", "/organizations/{organization_id}"): _REGISTRY,
    ("GET", "/organizations/{organization_id}/reviewers"): _REGISTRY,
    ("GET", "/reviewers/{reviewer_id}/organizations"): Rule(
        "a reviewer's assignments are read by that reviewer and admins",
        entitled=_the_reviewer_or_admin,
        refusal=(403, "reviewer.not_yourself"),
    ),
    ("GET", "/targets/{organization_id}/{fiscal_year}"): Rule(
        "another organization's targets: 403 whether it exists or not (no existence oracle)",
        refusal=(403, "targets.not_allowed"),
    ),
    ("POST", "/inbox/{notice_id}/read"): Rule(
        "a notice is read by its audience: the seeded one (A's report submitted) is A's reviewers'",
        entitled=_the_reviewer_or_admin,
    ),
    ("GET", "/inbox/{notice_id}"): Rule(
        "a notice is opened by its audience: the seeded one (A's report submitted) is A's reviewers'",
        entitled=_the_reviewer_or_admin,
    ),
    ("POST", "/imports"): Rule(
        "an import's rows are checked after the upload (202), each unknown person a rejected row",
        as_missing=frozenset({202}),
    ),
}


@dataclass(frozen=True)
class Expected:
    outcome: Outcome
    status: int | None = None
    code: str | None = None
    as_missing: bool = False  # the same answer as for objects that do not exist


def expect(op: Operation, caller: Caller, *, in_path: bool, in_body: bool) -> Expected:
    """What ``caller`` must get from ``op`` filled with A's objects."""
    if caller.token_problem:
        return Expected(Outcome.UNAUTHENTICATED, 401, caller.token_problem)
    policy = op.policy
    if policy is None:
        return Expected(Outcome.NO_POLICY)
    principal = caller.principal()
    if not policy.allows(principal):
        return Expected(Outcome.FORBIDDEN, 403, "auth.forbidden_role")
    rule = RULES.get(op.key)
    if rule is not None and rule.entitled is not None:
        entitled = rule.entitled(caller)
    else:
        entitled = in_scope(principal, ORG_A, policy.scope)
    if entitled:
        return Expected(Outcome.ENTITLED)
    if rule is not None and rule.refusal is not None:
        return Expected(Outcome.FORBIDDEN, *rule.refusal, as_missing=in_path or in_body)
    if in_path:
        return Expected(Outcome.NOT_FOUND, 404, as_missing=True)
    if in_body:
        return Expected(Outcome.AS_MISSING, as_missing=True)
    return Expected(Outcome.OWN)
