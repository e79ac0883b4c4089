"""What the knowledge base does when a ticket is resolved (settings
NETDESK_HOOKS, documented in netdesk/core/hooks.py): the ticket becomes a
search document agents are offered with its resolution, and the articles
that solved it record whether it was solved at first contact. Reopened, it
is no longer offered as solved."""

from __future__ import annotations

from netdesk.accounts.models import User
from netdesk.knowledge.models import ArticleLink, Audience, DocumentKind, LinkKind
from netdesk.knowledge.selectors.use import NOT_KNOWLEDGE
from netdesk.knowledge.services.documents import document_drop, document_put
from netdesk.knowledge.services.drafting import ticket_customer_words, ticket_public_replies
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Ticket

SOLVED_STATUSES = (Status.RESOLVED, Status.CLOSED)


def ticket_answer(ticket: Ticket, replies: list[str]) -> str:
    """What solved the ticket: the resolution notes and the last reply to
    the customer (or at least how it was resolved)."""
    parts = [ticket.resolution_notes.strip()]
    if replies:
        parts.append(replies[-1].strip())
    answer = "\n\n".join(part for part in parts if part)
    return answer or ticket.get_resolution_code_display()


def ticket_resolved(*, ticket: Ticket, actor: User | None) -> None:  # noqa: ARG001  # the hook's signature
    """Inside the resolution's transaction: index the ticket (its words, the
    customer's, and what solved it) and set the first-contact flag of the
    articles linked as having solved it, from the desk's own decision."""
    ArticleLink.objects.filter(ticket=ticket, kind=LinkKind.SOLVED).update(
        first_contact=ticket.first_contact_resolved
    )
    if ticket.resolution_code in NOT_KNOWLEDGE:
        document_drop(kind=DocumentKind.TICKET, object_id=ticket.pk)
        return
    words = [ticket.description.strip(), *ticket_customer_words(ticket)]
    document_put(
        kind=DocumentKind.TICKET,
        object_id=ticket.pk,
        title=ticket.title,
        body="\n\n".join(word for word in words if word),
        answer=ticket_answer(ticket, ticket_public_replies(ticket)),
        language=ticket.customer.language or "en",
        audience=Audience.INTERNAL,
        live=True,
    )


def ticket_changed(*, ticket: Ticket) -> None:
    """Inside the change's transaction: a reopened ticket leaves the solved
    cases until it is resolved again. A ticket never reopened costs nothing
    here (most changes are to those)."""
    if ticket.reopen_count == 0 or ticket.status in SOLVED_STATUSES:
        return
    document_drop(kind=DocumentKind.TICKET, object_id=ticket.pk)
