"""Content hash, sender key, subject references and the desk's Message-IDs."""

from __future__ import annotations

import re

import pytest

from netdesk.channels.parsing import (
    address_key,
    content_hash,
    make_message_id,
    message_id_ticket,
    reference_ticket_pk,
    subject_references,
)
from netdesk.tickets.models.ticket import reference_for

MAIL = (
    b"From: alice@example.net\nTo: support@isp.example\nSubject: Down\n"
    b"Message-ID: <m1@example.net>\nDKIM-Signature: v=1; a=rsa-sha256; d=example.net;\n"
    b" b=abc\n\nThe line is down.\n"
)


def test_same_mail_by_two_paths_hashes_the_same():
    via_imap = (
        b"Return-Path: <alice@example.net>\r\nDelivered-To: support@isp.example\r\n"
        b"Received: from mx1 by imap\r\n\tfor <support@isp.example>; Tue, 5 Mar 2024\r\n"
        b"ARC-Seal: i=1; a=rsa-sha256\r\nX-Spam-Status: No\r\n" + MAIL.replace(b"\n", b"\r\n")
    )
    via_pipe = (
        b"From alice@example.net Tue Mar  5 10:11:12 2024\nX-Original-To: support@isp.example\n"
        b"Received: from mx2\n  by pipe\nEnvelope-To: support@isp.example\n"
        + MAIL.replace(b"DKIM-Signature: v=1; a=rsa-sha256; d=example.net;\n b=abc\n", b"")
        + b"\n\n"
    )

    assert content_hash(via_imap) == content_hash(via_pipe) == content_hash(MAIL)
    assert re.fullmatch(r"[0-9a-f]{64}", content_hash(MAIL))


def test_different_content_hashes_differently():
    assert content_hash(MAIL) != content_hash(MAIL.replace(b"down.", b"up."))
    assert content_hash(MAIL) != content_hash(MAIL.replace(b"Subject: Down", b"Subject: Up"))
    # A trace header's name inside the body is body text.
    assert content_hash(MAIL) != content_hash(MAIL + b"Received: x\n")


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("Alice@Example.NET", "alice@example.net"),
        ("alice+isp@example.net", "alice@example.net"),
        ("alice+isp+2@example.net", "alice@example.net"),
        ("<Bob@Example.org>", "bob@example.org"),
        ("+tag@example.net", "+tag@example.net"),
        ("no-at-sign", "no-at-sign"),
    ],
)
def test_address_key(address, key):
    assert address_key(address) == key


def test_subject_references():
    subject = "Re: AW: [TT-000123] Outage [tt-000123] and [ TT-45 ] but not TT-000777 or [TT-x]"

    assert subject_references(subject) == ["TT-000123", "TT-000045"]
    assert [reference_ticket_pk(ref) for ref in subject_references(subject)] == [123, 45]
    assert subject_references(f"[{reference_for(1234567)}]") == ["TT-1234567"]
    assert subject_references("no reference") == []


def test_desk_message_ids_carry_their_ticket():
    made = make_message_id(42, "isp.example")

    assert re.fullmatch(r"ndk\.42\.[0-9a-f]{16}@isp\.example", made)
    assert make_message_id(42, "isp.example") != made
    assert message_id_ticket(made, "isp.example") == 42
    assert message_id_ticket(f"<{made}>", "ISP.example") == 42
    assert message_id_ticket(make_message_id(None, "isp.example"), "isp.example") == 0


@pytest.mark.parametrize(
    "message_id",
    [
        "ndk.42.0123456789abcdef@other.example",
        "ndk.x.0123456789abcdef@isp.example",
        "abc.42.0123456789abcdef@isp.example",
        "ndk.42.@isp.example",
        "",
    ],
)
def test_foreign_message_ids_name_no_ticket(message_id):
    assert message_id_ticket(message_id, "isp.example") is None
