"""A ticket is listed from one definition: the API's answer for a loaded
ticket and for a list row carry the same fields and values, and exactly the
fields TicketOut declares."""

import pytest

from netdesk.accounts.models import Role
from netdesk.tickets.api.shapes import row_out, ticket_out
from netdesk.tickets.models import Ticket
from netdesk.tickets.schemas import TicketOut
from netdesk.tickets.selectors import ROW_COLUMNS
from netdesk.tickets.services import ticket_assign
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_ticket_reads_the_same_loaded_and_as_a_list_row() -> None:
    operator = f.user(role=Role.HOTLINE_OPERATOR)
    owner = f.customer()
    ticket = f.ticket(operator, owner, service=f.service(owner))
    ticket_assign(actor=operator, ticket=ticket, assignee=operator)

    loaded = Ticket.objects.select_related(
        "customer", "service", "category", "group", "assignee"
    ).get(pk=ticket.pk)
    row = Ticket.objects.filter(pk=ticket.pk).values(*ROW_COLUMNS).get()

    assert ticket_out(loaded) == row_out(row)
    assert set(row_out(row)) == set(TicketOut.model_fields)
    assert row_out(row)["assignee"] == operator.username
