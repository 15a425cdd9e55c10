"""The authorisation policy, in one place: roles × actions × agencies. Pure rules.

Every service that reads or writes agency data asks this module, so the CLI, the API
and the web app cannot disagree about who may do what:

* a role grants actions (`GRANTS`); a person holds one role in one agency;
* data belongs to an agency: a principal reads and writes its own agency's objects; an
  object of another agency is answered as *not found*, so its existence leaks nothing;
* a case carries a TLP marking: the national fusion centre reads every agency's cases
  up to AMBER (never AMBER+STRICT or RED unless named on it), read only;
* an agency may share a case, bank or indicator list with named agencies (or people):
  the share records live in `sharing/`, and the services pass the agencies a live share
  names as `named` here;
* roles that can refer, export evidence or administer must have signed in with a second
  factor (`needs_second_factor`);
* `system` is the operator's actor for the server-side commands (migrate, ingest, scan,
  kb load, verify, reports): it acts for every agency and is audited as `system`;
* a platform administrator manages agencies and their administrators, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shaheen.agencies.enums import AgencyKind, Role
from shaheen.errors import Forbidden, NotFound, Unauthenticated
from shaheen.knowledge.enums import TLP


class Action(StrEnum):
    CASE_READ = "case.read"  # the queue, a case's account, posts and signals
    CASE_DECIDE = "case.decide"  # claim and decide
    CASE_ASSIGN = "case.assign"
    REFERRAL_READ = "referral.read"
    REFERRAL_WRITE = "referral.write"  # create, send, record a platform's answer
    EVIDENCE_EXPORT = "evidence.export"
    INDICATOR_EXPORT = "indicator.export"
    INGEST = "ingest"  # upload exports, record tips
    BANK_READ = "bank.read"
    BANK_WRITE = "bank.write"
    AUDIT_READ = "audit.read"
    USER_ADMIN = "user.admin"  # users of one's own agency
    AGENCY_ADMIN = "agency.admin"  # platform administrators only
    SHARE_READ = "share.read"  # what other agencies shared with one's own, and by whom
    SHARE_WRITE = "share.write"  # share one's agency's case, bank or indicators; revoke
    TASK_READ = "task.read"  # tasks one's agency issued or received
    TASK_WORK = "task.work"  # acknowledge, answer, close; a regulator's number outcomes
    TASK_ISSUE = "task.issue"  # issue tasks and templates; accept or reopen answers


A = Action
GRANTS: dict[Role, frozenset[Action]] = {
    Role.ANALYST: frozenset({A.CASE_READ, A.REFERRAL_READ, A.INGEST, A.BANK_READ}),
    Role.REVIEWER: frozenset({A.CASE_READ, A.CASE_DECIDE, A.REFERRAL_READ, A.BANK_READ}),
    Role.SUPERVISOR: frozenset(
        {
            A.CASE_READ,
            A.CASE_DECIDE,
            A.CASE_ASSIGN,
            A.REFERRAL_READ,
            A.REFERRAL_WRITE,
            A.EVIDENCE_EXPORT,
            A.INDICATOR_EXPORT,
            A.INGEST,
            A.BANK_READ,
            A.BANK_WRITE,
            A.AUDIT_READ,
            A.SHARE_READ,
            A.SHARE_WRITE,
            A.TASK_READ,
            A.TASK_WORK,
            A.TASK_ISSUE,
        }
    ),
    Role.LIAISON: frozenset(
        {A.CASE_READ, A.REFERRAL_READ, A.REFERRAL_WRITE, A.EVIDENCE_EXPORT, A.INDICATOR_EXPORT}
        | {A.SHARE_READ, A.SHARE_WRITE, A.TASK_READ, A.TASK_WORK, A.TASK_ISSUE}
    ),
    Role.AUDITOR: frozenset({A.AUDIT_READ}),
    Role.ADMIN: frozenset({A.USER_ADMIN, A.AUDIT_READ}),
}
#: Actions that change who can do what, refer, or let evidence out: a second factor.
SENSITIVE = frozenset(
    {A.CASE_DECIDE, A.REFERRAL_WRITE, A.EVIDENCE_EXPORT, A.USER_ADMIN, A.SHARE_WRITE}
)
#: What the fusion centre may read of other agencies' cases.
FUSION_READABLE = frozenset({TLP.CLEAR, TLP.GREEN, TLP.AMBER})
SYSTEM = "system"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in person, or the operator's `system` actor."""

    username: str
    user_id: int | None = None
    agency_id: int | None = None
    agency_kind: AgencyKind | None = None
    role: Role | None = None
    platform_admin: bool = False
    second_factor: bool = False  # signed in with a second factor
    is_system: bool = False
    actions: frozenset[Action] = field(init=False)

    def __post_init__(self) -> None:
        granted = GRANTS.get(self.role, frozenset()) if self.role else frozenset()
        if self.platform_admin:
            granted |= {A.AGENCY_ADMIN, A.AUDIT_READ}
        object.__setattr__(self, "actions", frozenset(Action) if self.is_system else granted)

    @property
    def actor(self) -> str:
        """The name the audit log records."""
        return self.username


def system(job: str | None = None) -> Principal:
    """The operator's actor for server-side commands (`system`), or for one of the
    server's own jobs (`system:poll`, `system:recheck`…)."""
    if not job:
        name = SYSTEM
    elif job == SYSTEM or job.startswith(f"{SYSTEM}:"):
        name = job  # already a system actor's name
    else:
        name = f"{SYSTEM}:{job}"
    return Principal(name, is_system=True, second_factor=True)


def identity(by: Principal | None) -> dict[str, Any]:
    """Who to name in the audit log for an attempt by `by`: also for a refused one by
    nobody signed in, which is exactly what an auditor wants to see."""
    if by is None:
        return {"actor": ANONYMOUS, "user_id": None, "agency_id": None}
    return {"actor": by.actor, "user_id": by.user_id, "agency_id": by.agency_id}


def needs_second_factor(role: Role | None, platform_admin: bool = False) -> bool:
    """Whether a person with this role must sign in with a second factor."""
    if platform_admin:
        return True
    return role is not None and bool(GRANTS[role] & SENSITIVE)


def require(principal: Principal | None, action: Action) -> Principal:
    """The principal, if it may take `action` at all; else `Unauthenticated`/`Forbidden`."""
    if principal is None:
        raise Unauthenticated("sign in first: `shaheen login USERNAME`")
    if action not in principal.actions:
        role = principal.role.value if principal.role else "no role"
        raise Forbidden(f"{principal.username} ({role}) may not {action.value}")
    if action in SENSITIVE and not principal.second_factor:
        raise Forbidden(f"{action.value} needs a sign-in with a second factor (TOTP)")
    return principal


def can_read(
    principal: Principal,
    owner_agency_id: int,
    tlp: TLP = TLP.AMBER,
    named: Iterable[int] = (),
) -> bool:
    """Whether the principal may read an object of `owner_agency_id` marked `tlp`."""
    if principal.is_system or principal.agency_id == owner_agency_id:
        return True
    if principal.agency_id is not None and principal.agency_id in set(named):
        return True
    return principal.agency_kind is AgencyKind.FUSION_CENTRE and tlp in FUSION_READABLE


def check_read(
    principal: Principal,
    what: str,
    owner_agency_id: int,
    tlp: TLP = TLP.AMBER,
    named: Iterable[int] = (),
) -> None:
    """Raise `NotFound` (never "forbidden": that would confirm it exists) unless the
    principal may read the object."""
    if not can_read(principal, owner_agency_id, tlp, named):
        raise NotFound(f"no {what}")


def check_write(principal: Principal, what: str, owner_agency_id: int) -> None:
    """Writes stay in one's own agency (the operator's `system` acts for all)."""
    if principal.is_system or principal.agency_id == owner_agency_id:
        return
    if can_read(principal, owner_agency_id):
        raise Forbidden(f"{what} belongs to another agency: read only")
    raise NotFound(f"no {what}")
