"""The quarantine over the API: listing it page by page, processing a
message again, and the refusals as problem documents."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from netdesk.accounts.models import Role
from netdesk.accounts.permissions import Action
from netdesk.channels.models import InboundMessage, InboundState, Mailbox, Outcome, Source
from netdesk.channels.parsing import content_hash
from netdesk.channels.services.mailboxes import MailboxSettings, mailbox_save
from tests import factories as f

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def client_for(role: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(f.user(role))}")


@pytest.fixture
def lead() -> Client:
    return client_for(Role.TEAM_LEAD)


def mailbox(name: str = "support") -> Mailbox:
    return mailbox_save(
        actor=None,
        mailbox=None,
        values=MailboxSettings(name=name, address=f"{name}@isp.example"),
    )


def kept(box: Mailbox | None, subject: str, *, parses: bool = True) -> InboundMessage:
    """A message in quarantine; one that `parses` opens a ticket when processed again."""
    raw = (
        (
            "From: Ann Example <ann@example.net>\r\nTo: support@isp.example\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{subject.replace(' ', '.')}@example.net>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nThe line is down.\r\n"
        ).encode()
        if parses
        else b"<html>no header fields here</html>\r\n"
    )
    return InboundMessage.objects.create(
        mailbox=box,
        source=Source.PIPE,
        content_hash=content_hash(raw),
        raw=raw,
        size=len(raw),
        received_at="2026-03-02T08:00:00Z",
        state=InboundState.QUARANTINED,
        outcome=Outcome.QUARANTINED,
        reason="the database was locked",
        sender="ann@example.net",
        subject=subject,
        attempts=1,
    )


def test_the_quarantine_lists_newest_first_page_by_page(lead: Client) -> None:
    box = mailbox()
    first, second, third = (kept(box, f"Message {n}") for n in range(3))

    page = lead.get("/api/v1/mail/quarantine?limit=2").json()
    rest = lead.get(f"/api/v1/mail/quarantine?limit=2&cursor={page['next_cursor']}").json()

    assert [item["id"] for item in page["items"]] == [third.pk, second.pk]
    assert [item["id"] for item in rest["items"]] == [first.pk]
    assert rest["next_cursor"] is None
    item = page["items"][0]
    assert item["mailbox"] == "support"
    assert item["reason"] == "the database was locked"
    assert item["attempts"] == 1
    assert item["raw_url"] == f"/channels/mail/{third.pk}/raw/"
    assert "raw" not in item


def test_the_quarantine_of_one_mailbox(lead: Client) -> None:
    kept(mailbox("support"), "Here")
    kept(mailbox("billing"), "There")
    kept(None, "Piped without a mailbox")

    one = lead.get("/api/v1/mail/quarantine?mailbox=billing").json()
    every = lead.get("/api/v1/mail/quarantine").json()

    assert [item["subject"] for item in one["items"]] == ["There"]
    assert len(every["items"]) == 3
    assert every["items"][0]["mailbox"] is None


def test_a_page_costs_the_same_queries_for_3_or_30_messages(lead: Client) -> None:
    box = mailbox()
    for n in range(3):
        kept(box, f"Few {n}")
    lead.get("/api/v1/me")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        lead.get("/api/v1/mail/quarantine?mailbox=support")
    for n in range(27):
        kept(box, f"Many {n}")
    with CaptureQueriesContext(connection) as many:
        answer = lead.get("/api/v1/mail/quarantine?mailbox=support")

    assert len(answer.json()["items"]) == 30
    assert len(many) == len(few)


def test_an_unknown_mailbox_or_cursor_is_refused_naming_it(lead: Client) -> None:
    mailbox("support")

    unknown = lead.get("/api/v1/mail/quarantine?mailbox=nope")
    cursor = lead.get("/api/v1/mail/quarantine?cursor=abc")

    assert unknown.status_code == 422
    assert unknown["Content-Type"] == PROBLEM
    error = unknown.json()["errors"][0]
    assert (error["field"], error["value"], error["accepted"]) == ("mailbox", "nope", ["support"])
    assert cursor.status_code == 422
    assert cursor.json()["errors"][0]["field"] == "cursor"


def test_the_quarantine_is_refused_without_its_permission() -> None:
    response = client_for(Role.HOTLINE_OPERATOR).get("/api/v1/mail/quarantine")

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["value"] == Action.MAIL_QUARANTINE.value


def test_reprocess_opens_the_ticket_and_answers_the_message(lead: Client) -> None:
    message = kept(mailbox(), "Modem lights off")

    response = lead.post(f"/api/v1/mail/inbound/{message.pk}/reprocess")

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == InboundState.PROCESSED
    assert body["outcome"] == Outcome.TICKET_CREATED
    message.refresh_from_db()
    assert message.ticket is not None
    assert body["ticket"] == message.ticket.reference
    assert message.ticket.title == "Modem lights off"


def test_reprocess_of_a_mail_that_still_fails_keeps_it_with_the_new_reason(lead: Client) -> None:
    message = kept(mailbox(), "Broken", parses=False)

    body = lead.post(f"/api/v1/mail/inbound/{message.pk}/reprocess").json()

    assert body["state"] == InboundState.QUARANTINED
    assert body["attempts"] == 2
    assert "header" in body["reason"]


def test_reprocess_refusals_are_problem_documents(lead: Client) -> None:
    message = kept(mailbox(), "Twice")
    lead.post(f"/api/v1/mail/inbound/{message.pk}/reprocess")

    again = lead.post(f"/api/v1/mail/inbound/{message.pk}/reprocess")
    missing = lead.post("/api/v1/mail/inbound/999999/reprocess")
    refused = client_for(Role.HOTLINE_OPERATOR).post(f"/api/v1/mail/inbound/{message.pk}/reprocess")

    assert again.status_code == 422
    assert again["Content-Type"] == PROBLEM
    assert "processed already" in again.json()["detail"]
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["value"] == 999999
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["value"] == Action.MAIL_QUARANTINE.value
