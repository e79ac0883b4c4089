"""Several agents logging the same call at once (PostgreSQL): the call is
logged once, the others are told on which ticket."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection

from netdesk.core.errors import ValidationFailed
from netdesk.phone.models import Call
from netdesk.phone.services.reports import call_report_log, call_ticket_create
from netdesk.phone.tests import calls_made
from netdesk.tickets.choices import Outcome
from netdesk.tickets.models import Interaction, Ticket
from tests import factories as f

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (scripts/with-postgres.sh): writers at once; "
        "SQLite runs one writer at a time",
    ),
]
AGENTS = 6


def test_a_call_logged_by_several_agents_at_once_is_logged_once():
    f.group()
    caller = f.customer()
    answering = f.user()
    agents = [f.user() for _ in range(AGENTS)]
    tickets = [f.ticket(answering, caller) for _ in range(AGENTS // 2)]
    call = calls_made.call(customer=caller, answered_by=answering)
    start = threading.Barrier(AGENTS)
    refused: list[str] = []
    errors: list[BaseException] = []

    def log(index: int) -> None:
        try:
            start.wait()
            mine = Call.objects.get(pk=call.pk)
            if index % 2:
                call_report_log(
                    actor=agents[index],
                    call=mine,
                    ticket=tickets[index // 2],
                    summary=f"report {index}",
                    outcome=Outcome.TICKET_UPDATED,
                )
            else:
                call_ticket_create(
                    actor=agents[index],
                    call=mine,
                    ticket={"customer": caller, "ticket_type": "fault", "title": f"new {index}"},
                    report={"summary": f"report {index}", "outcome": Outcome.TICKET_CREATED},
                )
        except ValidationFailed as error:
            refused.append(str(error.field))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=log, args=(i,)) for i in range(AGENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert refused == ["call"] * (AGENTS - 1)
    call.refresh_from_db()
    reports = Interaction.objects.filter(summary__startswith="report ")
    assert [r.pk for r in reports] == [call.interaction_id]
    assert call.ticket_id == reports[0].ticket_id
    # A refused new ticket was rolled back with its report.
    assert Ticket.objects.filter(title__startswith="new ").count() <= 1
