"""Files sent with an outbound message (a scheduled report's tables): kept
with the row, attached on the wire, and no extra query for mail without."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.utils import timezone

from netdesk.channels.models import OutboundAttachment, OutboundKind, OutboundMessage
from netdesk.channels.services.delivery import message_bytes, outbound_deliver_due
from netdesk.channels.services.outbound import MailFile, outbound_queue
from tests.mailservers import SmtpSink

pytestmark = pytest.mark.django_db

CSV = "Group,Tickets\r\nNOC,3\r\nHotline — Köln,5\r\n".encode()
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_report_goes_out_with_its_files(mail_settings: SmtpSink) -> None:
    # Given a report message with a CSV and a binary file
    row = outbound_queue(
        kind=OutboundKind.REPORT,
        to=["manager@example.net"],
        subject="Weekly KPIs",
        body="The KPIs of last week are attached.\n",
        files=[
            MailFile("kpis.csv", "text/csv", CSV),
            MailFile("kpis.xlsx", XLSX_TYPE, b"PK\x03\x04\x00\xff binary"),
        ],
    )
    assert row.attachment_count == 2
    assert OutboundAttachment.objects.filter(message=row).count() == 2
    # When it is delivered
    assert outbound_deliver_due() == 1
    # Then the mail has the text and both files, byte for byte
    raw = mail_settings.messages[0].raw
    assert raw.isascii()
    mail = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["Auto-Submitted"] == "auto-generated"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content() == "The KPIs of last week are attached.\r\n"
    files = {part.get_filename() or "": part for part in mail.iter_attachments()}
    assert sorted(files) == ["kpis.csv", "kpis.xlsx"]
    assert files["kpis.csv"].get_content_type() == "text/csv"
    assert files["kpis.csv"].get_payload(decode=True) == CSV
    assert files["kpis.xlsx"].get_content_type() == XLSX_TYPE
    assert files["kpis.xlsx"].get_payload(decode=True) == b"PK\x03\x04\x00\xff binary"


def test_mail_without_files_reads_no_attachments(django_assert_num_queries) -> None:
    row = outbound_queue(kind=OutboundKind.TEST, to=["a@example.net"], subject="s", body="b")
    fresh = OutboundMessage.objects.get(pk=row.pk)
    with django_assert_num_queries(0):
        raw = message_bytes(fresh, timezone.now())
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail.get_content_type() == "text/plain"
