"""Mailbox administration screens: the mailboxes with their health, a
mailbox's settings and connection test, and the quarantine of mail the
desk could not handle (read it, download it, process it again)."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.channels.connection_test import ConnectionCheck, connections_test
from netdesk.channels.forms_admin import MailboxForm
from netdesk.channels.models import InboundMessage, InboundState, Mailbox
from netdesk.channels.selectors_admin import (
    QUARANTINE_PAGE,
    mail_without_mailbox_quarantined,
    mailboxes_with_health,
    quarantine_page,
)
from netdesk.channels.services.inbound import mail_reprocess
from netdesk.channels.services.mailboxes import mailbox_save
from netdesk.core.errors import PermissionDenied, ServiceError
from netdesk.customers.views import desk_view
from netdesk.tickets.forms import attach_service_error, error_text


def _mailbox_or_404(name: str) -> Mailbox:
    found = Mailbox.objects.filter(name=name).first()
    if found is None:
        raise Http404(f"No mailbox named {name!r}.")
    return found


def _may_see_mail_admin(user: User) -> None:
    """The mailbox list is for those who configure mailboxes or tend the
    quarantine; the refusal names both."""
    if not (can(user, Action.CONFIGURE) or can(user, Action.MAIL_QUARANTINE)):
        raise PermissionDenied(
            f"The role {user.role!r} may not see the mailboxes: that needs "
            f"{Action.CONFIGURE.value!r} or {Action.MAIL_QUARANTINE.value!r}.",
            field="action",
            value=Action.CONFIGURE.value,
            accepted=[Action.CONFIGURE.value, Action.MAIL_QUARANTINE.value],
        )


@desk_view
def mailbox_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    _may_see_mail_admin(user)
    return render(
        request,
        "channels/mailboxes.html",
        {
            "mailboxes": mailboxes_with_health(),
            "unaddressed_quarantined": mail_without_mailbox_quarantined(),
            "can_configure": can(user, Action.CONFIGURE),
            "can_quarantine": can(user, Action.MAIL_QUARANTINE),
        },
    )


def _mailbox_page(
    request: HttpRequest,
    *,
    form: MailboxForm,
    mailbox: Mailbox | None,
    checks: list[ConnectionCheck] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "channels/mailbox_form.html",
        {"form": form, "mailbox": mailbox, "checks": checks},
        status=status,
    )


def _mailbox_saved(
    request: HttpRequest, form: MailboxForm, mailbox: Mailbox | None
) -> HttpResponse:
    """Save a posted mailbox form, or the page again as typed with the errors (422)."""
    if form.is_valid():
        try:
            saved = mailbox_save(
                actor=user_of(request),
                mailbox=mailbox,
                values=form.settings(),
                password=form.cleaned_data["imap_password"] or None,
                forget_password=form.cleaned_data.get("forget_password", False),
            )
        except PermissionDenied:
            raise
        except ServiceError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, f"Mailbox {saved.name} saved.")
            return redirect("channels_mailbox", name=saved.name)
    return _mailbox_page(request, form=form, mailbox=mailbox, status=422)


@desk_view
def mailbox_create(request: HttpRequest) -> HttpResponse:
    require(user_of(request), Action.CONFIGURE)
    if request.method == "POST":
        return _mailbox_saved(request, MailboxForm(request.POST), None)
    return _mailbox_page(request, form=MailboxForm(), mailbox=None)


@desk_view
def mailbox_edit(request: HttpRequest, name: str) -> HttpResponse:
    require(user_of(request), Action.CONFIGURE)
    mailbox = _mailbox_or_404(name)
    if request.method == "POST":
        return _mailbox_saved(request, MailboxForm(request.POST, mailbox=mailbox), mailbox)
    return _mailbox_page(request, form=MailboxForm(mailbox=mailbox), mailbox=mailbox)


@desk_view
@require_POST
def mailbox_test_connection(request: HttpRequest, name: str) -> HttpResponse:
    """Try the stored settings: sign in to the IMAP folder (when the mailbox
    reads IMAP) and greet the SMTP server answers go out through."""
    require(user_of(request), Action.CONFIGURE)
    mailbox = _mailbox_or_404(name)
    checks = connections_test(mailbox)
    return _mailbox_page(request, form=MailboxForm(mailbox=mailbox), mailbox=mailbox, checks=checks)


def _before(request: HttpRequest) -> int | None:
    raw = request.GET.get("before", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise Http404(f"'before' must be a message number, not {raw[:30]!r}.")
    return int(raw)


@desk_view
def quarantine(request: HttpRequest, name: str | None = None) -> HttpResponse:
    """Quarantined mail of one mailbox (or all), newest first, a page at a time."""
    require(user_of(request), Action.MAIL_QUARANTINE)
    mailbox = _mailbox_or_404(name) if name else None
    page = quarantine_page(mailbox=mailbox, before=_before(request))
    return render(
        request,
        "channels/quarantine.html",
        {"mailbox": mailbox, "page": page, "page_size": QUARANTINE_PAGE},
    )


@desk_view
def inbound_raw(request: HttpRequest, message_id: int) -> HttpResponse:
    """The message exactly as it arrived, as a download: never shown
    inline, so nothing in it can run in the desk's origin."""
    require(user_of(request), Action.MAIL_QUARANTINE)
    found = InboundMessage.objects.filter(pk=message_id).only("pk", "raw").first()
    if found is None:
        raise Http404(f"No received message {message_id}.")
    response = HttpResponse(bytes(found.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{found.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _reprocessed(request: HttpRequest, message: InboundMessage) -> str:
    """Process one message again; what became of it, in words."""
    try:
        mail_reprocess(actor=user_of(request), message=message)
    except PermissionDenied:
        raise
    except ServiceError as error:
        return f"not processed: {error_text(error)}"
    message.refresh_from_db(fields=["state", "outcome", "reason", "ticket"])
    if message.state == InboundState.QUARANTINED:
        return f"still quarantined: {message.reason}"
    ticket = f" ({message.ticket.reference})" if message.ticket else ""
    return f"{message.get_outcome_display()}{ticket}"


def _back_to_quarantine(request: HttpRequest) -> HttpResponse:
    mailbox = request.POST.get("mailbox", "")
    if mailbox and Mailbox.objects.filter(name=mailbox).exists():
        return redirect("channels_mailbox_quarantine", name=mailbox)
    return redirect("channels_quarantine")


@desk_view
@require_POST
def inbound_reprocess(request: HttpRequest, message_id: int) -> HttpResponse:
    require(user_of(request), Action.MAIL_QUARANTINE)
    found = InboundMessage.objects.filter(pk=message_id).first()
    if found is None:
        raise Http404(f"No received message {message_id}.")
    said = _reprocessed(request, found)
    if found.state == InboundState.QUARANTINED:
        messages.warning(request, f"Message {found.pk}: {said}")
    else:
        messages.success(request, f"Message {found.pk}: {said}.")
    return _back_to_quarantine(request)


@desk_view
@require_POST
def quarantine_reprocess(request: HttpRequest) -> HttpResponse:
    """Process again every message the page showed (their numbers are posted),
    one after the other: one that fails again does not stop the rest."""
    require(user_of(request), Action.MAIL_QUARANTINE)
    numbers = request.POST.getlist("message")
    bad = [n for n in numbers if not n.isdigit() or len(n) > 18]
    if bad:
        messages.error(request, f"Not message numbers: {', '.join(repr(n[:30]) for n in bad[:5])}.")
        return _back_to_quarantine(request)
    found = InboundMessage.objects.filter(
        pk__in=[int(n) for n in numbers[:QUARANTINE_PAGE]], state=InboundState.QUARANTINED
    ).order_by("pk")
    outcomes: Counter[str] = Counter()
    failed: list[str] = []
    for message in found:
        said = _reprocessed(request, message)
        if message.state == InboundState.QUARANTINED:
            outcomes["still quarantined"] += 1
            failed.append(f"message {message.pk}: {said}")
        else:
            outcomes[message.get_outcome_display()] += 1
    if not outcomes:
        messages.info(request, "None of these messages is quarantined any more.")
        return _back_to_quarantine(request)
    summary = ", ".join(f"{count} {what}" for what, count in outcomes.items())
    messages.success(request, f"Processed again: {summary}.")
    for line in failed[:10]:
        messages.warning(request, line)
    return _back_to_quarantine(request)
