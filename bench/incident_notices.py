"""Incident notices at outage scale: for each size, an OLT with that many
subscribers (each with a verified contact address), an incident on it, then
the time of the notify request (`incident_notify_start`: the checks, the
order and its task row), of the task that queues the notices
(`incident_notify_send`), to resolve the incident, and to queue the
all-clear. On a fresh SQLite file or, with
NETDESK_DATABASE_URL set, a new database on that PostgreSQL server.

    .venv/bin/python bench/incident_notices.py
    scripts/with-postgres.sh .venv/bin/python bench/incident_notices.py
    .venv/bin/python bench/incident_notices.py --sizes 1000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netdesk.channels.tests.fetch_crashes import fresh_database  # noqa: E402

# Django and the desk are imported inside the functions: the database they
# use is chosen at run time, before django.setup().


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "netdesk.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_outage(size: int, actor: Any) -> Any:
    """An OLT with `size` subscribers and an incident on it."""
    from netdesk.core.memo import data_changed
    from netdesk.customers.models import Contact, Customer, Service
    from netdesk.network.models import Area, NetworkElement
    from netdesk.network.selectors import topology_changed
    from netdesk.noc.services.incidents import incident_create

    area, _ = Area.objects.get_or_create(code="BENCH", defaults={"name": "Bench city"})
    olt = NetworkElement.objects.create(name=f"BN-OLT-{size}", kind="olt", area=area)
    customers = Customer.objects.bulk_create(
        [
            Customer(
                account_number=f"BN{size}-{n:06d}",
                name=f"Subscriber {n}",
                email=f"s{n}@size{size}.example.net",
                language="de" if n % 4 == 0 else "",
            )
            for n in range(size)
        ],
        batch_size=2000,
    )
    Contact.objects.bulk_create(
        [
            Contact(customer=c, name=c.name, email=f"contact.{c.email}", is_primary=True)
            for c in customers
        ],
        batch_size=2000,
    )
    Service.objects.bulk_create(
        [
            Service(
                service_id=c.account_number,
                customer=c,
                product="Fibre 500",
                access_technology="ftth",
                area=area,
                access_element=olt,
            )
            for c in customers
        ],
        batch_size=2000,
    )
    data_changed(Customer, Service)
    topology_changed()
    return incident_create(
        actor=actor,
        title=f"Fibre cut ({size} subscribers)",
        detected_by="manual",
        root_element=olt,
        customer_description="A fibre cable was cut; technicians are on site.",
    )


def measure(size: int, actor: Any) -> dict[str, Any]:
    from netdesk.channels.models import OutboundKind, OutboundMessage
    from netdesk.channels.services.incident_notices import incident_all_clear
    from netdesk.channels.tasks import incident_notify_send, incident_notify_start
    from netdesk.noc.models import IncidentUpdate
    from netdesk.noc.services.incidents import incident_resolve, incident_update

    incident = build_outage(size, actor)
    began = time.perf_counter()
    order = incident_notify_start(actor=actor, incident=incident, confirm=True)
    request_s = time.perf_counter() - began
    began = time.perf_counter()
    incident_notify_send.call(order.pk)
    task_s = time.perf_counter() - began
    order.refresh_from_db()
    incident_update(actor=actor, incident=incident, customer_message="Splicing has begun.")
    began = time.perf_counter()
    incident_resolve(actor=actor, incident=incident, root_cause="fibre_cut", confirm=True)
    resolve_s = time.perf_counter() - began
    resolution = IncidentUpdate.objects.filter(incident=incident).order_by("-at", "-id")[0]
    cleared_inline = OutboundMessage.objects.filter(
        kind=OutboundKind.ALL_CLEAR, incident_update=resolution
    ).count()
    # The all-clear on its own, again from nothing (the resolve may have queued it).
    OutboundMessage.objects.filter(kind=OutboundKind.ALL_CLEAR, incident_update=resolution).delete()
    began = time.perf_counter()
    cleared = incident_all_clear(incident=incident, update=resolution, actor=actor)
    all_clear_s = time.perf_counter() - began
    assert (order.state, order.queued) == ("done", size), order
    assert cleared == size, cleared
    return {
        "customers": size,
        "notify_request_s": round(request_s, 3),
        "notify_task_s": round(task_s, 2),
        "resolve_s": round(resolve_s, 2),
        "all_clear_queued_by_resolve": cleared_inline,
        "all_clear_s": round(all_clear_s, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,50000")
    options = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="netdesk-notices-") as data_dir,
        fresh_database(Path(data_dir)) as env,
    ):
        setup_django(env)
        from django.db import connection

        from netdesk.accounts.models import Role
        from netdesk.accounts.services import user_create

        actor = user_create(username="bench-noc", role=Role.NOC_ENGINEER)
        results = [measure(int(size), actor) for size in options.sizes.split(",")]
        vendor = connection.vendor
        connection.close()
    for row in results:
        print(json.dumps({"database": vendor, **row}))


if __name__ == "__main__":
    main()
