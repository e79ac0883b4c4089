"""The queue page lists the work still to do: open tickets of the group,
unless a status, resolution dates or `open` itself are asked for."""

from __future__ import annotations

import pytest
from django.urls import reverse

from netdesk.tickets import services
from tests import factories as f

pytestmark = pytest.mark.django_db


def refs_of(response) -> list[str]:
    return [line["ref"] for line in response.context["tickets"]]


@pytest.fixture
def agent(client):
    user = f.user()
    client.force_login(user)
    return user


def test_resolved_tickets_leave_the_queue_and_come_back_when_asked_for(client, agent):
    waiting = f.ticket(agent, title="Still down")
    done = f.ticket(agent, title="Fixed yesterday")
    services.ticket_resolve(actor=agent, ticket=done, resolution_code="fixed", root_cause="unknown")
    group = str(waiting.group_id)

    assert refs_of(client.get(reverse("queue"))) == [waiting.reference]
    # Naming the group is a filter, and still the open work only.
    assert refs_of(client.get(reverse("queue"), {"group": group})) == [waiting.reference]
    # A status, resolution dates or open=0 ask for more than the open work.
    resolved = client.get(reverse("queue"), {"group": group, "status": "resolved"})
    assert refs_of(resolved) == [done.reference]
    since = client.get(reverse("queue"), {"group": group, "resolved_after": "2000-01-01"})
    assert refs_of(since) == [done.reference]
    everything = client.get(reverse("queue"), {"group": group, "open": "0"})
    assert sorted(refs_of(everything)) == sorted([waiting.reference, done.reference])


def test_queue_cells_are_escaped_and_follow_the_chosen_columns(client, agent):
    ticket = f.ticket(agent, title='<b>"Router" & modem</b>')
    page = client.get(reverse("queue")).content.decode()
    assert "&lt;b&gt;&quot;Router&quot; &amp; modem&lt;/b&gt;" in page
    assert "<b>" not in page.split('id="queue-table"')[1]
    assert f'<td><a href="/tickets/{ticket.reference}/">{ticket.reference}</a></td>' in page
    assert f'<span class="badge prio-{ticket.priority}"' in page
    line = client.get(reverse("queue")).context["tickets"][0]
    # One cell per default column, in order: the reference first.
    assert line["cells"][0].startswith("<td><a href=")
    assert len(line["cells"]) == len(client.get(reverse("queue")).context["columns"])


def test_a_queue_row_is_built_whole_with_its_checkbox_and_cells(client, agent):
    ticket = f.ticket(agent, title="Fibre <down>")
    line = client.get(reverse("queue")).context["tickets"][0]
    row = str(line["row"])
    assert row.startswith(f'<tr class="prio-{ticket.priority} sla-line-{line["due"]["state"]}">')
    assert (
        f'<td><input type="checkbox" name="ref" value="{ticket.reference}" form="bulk-form" '
        f'aria-label="Select {ticket.reference}"></td>'
    ) in row
    assert row.endswith("</tr>")
    assert "".join(line["cells"]) in row
    assert "Fibre &lt;down&gt;" in row
    assert row in client.get(reverse("queue")).content.decode()
