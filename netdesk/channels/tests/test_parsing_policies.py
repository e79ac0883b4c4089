"""policy.default and compat32 read the same mail the same way: the mail
takes one or the other depending on its Content-* fields."""

from __future__ import annotations

import dataclasses
from email import policy
from pathlib import Path

import pytest

from netdesk.channels.parsing.message import _parse_with
from netdesk.channels.tests.test_parsing_bodies import HEAD

MAILS = sorted((Path(__file__).parent / "mails").glob("*.eml"))
BUILT = {
    "rfc2231-and-encoded-word-names": HEAD + b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
    b"--m\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nSch\xf6n\r\n"
    b"--m\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
    b" filename*0*=utf-8''Rechnung%20M%C3%A4rz; filename*1=.pdf\r\n\r\n%PDF\r\n"
    b'--m\r\nContent-Type: image/png; name="=?utf-8?B?w7wucG5n?="\r\nContent-ID: <i@x>\r\n\r\nP\r\n'
    b"--m--\r\n",
}


@pytest.mark.parametrize(
    "raw",
    [path.read_bytes() for path in MAILS] + list(BUILT.values()),
    ids=[path.name for path in MAILS] + list(BUILT),
)
def test_both_policies_give_the_same_mail(raw):
    standard = _parse_with(raw, (policy.default,), said=[])
    lenient = _parse_with(raw, (policy.compat32,), said=[])

    assert dataclasses.asdict(standard) == dataclasses.asdict(lenient)
    assert not any("parser failed" in problem for problem in standard.problems)
