"""How a contact is told about their tickets, chosen in the portal."""

from __future__ import annotations

from django.db import transaction

from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Contact, NotifyBy


@transaction.atomic
def contact_notify_by_set(*, contact: Contact, notify_by: str) -> Contact:
    """Saves how `contact` is told (NotifyBy: by email, or only in the
    portal). A new way (SMS) is a new NotifyBy choice plus its sender."""
    if notify_by not in NotifyBy.values:
        raise ValidationFailed(
            f"notify_by {notify_by!r} is not a way the desk tells customers.",
            field="notify_by",
            value=notify_by,
            accepted=list(NotifyBy.values),
        )
    locked = Contact.objects.select_for_update().get(pk=contact.pk)
    if locked.notify_by != notify_by:
        locked.notify_by = notify_by
        locked.save(update_fields=["notify_by"])
    contact.notify_by = notify_by
    return contact
