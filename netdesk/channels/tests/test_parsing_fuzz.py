"""parse_message on arbitrary input: a mail or UnparseableMail, nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netdesk.channels.parsing import ParsedMail, UnparseableMail, content_hash, parse_message

HEADER_NAMES = ["From", "To", "Cc", "Subject", "Date", "Message-ID", "Content-Type",
                "Content-Transfer-Encoding", "Content-Disposition", "References", "X-Y"]  # fmt: skip
PIECES = [
    b"=?utf-8?Q?", b"=?x?B?", b"?=", b"multipart/mixed; boundary=", b"\"b\"", b"--b", b"--b--",
    b"text/html", b"message/rfc822", b"base64", b"quoted-printable", b"x-uuencode",
    b"begin 644 f\n", b"end\n", b"<a@b>", b"\x00", b"\xff\xfe", b"\r\n", b"\n", b" ", b";",
    b"charset=", b"utf-7", b"iso-2022-jp", b"\x1b$B", b"filename*0*=", b"''%E2", b"<script>",
    b"message/delivery-status", b"Action: failed\n", b"\n\n",
]  # fmt: skip

mail_like = st.builds(
    lambda headers, body: b"".join(headers) + b"\n" + body,
    st.lists(
        st.builds(
            lambda name, parts: name.encode() + b": " + b"".join(parts) + b"\n",
            st.sampled_from(HEADER_NAMES),
            st.lists(st.sampled_from(PIECES) | st.binary(max_size=8), max_size=8),
        ),
        max_size=8,
    ),
    st.lists(st.sampled_from(PIECES) | st.binary(max_size=16), max_size=30).map(b"".join),
)

part_like = st.builds(
    lambda ctype, extra, body: b"Content-Type: " + ctype + b"\n" + b"".join(extra) + b"\n" + body,
    st.sampled_from(
        [
            b"text/plain; charset=utf-8",
            b"text/html",
            b"message/rfc822",
            b"image/png",
            b"multipart/alternative; boundary=c",
            b"message/delivery-status",
            b"text/plain; charset=x-unknown",
            b"application/octet-stream; name*=utf-8''%FF",
        ]
    ),
    st.lists(
        st.sampled_from(
            [
                b"Content-Transfer-Encoding: base64\n",
                b"Content-Transfer-Encoding: x-uuencode\n",
                b'Content-Disposition: attachment; filename="=?utf-8?B?w7w=?="\n',
                b"Content-ID: <c@d>\n",
                b"Content-Transfer-Encoding: quoted-printable\n",
            ]
        ),
        max_size=3,
    ),
    st.lists(st.sampled_from(PIECES) | st.binary(max_size=16), max_size=12).map(b"".join),
)
multipart_like = st.builds(
    lambda parts, closed: (
        b"From: a@b.example\nContent-Type: multipart/mixed; boundary=b\n\n"
        + b"".join(b"--b\n" + part + b"\n" for part in parts)
        + (b"--b--\n" if closed else b"")
    ),
    st.lists(part_like, max_size=5),
    st.booleans(),
)


def strings_of(mail: ParsedMail) -> list[str]:
    found = [
        mail.message_id, mail.from_address, mail.from_name, mail.subject, mail.text,
        mail.html, mail.reply_text, *mail.in_reply_to, *mail.references, *mail.to,
        *mail.cc, *mail.reply_to, *mail.problems,
    ]  # fmt: skip
    found += [a.filename for a in mail.attachments] + [a.content_id for a in mail.attachments]
    if mail.bounce:
        found += [mail.bounce.original_message_id, mail.bounce.recipient, mail.bounce.diagnostic]
    return found


def check(raw: bytes) -> None:
    assert len(content_hash(raw)) == 64
    try:
        mail = parse_message(raw)
    except UnparseableMail as refused:
        reason = refused.reason
        assert reason
        return
    for text in strings_of(mail):
        assert "\x00" not in text
        assert not any("\ud800" <= char <= "\udfff" for char in text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes(raw):
    check(raw)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mail_like)
def test_mail_like_bytes(raw):
    check(raw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(multipart_like)
def test_multipart_like_bytes(raw):
    check(raw)
