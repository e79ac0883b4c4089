"""Mail from machines: automatic replies, bulk mail and delivery reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from netdesk.channels.parsing import AutoKind, BounceInfo, parse_message

MAILS = Path(__file__).parent / "mails"


def sample(name: str) -> bytes:
    return (MAILS / name).read_bytes()


def mail(*headers: str, sender: str = "alice@example.net") -> bytes:
    head = [f"From: {sender}", "Date: Tue, 5 Mar 2024 10:00:00 +0000", "Message-ID: <a@b.example>"]
    return "\n".join([*head, *headers]).encode() + b"\n\nText\n"


@pytest.mark.parametrize(
    ("headers", "sender", "kind"),
    [
        ((), "alice@example.net", None),
        (("Auto-Submitted: no",), "alice@example.net", None),
        (("Auto-Submitted: auto-replied",), "alice@example.net", AutoKind.AUTO_REPLIED),
        (
            ("Auto-Submitted: Auto-Generated; owner-email=x@y",),
            "a@example.net",
            AutoKind.AUTO_GENERATED,
        ),
        (("Auto-Submitted: auto-notified",), "alice@example.net", AutoKind.AUTO_GENERATED),
        (("X-Autoreply: yes",), "alice@example.net", AutoKind.AUTO_REPLIED),
        (("X-Autorespond: Vacation",), "alice@example.net", AutoKind.AUTO_REPLIED),
        (("X-Auto-Response-Suppress: OOF, AutoReply",), "alice@example.net", AutoKind.SUPPRESS),
        (("X-Auto-Response-Suppress: None",), "alice@example.net", None),
        (("Precedence: bulk",), "alice@example.net", AutoKind.BULK),
        (("Precedence: Junk",), "alice@example.net", AutoKind.BULK),
        (("Precedence: list",), "alice@example.net", AutoKind.BULK),
        (("Precedence: first-class",), "alice@example.net", None),
        (("List-Id: Users <users.lists.example.org>",), "alice@example.net", AutoKind.BULK),
        (("Return-Path: <>",), "alice@example.net", AutoKind.AUTO_GENERATED),
        (("Return-Path: <alice@example.net>",), "alice@example.net", None),
        ((), "MAILER-DAEMON@mx.example.org", AutoKind.MAILER_DAEMON),
        ((), "Postmaster <postmaster@example.org>", AutoKind.MAILER_DAEMON),
        (("Precedence: bulk",), "mailer-daemon@example.org", AutoKind.MAILER_DAEMON),
    ],
)
def test_automatic_mail_is_recognised(headers, sender, kind):
    auto = parse_message(mail(*headers, sender=sender)).auto

    assert auto == kind
    assert kind is None or isinstance(auto, AutoKind)


@pytest.mark.parametrize("sender", ["MAILER-DAEMON", "Mail Delivery Subsystem <MAILER-DAEMON>"])
def test_daemon_sender_without_domain(sender):
    parsed = parse_message(mail(sender=sender))

    assert parsed.auto == AutoKind.MAILER_DAEMON
    assert parsed.from_address == ""


def test_out_of_office_reply():
    parsed = parse_message(sample("out-of-office.eml"))

    assert parsed.auto == AutoKind.AUTO_REPLIED
    assert parsed.subject == "Abwesenheitsnotiz: [TT-000055] Störung"
    assert parsed.text == "Ich bin bis 12.03. nicht im Büro."
    assert parsed.bounce is None


def test_standard_delivery_report_from_postfix():
    parsed = parse_message(sample("postfix-dsn.eml"))

    assert parsed.auto == AutoKind.MAILER_DAEMON
    assert parsed.bounce == BounceInfo(
        original_message_id="ndk.42.0123456789abcdef@isp.example",
        recipient="nobody@customer.example",
        status="5.1.1",
        diagnostic="550 5.1.1 <nobody@customer.example>: Recipient address rejected: "
        "User unknown in virtual mailbox table",
    )
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("delivery-status.txt", "message/delivery-status"),
        ("[TT-000042] We received your request.eml", "message/rfc822"),
    ]
    assert parsed.text.startswith("This is the mail system at host mx.isp.example.")
    assert parsed.problems == []


def test_delivery_report_inside_multipart_mixed_from_exchange():
    parsed = parse_message(sample("exchange-ndr.eml"))

    assert parsed.auto == AutoKind.MAILER_DAEMON
    assert parsed.bounce == BounceInfo(
        original_message_id="ndk.101.5555666677778888@isp.example",
        recipient="ceo@customer.example",
        status="5.1.10",
        diagnostic="550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP "
        "address lookup",
    )


def test_delay_notice_is_no_bounce_but_still_automatic():
    parsed = parse_message(sample("delayed-dsn.eml"))

    assert parsed.bounce is None
    assert parsed.auto == AutoKind.MAILER_DAEMON
    assert [a.filename for a in parsed.attachments] == ["delivery-status.txt", "attachment-2.txt"]


def test_exim_bounce_without_a_report_part():
    parsed = parse_message(sample("exim-bounce.eml"))

    assert parsed.auto == AutoKind.MAILER_DAEMON
    assert parsed.bounce == BounceInfo(
        original_message_id="ndk.77.fedcba9876543210@isp.example",
        recipient="gone@customer.example",
        status="5.1.1",
        diagnostic="550 5.1.1 <gone@customer.example>: Recipient address rejected: User unknown",
    )


def test_qmail_bounce_with_the_original_inline():
    parsed = parse_message(sample("qmail-bounce.eml"))

    assert parsed.bounce == BounceInfo(
        original_message_id="ndk.0.aaaabbbbccccdddd@isp.example",
        recipient="olduser@example.com",
        status="5.1.1",
        diagnostic="",
    )


def test_bounce_subject_from_a_person_with_the_original_attached():
    # Some gateways send bounces from an ordinary address.
    raw = (
        b"From: Gateway <gateway@customer.example>\nTo: support@isp.example\n"
        b"Subject: Undeliverable: hello\nMessage-ID: <g@customer.example>\n"
        b"Date: Tue, 5 Mar 2024 10:00:00 +0000\n"
        b'Content-Type: multipart/mixed; boundary="g"\n\n'
        b"--g\nContent-Type: text/plain\n\nDelivery to kim@customer.example failed.\n"
        b"--g\nContent-Type: text/rfc822-headers\n\nMessage-ID: <ndk.7.0011223344556677@isp.example>\n"
        b"Subject: hello\n\n--g--\n"
    )

    parsed = parse_message(raw)

    assert parsed.auto == AutoKind.AUTO_GENERATED
    assert parsed.bounce == BounceInfo(
        "ndk.7.0011223344556677@isp.example", "kim@customer.example", "", ""
    )


def test_a_person_writing_about_undeliverable_mail_is_no_bounce():
    raw = mail("Subject: Undeliverable mail since yesterday?")

    parsed = parse_message(raw)

    assert parsed.bounce is None
    assert parsed.auto is None
