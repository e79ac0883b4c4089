"""What each role may do, and which records each person may see.

The matrix below is the single source for action checks; object scope
(an account manager sees their own accounts, a field engineer their own
groups' tickets) lives in the `*_visible_to` queryset helpers.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.http import HttpRequest

from netdesk.accounts.models import Role, User
from netdesk.core.errors import PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class Action(StrEnum):
    CUSTOMER_VIEW = "customer.view"
    TICKET_VIEW = "ticket.view"
    TICKET_CREATE = "ticket.create"
    TICKET_UPDATE = "ticket.update"
    TICKET_ASSIGN = "ticket.assign"
    TICKET_ESCALATE = "ticket.escalate"
    TICKET_RESOLVE = "ticket.resolve"
    TICKET_CLOSE = "ticket.close"
    TICKET_REOPEN = "ticket.reopen"
    TICKET_LINK = "ticket.link"
    TICKET_MERGE = "ticket.merge"
    # Bulk changes and exports of ticket lists: team leads and managers work
    # the queue as a whole; an account manager exports their accounts' tickets.
    TICKET_BULK = "ticket.bulk"
    TICKET_EXPORT = "ticket.export"
    NOTE_ADD = "note.add"
    REPLY_ADD = "reply.add"
    INTERACTION_LOG = "interaction.log"
    KPI_VIEW_OWN = "kpi.view_own"
    KPI_VIEW_ALL = "kpi.view_all"
    # Satisfaction (CSAT/NPS): team leads and managers see the desk's; an
    # account manager their accounts' surveys.
    CSAT_VIEW = "csat.view"
    TOKEN_CREATE = "token.create"  # noqa: S105 - an action name, not a secret
    CONFIGURE = "desk.configure"
    # Network operations.
    INCIDENT_VIEW = "incident.view"
    INCIDENT_MANAGE = "incident.manage"
    ALARM_INGEST = "alarm.ingest"
    OUTAGE_DECIDE = "outage.decide"
    LIAISON_RECORD = "liaison.record"
    FAILURE_REPORT_VIEW = "failure_report.view"
    # Mail: an unknown sender's contact moves into the right customer; the
    # quarantine is read and processed again; affected customers are told.
    SENDER_MERGE = "sender.merge"
    MAIL_QUARANTINE = "mail.quarantine"
    CUSTOMERS_NOTIFY = "customers.notify"
    # Chat and phone: agents take chats from the queue and see the call log
    # with its callback list.
    CHAT_TAKE = "chat.take"
    CALL_VIEW = "call.view"
    # Knowledge: every agent reads the knowledge base and drafts articles
    # (knowledge is captured where the work is done); team leads and managers
    # review and publish, and keep the group's macros.
    KB_VIEW = "kb.view"
    KB_EDIT = "kb.edit"
    KB_PUBLISH = "kb.publish"
    MACRO_MANAGE = "macro.manage"
    # Competencies: everyone sees their own profile and plan; team leads
    # assess and see their team; managers see all and configure.
    COMPETENCY_VIEW_OWN = "competency.view_own"
    COMPETENCY_VIEW_TEAM = "competency.view_team"
    COMPETENCY_ASSESS = "competency.assess"
    COMPETENCY_CONFIGURE = "competency.configure"
    # Scheduled reports: everyone subscribes themselves (the report shows
    # only what they may see); managers also subscribe others and addresses.
    REPORT_SUBSCRIBE_OTHERS = "report.subscribe_others"
    # Service plans: the manager sets KPI targets; team leads read them.
    PLAN_MANAGE = "plan.manage"


A = Action
_AGENT_WORK = {
    A.CUSTOMER_VIEW,
    A.TICKET_VIEW,
    A.TICKET_CREATE,
    A.TICKET_UPDATE,
    A.TICKET_ASSIGN,
    A.TICKET_ESCALATE,
    A.TICKET_RESOLVE,
    A.TICKET_REOPEN,
    A.TICKET_LINK,
    A.NOTE_ADD,
    A.REPLY_ADD,
    A.INTERACTION_LOG,
    A.KPI_VIEW_OWN,
    A.TOKEN_CREATE,
    A.INCIDENT_VIEW,
    A.LIAISON_RECORD,
    A.COMPETENCY_VIEW_OWN,
    A.SENDER_MERGE,
    A.CHAT_TAKE,
    A.CALL_VIEW,
    A.KB_VIEW,
    A.KB_EDIT,
}
# The NOC owns network incidents, takes alarms in and decides on suspected outages.
_NOC_WORK = {
    A.INCIDENT_MANAGE,
    A.ALARM_INGEST,
    A.OUTAGE_DECIDE,
    A.FAILURE_REPORT_VIEW,
    A.CUSTOMERS_NOTIFY,
}
_LEAD_WORK = _AGENT_WORK | {
    A.TICKET_CLOSE,
    A.TICKET_MERGE,
    A.TICKET_BULK,
    A.TICKET_EXPORT,
    A.KPI_VIEW_ALL,
    A.CSAT_VIEW,
    A.INCIDENT_MANAGE,
    A.OUTAGE_DECIDE,
    A.FAILURE_REPORT_VIEW,
    A.COMPETENCY_VIEW_TEAM,
    A.COMPETENCY_ASSESS,
    A.MAIL_QUARANTINE,
    A.CUSTOMERS_NOTIFY,
    A.KB_PUBLISH,
    A.MACRO_MANAGE,
}

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.HOTLINE_OPERATOR: frozenset(_AGENT_WORK),
    Role.NOC_ENGINEER: frozenset(_AGENT_WORK | _NOC_WORK),
    # Field engineers work the tickets sent to them; they do not take calls.
    Role.FIELD_ENGINEER: frozenset(
        {
            A.CUSTOMER_VIEW,
            A.TICKET_VIEW,
            A.TICKET_UPDATE,
            A.TICKET_ESCALATE,
            A.TICKET_RESOLVE,
            A.NOTE_ADD,
            A.REPLY_ADD,
            A.INTERACTION_LOG,
            A.KPI_VIEW_OWN,
            A.TOKEN_CREATE,
            A.INCIDENT_VIEW,
            A.LIAISON_RECORD,
            A.COMPETENCY_VIEW_OWN,
            A.KB_VIEW,
            A.KB_EDIT,
        }
    ),
    Role.TEAM_LEAD: frozenset(_LEAD_WORK),
    Role.SERVICE_DESK_MANAGER: frozenset(
        _LEAD_WORK | {A.CONFIGURE, A.COMPETENCY_CONFIGURE, A.PLAN_MANAGE, A.REPORT_SUBSCRIBE_OTHERS}
    ),
    Role.ACCOUNT_MANAGER: frozenset(
        {
            A.CUSTOMER_VIEW,
            A.TICKET_VIEW,
            A.TICKET_CREATE,
            A.TICKET_UPDATE,
            A.TICKET_ESCALATE,
            A.NOTE_ADD,
            A.REPLY_ADD,
            A.INTERACTION_LOG,
            A.KPI_VIEW_OWN,
            A.TOKEN_CREATE,
            A.INCIDENT_VIEW,
            A.FAILURE_REPORT_VIEW,
            A.COMPETENCY_VIEW_OWN,
            A.KB_VIEW,
            A.TICKET_EXPORT,
            A.CSAT_VIEW,
        }
    ),
    Role.ADMINISTRATOR: frozenset(Action),
}


def can(user: User | AnonymousUser, action: Action) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return action in ROLE_ACTIONS.get(user.role, frozenset())


def require(user: User | AnonymousUser | None, action: Action) -> None:
    """Refuse the action unless the user's role allows it. `None` is the desk
    itself (the service-level engine in the worker), which no request can
    impersonate: every view and API handler passes the signed-in user."""
    if user is None:
        return
    if not can(user, action):
        role = getattr(user, "role", "anonymous")
        raise PermissionDenied(
            f"The role {role!r} may not perform {action.value!r}.",
            field="action",
            value=action.value,
            accepted=sorted(a.value for a in ROLE_ACTIONS.get(role, frozenset())),
        )


def sees_all_customers(user: User) -> bool:
    return user.role != Role.ACCOUNT_MANAGER


def user_of(request: HttpRequest) -> User:
    """The signed-in user of a request that passed the API's authentication
    or a view's sign-in check (so never anonymous)."""
    user = request.user
    assert isinstance(user, User)
    return user
