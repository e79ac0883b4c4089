"""Drafting articles from what the desk solved: a resolved ticket (the
customer's symptoms, the cause, the steps that fixed it) or a network
incident (the failure, what customers should do, when it is back).

A draft is only ever a draft: someone who may publish reads it first."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import transaction

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.customers.models import AccessTechnology
from netdesk.knowledge.models import Article, ArticleState, Audience
from netdesk.knowledge.services.articles import article_create
from netdesk.noc.models import NetworkIncident
from netdesk.tickets.choices import Direction, RootCause, Visibility
from netdesk.tickets.models import Comment, Interaction, Ticket
from netdesk.tickets.selectors import tickets_visible_to

# One message of the customer's, or one reply, in a draft: enough to see
# the problem; the ticket keeps the rest.
QUOTE_LIMIT = 1_000
# At most this many of the customer's messages and of the agents' replies.
QUOTES_MAX = 5
# A call report of a customer's portal or chat message repeats it after
# "<name> wrote in ...: " (tickets.services.customer_replies); a mail's
# starts "Email from <address>: <subject>".
_WROTE = re.compile(
    r"^(?:.{1,200}? wrote (?:in the web portal|in a chat|by [\w -]+): |Email from [^\n]*\n\n)",
    re.S,
)
_SPACES = re.compile(r"\s+")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
# What the desk tells customers during any network failure (an incident has
# no field of its own for it): nothing to change at home, and when to call.
CUSTOMER_STEPS = (
    "- Nothing needs to be changed at home: the failure is in our network and "
    "is being repaired.\n"
    "- Restarting the router or resetting it does not help while the failure lasts; "
    "please do not reset it to factory settings.\n"
    "- If the service is not back once the failure is repaired, restart the router "
    "once, then contact us."
)
DRAFT_STATES = (ArticleState.DRAFT, ArticleState.REVIEW)


def _flat(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _cut(text: str, limit: int = QUOTE_LIMIT) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _quote(text: str) -> str:
    """A Markdown block quote of the text, line by line."""
    return "\n".join(f"> {line}".rstrip() for line in _cut(text).splitlines())


def _already_said(text: str, said: Iterable[str]) -> bool:
    flat = _flat(text).rstrip("…").strip()
    return not flat or any(flat in _flat(earlier) for earlier in said)


def ticket_customer_words(ticket: Ticket) -> list[str]:
    """What the customer said on the ticket besides its description: their
    own public comments (portal, chat) and the reports of calls and mails
    with them, each once (a comment's call report repeats it). Two queries."""
    said = [ticket.description]
    comments = Comment.objects.filter(ticket=ticket, contact__isnull=False).order_by(
        "created_at", "id"
    )
    for comment in comments.only("body"):
        if not _already_said(comment.body, said):
            said.append(comment.body)
    reports = (
        Interaction.objects.filter(ticket=ticket)
        .exclude(direction=Direction.INTERNAL)
        .order_by("started_at", "id")
    )
    for report in reports.only("summary"):
        text = _WROTE.sub("", report.summary, count=1)
        if not _already_said(text, said):
            said.append(report.summary)
    return [text for text in said[1:] if text.strip()]


def ticket_public_replies(ticket: Ticket) -> list[str]:
    """The agents' replies to the customer, oldest first (one query)."""
    replies = Comment.objects.filter(
        ticket=ticket, visibility=Visibility.PUBLIC, contact__isnull=True, author__isnull=False
    ).order_by("created_at", "id")
    return [reply.body for reply in replies.only("body") if reply.body.strip()]


def _symptoms(ticket: Ticket, words: list[str]) -> str:
    parts = [ticket.description.strip() or "_Describe what the customer notices._"]
    if words:
        parts.append("In the customer's words:")
        parts.extend(_quote(text) for text in words[:QUOTES_MAX])
    return "\n\n".join(parts)


def _category_path(ticket: Ticket) -> str:
    category = ticket.category
    if category is None:
        return ""
    if category.parent is not None:
        return f"{category.parent.name} › {category.name}"
    return category.name


def _cause(ticket: Ticket) -> str:
    lines = []
    if ticket.root_cause:
        lines.append(f"- Root cause: {ticket.get_root_cause_display()}")
    category = _category_path(ticket)
    if category:
        lines.append(f"- Category: {category}")
    if ticket.resolution_code:
        lines.append(f"- Resolved as: {ticket.get_resolution_code_display()}")
    lines.append("\n_Explain why it happens, in words the next agent recognises._")
    return "\n".join(lines).strip()


def _resolution(ticket: Ticket, replies: list[str]) -> str:
    parts = []
    if ticket.resolution_notes.strip():
        parts.append(ticket.resolution_notes.strip())
    if replies:
        parts.append("What the agents answered the customer:")
        parts.extend(_quote(text) for text in replies[-QUOTES_MAX:])
    if not parts:
        parts.append("_Write the steps that solved it, one per line._")
    return "\n\n".join(parts)


def _technology(value: str) -> list[str]:
    return [value] if value in AccessTechnology.values else []


def _applies_to(ticket: Ticket) -> str:
    lines = [f"- Ticket type: {ticket.get_ticket_type_display()}"]
    service = ticket.service
    if service is not None:
        lines.insert(0, f"- Product: {service.product}")
        if service.access_technology in AccessTechnology.values:
            label = AccessTechnology(service.access_technology).label
            lines.insert(1, f"- Access technology: {label}")
    lines.append(f"- Drafted from ticket {ticket.reference}")
    return "\n".join(lines)


def ticket_draft_body(ticket: Ticket) -> str:
    """The draft's Markdown: Symptoms, Cause, Resolution, Applies to."""
    words = ticket_customer_words(ticket)
    replies = ticket_public_replies(ticket)
    return (
        f"## Symptoms\n\n{_symptoms(ticket, words)}\n\n"
        f"## Cause\n\n{_cause(ticket)}\n\n"
        f"## Resolution\n\n{_resolution(ticket, replies)}\n\n"
        f"## Applies to\n\n{_applies_to(ticket)}\n"
    )


def _language(value: str) -> str:
    value = (value or "").strip()
    return value if _LANGUAGE.match(value) else "en"


def _visible_ticket(actor: User | None, ticket_id: int) -> Ticket:
    tickets = Ticket.objects.all() if actor is None else tickets_visible_to(actor)
    ticket = (
        tickets.select_for_update(of=("self",))
        .select_related("customer", "service", "category", "category__parent")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound(
            f"Ticket {ticket_id} does not exist or is not visible to you.",
            field="ticket_id",
            value=ticket_id,
        )
    return ticket


@transaction.atomic
def article_draft_from_ticket(*, actor: User | None, ticket_id: int) -> Article:
    """A draft article from a ticket the actor may see, in its customer's
    language, with the ticket's category, product and access technology.
    Asking again while the first draft is still a draft (or in review)
    returns that draft instead of a second one."""
    require(actor, Action.TICKET_VIEW)
    require(actor, Action.KB_EDIT)
    # The ticket's row lock makes two clicks at once one draft.
    ticket = _visible_ticket(actor, ticket_id)
    earlier = (
        Article.objects.filter(source_ticket=ticket, state__in=DRAFT_STATES).order_by("id").first()
    )
    if earlier is not None:
        return earlier
    service = ticket.service
    return article_create(
        actor=actor,
        title=ticket.title[:200],
        body=ticket_draft_body(ticket),
        audience=Audience.INTERNAL,
        language=_language(ticket.customer.language),
        products=[service.product] if service is not None else [],
        technologies=_technology(service.access_technology) if service is not None else [],
        category_ids=[ticket.category_id] if ticket.category_id else [],
        state=ArticleState.DRAFT,
        source_ticket=ticket,
        note=f"drafted from {ticket.reference}",
    )


def _incident_failure(incident: NetworkIncident, audience: str) -> str:
    parts = []
    # The incident's customer description is its latest word to customers;
    # what they noticed first is in its first update.
    messages = [u.customer_message for u in incident.updates.all() if u.customer_message.strip()]
    said = messages[0].strip() if messages else incident.customer_description.strip()
    parts.append(said or "_Describe what customers notice, in their words._")
    if audience == Audience.INTERNAL and incident.technical_description.strip():
        parts.append(f"For agents (technical):\n\n{_quote(incident.technical_description)}")
    return "\n\n".join(parts)


def _incident_restoration(incident: NetworkIncident) -> str:
    lines = []
    if incident.resolved_at is not None:
        lines.append(f"- Restored: {incident.resolved_at:%Y-%m-%d %H:%M} UTC")
    elif incident.eta is not None:
        lines.append(f"- Expected back: {incident.eta:%Y-%m-%d %H:%M} UTC")
    else:
        lines.append("- No restoration time is known yet.")
    messages = [u.customer_message for u in incident.updates.all() if u.customer_message.strip()]
    if len(messages) > 1:
        lines.append(f"\nThe latest word to customers:\n\n{_quote(messages[-1])}")
    return "\n".join(lines)


def _incident_cause(incident: NetworkIncident, audience: str) -> str:
    lines = []
    if incident.root_cause:
        lines.append(f"- Root cause: {RootCause(incident.root_cause).label}")
    element = incident.root_element
    if audience == Audience.INTERNAL and element is not None:
        lines.append(f"- Failed element: {element.name}")
    if element is not None and element.area is not None:
        lines.append(f"- Area: {element.area.name}")
    if not lines:
        lines.append("_Say what failed, as far as customers need to know._")
    return "\n".join(lines)


def incident_draft_body(incident: NetworkIncident, audience: str) -> str:
    """The draft's Markdown for a network incident: the failure, its cause,
    what customers should do, and the restoration."""
    return (
        f"## Symptoms\n\n{_incident_failure(incident, audience)}\n\n"
        f"## Cause\n\n{_incident_cause(incident, audience)}\n\n"
        f"## What customers should do\n\n{CUSTOMER_STEPS}\n\n"
        f"## Restoration\n\n{_incident_restoration(incident)}\n\n"
        f"## Applies to\n\n- Drafted from network incident {incident.reference}\n"
    )


@transaction.atomic
def article_draft_from_incident(
    *, actor: User | None, incident_id: int, audience: str = Audience.PUBLIC
) -> Article:
    """A draft article from a network incident. A public draft (for the
    customer portal) holds only what customers may be told; an internal one
    adds the NOC's technical description and the failed element. Asking
    again while a draft of that audience is open returns it."""
    require(actor, Action.INCIDENT_VIEW)
    require(actor, Action.KB_EDIT)
    if audience not in Audience.values:
        raise ValidationFailed(
            "Unknown audience.", field="audience", value=audience, accepted=Audience.values
        )
    incident = (
        NetworkIncident.objects.select_for_update(of=("self",))
        .select_related("root_element", "root_element__area")
        .prefetch_related("updates")
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        raise NotFound(
            f"No network incident {incident_id}.", field="incident_id", value=incident_id
        )
    earlier = (
        Article.objects.filter(source_incident=incident, audience=audience, state__in=DRAFT_STATES)
        .order_by("id")
        .first()
    )
    if earlier is not None:
        return earlier
    return article_create(
        actor=actor,
        title=incident.title[:200],
        body=incident_draft_body(incident, audience),
        audience=audience,
        language="en",
        state=ArticleState.DRAFT,
        source_incident=incident,
        note=f"drafted from {incident.reference}",
    )
