"""Who is signed in to the customer portal and what they may see.

A portal session is never a Django user: it holds the signed-in contact's id
and the sign-in time in session keys of its own, so no agent page or API
opens for it. Every portal page is wrapped by `portal_view`, which finds the
contact (or sends the visitor to sign in) and speaks the customer's language.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Concatenate, ParamSpec
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import BooleanField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import SimpleTemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache

from netdesk.customers.models import Contact, Customer, Segment
from netdesk.portal.models import PortalAccess
from netdesk.tickets.models import Ticket

# The portal's own session keys: the agent sign-in (Django's auth keys) is
# never touched or read by the portal.
SESSION_CONTACT = "portal_contact_id"
SESSION_SIGNED_IN_AT = "portal_signed_in_at"
# Last time a portal page was opened (the idle timeout counts from it).
SESSION_SEEN_AT = "portal_seen_at"
# The idle clock is written back at most this often (not on every request).
SEEN_WRITE_EVERY = timedelta(minutes=1)
# Set on the request once looked up, so one request reads the contact once
# (and portal/base.html shows the menu by it).
REQUEST_CACHE = "portal_contact"

P = ParamSpec("P")
PortalView = Callable[Concatenate[HttpRequest, Contact, P], HttpResponse]


def portal_contacts() -> QuerySet[Contact]:
    """Contacts with their customer and their portal access flags, read in
    one statement (no PortalAccess row: may sign in, sees the default)."""
    access = PortalAccess.objects.filter(contact=OuterRef("pk"))
    return Contact.objects.select_related("customer").annotate(
        portal_may_sign_in=Coalesce(
            Subquery(access.values("may_sign_in")[:1]), Value(True), output_field=BooleanField()
        ),
        portal_sees_all=Coalesce(
            Subquery(access.values("sees_all_tickets")[:1]),
            Value(False),
            output_field=BooleanField(),
        ),
    )


def may_use_portal(contact: Contact) -> bool:
    """A verified contact of a real customer (not one the desk made for an
    unknown mail sender) whom the customer has not barred from the portal.
    `contact` comes from `portal_contact_get` or `portal_contacts`."""
    return bool(
        contact.verified
        and not contact.customer.is_placeholder
        and getattr(contact, "portal_may_sign_in", True)
    )


def portal_contact_get(contact_id: int) -> Contact | None:
    """The contact with the portal's flags, or None when gone or not allowed."""
    contact = portal_contacts().filter(pk=contact_id).first()
    if contact is None or not may_use_portal(contact):
        return None
    return contact


def _session_time(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def _session_expired(request: HttpRequest, now: datetime) -> bool:
    signed_in_at = _session_time(request.session.get(SESSION_SIGNED_IN_AT))
    seen_at = _session_time(request.session.get(SESSION_SEEN_AT)) or signed_in_at
    if signed_in_at is None or seen_at is None:
        return True
    absolute = timedelta(hours=settings.NETDESK_PORTAL_SESSION_HOURS)
    idle = timedelta(minutes=settings.NETDESK_PORTAL_IDLE_MINUTES)
    return now - signed_in_at > absolute or now - seen_at > idle


def _forget(request: HttpRequest) -> None:
    for key in (SESSION_CONTACT, SESSION_SIGNED_IN_AT, SESSION_SEEN_AT):
        request.session.pop(key, None)


def signed_in_contact(request: HttpRequest) -> Contact | None:
    """The contact signed in to the portal in this session, or None (never
    signed in, signed out, timed out, or no longer allowed to sign in)."""
    if hasattr(request, REQUEST_CACHE):
        cached: Contact | None = getattr(request, REQUEST_CACHE)
        return cached
    contact: Contact | None = None
    contact_id = request.session.get(SESSION_CONTACT)
    now = timezone.now()
    if isinstance(contact_id, int):
        if _session_expired(request, now):
            _forget(request)
        else:
            contact = portal_contact_get(contact_id)
            if contact is None:
                _forget(request)
            else:
                seen_at = _session_time(request.session.get(SESSION_SEEN_AT))
                if seen_at is None or now - seen_at > SEEN_WRITE_EVERY:
                    request.session[SESSION_SEEN_AT] = now.isoformat()
    setattr(request, REQUEST_CACHE, contact)
    return contact


def portal_sign_in(request: HttpRequest, contact: Contact) -> None:
    """Signs `contact` in: a new session key (a key known before sign-in is
    worth nothing after), then only the contact id and the time."""
    request.session.cycle_key()
    now = timezone.now().isoformat()
    request.session[SESSION_CONTACT] = contact.pk
    request.session[SESSION_SIGNED_IN_AT] = now
    request.session[SESSION_SEEN_AT] = now
    setattr(request, REQUEST_CACHE, portal_contact_get(contact.pk))


def portal_sign_out(request: HttpRequest) -> None:
    """Ends the portal session (an agent signed in in the same browser stays)."""
    _forget(request)
    request.session.cycle_key()
    setattr(request, REQUEST_CACHE, None)


def sign_in_url(next_path: str = "") -> str:
    url = reverse("portal_sign_in")
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def customer_language(customer: Customer) -> str:
    """The customer's language as Django knows it ("de-at" falls back to
    "de"); unknown or unset: the desk's default."""
    try:
        return translation.get_supported_language_variant(customer.language.strip().lower())
    except LookupError:
        return str(settings.LANGUAGE_CODE)


def portal_language(contact: Contact | None, request: HttpRequest) -> str:
    """The customer's language; before sign-in, the browser's."""
    if contact is None:
        return translation.get_language_from_request(request)
    return customer_language(contact.customer)


def portal_view(view: PortalView[P]) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """A portal page: called as `view(request, contact, ...)` for a signed-in
    contact, in the customer's language; signed out: to the sign-in page."""

    def wrapped(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        contact = signed_in_contact(request)
        if contact is None:
            return HttpResponseRedirect(sign_in_url(request.get_full_path()))
        with translation.override(portal_language(contact, request)):
            response = view(request, contact, *args, **kwargs)
            # A lazy template response would be rendered after the language
            # is reset: render it while the customer's language is active.
            if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                response.render()
        return response

    functools.update_wrapper(wrapped, view)
    return never_cache(wrapped)


def is_business(contact: Contact) -> bool:
    return contact.customer.segment != Segment.RESIDENTIAL


def sees_all_tickets(contact: Contact) -> bool:
    """Residential: every contact sees the account's tickets. Business: only
    those the customer allows (PortalAccess.sees_all_tickets)."""
    if not is_business(contact):
        return True
    flag = getattr(contact, "portal_sees_all", None)
    if flag is None:
        flag = PortalAccess.objects.filter(contact=contact, sees_all_tickets=True).exists()
    return bool(flag)


def visible_tickets(contact: Contact) -> QuerySet[Ticket]:
    """The tickets `contact` may see: their customer's only; for a business
    customer only the ones they are the contact of, unless allowed all."""
    tickets = Ticket.objects.filter(customer_id=contact.customer_id)
    if not sees_all_tickets(contact):
        tickets = tickets.filter(contact_id=contact.pk)
    return tickets
