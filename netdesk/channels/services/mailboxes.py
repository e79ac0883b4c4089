"""Configuring mailboxes: the desk's addresses and how their mail is read.

The IMAP password is write-only: it is set or cleared here and never read
back by any page or answer."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require
from netdesk.channels.models import ImapSecurity, Mailbox
from netdesk.channels.services.templates import LANGUAGE_PATTERN
from netdesk.core.errors import ValidationFailed
from netdesk.core.locking import locked
from netdesk.tickets.models import Category

# Where the desk reads: a change to any of these is another folder, whose
# UIDs say nothing about the old one's, so reading starts over there.
IMAP_PLACE = ("imap_host", "imap_port", "imap_user", "imap_folder")


@dataclass(frozen=True)
class MailboxSettings:
    """Everything an administrator sets on a mailbox, the password aside."""

    name: str
    address: str
    reply_address: str = ""
    active: bool = True
    ticket_type: str = "fault"
    group: SupportGroup | None = None
    category: Category | None = None
    language: str = "en"
    imap_host: str = ""
    imap_port: int = 993
    imap_security: str = ImapSecurity.SSL
    imap_user: str = ""
    imap_folder: str = "INBOX"
    done_folder: str = ""
    fetch_every_seconds: int = 60


def _checked(values: MailboxSettings, *, mailbox: Mailbox | None, password_set: bool) -> None:
    taken = Mailbox.objects.filter(name=values.name)
    if mailbox is not None:
        taken = taken.exclude(pk=mailbox.pk)
    if taken.exists():
        raise ValidationFailed(
            f"A mailbox named {values.name!r} exists already.",
            field="name",
            value=values.name,
            accepted="a name no other mailbox has",
        )
    if values.imap_security not in ImapSecurity.values:
        raise ValidationFailed(
            f"Unknown IMAP security {values.imap_security!r}.",
            field="imap_security",
            value=values.imap_security,
            accepted=list(ImapSecurity.values),
        )
    if values.category is not None and values.category.ticket_type != values.ticket_type:
        raise ValidationFailed(
            f"The category {values.category.name!r} is for {values.category.ticket_type} "
            f"tickets, not {values.ticket_type}.",
            field="category",
            value=values.category.name,
            accepted=f"a category of {values.ticket_type} tickets",
        )
    if not LANGUAGE_PATTERN.match(values.language):
        raise ValidationFailed(
            f"language {values.language!r} is not a language code.",
            field="language",
            value=values.language,
            accepted="a lower-case code such as en, de or pt-br",
        )
    if values.imap_host and not values.imap_user:
        raise ValidationFailed(
            "A mailbox read over IMAP needs the user to sign in as.",
            field="imap_user",
            value="",
            accepted="the IMAP account's user name",
        )
    if values.imap_host and not password_set:
        raise ValidationFailed(
            "A mailbox read over IMAP needs the account's password.",
            field="imap_password",
            value="",
            accepted="the IMAP account's password",
        )


@transaction.atomic
def mailbox_save(
    *,
    actor: User | None,
    mailbox: Mailbox | None,
    values: MailboxSettings,
    password: str | None = None,
    forget_password: bool = False,
) -> Mailbox:
    """Create a mailbox (`mailbox` None) or change one. `password` None (or
    blank) keeps the stored one; `forget_password` clears it."""
    require(actor, Action.CONFIGURE)
    if mailbox is not None:
        mailbox = locked(mailbox, what="mailbox")
        stored_password = mailbox.imap_password
    else:
        stored_password = ""
    new_password = "" if forget_password else (password or stored_password)
    _checked(values, mailbox=mailbox, password_set=bool(new_password))
    changed: dict[str, Any] = {f.name: getattr(values, f.name) for f in fields(values)}
    changed["imap_password"] = new_password
    if mailbox is None:
        return Mailbox.objects.create(**changed, next_fetch_at=timezone.now())
    moved = any(getattr(mailbox, name) != changed[name] for name in IMAP_PLACE)
    if moved:
        changed.update(uidvalidity=None, last_uid=0, failures=0, last_error="")
    if moved or changed["imap_password"] != mailbox.imap_password:
        # New settings are tried at once rather than after the backoff of the old ones.
        changed["next_fetch_at"] = timezone.now()
    for name, value in changed.items():
        setattr(mailbox, name, value)
    mailbox.save(update_fields=list(changed))
    return mailbox
