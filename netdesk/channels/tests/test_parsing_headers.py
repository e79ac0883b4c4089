"""Header fields: charsets, encoded words, addresses, dates, Message-IDs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from netdesk.channels.parsing import UnparseableMail, parse_message


def mail(*headers: str | bytes, body: bytes = b"Hello\n") -> bytes:
    lines = [h.encode() if isinstance(h, str) else h for h in headers]
    defaults = {
        b"from:": b"From: alice@example.net",
        b"date:": b"Date: Tue, 05 Mar 2024 10:11:12 +0000",
        b"message-id:": b"Message-ID: <m1@example.net>",
    }
    for prefix, line in defaults.items():
        if not any(h.lower().startswith(prefix) for h in lines):
            lines.append(line)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("iso-8859-1", "Grüße aus Köln"),
        ("iso-8859-2", "Zażółć gęślą jaźń"),
        ("iso-8859-5", "Привет"),
        ("iso-8859-7", "Καλημέρα"),
        ("iso-8859-15", "Preis 5 €"),
        ("windows-1250", "Příliš žluťoučký kůň"),
        ("windows-1251", "Интернет не работает"),
        ("windows-1252", "“quoted” – dash"),
        ("windows-1256", "الإنترنت"),
        ("gb18030", "网络中断"),
        ("gb2312", "网络中断"),
        ("iso-2022-jp", "インターネットが使えません"),
        ("shift_jis", "インターネットが使えません"),
        ("euc-kr", "인터넷이 안 됩니다"),
        ("big5", "網路中斷"),
        ("koi8-r", "Привет"),
        ("utf-8", "Ünïcødé ✓"),
    ],
)
def test_body_in_each_charset_is_decoded(charset, text):
    raw = mail(
        f"Content-Type: text/plain; charset={charset}",
        "Content-Transfer-Encoding: 8bit",
        body=text.encode(charset),
    )

    parsed = parse_message(raw)

    assert parsed.text == text
    assert parsed.problems == []


def test_ks_c_5601_label_reads_the_windows_superset():
    # Outlook labels Korean as ks_c_5601-1987 and writes cp949 characters
    # that euc-kr lacks.
    text = "똠방각하 인터넷"
    raw = mail("Content-Type: text/plain; charset=ks_c_5601-1987", body=text.encode("cp949"))

    assert parse_message(raw).text == text


def test_iso_2022_jp_with_nec_circled_digits():
    text = "①番の回線"
    raw = mail(
        "Content-Type: text/plain; charset=ISO-2022-JP",
        body=text.encode("iso2022_jp_2004"),
    )

    assert parse_message(raw).text == text


def test_latin1_label_on_windows_1252_text():
    raw = mail("Content-Type: text/plain; charset=iso-8859-1", body="“Hi” €".encode("cp1252"))

    assert parse_message(raw).text == "“Hi” €"


def test_unknown_charset_falls_back_and_says_so():
    raw = mail("Content-Type: text/plain; charset=x-klingon", body="Grüße".encode())

    parsed = parse_message(raw)

    assert parsed.text == "Grüße"
    assert parsed.problems == [
        "unknown charset 'x-klingon' in a text/plain part; read as UTF-8 or windows-1252"
    ]


def test_codec_names_that_are_no_text_charset_are_unknown():
    raw = mail("Content-Type: text/plain; charset=unicode_escape", body=b"caf\\u00e9")

    parsed = parse_message(raw)

    assert parsed.text == "caf\\u00e9"
    assert parsed.problems == [
        "unknown charset 'unicode_escape' in a text/plain part; read as UTF-8 or windows-1252"
    ]


def test_8bit_body_declared_ascii_is_read_as_utf8():
    raw = mail("Content-Type: text/plain; charset=us-ascii", body="Grüße".encode())

    parsed = parse_message(raw)

    assert parsed.text == "Grüße"
    assert parsed.problems == [
        "8-bit text declared as us-ascii in a text/plain part; read as UTF-8 or windows-1252"
    ]


def test_bytes_not_in_declared_charset_are_replaced():
    raw = mail("Content-Type: text/plain; charset=utf-8", body=b"ok \xff\xfe ok")

    parsed = parse_message(raw)

    assert parsed.text == "ok \ufffd\ufffd ok"
    assert parsed.problems == [
        "bytes that are not utf-8 in a text/plain part; undecodable ones replaced"
    ]


def test_encoded_words_in_subject_and_names():
    raw = mail(
        "From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <joerg@example.net>",
        "Subject: =?UTF-8?B?U3TDtnJ1bmc=?= seit =?utf-8?q?heute_fr=C3=BCh?=",
    )

    parsed = parse_message(raw)

    assert parsed.subject == "Störung seit heute früh"
    assert parsed.from_name == "Jörg Müller"


def test_character_split_between_two_encoded_words_comes_out_whole():
    # "ü" is C3 BC; the encoder cut between the two bytes.
    raw = mail("Subject: =?utf-8?Q?Gr=C3?= =?utf-8?Q?=BC=C3=9Fe?=")

    assert parse_message(raw).subject == "Grüße"


def test_malformed_encoded_words():
    raw = mail(
        # Lower-case encoding, unpadded base64, encoded word glued to text,
        # a language suffix (RFC 2231) and a space inside the Q text.
        "Subject: =?utf-8?b?SGFsbG8?=Welt =?UTF-8*de?Q?gro=C3=9F?= =?utf-8?q?a b?=",
    )

    assert parse_message(raw).subject == "HalloWelt großa b"


def test_encoded_word_in_unknown_charset():
    raw = mail("Subject: =?x-unknown?Q?Caf=C3=A9?=")

    parsed = parse_message(raw)

    assert parsed.subject == "Café"
    assert parsed.problems == [
        "unknown charset 'x-unknown' in an encoded word of the subject header; "
        "read as UTF-8 or windows-1252"
    ]


def test_raw_utf8_headers_rfc6532():
    raw = mail(
        "From: Jörg Müller <jörg@bücher.example>".encode(),
        "Subject: Störung 網路".encode(),
    )

    parsed = parse_message(raw)

    assert parsed.subject == "Störung 網路"
    assert parsed.from_name == "Jörg Müller"
    assert parsed.from_address == "jörg@bücher.example"
    assert parsed.problems == []


def test_raw_8bit_headers_in_the_body_charset():
    raw = mail(
        "Subject: ネットワーク".encode("shift_jis"),
        "Content-Type: text/plain; charset=shift_jis",
    )

    assert parse_message(raw).subject == "ネットワーク"


def test_raw_8bit_headers_in_the_charset_of_the_first_text_part():
    raw = mail(
        "Subject: Привет".encode("koi8-r"),
        'Content-Type: multipart/mixed; boundary="b"',
        body=b"--b\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\nx\r\n--b--\r\n",
    )

    assert parse_message(raw).subject == "Привет"


def test_raw_8bit_headers_in_no_known_charset():
    raw = mail("Subject: Gr\xfc\xdfe".encode("latin-1"))

    parsed = parse_message(raw)

    assert parsed.subject == "Grüße"
    assert parsed.problems == [
        "8-bit bytes in the subject header that are not UTF-8; read as windows-1252"
    ]


def test_addresses_are_lowercased_and_listed():
    raw = mail(
        'From: "Müller, Hans" <Hans.Mueller@Example.NET>',
        'To: support@ISP.example, "Desk, Team" <desk@isp.example>',
        "Cc: =?utf-8?Q?B=C3=A4r=2C_Anna?= <anna@example.org>, undisclosed-recipients:;",
        "Reply-To: <replies@example.net>",
    )

    parsed = parse_message(raw)

    assert (parsed.from_name, parsed.from_address) == ("Müller, Hans", "hans.mueller@example.net")
    assert parsed.to == ["support@isp.example", "desk@isp.example"]
    assert parsed.cc == ["anna@example.org"]
    assert parsed.reply_to == ["replies@example.net"]


def test_not_an_address_is_left_out_and_said():
    raw = mail("To: root, bob@example.net")

    parsed = parse_message(raw)

    assert parsed.to == ["bob@example.net"]
    assert parsed.problems == ["'root' in the to header is not an address; left out"]


def test_address_header_the_parser_cannot_read_is_left_out_and_said():
    raw = mail("To: " + "(" * 5_000, "Cc: kim@example.net")

    parsed = parse_message(raw)

    assert (parsed.to, parsed.cc) == ([], ["kim@example.net"])
    assert parsed.problems == ["the to header could not be read as addresses; left out"]


def test_missing_from_uses_sender():
    raw = b"Sender: robot@example.net\nSubject: x\nMessage-ID: <a@b>\nDate: Tue, 5 Mar 2024 10:00:00 +0000\n\nhi\n"

    parsed = parse_message(raw)

    assert parsed.from_address == "robot@example.net"
    assert parsed.problems == []


def test_no_sender_at_all_is_said():
    raw = b"Subject: x\nMessage-ID: <a@b>\nDate: Tue, 5 Mar 2024 10:00:00 +0000\n\nhi\n"

    parsed = parse_message(raw)

    assert parsed.from_address == ""
    assert parsed.problems == ["no sender address (From)"]


def test_message_ids_without_brackets():
    raw = mail(
        "Message-ID: <Abc.123@mail.example.net>",
        "In-Reply-To: <first@x.example> (Alice's message of Monday) <second@x.example>",
        "References: <r1@x.example>\r\n <r2@x.example>  <r3@x.example>",
    )

    parsed = parse_message(raw)

    assert parsed.message_id == "Abc.123@mail.example.net"
    assert parsed.in_reply_to == ["first@x.example", "second@x.example"]
    assert parsed.references == ["r1@x.example", "r2@x.example", "r3@x.example"]


def test_message_id_without_angle_brackets_and_missing_one():
    assert parse_message(mail("Message-ID: bare@example.net")).message_id == "bare@example.net"
    raw = b"From: a@example.net\nDate: Tue, 5 Mar 2024 10:00:00 +0000\n\nhi\n"
    parsed = parse_message(raw)
    assert parsed.message_id == ""
    assert parsed.problems == ["no Message-ID header"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Tue, 05 Mar 2024 10:11:12 +0100", datetime(2024, 3, 5, 9, 11, 12, tzinfo=UTC)),
        ("5 Mar 2024 10:11:12 -0500", datetime(2024, 3, 5, 15, 11, 12, tzinfo=UTC)),
        ("Tue, 5 Mar 2024 10:11:12 GMT", datetime(2024, 3, 5, 10, 11, 12, tzinfo=UTC)),
        ("Tue, 5 Mar 2024 10:11:12 -0000", datetime(2024, 3, 5, 10, 11, 12, tzinfo=UTC)),
        ("Tue, 5 Mar 2024 10:11:12 CET", datetime(2024, 3, 5, 9, 11, 12, tzinfo=UTC)),
        ("Tue, 5 Mar 24 10:11 +0000", datetime(2024, 3, 5, 10, 11, tzinfo=UTC)),
        ("2024-03-05T10:11:12+02:00", datetime(2024, 3, 5, 8, 11, 12, tzinfo=UTC)),
        ("Tue, 5 Mar 2024 10:11:12 +01:00", datetime(2024, 3, 5, 9, 11, 12, tzinfo=UTC)),
        ("Tue, 5 Mar 2024 10:11:12 +0100 (CET)", datetime(2024, 3, 5, 9, 11, 12, tzinfo=UTC)),
    ],
)
def test_dates_become_aware_utc(header, expected):
    parsed = parse_message(mail(f"Date: {header}"))

    assert parsed.date == expected
    assert parsed.problems == []


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("yesterday", "Date header 'yesterday' is not a date; left empty"),
        (
            "Tue, 35 Mar 2024 10:11:12 +0000",
            "Date header 'Tue, 35 Mar 2024 10:11:12 +0000' is not a date; left empty",
        ),
        (
            "Mon, 1 Jan 1900 00:00:00 +0000",
            "Date header 'Mon, 1 Jan 1900 00:00:00 +0000' lies outside 1970 to 2099; left empty",
        ),
        (
            "Fri, 31 Dec 9999 23:59:59 -1200",
            "Date header 'Fri, 31 Dec 9999 23:59:59 -1200' lies outside 1970 to 2099; left empty",
        ),
    ],
)
def test_bad_dates_are_left_empty_and_said(header, problem):
    parsed = parse_message(mail(f"Date: {header}"))

    assert parsed.date is None
    assert parsed.problems == [problem]


def test_date_without_a_zone_is_read_as_utc_and_said():
    parsed = parse_message(mail("Date: Tue Mar  5 10:11:12 2024"))

    assert parsed.date == datetime(2024, 3, 5, 10, 11, 12, tzinfo=UTC)
    assert parsed.problems == [
        "Date header 'Tue Mar  5 10:11:12 2024' names no time zone; read as UTC"
    ]


def test_missing_date_is_said():
    parsed = parse_message(b"From: a@example.net\nMessage-ID: <a@b>\n\nhi\n")

    assert parsed.date is None
    assert parsed.problems == ["no Date header"]


def test_huge_headers_are_read_whole():
    subject = "Störung " * 25_000
    recipients = ", ".join(f"user{n}@example.net" for n in range(5_000))
    raw = mail(
        f"Subject: {subject}".encode(),
        f"To: {recipients}",
        "X-Filler: " + "\r\n ".join("x" * 70 for _ in range(5_000)),
    )

    parsed = parse_message(raw)

    assert parsed.subject == subject.strip()
    assert len(parsed.to) == 5_000
    assert parsed.to[-1] == "user4999@example.net"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "the input is empty"),
        (b" \r\n\r\n\t", "the input is empty"),
        (
            b"just some text\nwithout headers\n",
            "the input does not start with header fields: not a mail",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "the input does not start with header fields: not a mail"),
    ],
)
def test_what_is_not_a_mail_is_refused_with_its_reason(raw, reason):
    with pytest.raises(UnparseableMail) as refused:
        parse_message(raw)

    assert refused.value.reason == reason


def test_mbox_from_line_is_skipped():
    raw = b"From alice@example.net Tue Mar  5 10:11:12 2024\n" + mail("Subject: via pipe")

    parsed = parse_message(raw)

    assert parsed.subject == "via pipe"
    assert parsed.from_address == "alice@example.net"
