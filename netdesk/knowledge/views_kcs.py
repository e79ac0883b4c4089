"""The ticket-to-article loop in the agent UI: the ticket page's knowledge
panel (articles linked, search to link the one that solved it, a draft from
the ticket), drafting from a network incident, and the report of recurring
topics no article covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.core.errors import PermissionDenied, ServiceError
from netdesk.customers.views import desk_view
from netdesk.knowledge.models import Audience, LinkKind
from netdesk.knowledge.selectors.topics import TOPIC_DAYS, recurring_topics
from netdesk.knowledge.selectors.use import TicketArticle, ticket_articles, ticket_drafts
from netdesk.knowledge.services.drafting import (
    article_draft_from_incident,
    article_draft_from_ticket,
)
from netdesk.knowledge.services.use import article_link, article_unlink
from netdesk.knowledge.views_kcs_search import ArticleChoice, article_choices
from netdesk.noc.models import NetworkIncident
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Ticket
from netdesk.tickets.selectors import ticket_get

# What the panel's search box takes (the suggest API's limit as well).
QUERY_MAX = 2_000
CHOICES_SHOWN = 6


class LinkForm(forms.Form):
    """Which article, and whether it solved the ticket or was only used."""

    article = forms.IntegerField(min_value=1)
    kind = forms.ChoiceField(choices=LinkKind.choices, required=False)


class IncidentDraftForm(forms.Form):
    audience = forms.ChoiceField(choices=Audience.choices, required=False)


def _query(request: HttpRequest, ticket: Ticket) -> str:
    query = " ".join(request.GET.get("q", "").split())[:QUERY_MAX]
    return query or ticket.title


def _choices(user: User, query: str, links: list[TicketArticle]) -> list[ArticleChoice]:
    linked = {link.article.pk for link in links}
    return article_choices(user=user, text=query, limit=CHOICES_SHOWN, linked=linked)


@require_GET
@desk_view
def ticket_panel(request: HttpRequest, ref: str) -> HttpResponse:
    """The ticket page's knowledge panel (loaded by the page with htmx)."""
    user = user_of(request)
    if not can(user, Action.KB_VIEW):
        return HttpResponse("")
    ticket = ticket_get(user=user, ref=ref)
    query = _query(request, ticket)
    links = ticket_articles(ticket)
    return render(
        request,
        "knowledge/_ticket_panel.html",
        {
            "ticket": ticket,
            "links": links,
            "drafts": ticket_drafts(ticket),
            "query": query,
            "query_max": QUERY_MAX,
            "choices": _choices(user, query, links),
            "resolved": ticket.status in (Status.RESOLVED, Status.CLOSED),
            "can_link": can(user, Action.TICKET_UPDATE),
            "can_draft": can(user, Action.KB_EDIT),
        },
    )


@require_GET
@desk_view
def ticket_article_search(request: HttpRequest, ref: str) -> HttpResponse:
    """The panel's search results as the agent types (an htmx fragment)."""
    user = user_of(request)
    require(user, Action.KB_VIEW)
    ticket = ticket_get(user=user, ref=ref)
    query = _query(request, ticket)
    return render(
        request,
        "knowledge/_ticket_choices.html",
        {
            "ticket": ticket,
            "query": query,
            "choices": _choices(user, query, ticket_articles(ticket)),
            "can_link": can(user, Action.TICKET_UPDATE),
        },
    )


def _back(ticket: Ticket) -> HttpResponse:
    return redirect(reverse("ticket_detail", args=[ticket.reference]) + "#kb-panel")


def _form_refused(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        value = form.data.get(field, "")
        messages.error(request, f"{field} {value!r}: {' '.join(str(e) for e in errors)}")


@require_POST
@desk_view
def ticket_link(request: HttpRequest, ref: str) -> HttpResponse:
    """Link the article that solved the ticket (or one used on it)."""
    user = user_of(request)
    ticket = ticket_get(user=user, ref=ref)
    form = LinkForm(request.POST)
    if not form.is_valid():
        _form_refused(request, form)
        return _back(ticket)
    kind = form.cleaned_data["kind"] or LinkKind.SOLVED
    try:
        link = article_link(
            actor=user, article_id=form.cleaned_data["article"], ticket_id=ticket.pk, kind=kind
        )
    except PermissionDenied:
        raise
    except ServiceError as refusal:
        messages.error(request, refusal.message)
        return _back(ticket)
    messages.success(
        request,
        f"{link.article.reference} linked to {ticket.reference}: {link.get_kind_display()}.",
    )
    return _back(ticket)


@require_POST
@desk_view
def ticket_unlink(request: HttpRequest, ref: str) -> HttpResponse:
    user = user_of(request)
    ticket = ticket_get(user=user, ref=ref)
    form = LinkForm(request.POST)
    if not form.is_valid():
        _form_refused(request, form)
        return _back(ticket)
    try:
        article_unlink(actor=user, article_id=form.cleaned_data["article"], ticket_id=ticket.pk)
    except PermissionDenied:
        raise
    except ServiceError as refusal:
        messages.error(request, refusal.message)
        return _back(ticket)
    messages.success(request, f"The article is no longer linked to {ticket.reference}.")
    return _back(ticket)


@require_POST
@desk_view
def ticket_draft(request: HttpRequest, ref: str) -> HttpResponse:
    """Draft an article from the ticket, then edit it."""
    user = user_of(request)
    ticket = ticket_get(user=user, ref=ref)
    article = article_draft_from_ticket(actor=user, ticket_id=ticket.pk)
    messages.success(
        request,
        f"{article.reference} drafted from {ticket.reference}: check it, then send it for review.",
    )
    return redirect("kb_article_edit", article.pk)


def _incident(ref: str) -> NetworkIncident:
    number = ref.upper().removeprefix("NI-")
    incident = None
    if number.isascii() and number.isdigit() and len(number) <= 18:
        incident = NetworkIncident.objects.filter(pk=int(number)).first()
    if incident is None:
        raise Http404(f"No incident {ref}.")
    return incident


@require_POST
@desk_view
def incident_draft(request: HttpRequest, ref: str) -> HttpResponse:
    """Draft an article from a network incident (public unless asked)."""
    user = user_of(request)
    require(user, Action.INCIDENT_VIEW)
    incident = _incident(ref)
    form = IncidentDraftForm(request.POST)
    if not form.is_valid():
        _form_refused(request, form)
        return redirect("noc_incident", incident.reference)
    audience = form.cleaned_data["audience"] or Audience.PUBLIC
    article = article_draft_from_incident(actor=user, incident_id=incident.pk, audience=audience)
    messages.success(request, f"{article.reference} drafted from {incident.reference}.")
    return redirect("kb_article_edit", article.pk)


@dataclass(frozen=True)
class _Period:
    days: int
    error: str


def _period(request: HttpRequest) -> _Period:
    raw = request.GET.get("days", "").strip()
    if not raw:
        return _Period(TOPIC_DAYS, "")
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 366:
        return _Period(int(raw), "")
    return _Period(TOPIC_DAYS, f"days {raw[:20]!r}: a whole number of days from 1 to 366.")


@require_GET
@desk_view
def topics_report(request: HttpRequest) -> HttpResponse:
    """Recurring topics without an article, for who publishes or reads the
    desk's figures."""
    user = user_of(request)
    if not (can(user, Action.KB_PUBLISH) or can(user, Action.KPI_VIEW_ALL)):
        require(user, Action.KB_PUBLISH)
    period = _period(request)
    until = timezone.now()
    report = recurring_topics(user=user, since=until - timedelta(days=period.days), until=until)
    return render(
        request,
        "knowledge/topics.html",
        {
            "report": report,
            "days": period.days,
            "period_error": period.error,
            "can_draft": can(user, Action.KB_EDIT),
        },
        status=422 if period.error else 200,
    )
