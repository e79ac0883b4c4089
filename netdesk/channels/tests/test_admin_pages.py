"""The mailbox administration pages: who may do what, the write-only IMAP
password, forms sent back as typed, the connection test against real
servers, the quarantine (process again, raw download) and the templates."""

from __future__ import annotations

import itertools
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from netdesk.accounts.models import Role, User
from netdesk.accounts.permissions import Action, can
from netdesk.channels.models import (
    ImapSecurity,
    InboundMessage,
    InboundState,
    Mailbox,
    MessageTemplate,
    Outcome,
    Source,
)
from netdesk.channels.parsing import content_hash
from netdesk.channels.services.mailboxes import MailboxSettings, mailbox_save
from netdesk.channels.services.template_defaults import DEFAULT_TEMPLATES
from tests import factories as f
from tests import mailservers

pytestmark = pytest.mark.django_db

SECRET = "s3cret-imap-passw0rd"


_numbers = itertools.count(1)


def plain_mail(subject: str = "No internet") -> bytes:
    n = next(_numbers)
    return (
        f"From: Ann Example <ann@example.net>\r\n"
        f"To: support@isp.example\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <admin-{n}@example.net>\r\n"
        f"Date: Mon, 02 Mar 2026 08:00:00 +0000\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"The line has been down since this morning.\r\n"
    ).encode()


def broken_mail() -> bytes:
    """No header fields at all: not a mail, however often it is tried."""
    return b"<html>no header fields here</html>\r\n"


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager() -> Client:
    return login(f.user(Role.SERVICE_DESK_MANAGER))


@pytest.fixture
def lead() -> Client:
    return login(f.user(Role.TEAM_LEAD))


def mailbox(name: str = "support", **values: object) -> Mailbox:
    settings = MailboxSettings(name=name, address=f"{name}@isp.example", **values)  # type: ignore[arg-type]
    password = SECRET if settings.imap_host else None
    return mailbox_save(actor=None, mailbox=None, values=settings, password=password)


def mailbox_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "billing",
        "address": "billing@isp.example",
        "reply_address": "",
        "active": "on",
        "ticket_type": "billing_inquiry",
        "language": "de",
        "imap_host": "imap.isp.example",
        "imap_port": "993",
        "imap_security": "ssl",
        "imap_user": "billing",
        "imap_password": SECRET,
        "imap_folder": "INBOX",
        "done_folder": "",
        "fetch_every_seconds": "60",
    }
    form.update(changes)
    return form


def quarantined(box: Mailbox | None, raw: bytes, reason: str = "crashed") -> InboundMessage:
    """A message kept in quarantine, as the pipeline leaves one whose handling failed."""
    return InboundMessage.objects.create(
        mailbox=box,
        source=Source.PIPE,
        message_id="",
        content_hash=content_hash(raw),
        raw=raw,
        size=len(raw),
        received_at="2026-03-02T08:00:00Z",
        state=InboundState.QUARANTINED,
        outcome=Outcome.QUARANTINED,
        reason=reason,
        sender="ann@example.net",
        subject="Broken",
        attempts=1,
    )


# Who may do what -----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/channels/mailboxes/new/", Action.CONFIGURE),
        ("/channels/mailboxes/support/", Action.CONFIGURE),
        ("/channels/templates/", Action.CONFIGURE),
        ("/channels/templates/acknowledgement/en/", Action.CONFIGURE),
        ("/channels/quarantine/", Action.MAIL_QUARANTINE),
        ("/channels/mailboxes/support/quarantine/", Action.MAIL_QUARANTINE),
    ],
)
def test_each_page_is_refused_to_roles_without_its_action_naming_it(
    path: str, action: Action
) -> None:
    mailbox()
    for role in Role.values:
        agent = f.user(role)
        response = login(agent).get(path)
        if can(agent, action):
            assert response.status_code == 200, (role, path)
        else:
            assert response.status_code == 403, (role, path)
            assert action.value in response.content.decode()


def test_the_mailbox_list_is_for_configuring_or_quarantine_roles_and_the_menu_agrees() -> None:
    mailbox()
    for role in Role.values:
        agent = f.user(role)
        allowed = can(agent, Action.CONFIGURE) or can(agent, Action.MAIL_QUARANTINE)
        page = login(agent).get("/channels/mailboxes/")
        assert page.status_code == (200 if allowed else 403), role
        queue = login(agent).get("/").content.decode()
        assert ('href="/channels/mailboxes/"' in queue) is allowed, role


def test_a_team_lead_sees_the_mailboxes_without_links_to_edit_them(lead: Client) -> None:
    mailbox()

    page = lead.get("/channels/mailboxes/").content.decode()

    assert "support@isp.example" in page
    assert 'href="/channels/mailboxes/support/"' not in page
    assert 'href="/channels/mailboxes/new/"' not in page


def test_a_refused_post_changes_nothing(lead: Client) -> None:
    box = mailbox()

    response = lead.post("/channels/mailboxes/support/", mailbox_form(name="support"))

    assert response.status_code == 403
    box.refresh_from_db()
    assert box.address == "support@isp.example"


# The mailbox list ------------------------------------------------------------


def test_the_list_shows_how_each_mailbox_is_fed_its_failures_and_quarantine(
    manager: Client,
) -> None:
    piped = mailbox("support")
    polled = mailbox("noc", imap_host="imap.isp.example", imap_user="noc")
    Mailbox.objects.filter(pk=polled.pk).update(
        failures=3, last_error="imap.isp.example:993 refused the sign-in as 'noc'"
    )
    quarantined(piped, plain_mail())
    quarantined(piped, broken_mail())

    page = manager.get("/channels/mailboxes/").content.decode()

    assert "MTA pipe" in page
    assert "IMAP imap.isp.example:993 (INBOX)" in page
    assert "refused the sign-in as &#x27;noc&#x27;" in page
    assert '<a href="/channels/mailboxes/support/quarantine/">2</a>' in page


def test_the_list_costs_the_same_queries_for_many_mailboxes(manager: Client) -> None:
    mailbox("one")
    with CaptureQueriesContext(connection) as few:
        manager.get("/channels/mailboxes/")
    for n in range(8):
        quarantined(mailbox(f"box{n}"), plain_mail())
    with CaptureQueriesContext(connection) as many:
        manager.get("/channels/mailboxes/")
    assert len(many) == len(few)


# Creating and changing a mailbox --------------------------------------------


def test_a_manager_creates_a_mailbox_and_the_password_is_never_shown_again(
    manager: Client,
) -> None:
    response = manager.post("/channels/mailboxes/new/", mailbox_form())

    assert response.status_code == 302
    box = Mailbox.objects.get(name="billing")
    assert box.imap_password == SECRET
    assert box.language == "de"
    page = manager.get("/channels/mailboxes/billing/").content.decode()
    assert SECRET not in page
    assert "A password is stored; leave empty to keep it." in page


def test_an_empty_password_keeps_the_stored_one_and_forget_clears_it(manager: Client) -> None:
    manager.post("/channels/mailboxes/new/", mailbox_form())

    response = manager.post(
        "/channels/mailboxes/billing/", mailbox_form(imap_password="", done_folder="Done")
    )

    assert response.status_code == 302
    box = Mailbox.objects.get(name="billing")
    assert (box.imap_password, box.done_folder) == (SECRET, "Done")
    manager.post(
        "/channels/mailboxes/billing/",
        mailbox_form(imap_password="", imap_host="", forget_password="on"),
    )
    box.refresh_from_db()
    assert box.imap_password == ""


def test_a_form_error_answers_422_with_what_was_typed_but_not_the_password(
    manager: Client,
) -> None:
    response = manager.post(
        "/channels/mailboxes/new/",
        mailbox_form(address="billing@isp.example", language="Deutsch!", fetch_every_seconds="1"),
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "&#x27;deutsch!&#x27; is not a language code" in page
    assert 'value="billing@isp.example"' in page
    assert 'value="imap.isp.example"' in page
    assert "Ensure this value is greater than or equal to 10" in page
    assert SECRET not in page
    assert not Mailbox.objects.exists()


def test_a_name_taken_or_a_missing_imap_user_is_refused_on_its_field(manager: Client) -> None:
    mailbox("billing")

    taken = manager.post("/channels/mailboxes/new/", mailbox_form())
    no_user = manager.post("/channels/mailboxes/new/", mailbox_form(name="other", imap_user=""))

    assert taken.status_code == 422
    assert 'data-field="name"' in taken.content.decode()
    assert "A mailbox named &#x27;billing&#x27; exists already." in taken.content.decode()
    assert no_user.status_code == 422
    assert 'data-field="imap_user"' in no_user.content.decode()
    assert Mailbox.objects.count() == 1


def test_reading_another_folder_starts_over_there(manager: Client) -> None:
    manager.post("/channels/mailboxes/new/", mailbox_form())
    Mailbox.objects.filter(name="billing").update(uidvalidity=77, last_uid=120)

    manager.post("/channels/mailboxes/billing/", mailbox_form(imap_folder="Support"))

    box = Mailbox.objects.get(name="billing")
    assert (box.imap_folder, box.uidvalidity, box.last_uid) == ("Support", None, 0)


# Test connection -------------------------------------------------------------


def dovecot_mailbox(server: mailservers.DovecotServer, password: str) -> Mailbox:
    return mailbox_save(
        actor=None,
        mailbox=None,
        values=MailboxSettings(
            name="support",
            address=mailservers.MAILBOX_USER,
            imap_host=server.host,
            imap_port=server.port,
            imap_security=ImapSecurity.NONE,
            imap_user=mailservers.MAILBOX_USER,
            done_folder="Done",
        ),
        password=password,
    )


def test_test_connection_signs_in_to_dovecot_and_greets_the_smtp_server(
    manager: Client,
    dovecot: mailservers.DovecotServer,
    mail_settings: mailservers.SmtpSink,
) -> None:
    dovecot_mailbox(dovecot, mailservers.MAILBOX_PASSWORD)

    page = manager.post("/channels/mailboxes/support/test/").content.decode()

    assert f'IMAP {dovecot.host}:{dovecot.port}: <span class="badge state-resolved">works' in page
    assert (
        f'SMTP {mail_settings.host}:{mail_settings.port}: <span class="badge state-resolved">works'
        in page
    )
    assert "NOOP: 250" in page
    assert mailservers.MAILBOX_PASSWORD not in page
    assert not mail_settings.messages  # nothing was sent


def test_test_connection_says_where_it_failed_and_never_shows_the_password(
    manager: Client,
    dovecot: mailservers.DovecotServer,
    settings: object,
) -> None:
    dovecot_mailbox(dovecot, SECRET)  # not the account's password
    settings.EMAIL_HOST = "127.0.0.1"  # type: ignore[attr-defined]
    settings.EMAIL_PORT = mailservers.free_port()  # type: ignore[attr-defined]

    page = manager.post("/channels/mailboxes/support/test/").content.decode()

    assert page.count('<span class="badge sev-1">failed</span>') == 2
    assert "refused the sign-in" in page
    assert "Failed: ConnectionRefusedError" in page
    assert SECRET not in page


def test_mail_test_tries_each_imap_mailbox_then_smtp(
    dovecot: mailservers.DovecotServer, mail_settings: mailservers.SmtpSink
) -> None:
    dovecot_mailbox(dovecot, mailservers.MAILBOX_PASSWORD)
    mailbox("piped")
    out = StringIO()

    call_command("mail", "test", stdout=out)

    said = out.getvalue()
    assert f"support: IMAP {dovecot.host}:{dovecot.port}: works" in said
    assert f"SMTP {mail_settings.host}:{mail_settings.port}: works" in said
    assert "piped" not in said  # no IMAP server to try
    assert mailservers.MAILBOX_PASSWORD not in said


def test_mail_test_exits_1_naming_what_failed(dovecot: mailservers.DovecotServer) -> None:
    dovecot_mailbox(dovecot, SECRET)
    out = StringIO()

    with pytest.raises(CommandError, match=r"Failed: support: IMAP .*; SMTP") as failed:
        call_command("mail", "test", "--mailbox", "support", stdout=out)

    assert failed.value.returncode == 1
    assert "refused the sign-in" in out.getvalue()
    assert SECRET not in out.getvalue()


def test_test_connection_is_for_configuring_roles_only(lead: Client) -> None:
    mailbox()

    assert lead.post("/channels/mailboxes/support/test/").status_code == 403


# The quarantine ----------------------------------------------------------------


def test_the_quarantine_lists_what_was_kept_and_why(lead: Client) -> None:
    support, other = mailbox("support"), mailbox("other")
    kept = quarantined(support, broken_mail(), reason="Unparseable: no header at all")
    quarantined(other, plain_mail(), reason="elsewhere")

    one = lead.get("/channels/mailboxes/support/quarantine/").content.decode()
    every = lead.get("/channels/quarantine/").content.decode()

    assert "Unparseable: no header at all" in one
    assert "elsewhere" not in one
    assert f'href="/channels/mail/{kept.pk}/raw/"' in one
    assert "elsewhere" in every
    assert "Unparseable: no header at all" in every


def test_the_raw_message_downloads_as_an_eml_attachment_never_inline(lead: Client) -> None:
    raw = b"From: a@b\r\nSubject: <script>alert(1)</script>\r\n\r\n<html>hi</html>\r\n"
    kept = quarantined(mailbox(), raw)

    response = lead.get(f"/channels/mail/{kept.pk}/raw/")

    assert response.status_code == 200
    assert response.content == raw
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="message-{kept.pk}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_raw_message_is_refused_without_the_quarantine_permission() -> None:
    kept = quarantined(mailbox(), plain_mail())
    hotline = login(f.user(Role.HOTLINE_OPERATOR))

    response = hotline.get(f"/channels/mail/{kept.pk}/raw/")

    assert response.status_code == 403
    assert Action.MAIL_QUARANTINE.value in response.content.decode()


def test_process_again_opens_the_ticket_the_first_try_could_not(lead: Client) -> None:
    kept = quarantined(mailbox(), plain_mail(subject="No internet since Monday"))

    response = lead.post(f"/channels/mail/{kept.pk}/reprocess/", {"mailbox": "support"})

    assert response.status_code == 302
    assert response["Location"] == "/channels/mailboxes/support/quarantine/"
    kept.refresh_from_db()
    assert kept.state == InboundState.PROCESSED
    assert kept.outcome == Outcome.TICKET_CREATED
    assert kept.ticket is not None
    assert kept.ticket.title == "No internet since Monday"
    page = lead.get(response["Location"]).content.decode()
    assert f"Message {kept.pk}: Opened a ticket ({kept.ticket.reference})." in page


def test_process_all_shown_goes_on_past_one_that_fails_again(lead: Client) -> None:
    box = mailbox()
    good = quarantined(box, plain_mail(subject="Slow line"))
    bad = quarantined(box, broken_mail())

    response = lead.post(
        "/channels/quarantine/reprocess/", {"message": [str(good.pk), str(bad.pk)]}
    )

    assert response.status_code == 302
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.state == InboundState.PROCESSED
    assert bad.state == InboundState.QUARANTINED
    assert bad.attempts == 2
    page = lead.get("/channels/quarantine/").content.decode()
    assert "1 still quarantined" in page


def test_process_again_is_refused_to_a_hotline_operator() -> None:
    kept = quarantined(mailbox(), plain_mail())
    hotline = login(f.user(Role.HOTLINE_OPERATOR))

    response = hotline.post(f"/channels/mail/{kept.pk}/reprocess/")

    assert response.status_code == 403
    kept.refresh_from_db()
    assert kept.state == InboundState.QUARANTINED


# Templates -----------------------------------------------------------------------


def test_the_template_list_shows_every_event_and_language(manager: Client) -> None:
    page = manager.get("/channels/templates/").content.decode()

    for event, language in DEFAULT_TEMPLATES:
        assert f'href="/channels/templates/{event}/{language}/"' in page


def test_a_template_with_an_error_answers_422_with_what_was_typed(manager: Client) -> None:
    before = MessageTemplate.objects.get(event="acknowledgement", language="en")
    typed = "Hello {{ recipient.name }},\n{% if ticket.reference %}\nno end"

    response = manager.post(
        "/channels/templates/acknowledgement/en/", {"subject": "Got it", "body": typed}
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "no end" in page
    assert 'data-field="body"' in page
    after = MessageTemplate.objects.get(pk=before.pk)
    assert after.body == before.body


def test_a_template_is_saved_and_a_new_language_starts_from_english(manager: Client) -> None:
    page = manager.get("/channels/templates/acknowledgement/fr/").content.decode()
    assert "We received your request" in page  # English to translate from

    response = manager.post(
        "/channels/templates/acknowledgement/fr/",
        {"subject": "[{{ ticket.reference }}] Bien reçu", "body": "Bonjour, merci."},
    )

    assert response.status_code == 302
    saved = MessageTemplate.objects.get(event="acknowledgement", language="fr")
    assert saved.subject == "[{{ ticket.reference }}] Bien reçu"


def test_the_preview_renders_against_a_chosen_ticket_or_the_sample(manager: Client) -> None:
    agent = f.user()
    ticket = f.ticket(agent, title="Router blinks red")
    form = {"subject": "[{{ ticket.reference }}] {{ ticket.title }}", "body": "Hi."}

    chosen = manager.post(
        "/channels/templates/acknowledgement/en/preview/", {**form, "ticket": ticket.reference}
    )
    sample = manager.post("/channels/templates/acknowledgement/en/preview/", form)

    assert f"[{ticket.reference}] Router blinks red" in chosen.content.decode()
    assert "[TT-000123] No internet since this morning" in sample.content.decode()


def test_the_preview_names_the_error_and_an_unknown_ticket(manager: Client) -> None:
    broken = manager.post(
        "/channels/templates/acknowledgement/en/preview/",
        {"subject": "x", "body": "{{ ticket.nonsense }}"},
        HTTP_HX_REQUEST="true",
    )
    unknown = manager.post(
        "/channels/templates/acknowledgement/en/preview/",
        {"subject": "x", "body": "y", "ticket": "TT-999999"},
    )

    assert broken.status_code == 200  # htmx swaps only 2xx in
    assert "messages have no variable" in broken.content.decode()
    assert unknown.status_code == 422
    assert "TT-999999" in unknown.content.decode()


def test_add_a_language_opens_its_page_and_a_bad_event_or_language_is_named(
    manager: Client,
) -> None:
    added = manager.get("/channels/templates/?event=all_clear&language=FR")
    unknown_event = manager.get("/channels/templates/party/en/")
    bad_language = manager.get("/channels/templates/all_clear/fran%C3%A7ais/")

    assert added.status_code == 302
    assert added["Location"] == "/channels/templates/all_clear/fr/"
    assert unknown_event.status_code == 404
    assert "No message event &#x27;party&#x27;" in unknown_event.content.decode()
    assert bad_language.status_code == 404
    assert "is not a language code" in bad_language.content.decode()


def test_restore_puts_the_built_in_wording_back(manager: Client) -> None:
    MessageTemplate.objects.filter(event="acknowledgement", language="en").update(body="changed")

    response = manager.post("/channels/templates/restore/")

    assert response.status_code == 302
    restored = MessageTemplate.objects.get(event="acknowledgement", language="en")
    assert restored.body == DEFAULT_TEMPLATES[("acknowledgement", "en")].body
