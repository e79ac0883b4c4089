"""`netdesk portal pin set --account N` prints a new PIN once;
`netdesk portal access list|set` shows and sets who may use the portal;
`netdesk portal help-figures` tells how the help articles suggested beside
a new ticket were used."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from netdesk.core.errors import ServiceError
from netdesk.customers.models import Contact, Customer
from netdesk.portal.access import may_use_portal, portal_contacts, sees_all_tickets
from netdesk.portal.selectors_kb import help_suggestion_figures
from netdesk.portal.services.access import portal_access_set
from netdesk.portal.services.pins import pin_new, portal_pin_remove, portal_pin_set

YES_NO = {"yes": True, "no": False}


class Command(BaseCommand):
    help = (
        "Customer portal: account PINs, which contacts may use the portal, "
        "and how its help-article suggestions were used."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="area", required=True)
        pin = sub.add_parser("pin", help="an account's portal PIN")
        pin_sub = pin.add_subparsers(dest="action", required=True)
        pin_set = pin_sub.add_parser("set", help="set a new PIN and print it once")
        pin_set.add_argument("--account", required=True, help="the account number")
        pin_set.add_argument(
            "--stdin", action="store_true", help="read the PIN (6 to 12 digits) from stdin"
        )
        pin_remove = pin_sub.add_parser("remove", help="remove the PIN (no sign-in by PIN)")
        pin_remove.add_argument("--account", required=True)
        access = sub.add_parser("access", help="which contacts may use the portal")
        access_sub = access.add_subparsers(dest="action", required=True)
        listing = access_sub.add_parser("list", help="an account's contacts and their access")
        listing.add_argument("--account", required=True)
        change = access_sub.add_parser("set", help="set one contact's access")
        change.add_argument("--account", required=True)
        change.add_argument("--email", required=True, help="the contact's e-mail address")
        change.add_argument("--sign-in", choices=sorted(YES_NO), dest="sign_in")
        change.add_argument("--all-tickets", choices=sorted(YES_NO), dest="all_tickets")
        figures = sub.add_parser(
            "help-figures", help="how the help articles suggested beside a new ticket were used"
        )
        figures.add_argument("--days", type=int, default=30, help="the last N days (default 30)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["area"] == "help-figures":
            self._help_figures(options["days"])
            return
        customer = Customer.objects.filter(account_number=options["account"]).first()
        if customer is None:
            raise CommandError(f"--account {options['account']!r}: no customer has this number.")
        try:
            if options["area"] == "pin":
                self._pin(customer, options)
            elif options["action"] == "list":
                self._list(customer)
            else:
                self._set(customer, options)
        except ServiceError as error:
            raise CommandError(error.message) from error

    def _pin(self, customer: Customer, options: dict[str, Any]) -> None:
        if options["action"] == "remove":
            removed = portal_pin_remove(customer=customer)
            self.stdout.write("PIN removed." if removed else "The account had no PIN.")
            return
        pin = sys.stdin.readline().strip() if options["stdin"] else pin_new()
        portal_pin_set(customer=customer, pin=pin)
        # Printed once: the desk keeps only its hash.
        self.stdout.write(pin)

    def _list(self, customer: Customer) -> None:
        for contact in portal_contacts().filter(customer=customer).order_by("-is_primary", "pk"):
            flags = [
                "may sign in" if may_use_portal(contact) else "may not sign in",
                "sees all tickets" if sees_all_tickets(contact) else "sees own tickets",
            ]
            primary = " (primary)" if contact.is_primary else ""
            self.stdout.write(
                f"{contact.email or '-'}  {contact.name}{primary}: {', '.join(flags)}"
            )

    def _set(self, customer: Customer, options: dict[str, Any]) -> None:
        found = Contact.objects.filter(customer=customer, email__iexact=options["email"].strip())
        contact = found.order_by("pk").first()
        if contact is None:
            raise CommandError(
                f"--email {options['email']!r}: no contact of {customer.account_number} has it."
            )
        sign_in, all_tickets = options["sign_in"], options["all_tickets"]
        if sign_in is None and all_tickets is None:
            raise CommandError("Give --sign-in yes|no, --all-tickets yes|no, or both.")
        portal_access_set(
            contact=contact,
            may_sign_in=YES_NO[sign_in] if sign_in else None,
            sees_all_tickets=YES_NO[all_tickets] if all_tickets else None,
        )
        self._list(customer)

    def _help_figures(self, days: int) -> None:
        if days < 1:
            raise CommandError(f"--days {days}: give a number of days, 1 or more.")
        figures = help_suggestion_figures(since=timezone.now() - timedelta(days=days))
        self.stdout.write(
            f"New tickets written in the portal in the last {days} days "
            "with help articles suggested:\n"
            f"  with suggestions              {figures.suggested}\n"
            f"  an article opened             {figures.opened}\n"
            f"  a ticket opened anyway        {figures.ticket}\n"
            f"  spared: article opened, no ticket  {figures.spared}"
        )
