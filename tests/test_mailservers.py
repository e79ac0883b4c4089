"""The mail servers the email channel is tested against: Dovecot and the SMTP sink."""

import imaplib
import re
import smtplib

import pytest
from django.core import mail
from imap_tools import AND, MailBoxUnencrypted, MailMessageFlags

from tests import mailservers
from tests.dovecot_config import DovecotSetup, dovecot_config
from tests.mailservers import MAILBOX_PASSWORD, MAILBOX_USER

MESSAGE = (
    b"From: Anna Kunde <anna@example.net>\r\n"
    b"To: support@isp.example\r\n"
    b"Subject: No internet since this morning\r\n"
    b"Message-ID: <first@example.net>\r\n"
    b"\r\n"
    b"The router's light is red.\r\n"
)


def test_imaplib_appends_lists_and_moves_with_uidvalidity_and_uids(dovecot):
    with imaplib.IMAP4(dovecot.host, dovecot.port) as imap:
        imap.login(MAILBOX_USER, MAILBOX_PASSWORD)
        status, answer = mailservers.imap_append(imap, "INBOX", MESSAGE)
        assert status == "OK"
        appended = re.search(rb"APPENDUID (\d+) (\d+)", answer[0])
        assert appended is not None
        uidvalidity, uid = appended.groups()
        imap.select("INBOX")
        assert imap.response("UIDVALIDITY")[1] == [uidvalidity]
        assert imap.uid("SEARCH", "ALL")[1] == [uid]
        imap.create("Done")
        assert imap.uid("MOVE", uid.decode(), "Done")[0] == "OK"
        assert imap.uid("SEARCH", "ALL")[1] == [b""]

    assert dovecot.messages(MAILBOX_USER) == []
    [moved] = dovecot.messages(MAILBOX_USER, "Done")
    assert moved.raw == MESSAGE
    assert dovecot.uidvalidity(MAILBOX_USER) == int(uidvalidity)
    assert dovecot.uidvalidity(MAILBOX_USER, "Done") != int(uidvalidity)


def test_a_wrong_password_is_refused(dovecot):
    with imaplib.IMAP4(dovecot.host, dovecot.port) as imap, pytest.raises(imaplib.IMAP4.error):
        imap.login(MAILBOX_USER, "not-the-password")


def test_a_user_added_while_running_can_log_in_and_has_own_mail(dovecot):
    dovecot.add_user("billing@isp.example", "billing-secret")
    assert dovecot.deliver("billing@isp.example", MESSAGE) == 1
    assert len(dovecot.messages("billing@isp.example")) == 1
    assert dovecot.messages(MAILBOX_USER) == []
    with pytest.raises(ValueError, match="user name 'a:b'"):
        dovecot.add_user("a:b", "secret")


def test_imap_tools_fetches_by_uid_moves_and_flags(dovecot):
    first, second, third = dovecot.deliver_many(
        MAILBOX_USER, [MESSAGE, MESSAGE.replace(b"first", b"second"), MESSAGE]
    )
    with MailBoxUnencrypted(dovecot.host, dovecot.port).login(
        MAILBOX_USER, MAILBOX_PASSWORD
    ) as mailbox:
        status = mailbox.folder.status("INBOX", ["UIDVALIDITY", "UIDNEXT"])
        assert status["UIDVALIDITY"] == dovecot.uidvalidity(MAILBOX_USER)
        assert status["UIDNEXT"] == third + 1
        fetched = list(mailbox.fetch(AND(uid=f"{second}:*"), mark_seen=False))
        assert [(int(m.uid or 0), m.headers["message-id"]) for m in fetched] == [
            (second, ("<second@example.net>",)),
            (third, ("<first@example.net>",)),
        ]
        assert fetched[0].obj.as_bytes().endswith(b"The router's light is red.\n")
        mailbox.folder.create("Done")
        mailbox.move(str(first), "Done")
        mailbox.flag(str(second), [MailMessageFlags.SEEN, "netdesk-taken"], True)

    inbox = {message.uid: message for message in dovecot.messages(MAILBOX_USER)}
    assert set(inbox) == {second, third}
    assert {"\\Seen", "netdesk-taken"} <= set(inbox[second].flags)
    assert "\\Seen" not in inbox[third].flags
    assert [message.raw for message in dovecot.messages(MAILBOX_USER, "Done")] == [MESSAGE]


def test_renumber_gives_a_new_uidvalidity_and_keeps_the_mail(dovecot):
    dovecot.deliver(MAILBOX_USER, MESSAGE, folder="Done", flags=["\\Seen", "netdesk-taken"])
    before = dovecot.uidvalidity(MAILBOX_USER, "Done")
    dovecot.renumber(MAILBOX_USER, "Done")
    assert dovecot.uidvalidity(MAILBOX_USER, "Done") != before
    [kept] = dovecot.messages(MAILBOX_USER, "Done")
    assert kept.raw == MESSAGE
    assert {"\\Seen", "netdesk-taken"} <= set(kept.flags)


def test_a_stopped_server_refuses_connections_and_keeps_mail_for_its_restart(dovecot):
    dovecot.deliver(MAILBOX_USER, MESSAGE)
    dovecot.stop()
    with pytest.raises(ConnectionRefusedError):
        imaplib.IMAP4(dovecot.host, dovecot.port, timeout=2)
    dovecot.start()
    assert [message.raw for message in dovecot.messages(MAILBOX_USER)] == [MESSAGE]


def test_without_dovecot_the_test_is_skipped_not_failed(monkeypatch):
    monkeypatch.setattr(mailservers, "dovecot_binary", lambda: None)
    with (
        pytest.raises(pytest.skip.Exception, match="apt-get install dovecot-imapd"),
        mailservers.dovecot_server(),
    ):
        pass


def test_the_configuration_is_written_in_the_installed_series_option_names(tmp_path):
    setup = DovecotSetup(tmp_path, "127.0.0.1", 10143, 65534, run_as=("desk", "desk"))
    for version, wanted in [
        ("2.3.19.1", ["disable_plaintext_auth = no", "    address = 127.0.0.1"]),
        ("2.4.1-4", ["auth_allow_cleartext = yes", "    listen = 127.0.0.1"]),
    ]:
        lines = dovecot_config(version, setup).splitlines()
        assert set(wanted) <= set(lines), version
        assert {"    port = 10143", "default_login_user = desk"} <= set(lines), version
    # 2.4 refuses a configuration that does not open with its version.
    assert dovecot_config("2.4.1-4", setup).startswith("dovecot_config_version = 2.4.0\n")
    with pytest.raises(ValueError, match=r"dovecot 2\.5\.0: .* Dovecot 2\.3 and 2\.4 only"):
        dovecot_config("2.5.0", setup)


def test_smtplib_delivers_to_the_sink(smtp_sink):
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port) as client:
        client.sendmail("desk@isp.example", ["anna@example.net", "ben@example.net"], MESSAGE)
    [received] = smtp_sink.messages
    assert received.mail_from == "desk@isp.example"
    assert received.rcpt_tos == ("anna@example.net", "ben@example.net")
    assert received.raw == MESSAGE


def test_the_sink_refuses_the_messages_it_is_told_to(smtp_sink):
    smtp_sink.refuse = lambda n, _envelope: {
        1: mailservers.TEMPORARY_REFUSAL,
        3: mailservers.PERMANENT_REFUSAL,
    }.get(n)
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port) as client:
        with pytest.raises(smtplib.SMTPDataError) as temporary:
            client.sendmail("desk@isp.example", ["anna@example.net"], MESSAGE)
        assert temporary.value.smtp_code == 451
        client.sendmail("desk@isp.example", ["anna@example.net"], MESSAGE)
        with pytest.raises(smtplib.SMTPDataError) as permanent:
            client.sendmail("desk@isp.example", ["ben@example.net"], MESSAGE)
        assert permanent.value.smtp_code == 550
    assert [m.rcpt_tos for m in smtp_sink.messages] == [("anna@example.net",)]
    assert [m.answer[:3] for m in smtp_sink.refused] == ["451", "550"]
    assert smtp_sink.attempts == 3


def test_the_sink_refuses_chosen_recipients(smtp_sink):
    smtp_sink.refuse_recipient = lambda address: (
        "550 5.1.1 No such user" if address.startswith("gone@") else None
    )
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port) as client:
        refused = client.sendmail(
            "desk@isp.example", ["gone@example.net", "anna@example.net"], MESSAGE
        )
    assert refused == {"gone@example.net": (550, b"5.1.1 No such user")}
    assert [m.rcpt_tos for m in smtp_sink.messages] == [("anna@example.net",)]


def test_a_stopped_sink_refuses_connections_and_takes_mail_after_its_restart(smtp_sink):
    smtp_sink.stop()
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=2)
    smtp_sink.start()
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port) as client:
        client.sendmail("desk@isp.example", ["anna@example.net"], MESSAGE)
    assert [m.raw for m in smtp_sink.messages] == [MESSAGE]


def test_django_sends_through_the_sink_with_mail_settings(mail_settings):
    mail.send_mail("Your request", "We are on it.", "desk@isp.example", ["anna@example.net"])
    [received] = mail_settings.messages
    assert received.rcpt_tos == ("anna@example.net",)
    assert b"Subject: Your request" in received.raw
