"""Timers that fall due while every process is down fire once, when a
worker comes back: run as real worker processes against a file database."""

import os
import subprocess
import sys

import pytest

NETDESK = [sys.executable, "-m", "netdesk"]


def netdesk(args, env):
    return subprocess.run(
        [*NETDESK, *args], env=env, capture_output=True, text=True, timeout=300, check=True
    )


def django_shell(code, env):
    return subprocess.run(
        [*NETDESK, "shell", "-v", "0", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout.strip()


@pytest.fixture
def env(database_copy: dict[str, str]):
    if os.environ.get("NETDESK_DATABASE_URL"):
        pytest.skip("file-database restart test runs on SQLite; PostgreSQL is covered in-process")
    # A copy of the database migrated once for the run (conftest.py).
    env = dict(database_copy)
    netdesk(
        [
            "createuser",
            "--username",
            "op",
            "--role",
            "hotline_operator",
            "--password",
            "correct-horse-battery-9",
            "--group",
            "Hotline",
        ],
        env,
    )
    return env


def test_overdue_timers_fire_once_after_a_restart(env):
    # Given a ticket whose first-response and resolution targets ran out an
    # hour ago, while no worker was running:
    django_shell(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from netdesk.accounts.models import User\n"
        "from netdesk.customers.models import Customer\n"
        "from netdesk.tickets.models import Ticket, TicketEvent\n"
        "from netdesk.tickets.services import ticket_create\n"
        "from netdesk.sla.services import sla_refresh\n"
        "c = Customer(account_number='A1', name='Late Customer'); c.save()\n"
        "t = ticket_create(actor=User.objects.get(username='op'), customer=c,\n"
        "    ticket_type='fault', channel='email', title='Down', impact=1, urgency=1)\n"
        "past = timezone.now() - timedelta(hours=6)\n"
        "Ticket.objects.filter(pk=t.pk).update(created_at=past)\n"
        "TicketEvent.objects.filter(ticket=t).update(at=past)\n"
        "t.refresh_from_db(); sla_refresh(ticket=t)\n",
        env,
    )
    # When a worker starts and works off its queue, twice (a second restart):
    netdesk(["worker", "--batch"], env)
    netdesk(["worker", "--batch"], env)
    # Then each breach was fired exactly once.
    kinds = django_shell(
        "from netdesk.tickets.models import TicketEvent\n"
        "print(sorted(TicketEvent.objects.filter(kind__startswith='sla_')"
        ".values_list('field', 'kind')))",
        env,
    )
    assert kinds == "[('sla.first_response', 'sla_breached'), ('sla.resolution', 'sla_breached')]"
    waiting = django_shell(
        "from django_tasks_db.models import DBTaskResult\n"
        "print(DBTaskResult.objects.filter(status='READY', task_path__endswith='sla_tick').count())",
        env,
    )
    assert waiting == "1"  # the next tick is queued, not a pile of them


def test_recompute_in_several_processes_matches_one_by_one(env):
    # Given tickets whose timers were computed one by one as they changed:
    make = (
        "from netdesk.accounts.models import User\n"
        "from netdesk.customers.models import Customer\n"
        "from netdesk.tickets.services import ticket_create, ticket_change_status\n"
        "op = User.objects.get(username='op')\n"
        "for n in range(7):\n"
        "    c = Customer.objects.create(account_number=f'A{n}', name=f'Customer {n}')\n"
        "    t = ticket_create(actor=op, customer=c, ticket_type='fault', channel='email',\n"
        "        title='Down', impact=1 + n % 3, urgency=2)\n"
        "    if n % 2: ticket_change_status(actor=op, ticket=t, status='pending_customer')\n"
    )
    django_shell(make, env)
    snapshot = (
        "from netdesk.sla.models import SlaTimer\n"
        # A running clock's elapsed time grows with the moment it is computed
        # at; a stopped or paused one's does not.
        "print(sorted((t.ticket_id, t.metric, t.state, str(t.due_at),"
        " t.state == 'running' or t.elapsed_seconds > 0) for t in SlaTimer.objects.all()))"
    )
    before = django_shell(snapshot, env)
    # When every timer is dropped and rebuilt by three processes in batches of two:
    django_shell("from netdesk.sla.models import SlaTimer; SlaTimer.objects.all().delete()", env)
    # (--force: dropping timers by hand is no change to a ticket's inputs.)
    out = netdesk(
        ["sla", "-v", "0", "recompute", "--force", "--processes", "3", "--batch", "2"], env
    )
    # Then the same timers come back, for every ticket.
    assert "Went through 7 tickets" in out.stdout
    assert "recomputed 7 whose" in out.stdout
    assert django_shell(snapshot, env) == before
    assert before.count("first_response") == 7


def test_a_recompute_whose_worker_process_dies_fails_and_says_so(env):
    # Given tickets to recompute in batches of two over two processes, and a
    # worker process that dies (as one the kernel kills for memory) on its
    # second batch:
    django_shell(
        "from netdesk.accounts.models import User\n"
        "from netdesk.customers.models import Customer\n"
        "from netdesk.tickets.services import ticket_create\n"
        "op = User.objects.get(username='op')\n"
        "for n in range(8):\n"
        "    c = Customer.objects.create(account_number=f'K{n}', name=f'Customer {n}')\n"
        "    ticket_create(actor=op, customer=c, ticket_type='fault', channel='email',\n"
        "        title='Down', impact=2, urgency=2)\n",
        env,
    )
    run = (
        "import os\n"
        "from django.core.management import CommandError, call_command\n"
        "from netdesk.sla import recompute\n"
        "real = recompute._recompute_tickets\n"
        "def dies_on_the_second(tickets, now, *, force):\n"
        "    if min(tickets.values_list('pk', flat=True)) > min_id + 1:\n"
        "        os._exit(9)\n"
        "    return real(tickets, now, force=force)\n"
        "from netdesk.tickets.models import Ticket\n"
        "min_id = Ticket.objects.order_by('pk').values_list('pk', flat=True)[0]\n"
        "recompute._recompute_tickets = dies_on_the_second\n"
        "try:\n"
        "    call_command('sla', '-v', '0', 'recompute', '--force', '--processes', '2',"
        " '--batch', '2')\n"
        "except CommandError as error:\n"
        "    print(error)\n"
    )
    # When the recompute runs, it ends (rather than waiting for the lost
    # batch for ever) and says what happened and what to do:
    said = subprocess.run(
        [*NETDESK, "shell", "-v", "0", "-c", run],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert said.returncode == 0, said.stderr
    assert "A worker process of the recompute stopped" in said.stdout
    assert "run the command again" in said.stdout
