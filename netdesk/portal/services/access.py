"""What a contact may do in the portal, as the desk sets it for a customer."""

from __future__ import annotations

from django.db import transaction

from netdesk.customers.models import Contact
from netdesk.portal.models import PortalAccess


@transaction.atomic
def portal_access_set(
    *, contact: Contact, may_sign_in: bool | None = None, sees_all_tickets: bool | None = None
) -> PortalAccess:
    """Sets whether `contact` may sign in to the portal and (for a business
    customer) sees all the account's tickets rather than their own; a value
    left None stays as it was (default: may sign in, own tickets only)."""
    access, _created = PortalAccess.objects.select_for_update().get_or_create(contact=contact)
    changed: list[str] = []
    if may_sign_in is not None and access.may_sign_in != may_sign_in:
        access.may_sign_in = may_sign_in
        changed.append("may_sign_in")
    if sees_all_tickets is not None and access.sees_all_tickets != sees_all_tickets:
        access.sees_all_tickets = sees_all_tickets
        changed.append("sees_all_tickets")
    if changed:
        access.save(update_fields=changed)
    return access
