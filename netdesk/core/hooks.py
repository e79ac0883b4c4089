"""Named points where one app lets another react, configured in settings
(`NETDESK_HOOKS = {"ticket_created": ["dotted.path", ...]}`).

Tickets must not import the NOC (apps depend downward only), yet a new
fault ticket from a customer on a failed path must join the incident at
once, in the same transaction. A hook is an explicit, listed call: unlike a
signal, the settings show every reaction and the order they run in.

Hooks the desk's core asks:
- `live_streams` (user, wanted), answered: which of the live streams a page
  asks for (`tickets`, `ticket:<id>`) the user may listen to, beyond their
  own (`GET /live/?streams=...`).

Hooks the ticket services announce (keyword arguments in brackets):
- `ticket_changed` (ticket): a change that may move the ticket's clocks
  (status, queue, priority, service, an answer to the customer); service
  levels recompute its timers.
- `ticket_opening` (ticket), answered: a ticket about to be inserted, opened
  without a call; each app may set columns it derives from the ticket's own
  fields (service levels: the summary) and answers a function called once
  the ticket has its id (service levels: its timers, one INSERT). Such a
  ticket gets no `ticket_changed` for its opening.
- `ticket_preparing` (title, description), answered: a ticket about to be
  opened, before its transaction begins (on SQLite everything inside it
  holds the database's one writer turn); each app reads what it needs of
  the ticket's words (triage: its classifier's guess) and answers a
  function called with the new ticket inside the transaction, before the
  `ticket_created` hooks.
- `ticket_created` (ticket, actor), `ticket_escalated` (ticket, handler_id,
  actor), `ticket_resolved` (ticket, actor): a ticket that came in by mail
  has its customer told it is resolved.
- `ticket_reply_added` (ticket, comment, actor, recipients): a public reply,
  inside its transaction; the channels queue it as mail, to `recipients`
  ({"to": [...], "cc": [...]}) or, when None, to the ticket's customer.
- `ticket_page_panels` (ticket), answered: the rendered panels the ticket
  page shows beside its actions (service levels).
- `ticket_page_sections` (request, ticket), answered: the rendered sections
  the ticket page shows in its main column, between the description and the
  timeline (the conversation by mail); the request carries the reader and
  the form token.
- `ticket_bulk_actions` (), answered: further actions the bulk change of
  ticket lists offers, each answer a mapping of action name to
  `tickets.services.bulk.BulkAction` (linking to a network incident).

- `ticket_assigned` (ticket, assignee, actor): the ticket went to an agent
  (assigned, escalated to them, opened for them, routed to them), after its
  save; the agent is notified unless they did it themselves.
- `ticket_customer_replied` (ticket): the customer answered on the ticket
  (the portal, a chat, or a person's mail taken in by the channels); its
  assignee is notified.

Hooks service levels announce:
- `escalation_notice_created` (notice): an EscalationNotice row was written,
  inside the firing transaction; the channels queue its mail for
  `notice.deliver_after` and mark it delivered once sent.
- `sla_warning_fired` (timer, ticket), `sla_breach_fired` (timer, ticket):
  a timer's warning or breach fired (once), inside the firing transaction;
  the ticket's assignee is notified.

Hooks surveys announce:
- `survey_follow_up_opened` (follow_up): a low rating opened a follow-up
  for the team lead (`follow_up.owner`), who is notified.

Hooks the NOC announces:
- `incident_resolved` (incident, update, actor): inside the resolution's
  transaction, `update` being the resolution; the channels queue, in that
  transaction, the task that sends the customers notified of the incident
  the all-clear.
- `incident_page_panels` (incident, request), answered: the rendered panels
  the incident page shows beside its actions (notices to affected
  customers); the request carries the reader and the form token."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def _hooks(name: str) -> tuple[Callable[..., Any], ...]:
    paths: list[str] = getattr(settings, "NETDESK_HOOKS", {}).get(name, [])
    return tuple(import_string(path) for path in paths)


def hooks_run(name: str, **arguments: Any) -> None:
    """Call every hook registered under `name` with these keyword arguments."""
    for hook in _hooks(name):
        hook(**arguments)


def hooks_answers(name: str, **arguments: Any) -> list[Any]:
    """Call every hook registered under `name` and return their answers, in
    order: how a page or a figure of one app takes in what apps it must not
    import know (none registered: an empty list)."""
    return [hook(**arguments) for hook in _hooks(name)]
