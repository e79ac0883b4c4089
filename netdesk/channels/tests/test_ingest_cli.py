"""`netdesk mail ingest` as an MTA runs it (a process reading standard input)
and `netdesk mail reprocess`, with their JSON lines and exit codes."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from netdesk.channels.models import InboundMessage, InboundState, Outcome
from netdesk.channels.tests import inbound_mails as m
from netdesk.tickets.models import Category, Ticket

NETDESK = [sys.executable, "-m", "netdesk"]
ON_POSTGRES = os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres")


def ingest(
    args: list[str], env: dict[str, str], raw: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*NETDESK, "mail", "ingest", *args],
        env=env,
        input=raw,
        capture_output=True,
        timeout=300,
        check=False,
    )


def lines(result: subprocess.CompletedProcess[bytes]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def clean_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETDESK_")}
    env["NETDESK_DATA_DIR"] = str(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "netdesk.settings"
    return env


@pytest.fixture(scope="module")
def migrated(migrated_database: dict[str, str]) -> Path:
    """A migrated SQLite data directory, made once for the run (conftest.py)."""
    if ON_POSTGRES:
        pytest.skip("the MTA path runs on its own SQLite file; PostgreSQL is covered in-process")
    return Path(migrated_database["NETDESK_DATA_DIR"])


@pytest.fixture
def env(migrated, tmp_path) -> dict[str, str]:
    """A fresh copy of the migrated database for one test."""
    data_dir = tmp_path / "data"
    shutil.copytree(migrated, data_dir)
    return clean_env(data_dir)


def test_a_mail_piped_in_opens_a_ticket_and_its_answer_threads_to_it(env):
    first = ingest([], env, m.mail(message_id="piped@example.net", subject="Down"))
    assert first.returncode == 0, first.stderr
    [line] = lines(first)
    assert line == {
        "file": "-",
        "message_id": "piped@example.net",
        "from": "ann@example.net",
        "subject": "Down",
        "outcome": "ticket_created",
        "ticket": "TT-000001",
        "reason": "",
    }
    answer = ingest([], env, m.mail(subject="Re: Down", references="<piped@example.net>"))
    assert lines(answer)[0]["outcome"] == "reply_added"
    assert lines(answer)[0]["ticket"] == "TT-000001"


def test_the_same_bytes_piped_twice_are_a_duplicate(env):
    raw = m.mail(message_id="twice@example.net")
    ingest([], env, raw)
    again = ingest([], env, raw)
    assert again.returncode == 0
    assert lines(again)[0]["outcome"] == "duplicate"
    assert lines(again)[0]["ticket"] == "TT-000001"


def test_files_are_taken_one_by_one_and_a_bad_one_does_not_stop_the_rest(env, tmp_path):
    good = tmp_path / "good.eml"
    good.write_bytes(m.mail(subject="First"))
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    other = tmp_path / "other.eml"
    other.write_bytes(m.mail(subject="Second", sender="bob@example.org"))
    result = ingest([str(good), str(empty), str(other)], env)
    assert result.returncode == 0, result.stderr
    outcomes = [(line["file"], line["outcome"]) for line in lines(result)]
    assert outcomes == [
        (str(good), "ticket_created"),
        (str(empty), "quarantined"),
        (str(other), "ticket_created"),
    ]
    assert lines(result)[1]["reason"] == "UnparseableMail: the input is empty"


def test_an_unknown_mailbox_is_a_usage_error_naming_the_mailboxes(env):
    result = ingest(["--mailbox", "nope"], env, m.mail())
    assert result.returncode == 64
    assert b"--mailbox 'nope' is not a mailbox; accepted: none set up" in result.stderr


def test_a_database_that_cannot_be_reached_exits_75_so_the_mta_retries(tmp_path):
    env = clean_env(tmp_path)
    env["NETDESK_DATABASE_URL"] = "postgresql://netdesk@127.0.0.1:1/netdesk"
    result = ingest([], env, m.mail(subject="Keep me"))
    assert result.returncode == 75, result.stderr
    [line] = lines(result)
    assert line["outcome"] is None
    assert line["reason"].startswith("not stored:")


# In-process: the same command on the test database.


@pytest.mark.django_db
def test_ingest_files_through_call_command(tmp_path):
    box = m.mailbox(name="support")
    path = tmp_path / "mail.eml"
    path.write_bytes(m.mail(subject="Through the command"))
    out = io.StringIO()
    call_command("mail", "ingest", "--mailbox", "support", str(path), stdout=out)
    [line] = [json.loads(text) for text in out.getvalue().splitlines()]
    assert line["outcome"] == Outcome.TICKET_CREATED
    assert InboundMessage.objects.get().mailbox == box


@pytest.mark.django_db
def test_an_unknown_mailbox_names_the_ones_there_are():
    m.mailbox(name="support")
    m.mailbox(name="billing")
    with pytest.raises(CommandError, match="accepted: billing, support") as refused:
        call_command("mail", "ingest", "--mailbox", "sales", "x.eml")
    assert refused.value.returncode == 64


@pytest.mark.django_db
def test_reprocess_takes_quarantined_mail_by_id_or_all(tmp_path):
    wrong = Category.objects.create(name="Invoices", ticket_type="billing_inquiry")
    m.mailbox(name="support", ticket_type="fault", category=wrong)
    for number in range(2):
        path = tmp_path / f"{number}.eml"
        path.write_bytes(m.mail(subject=f"Mail {number}"))
        call_command("mail", "ingest", "--mailbox", "support", str(path), stdout=io.StringIO())
    first, second = InboundMessage.objects.order_by("pk")
    assert {first.state, second.state} == {InboundState.QUARANTINED}
    # The mailbox is set right; one mail is processed again by id, then the rest.
    wrong.ticket_type = "fault"
    wrong.save()
    out = io.StringIO()
    call_command("mail", "reprocess", str(first.pk), stdout=out)
    assert json.loads(out.getvalue())["outcome"] == Outcome.TICKET_CREATED
    out = io.StringIO()
    call_command("mail", "reprocess", "--all", stdout=out)
    assert [json.loads(text)["id"] for text in out.getvalue().splitlines()] == [second.pk]
    assert Ticket.objects.count() == 2
    with pytest.raises(CommandError, match=f"the id {first.pk}"):
        call_command("mail", "reprocess", str(first.pk))
    with pytest.raises(CommandError, match="not both"):
        call_command("mail", "reprocess")
