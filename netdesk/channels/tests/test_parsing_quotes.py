"""Folding the quoted history and the signature out of a reply."""

from __future__ import annotations

import pytest

from netdesk.channels.parsing import fold_reply, parse_message


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        pytest.param(
            "Thanks, it works.\n\nOn Mon, 4 Mar 2024 at 10:00, Desk <support@isp.example> wrote:\n"
            "> Please restart the router.\n",
            "Thanks, it works.",
            id="gmail",
        ),
        pytest.param(
            "Thanks, it works.\n\nOn Mon, 4 Mar 2024 at 10:00, NetDesk Support <support@isp.example>\n"
            "wrote:\n> Please restart the router.\n",
            "Thanks, it works.",
            id="gmail-wrapped-attribution",
        ),
        pytest.param(
            "Still down.\n\n-----Original Message-----\nFrom: Desk\nSent: Monday\n\nold text\n",
            "Still down.",
            id="outlook-separator",
        ),
        pytest.param(
            "Still down.\n\n________________________________\nFrom: NetDesk <support@isp.example>\n"
            "Sent: Monday, March 4, 2024 10:00 AM\nTo: Bob <bob@example.net>\nSubject: RE: x\n\nold\n",
            "Still down.",
            id="outlook-header-block",
        ),
        pytest.param(
            "Geht wieder.\n\nVon: NetDesk <support@isp.example>\nGesendet: Montag, 4. März 2024 10:00\n"
            "An: Hans\nBetreff: AW: Störung\n\nalt\n",
            "Geht wieder.",
            id="outlook-german",
        ),
        pytest.param(
            "Geht wieder.\n\nAm 04.03.2024 um 10:00 schrieb NetDesk <support@isp.example>:\n> alt\n",
            "Geht wieder.",
            id="german-attribution",
        ),
        pytest.param(
            "Geht wieder.\n\nHans Maier schrieb am 04.03.2024 10:00:\n> alt\n",
            "Geht wieder.",
            id="thunderbird-german",
        ),
        pytest.param(
            "Geht wieder.\n\n-----Ursprüngliche Nachricht-----\nVon: Desk\nalt\n",
            "Geht wieder.",
            id="german-separator",
        ),
        pytest.param(
            "Ça marche.\n\nLe lun. 4 mars 2024 à 10:00, NetDesk <support@isp.example> a écrit :\n> vieux\n",
            "Ça marche.",
            id="french-attribution",
        ),
        pytest.param(
            "Ça marche.\n\nDe : NetDesk\nEnvoyé : lundi 4 mars 2024 10:00\nÀ : moi\nObjet : panne\n\nvieux\n",
            "Ça marche.",
            id="outlook-french",
        ),
        pytest.param(
            "Ça marche.\n\n-----Message d'origine-----\nDe : NetDesk\nvieux\n",
            "Ça marche.",
            id="french-separator",
        ),
        pytest.param(
            "Funciona.\n\nEl lun, 4 mar 2024 a las 10:00, NetDesk (<support@isp.example>) escribió:\n> viejo\n",
            "Funciona.",
            id="spanish-attribution",
        ),
        pytest.param(
            "Funciona.\n\nDe: NetDesk\nEnviado el: lunes, 4 de marzo de 2024 10:00\nPara: yo\n\nviejo\n",
            "Funciona.",
            id="outlook-spanish",
        ),
        pytest.param(
            "Funciona.\n\n-----Mensaje original-----\nDe: NetDesk\nviejo\n",
            "Funciona.",
            id="spanish-separator",
        ),
        pytest.param(
            "Bob wrote:\n> Is it the modem?\nNo, the line.\n> Since when?\nSince 9:00.\n",
            "No, the line.\nSince 9:00.",
            id="inline-answers",
        ),
        pytest.param(
            "> old question\n> more\n\nMy answer below the quote.\n",
            "My answer below the quote.",
            id="bottom-posting",
        ),
        pytest.param(
            "Works now.\n\nRegards\nBob\n-- \nBob Example\nExample Ltd, +49 30 1234567\n",
            "Works now.\n\nRegards\nBob",
            id="signature-delimiter",
        ),
        pytest.param(
            "Works now.\n--\nBob Example\n",
            "Works now.",
            id="signature-delimiter-without-space",
        ),
        pytest.param("Works now.\n\nSent from my iPhone\n", "Works now.", id="mobile-signature"),
        pytest.param(
            "Geht wieder.\n\nVon meinem iPhone gesendet\n", "Geht wieder.", id="mobile-german"
        ),
        pytest.param("Ça marche.\n\nEnvoyé de mon iPhone\n", "Ça marche.", id="mobile-french"),
        pytest.param("Funciona.\n\nEnviado desde mi iPhone\n", "Funciona.", id="mobile-spanish"),
        pytest.param(
            "On Monday the router rebooted itself and the line was gone.\nPlease check.\n",
            "On Monday the router rebooted itself and the line was gone.\nPlease check.",
            id="sentence-starting-with-on-is-kept",
        ),
        pytest.param(
            "> only a quote\n> nothing new\n", "> only a quote\n> nothing new", id="all-quote"
        ),
        pytest.param(
            "FYI\n\n---------- Forwarded message ---------\nFrom: Kim <kim@example.net>\n"
            "Date: Mon, 4 Mar 2024\nSubject: outage\n\nThe line is down.\n",
            "FYI\n\n---------- Forwarded message ---------\nFrom: Kim <kim@example.net>\n"
            "Date: Mon, 4 Mar 2024\nSubject: outage\n\nThe line is down.",
            id="forward-marker-keeps-the-forwarded-mail",
        ),
    ],
)
def test_fold_reply(text, reply):
    assert fold_reply(text) == reply


def test_forwarded_mail_keeps_everything():
    text = "See below.\n\nFrom: Kim\nSent: Monday\nTo: me\n\nThe line is down.\n-- \nKim"

    assert fold_reply(text, forwarded=True) == text


def test_parse_message_folds_reply_and_keeps_full_text():
    raw = (
        b"From: bob@example.net\nSubject: Re: [TT-000012] Outage\nMessage-ID: <r@x>\n"
        b"Date: Tue, 5 Mar 2024 10:00:00 +0000\n\n"
        b"Works again.\n\nOn Mon, 4 Mar 2024, Desk wrote:\n> Restart it.\n"
    )

    parsed = parse_message(raw)

    assert parsed.reply_text == "Works again."
    assert parsed.text == "Works again.\n\nOn Mon, 4 Mar 2024, Desk wrote:\n> Restart it."


def test_parse_message_does_not_fold_a_forward():
    raw = (
        b"From: agent@isp.example\nSubject: WG: Outage\nMessage-ID: <f@x>\n"
        b"Date: Tue, 5 Mar 2024 10:00:00 +0000\n\n"
        b"Bitte ansehen.\n\nVon: Kim\nGesendet: Montag\nAn: agent\n\nDie Leitung ist tot.\n"
    )

    parsed = parse_message(raw)

    assert parsed.reply_text == parsed.text


def test_outlook_html_reply_folds_its_header_block():
    html = (
        b'<html><body><div>Still no sync light.</div><div id="appendonsend"></div><hr>'
        b'<div id="divRplyFwdMsg"><b>From:</b> NetDesk &lt;support@isp.example&gt;<br>'
        b"<b>Sent:</b> Monday, March 4, 2024 10:00 AM<br><b>To:</b> Bob<br>"
        b"<b>Subject:</b> RE: [TT-000012] Outage</div><div>Please restart the modem.</div>"
        b"</body></html>"
    )
    raw = (
        b"From: bob@example.net\nSubject: RE: [TT-000012] Outage\nMessage-ID: <o@x>\n"
        b"Date: Tue, 5 Mar 2024 10:00:00 +0000\nContent-Type: text/html; charset=utf-8\n\n" + html
    )

    parsed = parse_message(raw)

    assert parsed.reply_text == "Still no sync light."
    assert parsed.text.endswith("Subject: RE: [TT-000012] Outage\nPlease restart the modem.")
